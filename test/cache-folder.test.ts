// The cache folder and its files as a hostile or broken system leaves them
// (issue 8): a relative XDG_CACHE_HOME, a huge file, a NUL in a value, a
// symbolic link as the folder. Each is a warning and a miss, never a crash
// or a slow start. Through kops-mfa in the test process (the built CLI where
// the working folder matters) and the local STS server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, tempDir } from './support/helpers.ts';
import { world } from './support/world.ts';
import { runMain } from './support/run-main.ts';
import { cli, filesIn, lines, logins, onlySessionFile } from './support/kops-mfa.ts';

test('a relative XDG_CACHE_HOME is ignored: the cache goes to ~/.cache', async (t) => {
  const w = await world(t);
  const cwd = tempDir(t);
  const r = ok(await cli(['env', '--shell', 'bash', '--token-code', w.code()], { env: { ...w.env, XDG_CACHE_HOME: 'relative/cache' }, cwd }));
  assert.match(r.stdout, /AWS_SESSION_TOKEN/);
  assert.deepEqual(filesIn(cwd), [], 'nothing is written under the working folder');
  onlySessionFile(w.cacheDir);
});

test('a 600 MB cache file is a quick miss with a warning, not a slow read and an unexpected error', async (t) => {
  const w = await world(t);
  ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env }));
  const file = onlySessionFile(w.cacheDir);
  assert.equal(spawnSync('truncate', ['-s', '600M', file]).status, 0);
  const t0 = Date.now();
  const r = await runMain(['env', '--shell', 'bash', '--quiet', '--token-code', w.code()], { env: w.env });
  const ms = Date.now() - t0;
  assert.equal(r.code, 0, `${r.code}: ${r.stderr}`);
  assert.ok(ms < 3_000, `took ${ms} ms`);
  assert.doesNotMatch(r.stderr, /unexpected error/);
  const said = lines(r);
  assert.equal(said.length, 1, `one warning:\n${r.stderr}`);
  assert.match(said[0]!, /damaged cache file/);
  assert.equal(logins(w).length, 2, 'a miss: a new session was bought');
  assert.ok(statSync(file).size < 64 * 1024, 'the damaged file was replaced');
});

test('a cached value with a NUL byte is a damaged file: a miss, not a failure on every run', async (t) => {
  const w = await world(t);
  ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env }));
  const file = onlySessionFile(w.cacheDir);
  const entry = JSON.parse(readFileSync(file, 'utf8')) as { credentials: { secretAccessKey: string } };
  entry.credentials.secretAccessKey = `abc\u0000def`;
  writeFileSync(file, JSON.stringify(entry), { mode: 0o600 });

  const r = await runMain(['env', '--shell', 'bash', '--quiet', '--token-code', w.code()], { env: w.env });
  assert.equal(r.code, 0, `${r.code}: ${r.stderr}`);
  assert.match(r.stderr, /damaged cache file/);
  assert.equal(logins(w).length, 2, 'a miss: a new session was bought');
  // The next run is a plain hit again.
  const again = ok(await runMain(['env', '--shell', 'bash', '--no-prompt'], { env: w.env }));
  assert.match(again.stderr, /, from the cache$/m);
});

test('a symbolic link as the cache folder is refused, and the mode of its target is left alone', async (t) => {
  const w = await world(t);
  const base = tempDir(t);
  const target = join(base, 'elsewhere');
  mkdirSync(target, { mode: 0o755 });
  spawnSync('chmod', ['0755', target]);
  const xdg = join(base, 'xdg');
  mkdirSync(xdg);
  symlinkSync(target, join(xdg, 'kops-mfa'));

  const r = await runMain(['env', '--shell', 'bash', '--quiet', '--token-code', w.code()], { env: { ...w.env, XDG_CACHE_HOME: xdg } });
  assert.equal(r.code, 0, `the login goes on without the cache: ${r.stderr}`);
  const said = lines(r);
  assert.equal(said.length, 1, `one warning:\n${r.stderr}`);
  assert.match(said[0]!, /symbolic link/);
  assert.equal(statSync(target).mode & 0o777, 0o755, 'the target keeps its mode');
  assert.deepEqual(filesIn(target), [], 'nothing is written through the link');
  assert.equal(existsSync(w.cacheDir), false);
});
