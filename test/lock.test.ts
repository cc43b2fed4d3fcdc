// src/store/lock.ts in this process: the lock is a whole file linked into
// place, a live writer is waited for (and said once), a stale or damaged
// lock is broken, and a lock that is no regular file is an error, never a
// wait. lock-files.test.ts leaves the same states to the built CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { lock } from '../src/store/lock.ts';
import { CacheError } from '../src/errors.ts';
import { tempDir } from './support/helpers.ts';

/** A live process that is not this one: the test runner that started this file. */
const OTHER = process.ppid;

function setup(t: TestContext) {
  const dir = tempDir(t);
  const file = join(dir, 'session.json');
  const waits: Array<[number, number]> = [];
  // Start times as /proc would give them: this process's, and the other's.
  const startOf = (pid: number) => (pid === process.pid ? 'mine' : pid === OTHER ? 'theirs' : undefined);
  const take = (maxWaitMs?: number) => lock(file, { onWait: (pid, s) => waits.push([pid, s]), startOf, ...(maxWaitMs ? { maxWaitMs } : {}) });
  return { dir, file, lockFile: `${file}.lock`, waits, take };
}

test('the lock holds this process\'s pid and start time; release removes it and leaves no temporary file', async (t) => {
  const l = setup(t);
  const release = await l.take();
  assert.equal(readFileSync(l.lockFile, 'utf8'), `${process.pid} mine\n`);
  release();
  assert.deepEqual(readdirSync(l.dir), []);
});

test('a live writer is waited for, said once with its pid, and the lock is taken when it lets go', async (t) => {
  const l = setup(t);
  writeFileSync(l.lockFile, `${OTHER} theirs\n`);
  let took = false;
  const taking = l.take().then((release) => ((took = true), release));
  // The wait is observable: onWait is called before the first poll.
  while (l.waits.length === 0) await new Promise((r) => setImmediate(r));
  assert.deepEqual(l.waits, [[OTHER, 180]]);
  assert.equal(took, false);
  unlinkSync(l.lockFile); // the other kops-mfa is done
  const release = await taking;
  assert.equal(readFileSync(l.lockFile, 'utf8'), `${process.pid} mine\n`);
  assert.equal(l.waits.length, 1, 'said once');
  release();
});

test('a writer that holds the lock past maxWaitMs is an error naming its pid', async (t) => {
  const l = setup(t);
  writeFileSync(l.lockFile, `${OTHER} theirs\n`);
  await assert.rejects(l.take(1), (e: Error) => e instanceof CacheError && new RegExp(`pid ${OTHER}\\) has held the lock`).test(e.message));
  assert.equal(readFileSync(l.lockFile, 'utf8'), `${OTHER} theirs\n`, 'another writer\'s lock is left alone');
});

test('stale locks are broken without a wait: a dead pid, a reused pid (another start time), no start time, this pid, garbage', async (t) => {
  const dead = spawnSync('true').pid!;
  for (const text of [`${dead} x\n`, `${OTHER} other-start\n`, `${OTHER}\n`, `${process.pid} mine\n`, '', 'garbage\n', '0\n', '-5 7\n']) {
    const l = setup(t);
    writeFileSync(l.lockFile, text);
    const release = await l.take();
    assert.deepEqual(l.waits, [], `no wait for ${JSON.stringify(text)}`);
    assert.equal(readFileSync(l.lockFile, 'utf8'), `${process.pid} mine\n`);
    release();
  }
});

test('a symbolic link or a FIFO as the lock is an error that says to remove it; the link is not followed', async (t) => {
  const l = setup(t);
  const target = join(l.dir, 'planted');
  symlinkSync(target, l.lockFile);
  await assert.rejects(l.take(), (e: Error) => e instanceof CacheError && /symbolic link; remove it/.test(e.message));
  assert.equal(existsSync(target), false);

  const f = setup(t);
  assert.equal(spawnSync('mkfifo', [f.lockFile]).status, 0);
  await assert.rejects(f.take(), (e: Error) => e instanceof CacheError && /not a regular file; remove it/.test(e.message));
  assert.deepEqual(readdirSync(f.dir).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left');
});
