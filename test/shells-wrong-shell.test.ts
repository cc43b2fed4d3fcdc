// Output given to the wrong shell changes nothing and shows no secret: POSIX
// statements sourced by fish or run by PowerShell, fish's and PowerShell's
// statements evaluated by bash, zsh and dash. Real shells, the real
// PowerShell engine (with the most talkative error view). And kops-mfa picks
// the shell that runs it (its parent process) over $SHELL.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { EnvOp } from '../src/shell/env-ops.ts';
import { render, type ShellName } from '../src/shell/render/index.ts';
import { GUARD as FISH_GUARD } from '../src/shell/render/fish.ts';
import { GUARD as POSIX_GUARD } from '../src/shell/render/posix.ts';
import { GUARD as POWERSHELL_GUARD } from '../src/shell/render/powershell.ts';
import { kopsMfaShim, needTool, posixQuote, runRaw, tempDir } from './support/helpers.ts';
import { needPowerShell, psQuote, runPs } from './powershell/pwsh.ts';

const SECRETS = {
  AWS_ACCESS_KEY_ID: 'ASIAWRONGSHELLKEYID01',
  AWS_SECRET_ACCESS_KEY: 'wrongShellSecretKey/0123456789+abcdefEXAMPLE',
  AWS_SESSION_TOKEN: 'IQoJwrongShellSessionToken//////////wEaCXNlY3JldA==',
};
/** A key the shell held before: it is in the saved state, and secret too. */
const OLD_SECRET = 'oldStaticSecretKeyHeldBefore0123456789ABCD';
const SAVED = JSON.stringify({ AWS_SECRET_ACCESS_KEY: OLD_SECRET, AWS_PROFILE: `o'brien "x" \\ #> $(touch pwned) \`touch pwned\`\n; touch pwned` });

const OPS: EnvOp[] = [
  ...Object.entries(SECRETS).map(([name, value]): EnvOp => ({ op: 'set', name, value })),
  { op: 'set', name: 'KOPS_MFA_SESSION', value: "o'brien‘admin’#>" },
  { op: 'set', name: 'KOPS_MFA_SAVED', value: SAVED },
  { op: 'unset', name: 'AWS_PROFILE' },
];
const SET_NAMES = OPS.filter((o) => o.op === 'set').map((o) => o.name);
const ALL_SECRETS = [...Object.values(SECRETS), OLD_SECRET];
const BEFORE = 'profile-before';

interface Seen {
  set: string[];
  profile: string | undefined;
  output: string;
}

function assertUntouched(seen: Seen, dir: string, what: string): void {
  assert.deepEqual(seen.set, [], `${what}: variables set`);
  assert.equal(seen.profile, BEFORE, `${what}: AWS_PROFILE changed`);
  for (const s of ALL_SECRETS) assert.ok(!seen.output.includes(s), `${what}: a secret in the output:\n${seen.output}`);
  assert.ok(!existsSync(join(dir, 'pwned')), `${what}: a value ran`);
}

/** Lines `SET name` / `PROFILE value` that a consumer script prints after evaluating. */
function readSeen(stdout: string, stderr: string): Seen {
  const set = [...stdout.matchAll(/^SET (\S+)$/gm)].map((m) => m[1]!);
  const profile = /^PROFILE=(.*)$/m.exec(stdout)?.[1];
  return { set, profile: profile === '-unset-' ? undefined : profile, output: stdout + stderr };
}

async function intoPosix(t: TestContext, tool: 'bash' | 'zsh' | 'dash', text: string): Promise<{ seen: Seen; dir: string }> {
  const dir = tempDir(t);
  const file = join(dir, 'out.txt');
  writeFileSync(file, text);
  const checks = SET_NAMES.map((n) => `if [ -n "\${${n}+x}" ]; then echo SET ${n}; fi`).join('\n');
  // dash leaves a script at a syntax error in eval (a special builtin); `command` keeps it going to report.
  const evalWord = tool === 'dash' ? 'command eval' : 'eval';
  const script = `AWS_PROFILE=${BEFORE}; export AWS_PROFILE\n${evalWord} "$(cat ${posixQuote(file)})"\n${checks}\necho "PROFILE=\${AWS_PROFILE--unset-}"\n`;
  // bash -c, as in a terminal: not -e, so the script goes on to report.
  const r = await runRaw(tool, ['-c', script], { cwd: dir, env: { ...process.env, PATH: process.env.PATH } });
  return { seen: readSeen(r.stdout.toString(), r.stderr), dir };
}

async function intoFish(t: TestContext, text: string): Promise<{ seen: Seen; dir: string }> {
  const dir = tempDir(t);
  const file = join(dir, 'out.txt');
  writeFileSync(file, text);
  const checks = SET_NAMES.map((n) => `set -q ${n}; and echo SET ${n}`).join('\n');
  const script = `set -gx AWS_PROFILE ${BEFORE}\ncat ${posixQuote(file)} | source\n${checks}\nif set -q AWS_PROFILE; echo "PROFILE=$AWS_PROFILE"; else; echo PROFILE=-unset-; end\n`;
  const r = await runRaw('fish', ['--no-config', '--private', '-c', script], { cwd: dir, env: process.env });
  return { seen: readSeen(r.stdout.toString(), r.stderr), dir };
}

