// One lock per cache file, held while a login asks for a code, so a second
// terminal waits for the first and then reuses its session instead of asking
// too. Every wait is bounded and said; a lock never follows a symbolic link
// and never opens a FIFO.
import { closeSync, fstatSync, linkSync, openSync, readSync, unlinkSync, writeSync, constants as fsc } from 'node:fs';
import { CacheError } from '../errors.js';
import { fsProblem } from '../fs-words.js';
import { procStat } from '../platform.js';
import { tryUnlink } from './private-files.js';

/** How long a login may hold a lock: three prompts and an STS call fit well inside. */
const LOCK_MAX_WAIT_MS = 3 * 60_000;
const POLL_MS = 100;

interface LockOptions {
  onWait: (pid: number, seconds: number) => void;
  maxWaitMs?: number;
  /** Whether a live pid is the process that wrote the lock: its start time matches. */
  startOf?: (pid: number) => string | undefined;
}

/** This process's identity in a lock: pid and, where /proc has it, its start time. */
function identity(startOf: (pid: number) => string | undefined): string {
  return `${process.pid} ${startOf(process.pid) ?? ''}`.trim() + '\n';
}

/** The start time of a process (clock ticks since boot, from /proc), if this OS shows it. */
function procStart(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/**
 * Take the lock of `file`. The lock is written to a private temporary file
 * first and then linked into place, so it is never seen empty, and a full
 * disk leaves nothing behind.
 */
export async function lock(file: string, opts: LockOptions): Promise<() => void> {
  const lockFile = `${file}.lock`;
  const startOf = opts.startOf ?? procStart;
  const maxWait = opts.maxWaitMs ?? LOCK_MAX_WAIT_MS;
  const tmp = `${lockFile}.${process.pid}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | (fsc.O_NOFOLLOW ?? 0), 0o600);
  } catch (e) {
    throw new CacheError(`cannot create the lock ${lockFile}: ${fsProblem(e)}`);
  }
  try {
    writeSync(fd, identity(startOf));
  } catch (e) {
    closeSync(fd);
    tryUnlink(tmp);
    throw new CacheError(`cannot write the lock ${lockFile}: ${fsProblem(e)}`);
  }
  closeSync(fd);
  const started = Date.now();
  let told = false;
  try {
    for (;;) {
      try {
        linkSync(tmp, lockFile);
        return () => tryUnlink(lockFile);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new CacheError(`cannot take the lock ${lockFile}: ${fsProblem(e)}`);
      }
      const holder = readHolder(lockFile);
      if (holder === undefined) continue; // removed between link and read
      if (!holderAlive(holder, startOf)) {
        breakLock(lockFile);
        continue;
      }
      const waited = Date.now() - started;
      if (waited >= maxWait) {
        throw new CacheError(`another kops-mfa (pid ${holder.pid}) has held the lock ${lockFile} for over ${Math.round(maxWait / 1000)} s`);
      }
      if (!told) {
        told = true;
        opts.onWait(holder.pid, Math.round(maxWait / 1000));
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    tryUnlink(tmp);
  }
}

interface Holder {
  pid: number;
  start: string | undefined;
}

/** The lock's writer. Not a regular file (a symlink, a FIFO, a folder): an error, never a wait. */
function readHolder(lockFile: string): Holder | undefined {
  let fd: number;
  try {
    fd = openSync(lockFile, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0) | (fsc.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new CacheError(`the lock ${lockFile} is a symbolic link; remove it`);
    throw new CacheError(`the lock ${lockFile} cannot be read: ${fsProblem(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CacheError(`the lock ${lockFile} is not a regular file; remove it`);
    const buf = Buffer.alloc(128);
    const [pidText, start] = buf.toString('utf8', 0, readSync(fd, buf)).trim().split(' ');
    const pid = Number(pidText);
    // Written whole before it was linked: anything else is a damaged lock, so stale.
    return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : 0, start };
  } finally {
    closeSync(fd);
  }
}

function holderAlive(h: Holder, startOf: (pid: number) => string | undefined): boolean {
  // Our own pid: left by an earlier process that had it (a restarted container); this one holds no lock.
  if (h.pid <= 0 || h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A live process that reused the pid is not the writer: its start time differs.
  // Where the OS shows start times, every lock kops-mfa writes carries one, so
  // a lock without it (0.1's format, or a damaged file) proves no live writer.
  const now = startOf(h.pid);
  if (now === undefined) return true;
  return h.start === now;
}

function breakLock(lockFile: string): void {
  try {
    unlinkSync(lockFile);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CacheError(`cannot remove the stale lock ${lockFile}: ${fsProblem(e)}`);
  }
}
