// The one orchestrator: cache → lock → code → STS → cache.
//
// Without an MFA session: a role session (or a GetSessionToken session when
// there is no role) is bought with a code and cached per profile.
// With one (mfa_session_duration): the code buys an MFA session, cached per
// device and shared by every profile of it; role sessions are assumed from
// it without a code, so a code is asked only when the MFA session ran out.
import type { Settings } from '../settings/config.js';
import type { Context } from '../context.js';
import { secondsLeft } from './credentials.js';
import { cacheDir, cacheFile, ensureDir, mfaSessionFile, readEntry, sweepTemporary, writeEntry, type CacheEntry } from '../store/cache.js';
import { CacheError, networkError } from '../errors.js';
import { envValueProblem } from '../shell/env-ops.js';
import { lock } from '../store/lock.js';
import { codeSource, type CodeSource } from './mfa.js';
import { loadSdk, mfaSessionWithCode, RejectedCodeError, roleFromMfaSession, sessionWithCode, type Session } from './sts.js';

export interface Obtained {
  /** The session to export. */
  entry: CacheEntry;
  /** How it was had: from the cache, renewed from the MFA session without a code, or with a code. */
  how: 'cache' | 'renewed' | 'code';
  /** The MFA session it came from, if any. */
  mfa?: CacheEntry | undefined;
}

/** An MFA session is used to assume a role while it has this much left. */
const MFA_SESSION_MARGIN_SECONDS = 60;

export async function obtainSession(s: Settings, ctx: Context): Promise<Obtained> {
  const o = new Orchestrator(s, ctx);
  return o.run();
}

class Orchestrator {
  private readonly told = new Set<string>();
  private dir: string | undefined;

  constructor(
    private readonly s: Settings,
    private readonly ctx: Context,
  ) {
    this.dir = s.useCache ? cacheDir(ctx.env) : undefined;
  }

  /** Each cache warning once: a file is read before and after the lock. */
  private warn = (message: string) => {
    if (this.told.has(message)) return;
    this.told.add(message);
    this.ctx.note(message);
  };

  /** A file of the cache, while the cache can be used (a failed lock gives it up for this run). */
  private read(file: string | undefined, minSeconds: number): CacheEntry | undefined {
    if (!file || !this.dir) return undefined;
    const e = readEntry(file, this.warn);
    const ok = e !== undefined && secondsLeft(e.credentials, this.ctx.now()) > minSeconds;
    this.ctx.debug(`cache ${ok ? 'hit' : 'miss'}: ${file}`);
    return ok ? e : undefined;
  }

  private save(file: string | undefined, entry: CacheEntry): void {
    if (!file || !this.dir) return;
    // The code is spent and the session valid: a failed save must not lose it.
    try {
      writeEntry(file, entry);
    } catch (e) {
      this.warn(`could not save the session in the cache (${(e as Error).message}); the next login will ask for a code`);
    }
  }

