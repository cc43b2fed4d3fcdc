// The PowerShell section of docs/shells.md, run as written in a real
// PowerShell engine: its code blocks are taken from the page itself (the rc
// line and the prompt function), so the docs cannot drift from what works. The
// session comes from the local STS server through the rc line's kops-login.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { world } from './support/world.ts';
import { ROOT } from './support/helpers.ts';
import { kopsMfaOnPath, needPowerShell, report, reports, runPs } from './powershell/pwsh.ts';

/** The ```powershell blocks of docs/shells.md: the rc line first, then the prompt function. */
function powershellBlocks(): string[] {
  const readme = readFileSync(join(ROOT, 'docs', 'shells.md'), 'utf8');
  const prompt = readme.indexOf('\n## The session in your prompt\n');
  const rcStart = readme.indexOf('\n## PowerShell\n');
  assert.ok(prompt !== -1 && rcStart !== -1, 'docs/shells.md has the prompt and PowerShell sections');
  const block = (from: number) => /```powershell\n([\s\S]*?)```/.exec(readme.slice(from))?.[1] ?? '';
  return [block(rcStart), block(prompt)];
}

test("docs/shells.md's PowerShell rc line and prompt function work as written", async (t) => {
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