async function intoPowerShell(t: TestContext, exe: string, text: string): Promise<{ seen: Seen; dir: string }> {
  const dir = tempDir(t);
  const file = join(dir, 'out.txt');
  writeFileSync(file, text);
  const checks = SET_NAMES.map((n) => `if (Test-Path Env:${n}) { 'SET ${n}' }`).join('\n');
  // NormalView (Windows PowerShell's default) lists every parse error with its line.
  const script = [
    `$ErrorView = 'NormalView'`,
    `$env:AWS_PROFILE = '${BEFORE}'`,
    `Get-Content -Raw ${psQuote(file)} | Out-String | Invoke-Expression`,
    checks,
    `if (Test-Path Env:AWS_PROFILE) { 'PROFILE=' + $env:AWS_PROFILE } else { 'PROFILE=-unset-' }`,
    `$Error | Format-List * -Force | Out-String -Width 400`,
    `$Error | ForEach-Object { $_.Exception.ToString() }`,
  ].join('\n');
  const r = await runPs(t, exe, script, { env: process.env, cwd: dir });
  return { seen: readSeen(r.stdout.toString(), r.stderr), dir };
}

const TEXT: Record<'posix' | 'fish' | 'powershell', string> = {
  posix: render('sh', OPS),
  fish: render('fish', OPS),
  powershell: render('powershell', OPS),
};

describe('output given to the wrong shell changes nothing and shows no secret', () => {
  for (const [from, tool] of [
    ['fish', 'bash'],
    ['fish', 'zsh'],
    ['fish', 'dash'],
    ['powershell', 'bash'],
    ['powershell', 'zsh'],
    ['powershell', 'dash'],
  ] as const) {
    test(`${from} output into ${tool}`, async (t) => {
      if (!needTool(t, tool)) return;
      const { seen, dir } = await intoPosix(t, tool, TEXT[from]);
      assertUntouched(seen, dir, `${from} -> ${tool}`);
    });
  }

  for (const from of ['posix', 'powershell'] as const) {
    test(`${from} output into fish`, async (t) => {
      if (!needTool(t, 'fish')) return;
      const { seen, dir } = await intoFish(t, TEXT[from]);
      assertUntouched(seen, dir, `${from} -> fish`);
      assert.match(seen.output, /fish|source/, 'fish says why it read nothing');
    });
  }

  for (const from of ['posix', 'fish'] as const) {
    test(`${from} output into PowerShell`, async (t) => {
      const exe = needPowerShell(t);
      if (!exe) return;
      const { seen, dir } = await intoPowerShell(t, exe, TEXT[from]);
      assertUntouched(seen, dir, `${from} -> PowerShell`);
      assert.match(seen.output, /ParseException|ParserError/, 'PowerShell says why it ran nothing');
    });
  }

  test('each shell still applies its own output, guard included', async (t) => {
    const want = [...SET_NAMES].sort();
    if (needTool(t, 'bash')) {
      const { seen } = await intoPosix(t, 'bash', TEXT.posix);
      assert.deepEqual([...seen.set].sort(), want, 'bash');
      assert.equal(seen.profile, undefined, 'bash unsets AWS_PROFILE');
    }
    if (needTool(t, 'fish')) {
      const { seen } = await intoFish(t, TEXT.fish);
      assert.deepEqual([...seen.set].sort(), want, 'fish');
      assert.equal(seen.profile, undefined, 'fish erases AWS_PROFILE');
    }
    const exe = needPowerShell(t);
    if (exe) {
      const { seen } = await intoPowerShell(t, exe, TEXT.powershell);
      assert.deepEqual([...seen.set].sort(), want, 'PowerShell');
      assert.equal(seen.profile, undefined, 'PowerShell removes AWS_PROFILE');
    }
  });
});

describe('kops-mfa writes for the shell that runs it, not for $SHELL', () => {
  const GUARDS: Record<ShellName, string> = { bash: POSIX_GUARD, zsh: POSIX_GUARD, sh: POSIX_GUARD, fish: FISH_GUARD, powershell: POWERSHELL_GUARD };

  function home(t: TestContext): { env: NodeJS.ProcessEnv; bin: string } {
    const dir = tempDir(t);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    kopsMfaShim(bin);
    // A shell that holds a session: logout has statements to print.
    const env: NodeJS.ProcessEnv = { PATH: `${bin}:${process.env.PATH}`, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), TERM: 'dumb', KOPS_MFA_SESSION: 'p', KOPS_MFA_KEY_ID: 'ASIAX', AWS_ACCESS_KEY_ID: 'ASIAX' };
    return { env, bin };
  }

  test('fish started from a bash login (SHELL=/bin/bash)', async (t) => {
    if (!needTool(t, 'fish')) return;
    const { env } = home(t);
    const r = await runRaw('fish', ['--no-config', '--private', '-c', 'kops-mfa logout | string collect'], { env: { ...env, SHELL: '/bin/bash' } });
    assert.equal(r.stdout.toString().split('\n')[1], GUARDS.fish, r.stderr);
  });

  test('bash with SHELL=/usr/bin/fish: eval "$(kops-mfa logout)"', async (t) => {
    if (!needTool(t, 'bash')) return;
    const { env } = home(t);
    const r = await runRaw('bash', ['-c', 'out=$(kops-mfa logout) && printf "%s\\n" "$out"'], { env: { ...env, SHELL: '/usr/bin/fish' } });
    assert.equal(r.stdout.toString().split('\n')[1], GUARDS.bash, r.stderr);
  });

  test('PowerShell started from a bash login (SHELL=/bin/bash)', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    const { env } = home(t);
    const r = await runPs(t, exe, `(kops-mfa logout | Out-String).Split("\`n")[1]`, { env: { ...process.env, ...env, SHELL: '/bin/bash' } });
    assert.equal(r.stdout.toString().trim(), GUARDS.powershell, r.stderr);
  });
});