  /** Hold the lock of `file` while `fn` runs; an unusable cache costs the cache, never the login. */
  private async locked<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
    let unlock: (() => void) | undefined;
    if (file && this.dir) {
      try {
        ensureDir(this.dir);
        sweepTemporary(this.dir);
        unlock = await lock(file, {
          onWait: (pid, seconds) => this.ctx.note(`waiting for another kops-mfa (pid ${pid}) that is logging in to the same session (at most ${seconds} s)…`),
        });
      } catch (e) {
        if (!(e instanceof CacheError)) throw e;
        this.warn(`cannot use the session cache: ${e.message}; going on without it (set XDG_CACHE_HOME to move it)`);
        this.dir = undefined;
      }
    }
    try {
      return await fn();
    } finally {
      unlock?.();
    }
  }

  /** A session no shell could use is refused before it is cached or exported. */
  private entry(session: Session, kind?: 'mfa'): CacheEntry {
    const { s } = this;
    const c = session.credentials;
    if (secondsLeft(c, this.ctx.now()) <= 0) {
      throw networkError(
        `STS answered with a session that expired at ${c.expiration}, before this machine's time: check the system clock`,
      );
    }
    for (const [name, value] of [['AWS_ACCESS_KEY_ID', c.accessKeyId], ['AWS_SECRET_ACCESS_KEY', c.secretAccessKey], ['AWS_SESSION_TOKEN', c.sessionToken]] as const) {
      const problem = envValueProblem(name, value);
      if (problem) throw networkError(`STS answered with an unusable ${name} (${problem}); nothing was saved`);
    }
    return { v: 1, kind, profile: s.profile, roleArn: kind ? undefined : s.roleArn, serialNumber: s.serialNumber, arn: session.arn, credentials: session.credentials };
  }

  async run(): Promise<Obtained> {
    const { s } = this;
    const usesMfaSession = s.mfaSessionSeconds > 0;
    const roleFile = this.dir && !(usesMfaSession && !s.roleArn) ? cacheFile(this.dir, s) : undefined;
    const mfaFile = this.dir && usesMfaSession ? mfaSessionFile(this.dir, s) : undefined;
    if (!s.refresh) {
      const hit = this.read(roleFile ?? mfaFile, s.minRemainingSeconds);
      // A role session from the cache still names its MFA session: exec renews from it.
      if (hit) return { entry: hit, how: 'cache', mfa: roleFile && mfaFile ? this.read(mfaFile, MFA_SESSION_MARGIN_SECONDS) : undefined };
    }
    // Without an MFA session the code buys the session itself; without a role, the MFA session is it.
    if (!usesMfaSession) return this.boughtWithCode(roleFile, s.minRemainingSeconds, (code) => sessionWithCode(s, this.ctx.env, code));
    if (!s.roleArn) return this.boughtWithCode(mfaFile, s.minRemainingSeconds, (code) => mfaSessionWithCode(s, this.ctx.env, code), 'mfa');
    let mfa = s.refresh ? undefined : this.read(mfaFile, MFA_SESSION_MARGIN_SECONDS);
    let how: Obtained['how'] = 'renewed';
    if (!mfa) {
      const bought = await this.boughtWithCode(mfaFile, MFA_SESSION_MARGIN_SECONDS, (code) => mfaSessionWithCode(s, this.ctx.env, code), 'mfa');
      mfa = bought.entry;
      if (bought.how === 'code') how = 'code';
    }
    const entry = this.entry(await roleFromMfaSession(s, this.ctx.env, mfa.credentials));
    this.save(roleFile, entry);
    return { entry, how, mfa };
  }

  /**
   * Under the lock of `file`: the session another terminal may have made
   * while this one waited, else one bought with a code, and saved.
   */
  private boughtWithCode(file: string | undefined, minSeconds: number, call: (code: string) => Promise<Session>, kind?: 'mfa'): Promise<Obtained> {
    return this.locked(file, async () => {
      const again = this.s.refresh ? undefined : this.read(file, minSeconds);
      if (again) return { entry: again, how: 'cache' as const };
      const entry = this.entry(await this.withCode(call), kind);
      this.save(file, entry);
      return { entry, how: 'code' as const };
    });
  }

  /** Get a code and make the call, asking again after a code AWS refused (prompt only). */
  private async withCode(call: (code: string) => Promise<Session>): Promise<Session> {
    // The SDK (about 100 ms) loads while the user reads the prompt and types;
    // without a terminal the prompt fails first and the load never matters.
    const loading = loadSdk();
    loading.catch(() => {});
    const codes: CodeSource = codeSource(this.s, this.ctx, this.dir);
    let retry: RejectedCodeError | undefined;
    for (;;) {
      const code = await codes.next(retry);
      await loading;
      const t0 = Date.now();
      try {
        const session = await call(code);
        this.ctx.debug(`STS answered in ${Date.now() - t0} ms`);
        codes.spent(code);
        return session;
      } catch (e) {
        if (!(e instanceof RejectedCodeError)) throw e;
        retry = e;
      }
    }
  }
}
