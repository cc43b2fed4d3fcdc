// The session cache, through the built CLI against the local STS server: hits
// cost no AWS call and no code, misses need one, files stay private, damaged
// files are a warning and a miss, a lock keeps two terminals to one login;
// status and logout read and clear what the cache holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chownSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { BIN, ok, run, runCli, shellAfter, tempDir, type Outcome, type RunResult } from './support/helpers.ts';
import { world, USER, DEFAULT_CONFIG, type World } from './support/world.ts';
import { spawnPty } from './support/pty.ts';
import { runMain } from './support/run-main.ts';
import { exported, login, startCli } from './support/kops-mfa.ts';

const ASSUMED_ARN = 'arn:aws:sts::123456789012:assumed-role/kops-state/kops-access';

interface Entry {
  v: number;
  profile: string;
  arn?: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string };
}


/** No terminal, no code: the only way to succeed is a cache hit. */
function needsCode(r: Outcome) {
  assert.equal(r.code, 6, `expected "needs a code" (exit 6), got ${r.code}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /no terminal to ask for the MFA code/);
}

function stderrLines(r: Outcome): string[] {
  return r.stderr.split('\n').filter((l) => l !== '');
}

/** Every file in a cache folder (none when it does not exist), the spent-code records too. */
function allFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The cache folder's files but the spent-code records (used-codes-<hash>, kept 90 s by design) and the bin's code cache (code-<node>-<arch>.v8). */
function files(dir: string): string[] {
  return allFiles(dir).filter((n) => !n.startsWith('used-codes-') && !/^code-.*\.v8$/.test(n));
}

function entries(dir: string): Array<{ name: string; entry: Entry }> {
  return files(dir)
    .filter((n) => n.endsWith('.json'))
    .map((name) => ({ name, entry: JSON.parse(readFileSync(join(dir, name), 'utf8')) as Entry }));
}

/** The one cache file of a world that logged in once. */
function onlyEntry(w: World): { file: string; entry: Entry } {
  const all = entries(w.cacheDir);
  assert.equal(all.length, 1, `one cache file expected, found ${files(w.cacheDir).join(', ')}`);
  return { file: join(w.cacheDir, all[0]!.name), entry: all[0]!.entry };
}

/** `export NAME='value'` lines of the bash output, as a map (values here never hold a quote). */

const assumeRoles = (w: World) => w.server.calls.filter((c) => c.action === 'AssumeRole').length;



test('a cache hit makes no AWS call and asks for no code', async (t) => {
  const w = await world(t);
  const first = await login(w);
  assert.match(first.stderr, / session until [^,\n]*$/m);
  assert.equal(w.server.calls.length, 1);

  // No terminal and no --token-code: only the cache can answer.
  const again = ok(await runMain(['env', '--shell', 'bash'], { env: w.env }));
  assert.equal(w.server.calls.length, 1, 'no AWS call on a hit');
  assert.equal(again.stdout, first.stdout, 'the same credentials, statement for statement');
  assert.match(again.stderr, /^kops-mfa: kops-state session until \d\d:\d\d \((5\d min|1 h 00 min)\), from the cache\n$/);
  const keys = exported(again.stdout);
  assert.equal(keys.AWS_ACCESS_KEY_ID, w.server.issued[0]!.accessKeyId);
  assert.equal(keys.AWS_SESSION_TOKEN, w.server.issued[0]!.sessionToken);

  // --quiet drops the note, and a hit still needs nothing.
  const quiet = ok(await runMain(['env', '--shell', 'bash', '-q'], { env: w.env }));
  assert.equal(quiet.stderr, '');
  assert.equal(quiet.stdout, first.stdout);
  assert.equal(w.server.calls.length, 1);
});

test('a session with less than the minimum left is a miss; --min-remaining and KOPS_MFA_MIN_REMAINING set the minimum', async (t) => {
  // The server hands out what a 3600 s session looks like 56 minutes later: 4 minutes left.
  let leftSeconds: number | undefined = 240;
  const w = await world(t, {
    issue: () => (leftSeconds === undefined ? undefined : { expiration: new Date(Date.now() + leftSeconds * 1000) }),
  });
  await login(w);
  const cached = onlyEntry(w).entry.credentials.expiration;
  const left = (Date.parse(cached) - Date.now()) / 1000;
  assert.ok(left > 200 && left <= 240, `cached session has ${left} s left`);

  // Read-only checks, all at once: no code, so only a hit succeeds.
  const [byDefault, flag5, env4, byFlag, byEnv, flagOverEnv, flagOverEnv0] = await Promise.all([
    runMain(['env'], { env: w.env }), // default 5 minutes: 4 left is not enough
    runMain(['env', '--min-remaining', '5'], { env: w.env }),
    runMain(['env'], { env: { ...w.env, KOPS_MFA_MIN_REMAINING: '4' } }),
    runMain(['env', '--min-remaining', '3'], { env: w.env }),
    runMain(['env'], { env: { ...w.env, KOPS_MFA_MIN_REMAINING: '3' } }),
    // The flag wins over the environment, both ways.
    runMain(['env', '--min-remaining', '5'], { env: { ...w.env, KOPS_MFA_MIN_REMAINING: '0' } }),
    runMain(['env', '--min-remaining', '0'], { env: { ...w.env, KOPS_MFA_MIN_REMAINING: '30' } }),
  ]);
  needsCode(byDefault);
  needsCode(flag5);
  needsCode(env4);
  needsCode(flagOverEnv);
  ok(byFlag);
  assert.match(byFlag.stderr, /, from the cache$/m);
  ok(byEnv);
  assert.equal(byEnv.stdout, byFlag.stdout);
  ok(flagOverEnv0);
  assert.equal(w.server.calls.length, 1, 'none of these called AWS');

  // A miss with a code is a new login that replaces the short session.
  leftSeconds = undefined;
  const fresh = await login(w);
  assert.match(fresh.stderr, / session until [^,\n]*$/m);
  assert.notEqual(exported(fresh.stdout).AWS_ACCESS_KEY_ID, exported(byFlag.stdout).AWS_ACCESS_KEY_ID);
  assert.equal(assumeRoles(w), 2);
  // 60 minutes: the default is a hit, a minimum of 61 a miss.
  const [hit, env61, flag61] = await Promise.all([
    runMain(['env'], { env: w.env }),
    runMain(['env'], { env: { ...w.env, KOPS_MFA_MIN_REMAINING: '61' } }),
    runMain(['env', '--min-remaining', '61'], { env: w.env }),
  ]);
  ok(hit);
  needsCode(env61);
  needsCode(flag61);
  assert.equal(assumeRoles(w), 2);
});

test('a 900 s session is not reused when 15 minutes must remain, and is at 14', async (t) => {
  const w = await world(t);
  await login(w, ['--duration-seconds', '900']);
  assert.equal(w.server.calls[0]!.params.DurationSeconds, '900');
  const [at15, at14] = await Promise.all([
    runMain(['env', '--min-remaining', '15'], { env: w.env }),
    runMain(['env', '--min-remaining', '14'], { env: w.env }),
  ]);
  needsCode(at15);
  ok(at14);
  assert.equal(w.server.calls.length, 1);
});

test('--refresh forces a new code; --no-cache neither reads nor writes', async (t) => {
  const w = await world(t);
  // --no-cache on an empty cache: a login, and no file anywhere under the cache home.
  const uncached = await login(w, ['--no-cache']);
  assert.match(uncached.stderr, / session until [^,\n]*$/m);
  assert.deepEqual(files(join(w.home, '.cache')), [], 'no cache folder, no file');

  const first = await login(w);
  const { file, entry } = onlyEntry(w);
  const before = readFileSync(file, 'utf8');
  const mtime = statSync(file).mtimeMs;

  // --no-cache does not read: without a code it needs one although the cache holds a session.
  needsCode(await runMain(['env', '--no-cache'], { env: w.env }));
  // ... and does not write: a new session, the cache file untouched.
  const other = await login(w, ['--no-cache']);
  assert.notEqual(exported(other.stdout).AWS_ACCESS_KEY_ID, entry.credentials.accessKeyId);
  assert.equal(readFileSync(file, 'utf8'), before);
  assert.equal(statSync(file).mtimeMs, mtime);
  assert.equal(files(w.cacheDir).length, 1);

  // --refresh without a code needs one, though the cache holds a valid session, and calls nothing.
  const calls = w.server.calls.length;
  needsCode(await runMain(['env', '--refresh'], { env: w.env }));
  assert.equal(w.server.calls.length, calls);
  // With a code: a new AssumeRole, and the cache holds the new session.
  const refreshed = await login(w, ['--refresh']);
  assert.equal(w.server.calls.length, calls + 1);
  assert.match(refreshed.stderr, / session until [^,\n]*$/m);
  const newKeys = exported(refreshed.stdout);
  assert.notEqual(newKeys.AWS_ACCESS_KEY_ID, exported(first.stdout).AWS_ACCESS_KEY_ID);
  assert.equal(onlyEntry(w).entry.credentials.accessKeyId, newKeys.AWS_ACCESS_KEY_ID);
  const hit = ok(await runMain(['env', '--shell', 'bash'], { env: w.env }));
  assert.equal(hit.stdout, refreshed.stdout);
  assert.equal(w.server.calls.length, calls + 1);
});

/** kops-mfa started by sh after `umask 000`, as from a careless login shell. */
function underUmask000(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return run('sh', ['-c', 'umask 000; exec "$@"', 'sh', process.execPath, BIN, ...args], { env });
}

test('under umask 000 the folder is 0700 and the file 0600, with no temp or lock file left', async (t) => {
  const w = await world(t);
  const probe = ok(await run('sh', ['-c', 'umask 000; umask'], { env: w.env }));
  assert.equal(probe.stdout.trim(), '0000');
  ok(await underUmask000(['env', '--token-code', w.code()], w.env));
  assert.equal(statSync(w.cacheDir).mode & 0o777, 0o700, 'cache folder');
  const { file } = onlyEntry(w);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'cache file');
  assert.deepEqual(files(w.cacheDir), [file.slice(w.cacheDir.length + 1)], 'nothing but the session file');
  const records = allFiles(w.cacheDir).filter((n) => n.startsWith('used-codes-'));
  assert.equal(records.length, 1, 'the spent code is recorded');
  assert.deepEqual(records.map((n) => statSync(join(w.cacheDir, n)).mode & 0o777), [0o600], 'spent-code record');

  // A refresh rewrites the file: still 0600, still alone; a folder others could read is closed again.
  chmodSync(w.cacheDir, 0o755);
  ok(await underUmask000(['env', '--refresh', '--token-code', w.code()], w.env));
  assert.equal(statSync(w.cacheDir).mode & 0o777, 0o700, 'cache folder closed again');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(files(w.cacheDir).length, 1, `left behind: ${files(w.cacheDir).join(', ')}`);
  // XDG_CACHE_HOME is honoured, with the same modes.
  const xdg = join(tempDir(t), 'xdg');
  ok(await underUmask000(['env', '--token-code', w.code()], { ...w.env, XDG_CACHE_HOME: xdg }));
  const dir = join(xdg, 'kops-mfa');
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(
    files(dir).map((n) => statSync(join(dir, n)).mode & 0o777),
    [0o600],
  );
});

test('a cache file others can read is refused with one warning line and replaced', async (t) => {
  const w = await world(t);
  await login(w);
  const { file, entry } = onlyEntry(w);
  chmodSync(file, 0o644);

  // Without a code: refused (not used), a miss.
  const refused = await runMain(['env'], { env: w.env });
  needsCode(refused);
  const warnings = stderrLines(refused).filter((l) => !/no terminal/.test(l));
  assert.equal(warnings.length, 1, refused.stderr);
  assert.match(warnings[0]!, /^kops-mfa: refusing cache file .*: its permissions 644 let others read it; it will be replaced$/);

  assert.equal(existsSync(file), false, 'the refused file is gone');

  // With a code: exactly one warning, a new session, a 0600 file with it.
  writeFileSync(file, JSON.stringify(entry), { mode: 0o600 });
  chmodSync(file, 0o644);
  const r = await login(w);
  const lines = stderrLines(r);
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0]!, /refusing cache file .* 644/);
  assert.match(lines[1]!, / session until [^,\n]*$/m);
  const now = onlyEntry(w);
  assert.equal(statSync(now.file).mode & 0o777, 0o600);
  assert.notEqual(now.entry.credentials.accessKeyId, entry.credentials.accessKeyId);
  assert.equal(now.entry.credentials.accessKeyId, exported(r.stdout).AWS_ACCESS_KEY_ID);
});

test('a corrupt, truncated or foreign cache file is one warning line and a miss, never a crash', async (t) => {
  const w = await world(t);
  await login(w);
  const { file, entry } = onlyEntry(w);
  const name = file.slice(w.cacheDir.length + 1);
  const good = readFileSync(file, 'utf8');
  const { sessionToken: _drop, ...noToken } = entry.credentials;
  const variants: Record<string, string | Buffer> = {
    empty: '',
    truncated: good.slice(0, Math.floor(good.length / 2)),
    'foreign object': '{"hello":"world"}\n',
    'JSON null': 'null',
    'another version': JSON.stringify({ ...entry, v: 2 }),
    'no session token': JSON.stringify({ ...entry, credentials: noToken }),
    'expiration not a date': JSON.stringify({ ...entry, credentials: { ...entry.credentials, expiration: 'soon' } }),
    'binary garbage': Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x80, 0x0a]),
  };
  // One cache home per variant (the file name is the same in each), all at once.
  const root = tempDir(t, 'kops-mfa-xdg-');
  const results = await Promise.all(
    Object.entries(variants).map(async ([label, content], i) => {
      const xdg = join(root, String(i));
      mkdirSync(join(xdg, 'kops-mfa'), { recursive: true, mode: 0o700 });
      const path = join(xdg, 'kops-mfa', name);
      writeFileSync(path, content, { mode: 0o600 });
      const env = { ...w.env, XDG_CACHE_HOME: xdg };
      const r = await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env });
      return { label, r, path, content };
    }),
  );
  for (const { label, r, path, content } of results) {
    assert.equal(r.code, 0, `${label}: ${r.stderr}`);
    const lines = stderrLines(r);
    assert.equal(lines.length, 2, `${label}: one warning and the note, got:\n${r.stderr}`);
    assert.match(lines[0]!, /^kops-mfa: ignoring damaged cache file .* \([^)]+\); moved aside as [^/]*\.damaged-\d{8}T\d{6}Z$/, label);
    const aside = readdirSync(join(path, '..')).filter((n) => n.includes('.damaged-'));
    assert.equal(aside.length, 1, `${label}: the damaged file is set aside, not deleted`);
    assert.deepEqual(readFileSync(join(path, '..', aside[0]!)), Buffer.from(content), `${label}: kept byte for byte`);
    assert.match(lines[1]!, /^kops-mfa: kops-state session until [^,\n]*$/, label);
    const now = JSON.parse(readFileSync(path, 'utf8')) as Entry;
    assert.equal(now.credentials.accessKeyId, exported(r.stdout).AWS_ACCESS_KEY_ID, `${label}: replaced by the new session`);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  }
  assert.equal(assumeRoles(w), 1 + Object.keys(variants).length);

  // Without a code a damaged file is still a plain miss (exit 6, not 1), for status too.
  writeFileSync(file, good.slice(0, 40), { mode: 0o600 });
  const miss = await runMain(['env'], { env: w.env });
  needsCode(miss);
  assert.doesNotMatch(miss.stderr, /unexpected/);
  // status is read-only and quiet (it may run in every prompt): no session, no
  // warning, and the damaged file is left for the next login to report and replace.
  writeFileSync(file, '{"v":1', { mode: 0o600 });
  const status = await runMain(['status'], { env: w.env });
  assert.equal(status.code, 1, status.stderr);
  assert.equal(status.stderr, '');
  assert.equal(readFileSync(file, 'utf8'), '{"v":1');
});

test('a symbolic link or a file of another user in the cache is not read, and the login replaces it', async (t) => {
  const w = await world(t);
  await login(w);
  const { file, entry } = onlyEntry(w);
  // Someone plants a link to a file they control, holding keys they would like us to use.
  const planted = join(tempDir(t), 'planted.json');
  const bait = { ...entry, credentials: { ...entry.credentials, accessKeyId: 'ASIAPLANTEDBYSOMEONE' } };
  writeFileSync(planted, JSON.stringify(bait), { mode: 0o600 });
  unlinkSync(file);
  symlinkSync(planted, file);
  const r = await login(w);
  assert.deepEqual(stderrLines(r).map((l) => l.replace(/ until .*/, '')), [
    `kops-mfa: ignoring cache file ${file}: it is a symbolic link`,
    'kops-mfa: kops-state session',
  ]);
  assert.notEqual(exported(r.stdout).AWS_ACCESS_KEY_ID, 'ASIAPLANTEDBYSOMEONE');
  assert.ok(lstatSync(file).isFile(), 'the link was replaced by a file');
  assert.equal(readFileSync(planted, 'utf8'), JSON.stringify(bait), 'the link target was not written');

  if (process.getuid?.() !== 0) return; // only root can hand a file to another user
  chownSync(file, 65534, 65534);
  const foreign = await login(w);
  assert.deepEqual(stderrLines(foreign).map((l) => l.replace(/ until .*/, '')), [
    `kops-mfa: ignoring cache file ${file}: it belongs to another user`,
    'kops-mfa: kops-state session',
  ]);
  assert.equal(statSync(file).uid, 0, 'replaced by our own file');
});

test('a cache that cannot be used costs the cache, never the login', async (t) => {
  const w = await world(t);
  await login(w);
  const { file } = onlyEntry(w);
  const name = file.slice(w.cacheDir.length + 1);

  // A folder where the session file should be: not read, a miss, and the new
  // session still printed although it cannot be saved there.
  unlinkSync(file);
  mkdirSync(file, { mode: 0o700 });
  const miss = await runMain(['env'], { env: w.env });
  needsCode(miss);
  assert.deepEqual(stderrLines(miss).slice(0, -1), [`kops-mfa: ignoring cache file ${file}: it is not a regular file`]);
  const r = await login(w);
  const lines = stderrLines(r);
  assert.equal(lines.length, 3, r.stderr);
  assert.equal(lines[0], `kops-mfa: ignoring cache file ${file}: it is not a regular file`);
  assert.equal(lines[1], `kops-mfa: could not save the session in the cache (cannot save ${file}: it is a folder); the next login will ask for a code`);
  assert.match(lines[2]!, /^kops-mfa: kops-state session until [^,\n]*$/);
  assert.equal(exported(r.stdout).AWS_ACCESS_KEY_ID, w.server.issued.at(-1)!.accessKeyId);
  assert.deepEqual(files(w.cacheDir), [name], 'no temp file left behind');

  // XDG_CACHE_HOME names a file: no cache folder can be made there.
  const plainFile = join(tempDir(t), 'not-a-folder');
  writeFileSync(plainFile, 'x');
  const noFolder = await login(w, [], { ...w.env, XDG_CACHE_HOME: plainFile });
  assert.deepEqual(stderrLines(noFolder).map((l) => l.replace(/ until .*/, '')), [
    `kops-mfa: cannot use the session cache: ${join(plainFile, 'kops-mfa')} cannot be created: a part of the path is not a folder; going on without it (set XDG_CACHE_HOME to move it)`,
    'kops-mfa: kops-state session',
  ]);
  assert.equal(readFileSync(plainFile, 'utf8'), 'x');

  // The lock path is a folder: said once, not spun on for ever.
  const xdg = tempDir(t);
  mkdirSync(join(xdg, 'kops-mfa', `${name}.lock`), { recursive: true, mode: 0o700 });
  const stuck = await runMain(['env', '--token-code', w.code()], { env: { ...w.env, XDG_CACHE_HOME: xdg } });
  ok(stuck, 'login with a folder for a lock');
  assert.match(stuck.stderr, /^kops-mfa: cannot use the session cache: the lock \S+\.lock is not a regular file; remove it; going on without it[^\n]*\nkops-mfa: kops-state session until [^,\n]*\n$/, 'one warning, then the login');
  assert.equal(w.server.calls.length, 4);
});

test('a lock left behind by a process that died at the prompt, or carrying our own pid, is broken at once', async (t) => {
  const w = await world(t);
  await login(w);
  const { file } = onlyEntry(w);
  const lockFile = `${file}.lock`;

  // A login waits at the prompt, holding the lock; its terminal goes away.
  const pty = spawnPty([process.execPath, BIN, 'env', '--print', '--refresh'], { env: w.env });
  t.after(() => pty.kill('SIGKILL'));
  await pty.waitFor('MFA code for');
  // The lock holds "pid starttime".
  const holder = readFileSync(lockFile, 'utf8');
  assert.match(holder, /^\d+ \d+\n$/);
  const pid = Number(holder.split(' ')[0]);
  // Killed outright, as a crash or an OOM kill would: no handler runs, the lock stays.
  // (A terminal that goes away sends SIGHUP, and the prompt then cleans up after itself.)
  process.kill(pid, 'SIGKILL');
  pty.kill('SIGKILL');
  await pty.exited;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    assert.ok(Date.now() < deadline, `kops-mfa ${pid} outlived its terminal`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(existsSync(lockFile), 'the dead process left its lock');
  const after = await runCli(['env', '--refresh', '--token-code', w.code()], { env: w.env, timeoutMs: 20_000 });
  ok(after);
  assert.doesNotMatch(after.stderr, /waiting/);
  assert.equal(existsSync(lockFile), false);

  // The lock names the very pid of the new process (pids repeat in containers).
  const own = await run(
    'sh',
    ['-c', 'printf %s "$$" > "$1"; shift; exec "$@"', 'sh', lockFile, process.execPath, BIN, 'env', '--refresh', '--token-code', w.code()],
    { env: w.env, timeoutMs: 20_000 },
  );
  ok(own, 'login with its own pid in the lock');
  assert.doesNotMatch(own.stderr, /waiting/);
  assert.equal(existsSync(lockFile), false);
  // Three logins, three sessions: the first, after the dead one's lock, and with our own pid.
  const answered = w.server.calls.filter((c) => c.status === 200);
  assert.equal(answered.length, 3, JSON.stringify(w.server.calls.map((c) => [c.action, c.status, c.errorCode])));
});

test('the cache holds temporary keys only: the long-term secret is in no cache file', async (t) => {
  const w = await world(t);
  // An AssumeRole profile, a GetSessionToken profile with its own keys, and a --no-cache login.
  w.writeAws(
    `${DEFAULT_CONFIG}\n[profile direct]\nmfa_serial = ${USER.mfaSerial}\n`,
    `[alice]\naws_access_key_id = ${USER.accessKeyId}\naws_secret_access_key = ${USER.secretAccessKey}\n` +
      `[direct]\naws_access_key_id = ${USER.accessKeyId}\naws_secret_access_key = ${USER.secretAccessKey}\n`,
  );
  await login(w);
  await login(w, ['--profile', 'direct']);
  assert.deepEqual(
    w.server.calls.map((c) => c.action),
    ['AssumeRole', 'GetSessionToken'],
  );
  const all = entries(w.cacheDir);
  assert.equal(all.length, 2);
  for (const name of files(w.cacheDir)) {
    const text = readFileSync(join(w.cacheDir, name), 'utf8');
    assert.ok(!text.includes(USER.secretAccessKey), `${name} holds the long-term secret`);
    assert.ok(!text.includes(USER.accessKeyId), `${name} names the long-term key`);
    assert.ok(!name.includes(USER.accessKeyId));
  }
  // What they do hold is exactly the temporary credentials STS issued.
  const issued = new Set(w.server.issued.map((c) => `${c.accessKeyId}|${c.secretAccessKey}|${c.sessionToken}`));
  for (const { entry } of all) {
    const c = entry.credentials;
    assert.match(c.accessKeyId, /^ASIA/);
    assert.ok(issued.has(`${c.accessKeyId}|${c.secretAccessKey}|${c.sessionToken}`));
  }
});

test('eight concurrent env calls on one cached session all succeed with identical credentials', async (t) => {
  const w = await world(t);
  const first = await login(w);
  const runs = await Promise.all(Array.from({ length: 8 }, () => runCli(['env', '--shell', 'bash'], { env: w.env })));
  for (const r of runs) {
    ok(r);
    assert.equal(r.stdout, first.stdout);
    assert.match(r.stderr, /, from the cache$/m);
  }
  assert.equal(w.server.calls.length, 1);
  assert.equal(files(w.cacheDir).length, 1);
});

test('two logins at once with two codes: the second waits for the lock and takes the fresh session; one AssumeRole', async (t) => {
  const w = await world(t);
  // The first login holds the lock while STS holds its request; the second meets the lock.
  const gate = w.server.hold();
  const a = startCli(['env', '--shell', 'bash', '--token-code', w.code()], w.env);
  await gate.arrived();
  const b = startCli(['env', '--shell', 'bash', '--token-code', w.code()], w.env);
  await b.said(/waiting for another kops-mfa \(pid \d+\) that is logging in to the same session/);
  gate.release();
  const [ra, rb] = await Promise.all([a.done, b.done]);
  ok(ra, 'first');
  ok(rb, 'second');
  assert.equal(assumeRoles(w), 1, 'only one AssumeRole');
  assert.match(ra.stderr, / session until [^,\n]*$/m);
  assert.match(rb.stderr, /waiting for another kops-mfa \(pid \d+\) that is logging in to the same session/);
  assert.match(rb.stderr, /, from the cache$/m);
  assert.equal(rb.stdout, ra.stdout);
  assert.equal(onlyEntry(w).entry.credentials.accessKeyId, exported(ra.stdout).AWS_ACCESS_KEY_ID);
  assert.deepEqual(
    files(w.cacheDir).filter((n) => !n.endsWith('.json')),
    [],
    'no .lock or .tmp left',
  );
});

test('when the login holding the lock fails, the waiting one logs in with its own code', async (t) => {
  const w = await world(t);
  const gate = w.server.hold();
  // A code the server never issued: AWS rejects it, and with --token-code there is no second try.
  const wrong = '000000';
  const a = startCli(['env', '--shell', 'bash', '--token-code', wrong], w.env);
  await gate.arrived();
  const code = w.code();
  const b = startCli(['env', '--shell', 'bash', '--token-code', code], w.env);
  await b.said(/waiting for another kops-mfa/);
  gate.release();
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 4, ra.stderr);
  assert.equal(ra.stdout, '');
  assert.match(ra.stderr, /AWS rejected the MFA code/);
  ok(rb, 'second');
  assert.match(rb.stderr, /waiting for another kops-mfa/);
  assert.match(rb.stderr, / session until [^,\n]*$/m);
  assert.deepEqual(
    w.server.calls.map((c) => [c.params.TokenCode, c.status]),
    [
      [wrong, 403],
      [code, 200],
    ],
  );
  assert.equal(onlyEntry(w).entry.credentials.accessKeyId, exported(rb.stdout).AWS_ACCESS_KEY_ID);
  assert.deepEqual(files(w.cacheDir).filter((n) => !n.endsWith('.json')), []);
});

test('two logins started at the same instant: one AssumeRole, the same credentials, one clean file', async (t) => {
  const w = await world(t);
  // Whichever takes the lock first is held at STS until the other has started.
  const gate = w.server.hold();
  const first = runCli(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env });
  const second = runCli(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env });
  await gate.arrived();
  gate.release();
  const [ra, rb] = await Promise.all([first, second]);
  ok(ra, 'first');
  ok(rb, 'second');
  assert.equal(assumeRoles(w), 1);
  assert.equal(ra.stdout, rb.stdout);
  assert.deepEqual(
    [ra.stderr, rb.stderr].map((s) => / session until [^,\n]*$/m.test(s)).sort(),
    [false, true],
    'one made the session, the other reused it',
  );
  const all = files(w.cacheDir);
  assert.equal(all.length, 1, all.join(', '));
  assert.equal(onlyEntry(w).entry.credentials.accessKeyId, exported(ra.stdout).AWS_ACCESS_KEY_ID);
});

interface StatusJson {
  valid: boolean;
  shell: { profile: string; arn?: string; expiration: string; secondsLeft: number; valid: boolean } | null;
  mfaSession: unknown;
  cache: { profile: string; arn?: string; expiration: string; secondsLeft: number; valid: boolean } | null;
}

async function status(env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ text: RunResult; json: RunResult; data: StatusJson }> {
  const [text, json] = await Promise.all([runMain(['status', ...args], { env }), runMain(['status', '--json', ...args], { env })]);
  assert.equal(text.code, json.code, 'text and JSON agree on the exit code');
  return { text, json, data: JSON.parse(json.stdout) as StatusJson };
}

test('status: 1 with no session, 0 with a valid cached one, 1 when it expired; JSON shape; no secret shown', async (t) => {
  const w = await world(t);
  const outputs: string[] = [];

  const none = await status(w.env);
  assert.equal(none.text.code, 1);
  assert.equal(none.text.stdout, 'this shell: not logged in\ncache:      no session for profile kops\n');
  assert.deepEqual(none.data, { valid: false, shell: null, cache: null, mfaSession: null });
  assert.equal(w.server.calls.length, 0);

  const first = await login(w);
  const { file, entry } = onlyEntry(w);
  const valid = await status(w.env);
  outputs.push(valid.text.stdout, valid.text.stderr, valid.json.stdout, valid.json.stderr);
  assert.equal(valid.text.code, 0, valid.text.stderr);
  assert.match(valid.text.stdout, new RegExp(`^this shell: not logged in\\ncache: {6}${ASSUMED_ARN} \\(profile kops\\), valid until \\d\\d:\\d\\d \\((5\\d min|1 h 00 min) left\\)\\n$`));
  assert.deepEqual(Object.keys(valid.data).sort(), ['cache', 'mfaSession', 'shell', 'valid']);
  assert.equal(valid.data.valid, true);
  assert.equal(valid.data.mfaSession, null, 'no MFA session: --mfa-session-duration is off');
  assert.equal(valid.data.shell, null);
  const c = valid.data.cache!;
  assert.deepEqual(Object.keys(c).sort(), ['arn', 'expiration', 'profile', 'secondsLeft', 'valid']);
  assert.equal(c.profile, 'kops');
  assert.equal(c.arn, ASSUMED_ARN);
  assert.equal(c.expiration, entry.credentials.expiration);
  assert.equal(c.expiration, exported(first.stdout).AWS_CREDENTIAL_EXPIRATION);
  assert.ok(Number.isInteger(c.secondsLeft) && c.secondsLeft > 3500 && c.secondsLeft <= 3600, String(c.secondsLeft));
  assert.equal(c.valid, true);
  // Another profile's status does not borrow kops's session.
  const other = await status(w.env, ['--profile', 'nobody']);
  assert.equal(other.text.code, 1);
  assert.equal(other.data.cache, null);

  // The same session, expired a minute ago.
  const past = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  writeFileSync(file, JSON.stringify({ ...entry, credentials: { ...entry.credentials, expiration: past } }), { mode: 0o600 });
  const expired = await status(w.env);
  outputs.push(expired.text.stdout, expired.json.stdout);
  assert.equal(expired.text.code, 1);
  assert.match(expired.text.stdout, /cache: {6}.*\(profile kops\), expired at \d\d:\d\d\n$/);
  assert.equal(expired.data.valid, false);
  assert.equal(expired.data.cache!.valid, false);
  assert.equal(expired.data.cache!.expiration, past);
  assert.ok(expired.data.cache!.secondsLeft < 0);
  needsCode(await runMain(['env'], { env: w.env }));

  for (const out of outputs) {
    for (const secret of [entry.credentials.secretAccessKey, entry.credentials.sessionToken, USER.secretAccessKey]) {
      assert.ok(!out.includes(secret), 'status shows no secret or token');
    }
  }
  assert.equal(w.server.calls.length, 1, 'status never calls AWS');
});

test('status in a logged-in shell reports the shell session, never its secret', async (t) => {
  const w = await world(t);
  const first = await login(w);
  const shell = await shellAfter(w.env, first.stdout);
  assert.equal(shell.AWS_PROFILE, undefined);
  assert.equal(shell.KOPS_MFA_SESSION, 'kops');
  const keys = exported(first.stdout);

  const s = await status(shell);
  assert.equal(s.text.code, 0, s.text.stderr);
  assert.match(s.text.stdout, new RegExp(`^this shell: ${ASSUMED_ARN} \\(profile kops\\), valid until \\d\\d:\\d\\d \\((5\\d min|1 h 00 min) left\\)\\n`));
  assert.deepEqual(s.data.shell && { ...s.data.shell, secondsLeft: 0 }, {
    profile: 'kops',
    arn: ASSUMED_ARN,
    expiration: keys.AWS_CREDENTIAL_EXPIRATION,
    secondsLeft: 0,
    valid: true,
  });
  assert.equal(s.data.cache?.profile, 'kops', 'the profile comes from the marker when AWS_PROFILE is gone');
  for (const out of [s.text.stdout, s.text.stderr, s.json.stdout, s.json.stderr]) {
    assert.ok(!out.includes(keys.AWS_SECRET_ACCESS_KEY!));
    assert.ok(!out.includes(keys.AWS_SESSION_TOKEN!));
  }

  // The shell's session decides: expired in this shell is 1 even with a valid cache.
  const stale = await status({ ...shell, AWS_CREDENTIAL_EXPIRATION: new Date(Date.now() - 1000).toISOString() });
  assert.equal(stale.text.code, 1);
  assert.equal(stale.data.shell?.valid, false);
  assert.equal(stale.data.cache?.valid, true);
  assert.match(stale.text.stdout, /^this shell: .*expired at/);
  assert.equal(w.server.calls.length, 1);
});

test('logout forgets the profile (others stay), --all forgets all, and the statements clear the shell', async (t) => {
  const w = await world(t);
  w.server.addRole({ arn: 'arn:aws:iam::123456789012:role/other', requireMfa: true });
  w.writeAws(
    `${DEFAULT_CONFIG}\n[profile other]\nrole_arn = arn:aws:iam::123456789012:role/other\nmfa_serial = ${USER.mfaSerial}\nsource_profile = alice\n`,
  );
  await login(w);
  await login(w, ['--region', 'us-west-2']); // a second session of kops
  await login(w, ['--profile', 'other']);
  const byProfile = () => entries(w.cacheDir).map((e) => e.entry.profile).sort();
  assert.deepEqual(byProfile(), ['kops', 'kops', 'other']);

  const r = ok(await runMain(['logout', '--shell', 'bash', '--profile', 'kops'], { env: w.env }));
  assert.deepEqual(byProfile(), ['other']);
  assert.equal(r.stderr, 'kops-mfa: forgot 2 cached sessions of profile kops\n');
  // This environment holds no session of kops-mfa's: its AWS_* are not kops-mfa's to clear.
  assert.equal(r.stdout, '# kops-mfa statements v1\n');
  needsCode(await runMain(['env'], { env: w.env }));
  ok(await runMain(['env', '--profile', 'other'], { env: w.env }));

  await login(w);
  const all = ok(await runMain(['logout', '--shell', 'bash', '--all'], { env: w.env }));
  assert.equal(all.stderr, 'kops-mfa: forgot 2 cached sessions and 0 MFA sessions\n');
  assert.deepEqual(files(w.cacheDir), []);
  const again = ok(await runMain(['logout', '--shell', 'bash', '--all'], { env: w.env }));
  assert.equal(again.stderr, 'kops-mfa: forgot 0 cached sessions and 0 MFA sessions\n');
});

test('logout in a logged-in shell forgets its profile and gives back what the login replaced', async (t) => {
  const w = await world(t);
  w.writeAws(`${DEFAULT_CONFIG}\n[profile dev]\nregion = eu-west-1\n`);
  // The user had AWS_PROFILE=dev, a region and keys of their own, then logged in to kops in eu-west-1.
  const mine = "it's mine\n$(id) \u2019";
  const before = { ...w.env, AWS_PROFILE: 'dev', AWS_DEFAULT_REGION: 'us-west-2', AWS_ACCESS_KEY_ID: 'AKIAUSEROWN', AWS_SECRET_ACCESS_KEY: mine };
  const first = await login(w, ['--profile', 'kops', '--region', 'eu-west-1'], before);
  const shell = await shellAfter(before, first.stdout);
  assert.equal(shell.AWS_PROFILE, undefined);
  assert.equal(shell.AWS_DEFAULT_REGION, 'eu-west-1');
  const saved = JSON.parse(shell.KOPS_MFA_SAVED ?? '') as Record<string, string | null>;
  assert.equal(saved.AWS_PROFILE, 'dev');
  assert.equal(saved.AWS_DEFAULT_REGION, 'us-west-2');
  assert.equal(saved.AWS_SECRET_ACCESS_KEY, mine);

  const r = ok(await runMain(['logout'], { env: shell }));
  assert.match(r.stderr, /forgot 1 cached session of profile kops/);
  assert.deepEqual(files(w.cacheDir), []);
  assert.match(r.stdout, /^# kops-mfa statements v1\n/);
  const after = await shellAfter(shell, r.stdout);
  for (const name of ['AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'AWS_REGION']) {
    assert.equal(after[name], undefined, `${name} cleared`);
  }
  for (const name of ['KOPS_MFA_SESSION', 'KOPS_MFA_EXPIRES', 'KOPS_MFA_KEY_ID', 'KOPS_MFA_SAVED']) assert.equal(after[name], undefined, `${name} cleared`);
  assert.equal(after.AWS_PROFILE, 'dev', 'AWS_PROFILE restored');
  assert.deepEqual(
    [after.AWS_DEFAULT_REGION, after.AWS_ACCESS_KEY_ID, after.AWS_SECRET_ACCESS_KEY],
    ['us-west-2', 'AKIAUSEROWN', mine],
    'the region and the long-term keys restored byte for byte',
  );

  // A shell logged in by 0.1 (KOPS_MFA_PREV_PROFILE, no KOPS_MFA_KEY_ID): its session is cleared, AWS_PROFILE given back.
  const old = { ...w.env, AWS_PROFILE: undefined, AWS_ACCESS_KEY_ID: 'ASIAOLD', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't', KOPS_MFA_SESSION: 'kops', KOPS_MFA_PREV_PROFILE: 'dev' };
  const legacy = ok(await runMain(['logout', '--shell', 'bash'], { env: old }));
  const cleared = await shellAfter(old, legacy.stdout);
  assert.deepEqual(
    ['AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN', 'KOPS_MFA_SESSION', 'KOPS_MFA_PREV_PROFILE', 'AWS_PROFILE'].map((n) => cleared[n]),
    [undefined, undefined, undefined, undefined, 'dev'],
  );
  // Logged out with no session and no previous profile: nothing to give back.
  const { AWS_PROFILE: _unset, ...noProfile } = w.env;
  const plain = ok(await runMain(['logout', '--shell', 'bash'], { env: noProfile }));
  assert.equal(plain.stdout, '# kops-mfa statements v1\n');
});

test('logout, status and env pick the profile by one rule: AWS_PROFILE before the profile the shell is logged into', async (t) => {
  const w = await world(t);
  w.server.addRole({ arn: 'arn:aws:iam::123456789012:role/other', requireMfa: true });
  w.writeAws(
    `${DEFAULT_CONFIG}\n[profile other]\nrole_arn = arn:aws:iam::123456789012:role/other\nmfa_serial = ${USER.mfaSerial}\nsource_profile = alice\n`,
  );
  await login(w);
  await login(w, ['--profile', 'other']);
  const byProfile = () => entries(w.cacheDir).map((e) => e.entry.profile).sort();
  // Logged into kops (the marker), AWS_PROFILE set to other afterwards: every command works on other.
  const env = { ...w.env, AWS_PROFILE: 'other', KOPS_MFA_SESSION: 'kops' };
  const status = await runMain(['status', '--json'], { env });
  assert.match(status.stdout, /"profile":"other"/);
  const r = ok(await runMain(['logout', '--shell', 'bash'], { env }));
  assert.equal(r.stderr, 'kops-mfa: forgot 1 cached session of profile other\n');
  assert.deepEqual(byProfile(), ['kops']);
});
