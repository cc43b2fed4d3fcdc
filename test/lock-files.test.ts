// The lock of a cache file, as an attacker or a crash leaves it: a symbolic
// link, a FIFO, a live process that is not kops-mfa, an empty or garbage
// file, a full disk. No case waits for the lock (a wait is said on stderr);
// each says so once, and never costs the login. Through the built CLI and the
// local STS server; lock.test.ts takes the lock in this process.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, tempDir } from './support/helpers.ts';
import { world, type World } from './support/world.ts';
import { cli, filesIn, lines, logins, onlySessionFile, tinyTmpfs } from './support/kops-mfa.ts';

/** Log in once so the cache file exists; its lock is `<file>.lock`. */
async function cachedWorld(t: TestContext, env?: (w: World) => NodeJS.ProcessEnv): Promise<{ w: World; env: NodeJS.ProcessEnv; file: string; dir: string }> {
  const w = await world(t);
  const e = env ? env(w) : w.env;
  ok(await cli(['env', '--shell', 'bash', '--token-code', w.code()], { env: e }), 'first login');
  const dir = e.XDG_CACHE_HOME ? join(e.XDG_CACHE_HOME, 'kops-mfa') : w.cacheDir;
  return { w, env: e, file: onlySessionFile(dir), dir };
}

/** A login that must take the lock (a new code, not the cached session); one that hangs is killed after 60 s. */
async function relogin(w: World, env: NodeJS.ProcessEnv) {
  const r = await cli(['env', '--shell', 'bash', '--quiet', '--refresh', '--token-code', w.code()], { env, timeoutMs: 60_000 });
  assert.doesNotMatch(r.stderr, /waiting for another kops-mfa/, 'the login did not wait for the lock');
  return { r };
}

test('a dangling symbolic link as the lock: one warning, the login goes on, the link is not followed', async (t) => {
  const { w, env, file } = await cachedWorld(t);
  const target = join(tempDir(t), 'planted');
  symlinkSync(target, `${file}.lock`);
  const { r } = await relogin(w, env);
  assert.equal(r.code, 0, `the login did not finish (${r.signal ?? r.code}): ${r.stderr}`);
  assert.match(r.stdout, /AWS_SESSION_TOKEN/);
  const said = lines(r);
  assert.equal(said.length, 1, `one warning, got:\n${r.stderr}`);
  assert.match(said[0]!, /lock .* symbolic link/);
  assert.equal(existsSync(target), false, 'nothing was created through the link');
  assert.ok(lstatSync(`${file}.lock`).isSymbolicLink(), 'the planted link is left for the user to see');
});

test('a FIFO as the lock does not hang the login', async (t) => {
  const { w, env, file } = await cachedWorld(t);
  assert.equal(spawnSync('mkfifo', [`${file}.lock`]).status, 0);
  const { r } = await relogin(w, env);
  assert.equal(r.code, 0, `the login did not finish (${r.signal ?? r.code}): ${r.stderr}`);
  const said = lines(r);
  assert.equal(said.length, 1, `one warning, got:\n${r.stderr}`);
  assert.match(said[0]!, /lock .* not a regular file/);
});

test('a live process that is not the lock writer (its start time differs) does not hold the login', async (t) => {
  const { w, env, file } = await cachedWorld(t);
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => sleeper.kill('SIGKILL'));
  assert.ok(sleeper.pid);
  // The pid of a live process, with no start time (as kops-mfa 0.1 wrote) or another start time than
  // its own: a pid that was reused after the writer died.
  for (const text of [`${sleeper.pid}\n`, `${sleeper.pid} 1\n`]) {
    writeFileSync(`${file}.lock`, text, { mode: 0o600 });
    const { r } = await relogin(w, env);
    assert.equal(r.code, 0, `lock ${JSON.stringify(text)}: the login did not finish (${r.signal ?? r.code}): ${r.stderr}`);
    assert.equal(existsSync(`${file}.lock`), false, 'the stale lock is gone');
  }
  assert.equal(logins(w).length, 3);
});

test('an empty or garbage lock is a stale lock, never "pid 0"', async (t) => {
  const { w, env, file } = await cachedWorld(t);
  for (const text of ['', 'garbage\n', '0\n', '-5 7\n']) {
    writeFileSync(`${file}.lock`, text, { mode: 0o600 });
    const { r } = await relogin(w, env);
    assert.equal(r.code, 0, `lock ${JSON.stringify(text)}: the login did not finish (${r.signal ?? r.code}): ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /pid 0/, `lock ${JSON.stringify(text)}`);
  }
});

test('a temporary file left by a kops-mfa killed between write and rename is removed by the next login', async (t) => {
  const { w, env, file } = await cachedWorld(t);
  const dead = spawnSync('true').pid;
  const orphan = `${file}.${dead}.x.tmp`;
  writeFileSync(orphan, readFileSync(file), { mode: 0o600 });
  // One of a live writer (this test process) stays: it may be renamed any moment.
  const live = `${file}.${process.pid}.y.tmp`;
  writeFileSync(live, '{}', { mode: 0o600 });
  const { r } = await relogin(w, env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(orphan), false, 'the dead writer’s temporary file (live credentials) is gone');
  assert.equal(existsSync(live), true, 'a live writer’s temporary file stays');
});

test('a full disk leaves no lock behind and costs the next login nothing', async (t) => {
  const mnt = tinyTmpfs(t, 'size=64k,mode=0700');
  if (!mnt) return;
  const { w, env, dir } = await cachedWorld(t, (w) => ({ ...w.env, XDG_CACHE_HOME: mnt }));
  // Fill the file system to the last block.
  mkdirSync(join(mnt, 'fill'));
  spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'fill', 'zeros')}`, 'bs=1k'], { stdio: 'ignore' });
  for (let i = 0; i < 64; i++) writeFileSync(join(mnt, 'fill', `small-${i}`), '');

  const first = await relogin(w, env);
  assert.equal(first.r.code, 0, `the login must go on without the cache: ${first.r.stderr}`);
  assert.match(first.r.stderr, /no space left/);
  assert.deepEqual(filesIn(dir).filter((n) => n.endsWith('.lock') || n.endsWith('.tmp')), [], 'no lock or temporary file left');

  const second = await relogin(w, env);
  assert.equal(second.r.code, 0, second.r.stderr);
  assert.doesNotMatch(second.r.stderr, /pid 0/);
});
