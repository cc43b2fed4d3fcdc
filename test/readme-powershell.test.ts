// The README's PowerShell section, run as written in a real PowerShell
// engine: its code blocks are taken from README.md itself (the rc line and
// the prompt function), so the README cannot drift from what works. The
// session comes from the local STS server through the rc line's kops-login.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { world } from './support/world.ts';
import { ROOT } from './support/helpers.ts';
import { kopsMfaOnPath, needPowerShell, report, reports, runPs } from './powershell/pwsh.ts';

/** The ```powershell blocks of the README's "### PowerShell" section, in order. */
function powershellBlocks(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n### PowerShell\n');
  assert.notEqual(start, -1, 'the README has a PowerShell section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```powershell\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

test("the README's PowerShell rc line and prompt function work as written", async (t) => {
  const exe = needPowerShell(t);
  if (!exe) return;
  const [rc, prompt] = powershellBlocks();
  assert.ok(rc?.includes('kops-mfa init powershell | Out-String | Invoke-Expression'), 'the first block is the rc line');
  assert.ok(prompt?.includes('function prompt'), 'the second block defines prompt');
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
