// Private files in a private folder: the one check of the cache folder that
// every command passes before it reads, writes or removes anything there, and
// the reads and writes themselves (0600, atomic, never through a link, never
// blocking on a FIFO). Nothing here knows what the files hold.
import {
  closeSync,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  constants as fsc,
  type Stats,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { CacheError } from '../errors.js';
import { fsProblem } from '../fs-words.js';
import { hasFileModes, type Platform } from '../platform.js';

/** Remove a file; false when it could not be (gone already, or not allowed). */
export function tryUnlink(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

/** A folder kops-mfa has checked: a real folder of this user that no one else can write or swap. */
export interface VerifiedFolder {
  readonly path: string;
}

/**
 * Open (with `create`, make) the cache folder and prove it is kops-mfa's own:
 * not a symbolic link, of this user, not writable by others, and in folders
 * that no other user can rename it out of. A folder others may only read is
 * closed (0700). Missing and not created: undefined. Refused: CacheError.
 */
export function openCacheFolder(dir: string, opts: { create: boolean; platform?: Platform }): VerifiedFolder | undefined {
  const platform = opts.platform ?? process.platform;
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new CacheError(`${dir} cannot be created: ${fsProblem(e)}`);
    if (code !== 'ENOENT') throw new CacheError(`${dir} cannot be opened: ${fsProblem(e)}`);
    if (!opts.create) return undefined;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      st = lstatSync(dir);
    } catch (e2) {
      throw new CacheError(`${dir} cannot be created: ${fsProblem(e2)}`);
    }
  }
  // chmod, readdir or unlink would follow the link into someone's files: refuse it.
  if (st.isSymbolicLink()) throw new CacheError(`${dir} is a symbolic link, not a folder of its own`);
  if (!st.isDirectory()) throw new CacheError(`${dir} is not a folder`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new CacheError(`${dir} belongs to another user`);
  if (!hasFileModes(platform)) return { path: dir };
  if ((st.mode & 0o022) !== 0) {
    throw new CacheError(`${dir} can be written by others (mode ${(st.mode & 0o777).toString(8)}): run chmod 700 on it`);
  }
  checkAncestors(dir, uid);
  if ((st.mode & 0o077) !== 0) {
    try {
      fchmodDir(dir);
    } catch (e) {
      throw new CacheError(`${dir} is open to others and cannot be made private: ${fsProblem(e)}`);
    }
  }
  return { path: dir };
}

/**
 * Whoever may write a folder above the cache folder can swap the cache folder
 * for a link after it was checked. Each one must belong to this user or to
 * root, and others may write it only with the sticky bit (as /tmp).
 */
function checkAncestors(dir: string, uid: number | undefined): void {
  let at: string;
  try {
    at = realpathSync.native(dirname(dir));
  } catch (e) {
    throw new CacheError(`${dirname(dir)} cannot be opened: ${fsProblem(e)}`);
  }
  for (;;) {
    const st = statSync(at);
    if (uid !== undefined && st.uid !== uid && st.uid !== 0) throw new CacheError(`${at} (above ${dir}) belongs to another user`);
    if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
      throw new CacheError(`${at} (above ${dir}) can be written by anyone`);
    }
    const up = dirname(at);
    if (up === at) return;
    at = up;
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

/** The names in a verified folder; an unreadable folder has none. */
export function namesIn(folder: VerifiedFolder): string[] {
  try {
    return readdirSync(folder.path).sort();
  } catch {
    return [];
  }
}

/** Why a private file cannot be used. `tooOpen`: a file of this user that others can read (text holds it). */
interface Refused {
  problem: string;
  /** Too big to be a file of kops-mfa's. */
  damaged?: boolean;
  /** Others can read it; its text is here so the caller can tell whether it is its own. */
  tooOpen?: { text: string };
}

/**
 * Read a private file: never through a link, never blocking on a FIFO,
 * never more than `maxBytes`, and only a regular file of this user. Missing:
 * undefined.
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
    if (st.size > maxBytes) return { problem: `${st.size} bytes`, damaged: true };
    const buf = Buffer.alloc(st.size);
    const n = st.size === 0 ? 0 : readSync(fd, buf, 0, st.size, 0);
    const text = buf.toString('utf8', 0, n);
    if (hasFileModes(platform) && (st.mode & 0o077) !== 0) {
      return { problem: `its permissions ${(st.mode & 0o777).toString(8)} let others read it`, tooOpen: { text } };
    }
    return { text };
  } finally {
    closeSync(fd);
  }
}

/** Write a private file atomically: a temporary 0600 file whatever the umask, then a rename. */
export function writePrivate(file: string, text: string): void {
  // Unique enough with O_EXCL below; no node:crypto on this path. The pid in
  // the name lets a later run remove it if this one is killed before the rename.
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | (fsc.O_NOFOLLOW ?? 0), 0o600);
  } catch (e) {
    throw new CacheError(`cannot write in ${dirname(file)}: ${fsProblem(e)}`);
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
 * A file kops-mfa cannot prove it wrote is never deleted: it is renamed to
 * NAME.damaged-TIME next to itself, for the user to look at. The new name,
 * or undefined when the rename failed (the file is then left as it is).
 */
export function setAside(file: string, now: Date = new Date()): string | undefined {
  const aside = `${file}.damaged-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
  try {
    renameSync(file, aside);
    return aside;
  } catch {
    return undefined;
  }
}

/**
 * Remove the temporary files that a killed kops-mfa left between its write
 * and its rename (they hold live credentials): those of processes that are
 * gone, and only with a name `isOwn` accepts.
 */
export function sweepTemporary(folder: VerifiedFolder, isOwn: (name: string) => boolean): void {
  for (const name of namesIn(folder)) {
    const m = /^(.*?)\.(\d+)(?:\.[0-9a-z]+)?\.tmp$/.exec(name);
    if (!m || !isOwn(m[1]!) || Number(m[2]) === process.pid) continue;
    try {
      process.kill(Number(m[2]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') tryUnlink(join(folder.path, name));
    }
  }
}
