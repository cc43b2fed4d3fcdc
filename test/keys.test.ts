// Long-term keys in the OS keyring: `keys add|import|list|remove|rotate` and
// logins that sign with a keyring key, against a real Secret Service
// (gnome-keyring in a private D-Bus session, test/keyring.ts) with
// secret-tool (libsecret) as the oracle, and the local STS/IAM server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { BIN, failsCleanly, ok, runCli } from './support/helpers.ts';
import { world, DEFAULT_CREDENTIALS, mfaProfile, USER, type World } from './support/world.ts';
import { haveKeyringTools, startKeyring, type Keyring } from './support/keyring.ts';

const OTHER = `# other keys, kept as they are
[other]
aws_access_key_id = AKIAOTHERKEY00000000
aws_secret_access_key = otherSecretKey/000000000000000000000000
region = eu-west-2 ; a comment
`;
const CREDENTIALS = `${DEFAULT_CREDENTIALS}output = json\n\n${OTHER}`;
/** The credentials file after `keys import alice`: the two key lines gone, every other byte kept. */
const AFTER_IMPORT = CREDENTIALS.split('\n')
  .filter((l) => !l.startsWith(`aws_access_key_id = ${USER.accessKeyId}`) && !l.startsWith(`aws_secret_access_key = ${USER.secretAccessKey}`))
  .join('\n');

async function setUp(t: Parameters<typeof haveKeyringTools>[0], opts: Parameters<typeof world>[1] = {}): Promise<{ w: World; k: Keyring; env: NodeJS.ProcessEnv } | undefined> {
  if (!haveKeyringTools(t)) return undefined;
  const w = await world(t, opts);
  w.writeAws(mfaProfile('kops', { region: 'eu-west-1' }), CREDENTIALS);
  const k = await startKeyring(t, w.home);
  return { w, k, env: { ...w.env, ...k.env, AWS_ENDPOINT_URL_IAM: w.server.url } };
}

