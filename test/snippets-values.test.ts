// What every snippet reads from the environment without starting kops-mfa:
// KOPS_MFA_MIN_REMAINING (the reuse window), checked one way in all four and
// with the same answers as the settings; and KOPS_MFA_EXPIRES, which is no
// session when it is not a plain number of at most 11 digits or lies more
// than 36 h ahead.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { resolveSettings } from '../src/settings/config.ts';
import { needTool, posixQuote, ROOT, runRaw } from './support/helpers.ts';
import { needPowerShell, psQuote, runPs } from './powershell/pwsh.ts';

const MIN_INPUTS: (string | undefined)[] = [
  undefined, '', '0', '00', '5', '05', '60', '720', '0720', '000000000000000000000000720', '721', '999', '1000',
  '99999999999999999999', '-1', '+5', ' 5', '5 ', '1e2', '0x10', '5.0', '٣', '５', '5\n', 'abc',
];

/** config.ts's answer: the window in seconds, or 'invalid'. */
function settingsAnswer(v: string | undefined): string {
  const env: NodeJS.ProcessEnv = {
    KOPS_MFA_ARN: 'arn:aws:iam::123456789012:mfa/alice',
    HOME: '/nonexistent',
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00',
    AWS_SECRET_ACCESS_KEY: 'secretsecretsecretsecretsecretsecret0000',
  };
  if (v !== undefined) env.KOPS_MFA_MIN_REMAINING = v;
  const files = { config: {}, credentials: {}, configPath: '/nonexistent/config', credentialsPath: '/nonexistent/credentials' };
  try {
    return String(resolveSettings({}, env, files).minRemainingSeconds);
  } catch {
    return 'invalid';
  }
}

const want = MIN_INPUTS.map(settingsAnswer);

function posixScript(snippet: string): string {
  const lines = [`. ${posixQuote(join(ROOT, 'shells', snippet))}`];
  for (const v of MIN_INPUTS) {
    lines.push(v === undefined ? 'unset KOPS_MFA_MIN_REMAINING' : `KOPS_MFA_MIN_REMAINING=${posixQuote(v)}`);
    lines.push(`_kops_mfa_window=x; if _kops_mfa_reuse_window; then printf '%s\\n' "$_kops_mfa_window"; else echo invalid; fi`);
  }
  return lines.join('\n');
}

const fishQ = (v: string) => `'${v.replace(/[\\']/g, (c) => '\\' + c)}'`;

async function answers(t: TestContext, shell: 'bash' | 'zsh' | 'fish' | 'powershell'): Promise<string[] | undefined> {
  if (shell === 'powershell') {
    const exe = needPowerShell(t);
    if (!exe) return undefined;
    const lines = [`. ${psQuote(join(ROOT, 'shells', 'kops-mfa.ps1'))}`];
    for (const v of MIN_INPUTS) {
      lines.push(v === undefined ? 'Remove-Item Env:KOPS_MFA_MIN_REMAINING -ErrorAction Ignore' : `$env:KOPS_MFA_MIN_REMAINING = ${psQuote(v)}`);
      lines.push(`$w = _kops_mfa_window; if ($null -eq $w) { 'invalid' } else { [string] $w }`);
    }
    const r = await runPs(t, exe, lines.join('\n'), { env: process.env });
    return r.stdout.toString().split(/\r?\n/).filter(Boolean);
  }
  if (!needTool(t, shell)) return undefined;
  let r;
  if (shell === 'fish') {
    const lines = [`source ${fishQ(join(ROOT, 'shells', 'kops-mfa.fish'))}`];
    for (const v of MIN_INPUTS) {
      lines.push(v === undefined ? 'set -e KOPS_MFA_MIN_REMAINING' : `set -gx KOPS_MFA_MIN_REMAINING ${fishQ(v)}`);
      lines.push('if set -l w (__kops_mfa_reuse_window); echo $w; else; echo invalid; end');
    }
    r = await runRaw('fish', ['--no-config', '--private', '-c', lines.join('\n')], { env: process.env });
  } else {
    r = await runRaw(shell, shell === 'zsh' ? ['-f', '-c', posixScript('kops-mfa.zsh')] : ['--norc', '-c', posixScript('kops-mfa.bash')], { env: process.env });
  }
  assert.equal(r.stderr, '', `${shell} printed on stderr`);
  return r.stdout.toString().split('\n').filter(Boolean);
}

describe('KOPS_MFA_MIN_REMAINING: every snippet answers as the settings do', () => {
  for (const shell of ['bash', 'zsh', 'fish', 'powershell'] as const) {
    test(shell, async (t) => {
      const got = await answers(t, shell);
      if (!got) return;
      const table = MIN_INPUTS.map((v, i) => [JSON.stringify(v), want[i], got[i]]);
      assert.deepEqual(got, want, JSON.stringify(table));
    });
  }
});

describe('KOPS_MFA_EXPIRES that kops-mfa cannot have written is no session', () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, boolean][] = [
    [String(now + 3600), true],
    [String(now + 129_000), true],
    [String(now + 129_600 + 600), false],
    ['21572998971266850000', false],
    ['99999999999', false],
    ['000001795475100', false],
    ['1e10', false],
    ['', false],
  ];
  const env = (v: string) => ({ AWS_ACCESS_KEY_ID: 'ASIAEXPIRESTEST00001', KOPS_MFA_KEY_ID: 'ASIAEXPIRESTEST00001', KOPS_MFA_SESSION: 'p', KOPS_MFA_EXPIRES: v });

  for (const shell of ['bash', 'zsh', 'fish', 'powershell'] as const) {
    test(shell, async (t) => {
      for (const [expires, shown] of cases) {
        let out: string;
        let err: string;
        if (shell === 'powershell') {
          const exe = needPowerShell(t);
          if (!exe) return;
          const r = await runPs(t, exe, `. ${psQuote(join(ROOT, 'shells', 'kops-mfa.ps1'))}\n'[' + (kops_mfa_prompt) + ']'`, { env: { ...process.env, ...env(expires) } });
          out = r.stdout.toString().trim();
          err = r.stderr;
        } else {
          if (!needTool(t, shell)) return;
          const file = join(ROOT, 'shells', `kops-mfa.${shell}`);
          const script = shell === 'fish' ? `source ${fishQ(file)}; echo "[$(kops_mfa_prompt)]"` : `. ${posixQuote(file)}; echo "[$(kops_mfa_prompt)]"`;
          const args = shell === 'fish' ? ['--no-config', '--private', '-c', script] : shell === 'zsh' ? ['-f', '-c', script] : ['--norc', '-c', script];
          const r = await runRaw(shell, args, { env: { ...process.env, ...env(expires) } });
          out = r.stdout.toString().trim();
          err = r.stderr;
        }
        assert.equal(err, '', `${shell} ${expires}: stderr`);
        if (shown) assert.match(out, /^\[(\d+h\d\dm|\d+m)\]$/, `${shell} ${expires}`);
        else assert.equal(out, '[]', `${shell} ${expires}`);
      }
    });
  }
});
