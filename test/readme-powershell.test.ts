// The PowerShell rc line of the README and the prompt function of
// docs/shells.md, run as written in a real PowerShell engine: both are taken
// from the docs themselves, so the docs cannot drift from what works. The
// session comes from the local STS server through the rc line's kops-login.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { world } from './support/world.ts';
import { ROOT } from './support/helpers.ts';
import { kopsMfaOnPath, needPowerShell, report, reports, runPs } from './powershell/pwsh.ts';

/** The PowerShell line of the README's rc-line table, as a user copies it. */
function rcLine(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const row = /^\| PowerShell \| `\$PROFILE` \| `(.+)` \|$/m.exec(readme)?.[1];
  assert.ok(row, 'the README has a PowerShell row in its rc-line table');
  return row.replace(/\\\|/g, '|');
}

/** The first ```powershell block of docs/shells.md that defines a prompt function. */
function promptBlock(): string | undefined {
  const path = join(ROOT, 'docs', 'shells.md');
  assert.ok(existsSync(path), 'docs/shells.md exists');
  const blocks = [...readFileSync(path, 'utf8').matchAll(/```powershell\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks.find((b) => b.includes('function prompt'));
}

test("the README's PowerShell rc line and the prompt function of docs/shells.md work as written", async (t) => {
  const exe = needPowerShell(t);
  if (!exe) return;
  const rc = rcLine();
  const prompt = promptBlock();
  assert.equal(rc, 'kops-mfa init powershell | Out-String | Invoke-Expression');
  assert.ok(prompt, 'docs/shells.md defines prompt in a powershell block');
  const w = await world(t);
  const bin = kopsMfaOnPath(t);
  const script = [
    "$ErrorActionPreference = 'Stop'",
    rc,
    prompt,
    report('BEFORE', 'prompt'),
    `kops-login --token-code ${w.code()}`,
    report('KEY', '$env:AWS_ACCESS_KEY_ID'),
    report('AFTER', 'prompt'),
    'kops-logout',
    report('LOGGED_OUT', 'prompt'),
    report('PROFILE', '$env:AWS_PROFILE'),
  ].join('\n');
  const r = await runPs(t, exe, script, { env: { ...w.env, PATH: `${bin}:${w.env.PATH}` } });
  assert.equal(r.code, 0, `${r.stderr}${r.stdout.toString()}`);
  const got = reports(r.stdout);
  assert.match(got.get('BEFORE') ?? '', /^PS \S.*> $/, 'no session: no [aws …] part');
  assert.doesNotMatch(got.get('BEFORE') ?? '', /\[aws/);
  assert.match(got.get('KEY') ?? '', /^ASIA/);
  assert.match(got.get('AFTER') ?? '', / \[aws (59m|1h00m)\]> $/, 'the time left of the session');
  assert.doesNotMatch(got.get('LOGGED_OUT') ?? '', /\[aws/);
  assert.equal(got.get('PROFILE'), 'kops', 'kops-logout gives AWS_PROFILE back');
});