/** Every file under `dir` whose bytes contain `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(Buffer.from(needle))) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const lookup = (k: Keyring, name: string) => k.secretTool(['lookup', 'service', 'kops-mfa', 'username', name]);

test('keys import moves the key into the keyring; the login signs with it; no plaintext left; the cached path needs no keyring', async (t) => {
  const s = await setUp(t);
  if (!s) return;
  const { w, k, env } = s;
  const r = ok(await runCli(['keys', 'import', 'alice'], { env }));
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /moved key AKIAKOPSMFATESTUSER1 of profile alice .* into the keyring/);
  // The oracle: libsecret finds the entry under service kops-mfa, account alice.
  const found = lookup(k, 'alice');
  assert.equal(found.status, 0, found.stderr);
  assert.deepEqual(JSON.parse(found.stdout), { v: 1, accessKeyId: USER.accessKeyId, secretAccessKey: USER.secretAccessKey });
  assert.equal(readFileSync(join(w.home, '.aws', 'credentials'), 'utf8'), AFTER_IMPORT, 'only the two key lines went');
  assert.equal(statSync(join(w.home, '.aws', 'credentials')).mode & 0o777, 0o600);

  const login = ok(await runCli(['env', '--profile', 'kops', '--token-code', w.code(), '--shell', 'bash', '--debug'], { env }));
  assert.match(login.stderr, /source keys AKIAKOPSMFATESTUSER1 from the keyring entry alice/);
  const assume = w.server.calls.filter((c) => c.action === 'AssumeRole');
  assert.equal(assume.length, 1);
  assert.equal(assume[0]?.accessKeyId, USER.accessKeyId, 'the server saw the imported key sign AssumeRole');
  assert.deepEqual(filesHolding(w.home, USER.secretAccessKey), [], 'the secret is in no file under HOME (keyrings are encrypted)');

  // Cached: no D-Bus at all, and still a session: the keyring was not asked.
  const noBus = { ...env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' };
  const before = w.server.requests;
  const cached = ok(await runCli(['env', '--profile', 'kops', '--shell', 'bash'], { env: noBus }));
  assert.match(cached.stderr, /, from the cache/);
  assert.equal(w.server.requests, before);
});

test('a session cached while the key was in ~/.aws/credentials is reused after the import (same cache key)', async (t) => {
  const s = await setUp(t);
  if (!s) return;
  const { w, env } = s;
  ok(await runCli(['env', '--profile', 'kops', '--token-code', w.code(), '--shell', 'bash'], { env }));
  ok(await runCli(['keys', 'import', 'alice'], { env }));
  const r = ok(await runCli(['env', '--profile', 'kops', '--shell', 'bash'], { env: { ...env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' } }));
  assert.match(r.stderr, /, from the cache/);
});

test('keys add --env stores what secret-tool finds, says whose key it is; an entry secret-tool stored is read by a login', async (t) => {
  const s = await setUp(t);
  if (!s) return;
  const { w, k, env } = s;
  w.writeAws(mfaProfile('kops', { source_profile: 'bob' }), OTHER);
  const add = ok(
    await runCli(['keys', 'add', 'bob', '--env'], { env: { ...env, AWS_ACCESS_KEY_ID: USER.accessKeyId, AWS_SECRET_ACCESS_KEY: USER.secretAccessKey } }),
  );
  assert.match(add.stderr, /stored key AKIAKOPSMFATESTUSER1 in the keyring entry bob, IAM user alice in account 123456789012/);
  assert.equal(w.server.calls.find((c) => c.action === 'GetCallerIdentity')?.accessKeyId, USER.accessKeyId);
  assert.equal(JSON.parse(lookup(k, 'bob').stdout).accessKeyId, USER.accessKeyId);

  // Written by libsecret, not by kops-mfa, for a profile kops-mfa never recorded.
  const stored = k.secretTool(
    ['store', '--label=carol', 'service', 'kops-mfa', 'username', 'carol'],
    JSON.stringify({ v: 1, accessKeyId: USER.accessKeyId, secretAccessKey: USER.secretAccessKey }),
  );
  assert.equal(stored.status, 0, stored.stderr);
  w.writeAws(mfaProfile('kops', { source_profile: 'carol' }) + '\n[profile carol]\nregion = eu-west-1\n', OTHER);
  w.server.reset();
  const login = ok(await runCli(['env', '--profile', 'kops', '--token-code', w.code(), '--shell', 'bash', '--debug'], { env }));
  assert.match(login.stderr, /from the keyring entry carol/);
  assert.equal(w.server.calls.find((c) => c.action === 'AssumeRole')?.accessKeyId, USER.accessKeyId);

  const list = ok(await runCli(['keys', 'list'], { env }));
  assert.match(list.stdout, /^PROFILE +KEY ID +SOURCE$/m);
  assert.match(list.stdout, /^bob +AKIAKOPSMFATESTUSER1 +keyring$/m);
  assert.match(list.stdout, /^carol +AKIAKOPSMFATESTUSER1 +keyring \(not recorded/m);
  assert.match(list.stdout, /^other +AKIAOTHERKEY00000000 +file$/m);
  assert.doesNotMatch(list.stdout + list.stderr, /Secret|kopsMfaTest/, 'no secret in the list');

  const removed = ok(await runCli(['keys', 'remove', 'bob'], { env }));
  assert.match(removed.stderr, /the IAM key AKIAKOPSMFATESTUSER1 still exists in AWS/);
  assert.notEqual(lookup(k, 'bob').status, 0, 'the entry is gone');
});

test("an entry that is not kops-mfa's is reported, and replaced only with --force", async (t) => {
  const s = await setUp(t);
  if (!s) return;
  const { k, env } = s;
  k.secretTool(['store', '--label=foreign', 'service', 'kops-mfa', 'username', 'dave'], 'hunter2');
  const keys = { ...env, AWS_ACCESS_KEY_ID: USER.accessKeyId, AWS_SECRET_ACCESS_KEY: USER.secretAccessKey };
  failsCleanly(await runCli(['keys', 'add', 'dave', '--env', '--no-verify'], { env: keys }), 3, /keyring entry dave exists and is not kops-mfa's .*--force/);
  assert.equal(lookup(k, 'dave').stdout, 'hunter2', 'kept');
  ok(await runCli(['keys', 'add', 'dave', '--env', '--no-verify', '--force'], { env: keys }));
  assert.equal(JSON.parse(lookup(k, 'dave').stdout).accessKeyId, USER.accessKeyId);
});

test('a read-only ~/.aws/credentials keeps its key; the message says which copy is live', async (t) => {
  const s = await setUp(t);
  if (!s) return;
  const { w, k, env } = s;
  const file = join(w.home, '.aws', 'credentials');
  chmodSync(file, 0o400);
  const r = await runCli(['keys', 'import', 'alice'], { env });
  failsCleanly(r, 3, /keyring entry alice holds key AKIAKOPSMFATESTUSER1 and is the one used; .* still holds a copy \(.*read-only\)/);
  assert.equal(readFileSync(file, 'utf8'), CREDENTIALS, 'the file is as it was');
  assert.equal(JSON.parse(lookup(k, 'alice').stdout).accessKeyId, USER.accessKeyId);
});

test('killed at any point of an import, the key is in the keyring or the file (or both), and the file is whole', async (t) => {
  const s = await setUp(t);
  if (!s) return;
  const { w, k, env } = s;
  const file = join(w.home, '.aws', 'credentials');
  for (const when of ['at once', 'when the keyring entry appears'] as const) {
    k.secretTool(['clear', 'service', 'kops-mfa', 'username', 'alice']);
    writeFileSync(file, CREDENTIALS, { mode: 0o600 });
    const child = spawn(process.execPath, [BIN, 'keys', 'import', 'alice'], { env, stdio: 'ignore' });
    if (when === 'when the keyring entry appears') {
      while (lookup(k, 'alice').status !== 0 && child.exitCode === null) await new Promise((r) => setImmediate(r));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r).exitCode !== null && r(undefined));
    const text = readFileSync(file, 'utf8');
    assert.ok(text === CREDENTIALS || text === AFTER_IMPORT, `the file is the old or the new one, never a part (${when})`);
    const inKeyring = lookup(k, 'alice').stdout.includes(USER.secretAccessKey);
    assert.ok(inKeyring || text.includes(USER.secretAccessKey), `the key is somewhere (${when})`);
    if (!text.includes(USER.secretAccessKey)) assert.ok(inKeyring, 'the file lost it only after the keyring had it');
  }
});

test('no D-Bus session, or a locked keyring: one line, exit 3, naming the cause and the alternatives', async (t) => {
  const s = await setUp(t);
  if (!s) return;
  const { w, env } = s;
  ok(await runCli(['keys', 'import', 'alice'], { env }));
  const keys = { AWS_ACCESS_KEY_ID: USER.accessKeyId, AWS_SECRET_ACCESS_KEY: USER.secretAccessKey };
  const noBus = { ...env, ...keys, DBUS_SESSION_BUS_ADDRESS: '' };
  let t0 = Date.now();
  failsCleanly(await runCli(['keys', 'add', 'eve', '--env', '--no-verify'], { env: noBus }), 3, /keyring: no D-Bus session/, /credential_process/, /credentials/);
  const addMs = Date.now() - t0;
  t0 = Date.now();
  failsCleanly(await runCli(['env', '--profile', 'kops', '--token-code', w.code()], { env: noBus }), 3, /keyring: no D-Bus session/);
  const loginMs = Date.now() - t0;

  const locked = await startKeyring(t, join(w.home), { locked: true });
  const lockedEnv = { ...env, ...locked.env, ...keys, KOPS_MFA_KEYRING_TIMEOUT: '3' };
  t0 = Date.now();
  failsCleanly(await runCli(['keys', 'add', 'eve', '--env', '--no-verify'], { env: lockedEnv }), 3, /keyring: it is locked/, /unlock it/);
  const lockedMs = Date.now() - t0;
  // A locked Secret Service answers a lookup with nothing: the login says both possibilities.
  failsCleanly(await runCli(['env', '--profile', 'kops', '--token-code', w.code()], { env: lockedEnv }), 3, /(keyring: it is locked|keyring entry alice not found: unlock the keyring)/);

  // A bus that takes the connection and never answers: the call is killed at its deadline.
  const silent = createServer((c) => t.after(() => c.destroy()));
  const sock = join(w.home, 'silent-bus');
  await new Promise<void>((r) => silent.listen(sock, r));
  t.after(() => silent.close());
  t0 = Date.now();
  failsCleanly(
    await runCli(['keys', 'add', 'eve', '--env', '--no-verify'], { env: { ...noBus, DBUS_SESSION_BUS_ADDRESS: `unix:path=${sock}`, KOPS_MFA_KEYRING_TIMEOUT: '2' } }),
    3,
    /keyring: no answer within 2 s/,
    /unlock it/,
  );
  const silentMs = Date.now() - t0;
  t.diagnostic(`no D-Bus: keys add ${addMs} ms, login ${loginMs} ms; locked keyring: keys add ${lockedMs} ms; silent bus (2 s limit): ${silentMs} ms`);
});

test('keys rotate: the new key signs, the old one no longer does, the sessions it signed are forgotten', async (t) => {
  const s = await setUp(t);
  if (!s) return;
  const { w, k, env } = s;
  ok(await runCli(['keys', 'import', 'alice'], { env }));
  ok(await runCli(['env', '--profile', 'kops', '--token-code', w.code(), '--shell', 'bash'], { env }));
  const r = ok(await runCli(['keys', 'rotate', 'alice', '--token-code', w.code()], { env }));
  const fresh = JSON.parse(lookup(k, 'alice').stdout) as { accessKeyId: string };
  assert.notEqual(fresh.accessKeyId, USER.accessKeyId);
  assert.match(r.stderr, new RegExp(`rotated: key ${fresh.accessKeyId} is live in the keyring entry alice; key ${USER.accessKeyId} is deleted`));
  const create = w.server.calls.find((c) => c.action === 'CreateAccessKey');
  assert.equal(create?.status, 200);
  assert.ok(w.server.session(create?.accessKeyId ?? '')?.mfa, 'CreateAccessKey was signed by an MFA session');
  assert.deepEqual(w.server.iam.keysOf(USER.arn).map((x) => x.accessKeyId), [fresh.accessKeyId]);

  w.server.reset();
  const login = ok(await runCli(['env', '--profile', 'kops', '--token-code', w.code(), '--shell', 'bash'], { env }));
  assert.doesNotMatch(login.stderr, /from the cache/, 'the session the old key signed was forgotten');
  assert.equal(w.server.calls.find((c) => c.action === 'AssumeRole')?.accessKeyId, fresh.accessKeyId);
  // The old key is refused by the server now.
  const old = await runCli(['keys', 'add', 'zed', '--env'], { env: { ...env, AWS_ACCESS_KEY_ID: USER.accessKeyId, AWS_SECRET_ACCESS_KEY: USER.secretAccessKey } });
  failsCleanly(old, 4, /AWS rejected the key AKIAKOPSMFATESTUSER1/);
});

test('keys rotate: a new key that never starts to work leaves the old key live, and says what to clean up', async (t) => {
  const s = await setUp(t, { iam: { newKeyAfterRequests: 1_000_000 } });
  if (!s) return;
  const { w, k, env } = s;
  ok(await runCli(['keys', 'import', 'alice'], { env }));
  const r = await runCli(['keys', 'rotate', 'alice', '--token-code', w.code()], { env: { ...env, KOPS_MFA_ROTATE_WAIT: '1' } });
  const created = w.server.iam.keysOf(USER.arn).find((x) => x.accessKeyId !== USER.accessKeyId)?.accessKeyId ?? '';
  failsCleanly(r, 4, new RegExp(`new key ${created} did not work .*; key ${USER.accessKeyId} is live again; delete key ${created}`));
  assert.equal(JSON.parse(lookup(k, 'alice').stdout).accessKeyId, USER.accessKeyId);
  ok(await runCli(['env', '--profile', 'kops', '--token-code', w.code(), '--shell', 'bash'], { env }), 'the old key still logs in');
});

test('credential_process as the key source: JSON signs; garbage, a hang and a SessionToken for an MFA session get one line', async (t) => {
  const w = await world(t);
  const script = (name: string, body: string) => {
    const p = join(w.home, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return p;
  };
  const json = script('good.sh', `printf '{"Version": 1, "AccessKeyId": "${USER.accessKeyId}", "SecretAccessKey": "${USER.secretAccessKey}"}'`);
  const garbage = script('garbage.sh', 'echo not json');
  const hang = script('hang.sh', 'exec sleep 600');
  const temp = script('temp.sh', `printf '{"Version": 1, "AccessKeyId": "${USER.accessKeyId}", "SecretAccessKey": "${USER.secretAccessKey}", "SessionToken": "tok"}'`);
  const setProcess = (cmd: string, more: Record<string, string> = {}) =>
    w.writeAws(mfaProfile('kops', more) + `\n[profile alice]\ncredential_process = ${cmd}\n`, '');

  setProcess(json);
  const good = ok(await runCli(['env', '--token-code', w.code(), '--shell', 'bash', '--debug'], { env: w.env }));
  assert.match(good.stderr, /from credential_process of profile alice/);
  assert.equal(w.server.calls.find((c) => c.action === 'AssumeRole')?.accessKeyId, USER.accessKeyId);

  setProcess(garbage);
  failsCleanly(await runCli(['env', '--token-code', w.code(), '--refresh'], { env: w.env }), 3, /credential_process of profile alice did not print JSON/);
  setProcess(hang);
  failsCleanly(
    await runCli(['env', '--token-code', w.code(), '--refresh'], { env: { ...w.env, KOPS_MFA_CREDENTIAL_PROCESS_TIMEOUT: '1' } }),
    3,
    /credential_process of profile alice did not answer within 1 s/,
  );
  setProcess(temp, { mfa_session_duration: '3600' });
  const before = w.server.calls.length;
  failsCleanly(
    await runCli(['env', '--token-code', w.code(), '--refresh'], { env: w.env }),
    3,
    /credential_process of profile alice gives temporary keys \(a SessionToken\): an MFA session needs an IAM user's long-term keys/,
  );
  assert.equal(w.server.calls.slice(before).filter((c) => c.action === 'GetSessionToken').length, 0, 'refused before AWS saw it');
});
