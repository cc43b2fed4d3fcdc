// `kops-mfa doctor`: a healthy setup is all ✓; a broken one fails each check
// with its fix; the lines in a real terminal (tmux) in bash and zsh; ASCII
// marks without a UTF-8 locale; colour only on a terminal without NO_COLOR.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, needTool, runCli, tempDir } from './support/helpers.ts';
import { mfaProfile, ROLE_ARN, USER, world, type World } from './support/world.ts';
import { runMain } from './support/run-main.ts';
import { spawnPty } from './support/pty.ts';
import { haveKeyringTools, startKeyring } from './support/keyring.ts';

/** A bin folder with kops-mfa (this build) and a kops that prints its version. */
function binDir(t: TestContext, kops = '#!/bin/sh\necho "Client version: 1.30.1 (git-v1.30.1)"\n'): string {
  const bin = tempDir(t, 'kops-mfa-bin-');
  symlinkSync(BIN, join(bin, 'kops-mfa'));
  writeFileSync(join(bin, 'kops'), kops);
  chmodSync(join(bin, 'kops'), 0o755);
  return bin;
}

function healthy(t: TestContext, w: World): NodeJS.ProcessEnv {
  return { ...w.env, PATH: `${binDir(t)}:${w.env.PATH}` };
}

/** The checklist's lines by name: "✓ STS: …" under "STS". */
function byName(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.trimEnd().split('\n')) {
    const m = /^\S+\s+([^:]+):/.exec(line);
    if (m) out.set(m[1]!, line);
  }
  return out;
}

test('a healthy setup: every check passes (node 20 only warns), exit 0', async (t) => {
  const w = await world(t);
  const r = await runCli(['doctor'], { env: healthy(t, w) });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stderr, '');
  const lines = byName(r.stdout);
  for (const name of ['kops-mfa', 'PATH', 'profile kops', 'keys', 'AWS CLI', '[default]', 'cache', 'STS', 'clock', 'kops']) {
    assert.match(lines.get(name) ?? `(no ${name} line)`, /^✓ /, `${name}:\n${r.stdout}`);
  }
  assert.doesNotMatch(r.stdout, /^✗/m);
  assert.match(lines.get('profile kops')!, new RegExp(`role ${ROLE_ARN}, MFA ${USER.mfaSerial}`));
  assert.match(lines.get('keys')!, /AKIA… from profile alice/);
  assert.match(lines.get('kops')!, /Client version: 1\.30\.1/);
  // No Secret Service here, and the keys are in the credentials file: a warning, not a failure.
  assert.match(lines.get('keyring')!, /^! keyring: .*; fix: only needed for kops-mfa keys add\/import/);
  assert.match(lines.get('shell')!, /^\? shell: unknown/);
});

