// The cache folder and its files as a hostile or broken system leaves them:
// a relative XDG_CACHE_HOME, a huge file, a NUL in a value, a symbolic link
// as the folder. Each is a warning and a miss, never a crash or a slow start.
// Every command opens the folder the same way: a link, a folder of another
// user, one others can write, or one inside a folder anyone can write is
// refused by env, status and logout alike, and nothing in it is read,
// renamed or deleted. In the real folder kops-mfa deletes only files of its
// own names and format; a damaged one is set aside, never deleted. Through
// kops-mfa in the test process (the built CLI where the working folder
// matters) and the local STS server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, tempDir } from './support/helpers.ts';
import { world } from './support/world.ts';
import { runMain } from './support/run-main.ts';
import { cli, filesIn, lines, logins, onlySessionFile, sessionFiles } from './support/kops-mfa.ts';
import type { World } from './support/world.ts';

test('a relative XDG_CACHE_HOME is ignored: the cache goes to ~/.cache', async (t) => {
  const w = await world(t);
  const cwd = tempDir(t);
  const r = ok(await cli(['env', '--shell', 'bash', '--token-code', w.code()], { env: { ...w.env, XDG_CACHE_HOME: 'relative/cache' }, cwd }));
  assert.match(r.stdout, /AWS_SESSION_TOKEN/);
  assert.deepEqual(filesIn(cwd), [], 'nothing is written under the working folder');
  onlySessionFile(w.cacheDir);
});

test('a 600 MB cache file is a miss with a warning (its size says it is damaged), not a read and an unexpected error', async (t) => {
  const w = await world(t);
  ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env }));
  const file = onlySessionFile(w.cacheDir);
  assert.equal(spawnSync('truncate', ['-s', '600M', file]).status, 0);
  const r = await runMain(['env', '--shell', 'bash', '--quiet', '--token-code', w.code()], { env: w.env });
  assert.equal(r.code, 0, `${r.code}: ${r.stderr}`);
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

/** A project folder of the user's: what must survive every command. */
function projectFolder(dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    'package.json': '{"name":"my-project","version":"1.0.0"}\n',
    'notes.json': '{"todo":["keep this"]}\n',
    'settings.json': '{"theme":"dark"}\n',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  chmodSync(join(dir, 'notes.json'), 0o644);
  chmodSync(join(dir, 'settings.json'), 0o600);
  return files;
}

function assertUntouched(dir: string, files: Record<string, string>, what: string): void {
  assert.deepEqual(filesIn(dir), Object.keys(files).sort(), `${what}: the folder holds exactly the user's files`);
  for (const [name, text] of Object.entries(files)) assert.equal(readFileSync(join(dir, name), 'utf8'), text, `${what}: ${name} kept`);
}

/** Every command that touches the cache, in a world whose cache folder is `env`'s. */
async function everyCommand(w: World, env: NodeJS.ProcessEnv) {
  const login = await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env });
  const status = await runMain(['status'], { env });
  const logout = await runMain(['logout', '--shell', 'bash'], { env });
  const logoutAll = await runMain(['logout', '--shell', 'bash', '--all'], { env });
  const credentialProcess = await runMain(['credential-process', '--token-code', w.code()], { env });
  return { login, status, logout, logoutAll, credentialProcess };
}

test('a cache folder that is a symbolic link to a project: logout, status and env delete, rename and write nothing there', async (t) => {
  const w = await world(t);
  const base = tempDir(t);
  const project = join(base, 'project');
  const files = projectFolder(project);
  const xdg = join(base, 'xdg');
  mkdirSync(xdg);
  symlinkSync(project, join(xdg, 'kops-mfa'));
  const env = { ...w.env, XDG_CACHE_HOME: xdg };

  const r = await everyCommand(w, env);
  assert.equal(r.logout.code, 0, r.logout.stderr);
  assert.deepEqual(lines(r.logout), [
    `kops-mfa: cannot use the session cache: ${join(xdg, 'kops-mfa')} is a symbolic link, not a folder of its own; nothing forgotten`,
  ]);
  assert.equal(r.logoutAll.code, 0, r.logoutAll.stderr);
  assert.equal(r.login.code, 0, `the login goes on without the cache: ${r.login.stderr}`);
  assert.match(r.login.stderr, /symbolic link/);
  assert.equal(r.credentialProcess.code, 0, r.credentialProcess.stderr);
  assert.equal(r.status.code, 1, 'no session to show');
  assert.equal(r.status.stderr, '', 'status stays quiet');
  assertUntouched(project, files, 'after env, status, logout, logout --all, credential-process');
});

