// The session cache: temporary credentials only, one 0600 file per session
// in a 0700 folder, written atomically (temp file + rename), refreshed under a
// lock so two terminals never both ask for a code when one can wait.
import {
  closeSync,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  chmodSync,
  unlinkSync,
  writeSync,
  constants as fsc,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from './config.js';
import type { SessionCredentials } from './env-ops.js';
import { configError } from './errors.js';

export interface CacheEntry {
  v: 1;
  profile: string;
  roleArn?: string | undefined;
  serialNumber: string;
  arn?: string | undefined;
  credentials: SessionCredentials;
}

export type Warn = (message: string) => void;

export function cacheDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'kops-mfa');
}

/** Everything that changes which credentials AWS would hand out. */
export function cacheKey(s: Settings): string {
  const parts = [
    s.source.accessKeyId,
    s.profile,
    ...s.hops.map((h) => `${h.roleArn}|${h.externalId ?? ''}|${h.roleSessionName}`),
    s.roleArn ?? '(session token)',
    s.serialNumber,
    s.roleSessionName,
    s.externalId ?? '',
    s.endpoint ?? '',
    s.region,
  ];
  const text = JSON.stringify(parts);
  return fnv1a64(text, 0xcbf29ce484222325n) + fnv1a64(text, 0x84222325cbf29ce4n);
}

/**
 * 64-bit FNV-1a. Two of them, from different offsets, name a session's file
 * (128 bits, as many as the SHA-256 prefix this replaced): node:crypto would
 * cost about 15 ms of every cached start, and a name needs no secrecy.
 */
function fnv1a64(text: string, offset: bigint): string {
  let h = offset;
  for (const byte of Buffer.from(text, 'utf8')) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

export function cacheFile(dir: string, s: Settings): string {
  const safe = s.profile.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  return join(dir, `${safe}-${cacheKey(s)}.json`);
}

/** Seconds left before the entry's credentials expire. */
export function secondsLeft(c: SessionCredentials, now: Date): number {
  return (Date.parse(c.expiration) - now.getTime()) / 1000;
}

/**
 * Read one entry. Missing: undefined. Corrupt, foreign or too open: a warning,
 * the file is removed where that is safe (with `repair`), and undefined (a
 * miss, never a crash).
 */
export function readEntry(file: string, warn: Warn, repair = true): CacheEntry | undefined {
  let fd: number;
  try {
    fd = openSync(file, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0) | (fsc.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a part of the path is a file, so there is no cache file either.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    warn(`ignoring cache file ${file}: ${code === 'ELOOP' ? 'it is a symbolic link' : (e as Error).message}`);
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      // A folder (or a FIFO) at the path: reading it would throw, or block.
      warn(`ignoring cache file ${file}: it is not a regular file`);
      return undefined;
    }
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      warn(`ignoring cache file ${file}: it belongs to another user`);
      return undefined;
    }
    if ((st.mode & 0o077) !== 0) {
      warn(`refusing cache file ${file}: its permissions ${(st.mode & 0o777).toString(8)} let others read it; it will be replaced`);
      if (repair) tryUnlink(file);
      return undefined;
    }
    const entry = parseEntry(readFileSync(fd, 'utf8'));
    if (!entry) {
      warn(`ignoring corrupt cache file ${file}; it will be replaced`);
      if (repair) tryUnlink(file);
    }
    return entry;
  } finally {
    closeSync(fd);
  }
}

function parseEntry(text: string): CacheEntry | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const e = data as Partial<CacheEntry> | null;
  const c = e?.credentials;
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (!e || e.v !== 1 || !str(e.profile) || !str(e.serialNumber) || !c) return undefined;
  if (!str(c.accessKeyId) || !str(c.secretAccessKey) || !str(c.sessionToken) || !str(c.expiration)) return undefined;
  if (Number.isNaN(Date.parse(c.expiration))) return undefined;
  return e as CacheEntry;
}

/** The cache folder, made 0700; one owned by someone else is refused. */
export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    // Say what is wrong with the path, not which syscall failed.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`${dir} is not a folder`);
    if (code === 'ENOTDIR') throw new Error(`a parent of ${dir} is not a folder`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new Error(`${dir} cannot be created (${code})`);
    throw e;
  }
  const st = statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw configError(`cache folder ${dir} belongs to another user; remove it or set XDG_CACHE_HOME`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Write atomically with 0600 whatever the umask: a reader sees the old file or the new one. */
export function writeEntry(file: string, entry: CacheEntry): void {
  // Unique enough with O_EXCL below; no node:crypto on this path.
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
  const fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | (fsc.O_NOFOLLOW ?? 0), 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, `${JSON.stringify(entry, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (e) {
    tryUnlink(tmp);
    throw e;
  }
}

export function removeEntry(file: string): boolean {
  return tryUnlink(file);
}

/** Every entry in the folder, with its file; unreadable ones are skipped. */
export function listEntries(dir: string, warn: Warn, repair = true): Array<{ file: string; entry: CacheEntry }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Array<{ file: string; entry: CacheEntry }> = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.json')) continue;
    const file = join(dir, name);
    const entry = readEntry(file, warn, repair);
    if (entry) out.push({ file, entry });
  }
  return out;
}

function tryUnlink(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

const LOCK_STALE_MS = 10 * 60_000;

/**
 * Take the lock of one cache file, waiting for another kops-mfa that holds it
 * (it may be waiting for its user to type a code). A lock whose process is
 * gone, or older than ten minutes, is broken.
 */
export async function lock(file: string, onWait: (pid: number) => void): Promise<() => void> {
  const lockFile = `${file}.lock`;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => tryUnlink(lockFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = lockHolder(lockFile);
    if (holder === undefined) continue; // gone between open and read
    // Our own pid: left by an earlier process that had it (a container
    // restarted, a terminal closed at the prompt); this one holds no lock.
    if (holder.stale || holder.pid === process.pid) {
      breakLock(lockFile);
      continue;
    }
    if (!told) {
      told = true;
      onWait(holder.pid);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Remove a stale lock; one that cannot be removed is an error, not a reason to spin. */
function breakLock(lockFile: string): void {
  try {
    unlinkSync(lockFile);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function lockHolder(lockFile: string): { pid: number; stale: boolean } | undefined {
  let text: string;
  let mtime: number;
  try {
    text = readFileSync(lockFile, 'utf8');
    mtime = statSync(lockFile).mtimeMs;
  } catch (e) {
    // Gone: try again. Unreadable (a folder, another user's file): trying
    // again would spin for ever, so say so.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new Error(`the lock ${lockFile} cannot be read (${code === 'EISDIR' ? 'it is a folder' : code})`);
  }
  const pid = Number(text);
  // An empty file: its writer is between open and write; give it a moment.
  if (text === '') return { pid: 0, stale: Date.now() - mtime > 5_000 };
  let alive = Number.isInteger(pid) && pid > 0;
  if (alive) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return { pid, stale: !alive || Date.now() - mtime > LOCK_STALE_MS };
}
