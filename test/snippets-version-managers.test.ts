// The shell integration and Node version managers: what `kops-mfa init`
// prints runs the node and script that printed it, so kops-login works when
// PATH has no kops-mfa (another Node version is active). Without them (the
// file itself, or they are gone) it looks on PATH, and a missing kops-mfa is
// one line; the kops wrapper still runs kops while the session is valid.
// And PowerShell's failed kops-login is one line, `kops-login: <message>`.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { BIN, needTool, posixQuote, ROOT, run, tempDir } from './support/helpers.ts';
import { fishQuote } from './support/shells.ts';
import { needPowerShell, psQuote, runPs } from './powershell/pwsh.ts';

const MISSING = 'kops-mfa is not on PATH (a different Node version?)';

/** A HOME, and a PATH with the shells and a kops stub, but no kops-mfa and no node. */
function place(t: TestContext): { env: NodeJS.ProcessEnv; dir: string } {
  const dir = tempDir(t);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'kops'), '#!/bin/sh\necho "KOPS-RAN key=$AWS_ACCESS_KEY_ID $*"\n');
  chmodSync(join(bin, 'kops'), 0o755);
  const sys = join(dir, 'sys');
  mkdirSync(sys);
  // Only the tools the snippets use, linked one by one: /usr/bin holds node here.
  for (const tool of ['sh', 'bash', 'zsh', 'fish', 'stty', 'mktemp', 'rm', 'cat', 'env', 'date']) {
    const found = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p));
    if (found) symlinkSync(found, join(sys, tool));
  }
  return {
    dir,
    env: { PATH: `${bin}:${sys}`, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), TERM: 'dumb', LANG: 'C.UTF-8' },
  };
}

async function init(shell: string): Promise<string> {
  const r = await run(process.execPath, [BIN, 'init', shell]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function shellArgs(shell: 'bash' | 'zsh' | 'fish', script: string): [string, string[]] {
  if (shell === 'fish') return ['fish', ['--no-config', '--private', '-c', script]];
  return [shell, shell === 'zsh' ? ['-f', '-c', script] : ['--norc', '-c', script]];
}

describe('a Node version without kops-mfa on PATH', () => {
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    test(`${shell}: the rc line from init runs the kops-mfa that printed it`, async (t) => {
      if (!needTool(t, shell)) return;
      const { env, dir } = place(t);
      const file = join(dir, 'rc');
      writeFileSync(file, await init(shell));
      const load = shell === 'fish' ? `source ${fishQuote(file)}` : `. ${posixQuote(file)}`;
      const status = shell === 'fish' ? '$status' : '$?';
      const [cmd, args] = shellArgs(shell, `${load}\nkops-logout\necho "rc=${status}"`);
      const r = await run(cmd, args, { env });
      assert.match(r.stdout, /^rc=0$/m, r.stdout + r.stderr);
      assert.doesNotMatch(r.stderr, /not on PATH|not found/);
    });

    test(`${shell}: without it, one line; the kops wrapper still runs kops while the session is valid`, async (t) => {
      if (!needTool(t, shell)) return;
      const { env } = place(t);
      const snippet = join(ROOT, 'shells', `kops-mfa.${shell}`);
      const load = shell === 'fish' ? `source ${fishQuote(snippet)}` : `. ${posixQuote(snippet)}`;
      const status = shell === 'fish' ? '$status' : '$?';
      const ends = Math.floor(Date.now() / 1000) + 7200;
      const session =
        shell === 'fish'
          ? `set -gx AWS_ACCESS_KEY_ID ASIAVALID; set -gx KOPS_MFA_KEY_ID ASIAVALID; set -gx KOPS_MFA_SESSION p; set -gx KOPS_MFA_EXPIRES ${ends}`
          : `export AWS_ACCESS_KEY_ID=ASIAVALID KOPS_MFA_KEY_ID=ASIAVALID KOPS_MFA_SESSION=p KOPS_MFA_EXPIRES=${ends}`;
      const script = [load, 'kops-login', `echo "login-rc=${status}"`, session, 'kops get clusters', `echo "kops-rc=${status}"`].join('\n');
      const [cmd, args] = shellArgs(shell, script);
      const r = await run(cmd, args, { env: { ...env, KOPS_MFA_AUTO_REFRESH: '1' } });
      assert.equal(r.stderr, `${MISSING}\n`, 'one line, and nothing else');
      assert.match(r.stdout, /^login-rc=127$/m);
      assert.match(r.stdout, /^KOPS-RAN key=ASIAVALID get clusters$/m);
      assert.match(r.stdout, /^kops-rc=0$/m);
    });
  }
});

describe('PowerShell: a failed kops-login is one line', () => {
  test('kops-login: <message>, no script position; $? false, $LASTEXITCODE set; a missing kops-mfa says so', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    const { env, dir } = place(t);
    const rc = join(dir, 'rc.ps1');
    writeFileSync(rc, await init('powershell'));
    const file = join(ROOT, 'shells', 'kops-mfa.ps1');
    // Caught, to look at the error; then a missing kops-mfa; then uncaught, as a user sees it (it ends the script).
    const script = [
      `Get-Content -Raw ${psQuote(rc)} | Out-String | Invoke-Expression`,
      `try { kops-login --profile no-such-profile } catch { 'CAUGHT ' + $_.FullyQualifiedErrorId; 'MESSAGE ' + $_.Exception.Message; 'RC ' + $LASTEXITCODE }`,
      `$env:PATH = ${psQuote(env.PATH!)}`,
      `Get-Content -Raw ${psQuote(file)} | Out-String | Invoke-Expression`,
      `try { kops-login } catch { 'MISSING ' + $_.Exception.Message; 'RC2 ' + $LASTEXITCODE }`,
      `Get-Content -Raw ${psQuote(rc)} | Out-String | Invoke-Expression`,
      `kops-login --profile no-such-profile; 'NOT REACHED'`,
    ].join('\n');
    const r = await runPs(t, exe, script, { env: { ...process.env, ...env, PATH: process.env.PATH } });
    const out = r.stdout.toString();
    assert.match(out, /^CAUGHT NativeCommandErrorMessage$/m, out + r.stderr);
    assert.match(out, /^MESSAGE kops-login: [a-z].*no-such-profile.*$/m);
    assert.doesNotMatch(out, /^MESSAGE kops-login: kops-mfa: /m, 'the prefix of kops-mfa is taken off');
    assert.match(out, /^RC 3$/m, 'a config error: kops-mfa exit 3');
    assert.match(out, new RegExp(`^MISSING kops-login: ${MISSING.replace(/[()?.]/g, '\\$&')}$`, 'm'));
    assert.match(out, /^RC2 127$/m);
    // What the user sees of the uncaught one: the line itself, no "Line |" block, no script position.
    assert.doesNotMatch(out, /NOT REACHED/, 'the rest of the command line did not run');
    const lines = r.stderr.split(/\r?\n/).filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /^(\x1b\[[0-9;]*m)*kops-login: profile no-such-profile is not in .*(\x1b\[[0-9;]*m)*$/);
  });
});
