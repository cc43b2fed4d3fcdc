// The session cache: temporary credentials only, one 0600 file per session in
// a 0700 folder, written atomically (temp file + rename). Anything odd about
// a file (too open, foreign, a link, too big, not JSON, a NUL in a value) is
// a damaged file: a warning and a miss, never a crash.
import {
  closeSync,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  constants as fsc,
} from 'node:fs';
import { join, isAbsolute } from 'node:path';
import type { Settings } from '../settings/config.js';
import type { SessionCredentials } from '../session/credentials.js';
import { CacheError, configError } from '../errors.js';
import { fsProblem } from '../fs-words.js';
import { homeDir, hasFileModes, type Platform } from '../platform.js';

export interface CacheEntry {
  v: 1;
  /** 'mfa': an MFA session (GetSessionToken) that renews role sessions; absent: a session to export. */
  kind?: 'mfa' | undefined;
  profile: string;
  roleArn?: string | undefined;
  serialNumber: string;
  arn?: string | undefined;
  credentials: SessionCredentials;
}

export type Warn = (message: string) => void;

/** A cache file is a few hundred bytes; anything past this is damaged, and never read whole. */
const MAX_FILE_BYTES = 64 * 1024;

/**
 * $XDG_CACHE_HOME/kops-mfa, else ~/.cache/kops-mfa (%LOCALAPPDATA%\kops-mfa
 * on Windows). A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
 */
export function cacheDir(env: NodeJS.ProcessEnv, platform: Platform = process.platform): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'kops-mfa');
  if (platform === 'win32' && env.LOCALAPPDATA && isAbsolute(env.LOCALAPPDATA)) return join(env.LOCALAPPDATA, 'kops-mfa');
  return join(homeDir(env), '.cache', 'kops-mfa');
}

/** 128 bits of FNV-1a over the parts: node:crypto would cost about 15 ms of every cached start. */
export function digest(parts: readonly string[]): string {
  const text = JSON.stringify(parts);
  return fnv1a64(text, 0xcbf29ce484222325n) + fnv1a64(text, 0x84222325cbf29ce4n);
}

/**
 * 64-bit FNV-1a in two 32-bit halves: the same numbers as BigInt arithmetic
 * (and so the same file names), at a fraction of the cost on every start.
 * The prime is 2^40 + 0x1b3, so h * prime = h * 0x1b3 + (h << 40) mod 2^64.
 */
