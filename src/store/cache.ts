// The session cache: temporary credentials only, one 0600 file per session in
// the verified cache folder (private-files.ts). A file of kops-mfa's own name
// that is odd (too open, foreign, a link, too big, not a session) is a warning
// and a miss, never a crash; only a file proven to be a session is removed,
// a damaged one is set aside.
import { basename, join, isAbsolute } from 'node:path';
import type { Settings } from '../settings/config.js';
import type { SessionCredentials } from '../session/credentials.js';
import { homeDir, type Platform } from '../platform.js';
import { namesIn, openCacheFolder, readPrivate, setAside, sweepTemporary, tryUnlink, writePrivate, type VerifiedFolder } from './private-files.js';

export type { VerifiedFolder } from './private-files.js';

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

type Warn = (message: string) => void;

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

/**
 * The cache folder, verified, for every command that touches it: env, exec,
 * credential-process, status, logout and the spent codes. `create` makes it;
 * without it a missing folder is undefined. A folder that is not provably
 * kops-mfa's own: CacheError.
 */
export function openCache(env: NodeJS.ProcessEnv, opts: { create: boolean }): VerifiedFolder | undefined {
  return openCacheFolder(cacheDir(env), opts);
}

/** Remove the temporary files (of kops-mfa's names) that killed runs left in the folder. */
export function sweep(folder: VerifiedFolder): void {
  sweepTemporary(folder, isOwnName);
}

/** 128 bits of FNV-1a over the parts: loading node:crypto would slow every cached start. */
export function digest(parts: readonly string[]): string {
  const bytes = Buffer.from(JSON.stringify(parts), 'utf8');
  return fnv1a64(bytes, 0xcbf29ce484222325n) + fnv1a64(bytes, 0x84222325cbf29ce4n);
}

/**
 * 64-bit FNV-1a in two 32-bit halves: the same numbers as BigInt arithmetic
 * (and so the same file names), at a fraction of the cost on every start.
 * The prime is 2^40 + 0x1b3, so h * prime = h * 0x1b3 + (h << 40) mod 2^64.
 * An indexed loop: a Buffer's iterator costs more than the arithmetic before
 * the code is optimized, which a start never reaches.
 */
function fnv1a64(bytes: Uint8Array, offset: bigint): string {
  let hi = Number(offset >> 32n);
  let lo = Number(offset & 0xffffffffn);
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ (bytes[i] as number)) >>> 0;
    const low = lo * 0x1b3; // < 2^41: exact
    const high = Math.floor(low / 0x100000000) + hi * 0x1b3 + (lo % 0x1000000) * 0x100; // each part exact
    hi = high % 0x100000000;
    lo = low % 0x100000000;
  }
  return (hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0'));
}

/** Everything that changes which role session AWS would hand out. */
function cacheKey(s: Settings): string {
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

/** A cache file name kops-mfa makes: a profile's (or an MFA session's) session, or a spent-code record. */
const OWN_NAME = /^(?:[A-Za-z0-9_.-]{1,64}-[0-9a-f]{32}\.json|used-codes-[0-9a-f]{32})$/;

/** Whether kops-mfa could have written a file of this name (a lock's name included). */
function isOwnName(name: string): boolean {
  return OWN_NAME.test(name.endsWith('.lock') ? name.slice(0, -'.lock'.length) : name);
}

/**
 * Read one entry. Missing: undefined. Anything else that is not a session: a
 * warning and undefined; with `repair`, a session others can read is removed
 * (it is provably kops-mfa's) and a damaged file is set aside, never deleted.
 */
export function readEntry(file: string, warn: Warn, repair = true, platform: Platform = process.platform): CacheEntry | undefined {
  const read = readPrivate(file, MAX_FILE_BYTES, platform);
  if (read === undefined) return undefined;
  if ('text' in read) {
    const entry = parseEntry(read.text);
    if (entry) return entry;
    damaged(file, 'not a kops-mfa session', warn, repair);
    return undefined;
  }
  if (read.damaged || (read.tooOpen && !parseEntry(read.tooOpen.text))) {
    damaged(file, read.problem, warn, repair);
  } else if (read.tooOpen) {
    warn(`refusing cache file ${file}: ${read.problem}; it will be replaced`);
    if (repair) tryUnlink(file);
  } else {
    warn(`ignoring cache file ${file}: ${read.problem}`);
  }
  return undefined;
}

function damaged(file: string, problem: string, warn: Warn, repair: boolean): void {
  const aside = repair ? setAside(file) : undefined;
  warn(`ignoring damaged cache file ${file} (${problem})${aside ? `; moved aside as ${basename(aside)}` : ''}`);
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

/** Write a session atomically with 0600 whatever the umask: a reader sees the old file or the new one. */
export function writeEntry(file: string, entry: CacheEntry): void {
  writePrivate(file, `${JSON.stringify(entry, null, 2)}\n`);
}

/** Remove a session file that listEntries proved to be one. */
export function removeEntry(file: string): boolean {
  return tryUnlink(file);
}

/** Every session in the verified folder, with its file: only kops-mfa's names, only valid sessions. */
export function listEntries(folder: VerifiedFolder | undefined, warn: Warn, repair = true): Array<{ file: string; entry: CacheEntry }> {
  if (!folder) return [];
  const out: Array<{ file: string; entry: CacheEntry }> = [];
  for (const name of namesIn(folder)) {
    if (!name.endsWith('.json') || !isOwnName(name)) continue;
    const file = join(folder.path, name);
    const entry = readEntry(file, warn, repair);
    if (entry) out.push({ file, entry });
  }
  return out;
}
