// `kops-mfa exec -- cmd`: the old wrapper's `exec kops "$@"`, done right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, runCli, tempDir } from './support/helpers.ts';
import { world } from './support/world.ts';

test('the child gets the session in its environment, AWS_PROFILE removed, its argv untouched', async (t) => {
  const w = await world(t);
  const dir = tempDir(t);
  // The child reports its own environment and argv from /proc, where a secret in argv would show.
  const script = `env > "${dir}/env"; tr '\\0' '\\n' < /proc/$$/cmdline > "${dir}/argv"; tr '\\0' '\\n' < /proc/$PPID/cmdline > "${dir}/parent-argv"`;
  const r = await runCli(['exec', '--token-code', w.code(), '--', 'sh', '-c', script, 'arg with space'], { env: w.env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '', 'exec itself prints nothing on stdout');
  const env = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const issued = w.server.issued.at(-1);
  assert.ok(issued);
  assert.equal(env.AWS_ACCESS_KEY_ID, issued.accessKeyId);
  assert.equal(env.AWS_SECRET_ACCESS_KEY, issued.secretAccessKey);
  assert.equal(env.AWS_SESSION_TOKEN, issued.sessionToken);
  assert.equal(env.AWS_CREDENTIAL_EXPIRATION, issued.expirationText);
  assert.equal(env.AWS_REGION, 'eu-west-1');
  assert.equal(env.KOPS_MFA_SESSION, 'kops');
  assert.equal(env.AWS_PROFILE, undefined, 'AWS_PROFILE must not shadow the session');
  assert.equal(env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, undefined, "kops-mfa's own settings stay its own");
  for (const f of ['argv', 'parent-argv']) {
    const argv = readFileSync(join(dir, f), 'utf8');
    assert.ok(!argv.includes(issued.secretAccessKey) && !argv.includes(issued.sessionToken), `no secret in ${f}`);
  }
  assert.match(readFileSync(join(dir, 'argv'), 'utf8'), /\narg with space\n/);
});

test("the child's exit status comes back: 0, 7, and 128+n for a signal", async (t) => {
  const w = await world(t);
  const first = await runCli(['exec', '--token-code', w.code(), '--', 'true'], { env: w.env });
  assert.equal(first.code, 0, first.stderr);
  assert.equal((await runCli(['exec', '-q', '--', 'sh', '-c', 'exit 7'], { env: w.env })).code, 7);
  assert.equal((await runCli(['exec', '-q', '--', 'sh', '-c', 'kill -TERM $$'], { env: w.env })).code, 143);
  assert.equal((await runCli(['exec', '-q', '--', 'sh', '-c', 'kill -KILL $$'], { env: w.env })).code, 137);
});

test('a missing command gives 127 with its name on stderr', async (t) => {
  const w = await world(t);
  const r = await runCli(['exec', '--token-code', w.code(), '--', 'no-such-kops-binary', 'get'], { env: w.env });
  assert.equal(r.code, 127);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /no-such-kops-binary: command not found/);
});

test('no code, no terminal: the command never starts', async (t) => {
  const w = await world(t);
  const dir = tempDir(t);
  const r = await runCli(['exec', '--', 'sh', '-c', `touch "${dir}/ran"`], { env: w.env });
  assert.equal(r.code, 6);
  assert.throws(() => readFileSync(join(dir, 'ran')));
});

for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
  test(`${signal} sent to kops-mfa is forwarded to the child, which decides`, async (t) => {
    const w = await world(t);
    await runCli(['exec', '--token-code', w.code(), '--', 'true'], { env: w.env });
    const dir = tempDir(t);
    // The child traps the signal, notes it and exits 42: kops-mfa must wait for it and pass 42 on.
    const script = `trap 'echo got > "${dir}/got"; exit 42' ${signal.slice(3)}; echo ready; while :; do sleep 0.05; done`;
    const child = spawn(process.execPath, [BIN, 'exec', '-q', '--', 'sh', '-c', script], { env: w.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    // If anything goes wrong, end the whole group: an orphaned sh would hold the pipe open.
    const guard = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 10_000);
    t.after(() => clearTimeout(guard));
    await Promise.race([
      new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve())),
      closed.then(() => assert.fail(`the child ended before it was ready: ${output}`)),
    ]);
    child.kill(signal);
    const code = await closed;
    assert.equal(code, 42);
    assert.equal(readFileSync(join(dir, 'got'), 'utf8'), 'got\n');
  });
}