function fnv1a64(text: string, offset: bigint): string {
  let hi = Number(offset >> 32n);
  let lo = Number(offset & 0xffffffffn);
  for (const byte of Buffer.from(text, 'utf8')) {
    lo = (lo ^ byte) >>> 0;
    const low = lo * 0x1b3; // < 2^41: exact
    const high = Math.floor(low / 0x100000000) + hi * 0x1b3 + (lo % 0x1000000) * 0x100; // each part exact
    hi = high % 0x100000000;
    lo = low % 0x100000000;
  }
  return (hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0'));
}

/** Everything that changes which role session AWS would hand out. */
export function cacheKey(s: Settings): string {
  return digest([
    s.source.cacheId,
    s.profile,
    ...s.hops.map((h) => `${h.roleArn}|${h.externalId ?? ''}|${h.roleSessionName}`),
    s.roleArn ?? '(session token)',
    s.serialNumber,
    s.roleSessionName,
    s.externalId ?? '',
    s.endpoint ?? '',
    s.region,
  ]);
}

export function cacheFile(dir: string, s: Settings): string {
  const safe = s.profile.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  return join(dir, `${safe}-${cacheKey(s)}.json`);
}

/** The MFA session of a device: shared by every profile with the same source keys, device and endpoint. */
export function mfaSessionFile(dir: string, s: Settings): string {
  return join(dir, `mfa-session-${digest(['mfa-session', s.source.cacheId, s.serialNumber, s.endpoint ?? ''])}.json`);
}

/** Why a private file of the cache folder cannot be used; `replace`: it is ours to delete. */
export interface Refused {
  problem: string;
  damaged?: boolean;
  replace?: boolean;
}

/**
 * Read a private file of the cache folder: never through a link, never
 * blocking on a FIFO, never more than `maxBytes`, and only a regular file of
 * this user that nobody else can read. Missing: undefined.
 */
export function readPrivate(file: string, maxBytes: number, platform: Platform = process.platform): { text: string } | Refused | undefined {
  let fd: number;
  try {
    fd = openSync(file, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0) | (fsc.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a part of the path is a file, so there is no cache file either.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return { problem: fsProblem(e) };
  }
  try {
    const st = fstatSync(fd);
    // A folder (or a FIFO) at the path: reading it would throw, or block.
    if (!st.isFile()) return { problem: 'it is not a regular file' };
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) return { problem: 'it belongs to another user' };
    if (hasFileModes(platform) && (st.mode & 0o077) !== 0) {
      return { problem: `its permissions ${(st.mode & 0o777).toString(8)} let others read it`, replace: true };
    }
    if (st.size > maxBytes) return { problem: `${st.size} bytes`, damaged: true, replace: true };
    const buf = Buffer.alloc(st.size);
    const n = st.size === 0 ? 0 : readSync(fd, buf, 0, st.size, 0);
    return { text: buf.toString('utf8', 0, n) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Read one entry. Missing: undefined. Damaged, foreign or too open: a warning,
 * the file is removed where that is safe (with `repair`), and undefined.
 */
export function readEntry(file: string, warn: Warn, repair = true, platform: Platform = process.platform): CacheEntry | undefined {
  const read = readPrivate(file, MAX_FILE_BYTES, platform);
  if (read === undefined) return undefined;
  const entry = 'text' in read ? parseEntry(read.text) : undefined;
  if (entry) return entry;
  const r: Refused = 'text' in read ? { problem: 'not a kops-mfa session', damaged: true, replace: true } : read;
  if (r.damaged) warn(`ignoring damaged cache file ${file} (${r.problem}); it will be replaced`);
  else if (r.replace) warn(`refusing cache file ${file}: ${r.problem}; it will be replaced`);
  else warn(`ignoring cache file ${file}: ${r.problem}`);
  if (r.replace && repair) tryUnlink(file);
  return undefined;
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
  // No environment variable can hold a NUL: such a value could never be exported or passed on.
  const str = (v: unknown) => typeof v === 'string' && v.length > 0 && !v.includes('\0');
  if (!e || e.v !== 1 || !str(e.profile) || !str(e.serialNumber) || !c) return undefined;
  if (e.kind !== undefined && e.kind !== 'mfa') return undefined;
  if (!str(c.accessKeyId) || !str(c.secretAccessKey) || !str(c.sessionToken) || !str(c.expiration)) return undefined;
  if (Number.isNaN(Date.parse(c.expiration))) return undefined;
  return e as CacheEntry;
}

/** The cache folder, made 0700. A symbolic link or a folder of someone else is refused. */
export function ensureDir(dir: string, platform: Platform = process.platform): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CacheError(`${dir} is not a folder`);
    throw new CacheError(`${dir} cannot be created: ${fsProblem(e)}`);
  }
  const link = lstatSync(dir);
  // chmod would follow the link and change its target: refuse it instead.
  if (link.isSymbolicLink()) throw new CacheError(`${dir} is a symbolic link; kops-mfa keeps sessions only in a folder of its own`);
  const st = statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw configError(`cache folder ${dir} belongs to another user; remove it or set XDG_CACHE_HOME`);
  }
  if (hasFileModes(platform) && (st.mode & 0o077) !== 0) {
    try {
      fchmodDir(dir);
    } catch (e) {
      throw new CacheError(`${dir} is open to others and cannot be made private: ${fsProblem(e)}`);
    }
  }
}

/** chmod through a descriptor opened with O_NOFOLLOW: a link swapped in after the lstat is not followed. */
function fchmodDir(dir: string): void {
  const fd = openSync(dir, fsc.O_RDONLY | (fsc.O_DIRECTORY ?? 0) | (fsc.O_NOFOLLOW ?? 0));
  try {
    fchmodSync(fd, 0o700);
  } finally {
    closeSync(fd);
  }
}

/** Write a session atomically with 0600 whatever the umask: a reader sees the old file or the new one. */
export function writeEntry(file: string, entry: CacheEntry): void {
  writePrivate(file, `${JSON.stringify(entry, null, 2)}\n`);
}

/** Write any private file of the cache folder: a temporary 0600 file, then a rename. */
export function writePrivate(file: string, text: string): void {
  // Unique enough with O_EXCL below; no node:crypto on this path. The pid in
  // the name lets a later run remove it if this one is killed before the rename.
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | (fsc.O_NOFOLLOW ?? 0), 0o600);
  } catch (e) {
    throw new CacheError(`cannot write in ${file.slice(0, file.lastIndexOf('/')) || file}: ${fsProblem(e)}`);
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
    tryUnlink(tmp);
    throw new CacheError(`cannot save ${file}: ${fsProblem(e)}`);
  }
}

/**
 * Remove temporary files that a killed kops-mfa left between its write and its
 * rename (they hold live credentials): those of processes that are gone.
 */
export function sweepTemporary(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /\.(\d+)\.[0-9a-z]*\.?tmp$/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') tryUnlink(join(dir, name));
    }
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