test('a cache folder of another user, or one others can write: refused by every command, its files left alone', async (t) => {
  const w = await world(t);
  const cases: Array<[string, (dir: string) => void]> = [['mode 0777', (dir) => chmodSync(dir, 0o777)], ['mode 0720', (dir) => chmodSync(dir, 0o720)]];
  if (process.getuid?.() === 0) cases.push(['owned by nobody', (dir) => chownSync(dir, 65534, 65534)]);
  for (const [label, spoil] of cases) {
    const xdg = join(tempDir(t), 'xdg');
    const dir = join(xdg, 'kops-mfa');
    const files = projectFolder(dir);
    spoil(dir);
    const mode = statSync(dir).mode;
    const r = await everyCommand(w, { ...w.env, XDG_CACHE_HOME: xdg });
    assert.equal(r.login.code, 0, `${label}: ${r.login.stderr}`);
    assert.match(r.login.stderr, /cannot use the session cache: .*(belongs to another user|can be written by others)/, label);
    assert.match(r.logout.stderr, /nothing forgotten/, label);
    assert.equal(statSync(dir).mode, mode, `${label}: the folder's mode is left as it was`);
    assertUntouched(dir, files, label);
  }
});

test('a cache folder inside a folder anyone can write (no sticky bit) is refused: it could be swapped for a link', async (t) => {
  const w = await world(t);
  const xdg = join(tempDir(t), 'shared');
  mkdirSync(xdg);
  chmodSync(xdg, 0o777);
  const r = await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: { ...w.env, XDG_CACHE_HOME: xdg } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /cannot use the session cache: .*shared \(above .*\) can be written by anyone/);
  assert.equal(existsSync(join(xdg, 'kops-mfa')) && sessionFiles(join(xdg, 'kops-mfa')).length > 0, false, 'no session written there');
  // With the sticky bit (as /tmp), others cannot rename our folder: it is used.
  chmodSync(xdg, 0o1777);
  const sticky = ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: { ...w.env, XDG_CACHE_HOME: xdg } }));
  assert.doesNotMatch(sticky.stderr, /cannot use the session cache/);
  assert.equal(sessionFiles(join(xdg, 'kops-mfa')).length, 1);
});

test('in the real cache folder: logout --all deletes sessions only; other files stay and a damaged session file is set aside', async (t) => {
  const w = await world(t);
  ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env }));
  const [session] = sessionFiles(w.cacheDir);
  const files = {
    'package.json': '{"name":"x"}\n',
    'notes.json': '{"a":1}\n',
    'settings.json': '{"theme":"dark"}\n',
    // kops-mfa's name, not its format: not provably its own.
    'other-0123456789abcdef0123456789abcdef.json': '{"mine":"no"}\n',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(w.cacheDir, name), text, { mode: 0o600 });
  chmodSync(join(w.cacheDir, 'notes.json'), 0o644);

  const r = ok(await runMain(['logout', '--shell', 'bash', '--all'], { env: w.env }));
  assert.match(r.stderr, /forgot 1 cached session and 0 MFA sessions/);
  const left = readdirSync(w.cacheDir).filter((n) => !n.startsWith('used-codes-'));
  assert.equal(left.includes(session!), false, 'the session is forgotten');
  for (const [name, text] of Object.entries(files)) {
    if (name.startsWith('other-')) continue;
    assert.equal(readFileSync(join(w.cacheDir, name), 'utf8'), text, `${name} kept`);
  }
  const aside = left.filter((n) => n.startsWith('other-0123456789abcdef0123456789abcdef.json.damaged-'));
  assert.equal(aside.length, 1, `the damaged file of kops-mfa's name is set aside: ${left.join(', ')}`);
  assert.equal(readFileSync(join(w.cacheDir, aside[0]!), 'utf8'), files['other-0123456789abcdef0123456789abcdef.json']);
  assert.match(r.stderr, /ignoring damaged cache file .*other-0123456789abcdef0123456789abcdef\.json \(not a kops-mfa session\); moved aside as other-0123456789abcdef0123456789abcdef\.json\.damaged-/);
});