test('the keyring: ✓ when the Secret Service stores and reads; ✗ with its fix when the profile\'s keys live there and it is gone', async (t) => {
  if (!haveKeyringTools(t)) return;
  const w = await world(t);
  const k = await startKeyring(t, w.home);
  const env = { ...healthy(t, w), DBUS_SESSION_BUS_ADDRESS: k.env.DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR: k.env.XDG_RUNTIME_DIR };
  const good = await runCli(['doctor'], { env });
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.match(byName(good.stdout).get('keyring')!, /^✓ keyring: stores and reads a secret$/);

  const moved = await runCli(['keys', 'import', 'alice'], { env });
  assert.equal(moved.code, 0, moved.stderr);
  const gone = await runCli(['doctor'], { env: { ...env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(w.home, 'no-bus')}` } });
  assert.equal(gone.code, 1, gone.stdout + gone.stderr);
  assert.match(byName(gone.stdout).get('keys')!, /^✓ keys: .* from the keyring entry alice/);
  assert.match(byName(gone.stdout).get('keyring')!, /^✗ keyring: .*; fix: unlock or start the keyring/);
});

test('a broken setup: each ✗ names its fix, exit 1', async (t) => {
  const w = await world(t);
  w.writeAws(
    [
      `[default]\ncredential_process = kops-mfa credential-process --profile kops\n`,
      mfaProfile('kops', { role_arn: `${ROLE_ARN}   # the prod role`, mfa_session_duration: '3600' }),
      mfaProfile('bad', { mfa_serial: 'not-a-serial!' }),
    ].join('\n'),
  );
  mkdirSync(w.cacheDir, { recursive: true, mode: 0o755 });
  chmodSync(w.cacheDir, 0o755);
  const env = { ...w.env, PATH: '/usr/bin:/bin', AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' };
  const r = await runCli(['doctor'], { env });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const lines = byName(r.stdout);
  const expect: Record<string, RegExp> = {
    PATH: /^✗ PATH: kops-mfa is not on PATH .*; fix: /,
    'AWS CLI': /^✗ AWS CLI: an inline comment the AWS CLI keeps as part of the value: role_arn of \[kops\]; fix: put the comment on a line of its own$/,
    '[default]': /^✓ \[default\]: has credential_process; exec's command gets AWS files without it$/,
    cache: /^✗ cache: .* is open to others \(mode 755\); fix: chmod 700 /,
    STS: /^✗ STS: cannot reach 127\.0\.0\.1:9; fix: check the network/,
    kops: /^✗ kops: not on PATH; fix: install kops/,
    'profile default': /^! profile default: credential_process runs kops-mfa from PATH, which an IDE or cron may not have; fix: use its absolute path/,
  };
  for (const [name, pattern] of Object.entries(expect)) assert.match(lines.get(name) ?? `(no ${name} line)`, pattern, r.stdout);
  for (const line of r.stdout.split('\n').filter((l) => l.startsWith('✗'))) assert.match(line, /; fix: \S/, `every failure names its fix: ${line}`);

  const bad = await runCli(['doctor', '--profile', 'bad'], { env });
  assert.match(byName(bad.stdout).get('profile bad') ?? '', /^✗ profile bad: MFA serial "not-a-serial!" is not of the form .*; fix: /);
});

test("the clock's skew against STS's Date header: ✗ with its fix when 10 minutes off", async (t) => {
  const w = await world(t);
  const env = healthy(t, w);
  const r = await runMain(['doctor'], { env, now: () => new Date(Date.now() + 600_000) });
  assert.equal(r.code, 1);
  assert.match(byName(r.stdout).get('clock') ?? '', /^✗ clock: (599|600|601) s ahead of STS: .*; fix: sync the clock/);
});

test('a kops that never answers: the check ends in its time limit', async (t) => {
  const w = await world(t);
  const bin = binDir(t, '#!/bin/sh\nexec sleep 600\n');
  const r = await runCli(['doctor'], { env: { ...w.env, PATH: `${bin}:${w.env.PATH}` } });
  assert.equal(r.code, 1);
  assert.match(byName(r.stdout).get('kops') ?? '', /^✗ kops: .* version did not answer in 5 s; fix: /);
});

test('ASCII marks without a UTF-8 locale', async (t) => {
  const w = await world(t);
  const r = await runCli(['doctor'], { env: { ...healthy(t, w), LANG: 'C' } });
  assert.match(r.stdout, /^\[ok\]   STS: /m);
  assert.doesNotMatch(r.stdout, /[✓✗]/);
});

test('colour on a terminal, none with NO_COLOR', async (t) => {
  if (!needTool(t, 'script')) return;
  const w = await world(t);
  const env = healthy(t, w);
  const coloured = spawnPty([process.execPath, BIN, 'doctor'], { env: { ...env, TERM: 'xterm' } });
  await coloured.exited;
  assert.match(coloured.output, /\x1b\[32m✓\x1b\[0m STS: /);
  const plain = spawnPty([process.execPath, BIN, 'doctor'], { env: { ...env, TERM: 'xterm', NO_COLOR: '1' } });
  await plain.exited;
  assert.match(plain.output, /✓ STS: /);
  assert.doesNotMatch(plain.output, /\x1b\[/);
});

/** Run `kops-mfa doctor ARGS` typed into a shell in tmux; the screen once the shell printed DONE and the status. */
async function inTmux(t: TestContext, shell: readonly string[], status: string, env: NodeJS.ProcessEnv, args = ''): Promise<string> {
  const socket = `kops-mfa-doctor-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const tmux = (...a: string[]) => spawnSync('tmux', ['-L', socket, ...a], { env, encoding: 'utf8' });
  const started = tmux('new-session', '-d', '-x', '250', '-y', '50', ...shell);
  assert.equal(started.status, 0, started.stderr);
  t.after(() => tmux('kill-server'));
  tmux('send-keys', '-l', `kops-mfa doctor${args}; echo "DONE ${status}"`);
  tmux('send-keys', 'Enter');
  for (let i = 0; i < 3000; i++) {
    const screen = tmux('capture-pane', '-p', '-J').stdout;
    if (/^DONE \d+/m.test(screen)) return screen;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`doctor never finished in tmux:\n${tmux('capture-pane', '-p').stdout}`);
}

const TMUX_SHELLS = [
  { tool: 'bash', argv: ['bash', '--norc', '--noprofile', '-i'], status: '$?' },
  { tool: 'zsh', argv: ['zsh', '-f', '-i'], status: '$?' },
  { tool: 'fish', argv: ['fish', '--no-config', '-i'], status: '$status' },
] as const;

for (const sh of TMUX_SHELLS) {
  test(`in tmux, in ${sh.tool}: the checklist of a healthy setup, all ✓`, async (t) => {
    if (!needTool(t, 'tmux') || !needTool(t, sh.tool)) return;
    const w = await world(t);
    const env = { ...healthy(t, w), TERM: 'xterm', NO_COLOR: '1', PS1: '$ ', PROMPT: '$ ' };
    const screen = await inTmux(t, sh.argv, sh.status, env);
    assert.match(screen, /^DONE 0$/m, screen);
    for (const name of ['PATH', 'profile kops', 'keys', 'AWS CLI', 'cache', 'STS', 'clock', 'kops']) {
      assert.match(screen, new RegExp(`^✓ ${name}: `, 'm'), screen);
    }
    assert.doesNotMatch(screen, /^✗/m);
  });

  test(`in tmux, in ${sh.tool}: a broken setup, each ✗ with its fix, status 1`, async (t) => {
    if (!needTool(t, 'tmux') || !needTool(t, sh.tool)) return;
    const w = await world(t);
    w.writeAws(mfaProfile('kops', { role_arn: `${ROLE_ARN} ; prod` }));
    mkdirSync(w.cacheDir, { recursive: true });
    chmodSync(w.cacheDir, 0o750);
    const env = { ...w.env, PATH: `${binDir(t, '#!/bin/sh\nexit 3\n')}:${w.env.PATH}`, AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9', TERM: 'xterm', NO_COLOR: '1', PS1: '$ ', PROMPT: '$ ' };
    const screen = await inTmux(t, sh.argv, sh.status, env);
    assert.match(screen, /^DONE 1$/m, screen);
    const failed = screen.split('\n').filter((l) => l.startsWith('✗'));
    assert.deepEqual(failed.map((l) => /^✗ ([^:]+):/.exec(l)?.[1]), ['AWS CLI', 'cache', 'STS', 'kops'], screen);
    for (const line of failed) assert.match(line, /; fix: \S/, line);
  });
}

test('the AWS CLI (the oracle) reads the flagged value with its comment, and the unflagged one as kops-mfa does', async (t) => {
  if (!needTool(t, 'aws')) return;
  const w = await world(t);
  w.writeAws([mfaProfile('commented', { role_arn: `${ROLE_ARN}   # the prod role` }), mfaProfile('clean')].join('\n'));
  const env = { ...healthy(t, w), AWS_PROFILE: '' };
  const aws = (profile: string) => spawnSync('aws', ['configure', 'get', 'role_arn', '--profile', profile], { env, encoding: 'utf8' }).stdout.trim();
  assert.equal(aws('commented'), `${ROLE_ARN}   # the prod role`);
  assert.equal(aws('clean'), ROLE_ARN);
  const flagged = byName((await runCli(['doctor', '--profile', 'commented'], { env })).stdout).get('AWS CLI') ?? '';
  assert.match(flagged, /^✗ AWS CLI: .*role_arn of \[commented\]/);
  const clean = byName((await runCli(['doctor', '--profile', 'clean'], { env })).stdout).get('AWS CLI') ?? '';
  assert.match(clean, /^✓ AWS CLI: /);
});
