// The cache's answer, before any lock, code or STS call: the files the
// sessions of a profile live in, and the session to export while one is
// valid. The orchestrator (session.ts) looks here first; the cached
// `kops-mfa env` (cli/cached-env.ts) looks nowhere else.
import type { Context } from '../context.js';
import type { Settings } from '../settings/config.js';
import { cacheFile, mfaSessionFile, readEntry, type CacheEntry } from '../store/cache.js';
import { credibleExpiry, secondsLeft } from './credentials.js';

export interface Obtained {
  /** The session to export. */
  entry: CacheEntry;
  /** How it was had: from the cache, renewed from the MFA session without a code, or with a code. */
  how: 'cache' | 'renewed' | 'code';
  /** The MFA session it came from, if any. */
  mfa?: CacheEntry | undefined;
}

/** An MFA session is used to assume a role while it has this much left. */
export const MFA_SESSION_MARGIN_SECONDS = 60;

interface SessionFiles {
  /** The role session's (or, without a role, the session's); none when the MFA session itself is exported. */
  role?: string | undefined;
  /** The MFA session's; none without mfa_session_duration. */
  mfa?: string | undefined;
}

export function sessionFiles(dir: string, s: Settings): SessionFiles {
  const usesMfaSession = s.mfaSessionSeconds > 0;
  return {
    role: usesMfaSession && !s.roleArn ? undefined : cacheFile(dir, s),
    mfa: usesMfaSession ? mfaSessionFile(dir, s) : undefined,
  };
}

/** How a cache file is read: its warnings, whether a damaged file is set aside, the clock and --debug. */
interface CacheReading {
  warn: (message: string) => void;
  repair: boolean;
  ctx: Pick<Context, 'now' | 'debug'>;
}

/** The session in `file` while it has more than `minSeconds` left. */
export function readSession(file: string | undefined, minSeconds: number, r: CacheReading): CacheEntry | undefined {
  if (!file) return undefined;
  const e = readEntry(file, r.warn, r.repair);
  // An expiry further away than any session lasts is no session (a damaged clock or file).
  const ok = e !== undefined && secondsLeft(e.credentials, r.ctx.now()) > minSeconds && credibleExpiry(e.credentials.expiration, r.ctx.now());
  r.ctx.debug(`cache ${ok ? 'hit' : 'miss'}: ${file}`);
  return ok ? e : undefined;
}

/** The cached session to export, with the MFA session it names, if the cache holds one with more than `minSeconds` left. */
export function fromCache(files: SessionFiles, minSeconds: number, r: CacheReading): Obtained | undefined {
  const entry = readSession(files.role ?? files.mfa, minSeconds, r);
  if (!entry) return undefined;
  // A role session from the cache still names its MFA session: exec renews from it.
  return { entry, how: 'cache', mfa: files.role && files.mfa ? readSession(files.mfa, MFA_SESSION_MARGIN_SECONDS, r) : undefined };
}
