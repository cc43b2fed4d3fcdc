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
import { openCache, sweep, writeEntry, type CacheEntry, type VerifiedFolder } from '../store/cache.js';
import { fromCache, MFA_SESSION_MARGIN_SECONDS, readSession, sessionFiles, type Obtained } from './cached.js';
import { CacheError, networkError, RejectedCodeError } from '../errors.js';
import { envValueProblem } from '../env-limits.js';
import { lock } from '../store/lock.js';
import { codeSource, type CodeSource } from './mfa.js';
import { loadKeys } from '../keys/source.js';
import { currentTerminalPlatform, deferTermination } from './tty.js';
import { loadSdk, mfaSessionWithCode, roleFromMfaSession, sessionWithCode, type OnSend, type Session } from './sts.js';

/** The STS calls the orchestrator makes: sts.ts's, or a test's stand-ins. */
export interface StsCalls {
  sessionWithCode: typeof sessionWithCode;
  mfaSessionWithCode: typeof mfaSessionWithCode;
  roleFromMfaSession: typeof roleFromMfaSession;
  loadSdk: () => Promise<unknown>;
}

const STS: StsCalls = { sessionWithCode, mfaSessionWithCode, roleFromMfaSession, loadSdk };

interface ObtainOptions {
  /** Reuse a cached session only while it has more than this left (default: the settings' minimum). */
  minRemainingSeconds?: number;
  /** An MFA session this process holds (exec without the cache): used when the cache has none. */
  mfa?: CacheEntry | undefined;
  /** The STS calls (default: sts.ts's). */
  sts?: StsCalls;
}

export async function obtainSession(s: Settings, ctx: Context, opts: ObtainOptions = {}): Promise<Obtained> {
  const o = new Orchestrator(s, ctx, opts.minRemainingSeconds ?? s.minRemainingSeconds, opts.sts ?? STS, opts.mfa);
  return o.run();
}

/** How long SIGTERM or SIGHUP waits for an answer to a call that carries a code, to save what AWS issued for it. */
const KILL_GRACE_MS = 3_000;

/** An STS call that carries the code; it calls onSend right before the code goes out. */
type CodedCall = (code: string, onSend: OnSend) => Promise<Session>;

class Orchestrator {
  private readonly told = new Set<string>();
  /** Ends the wait of SIGTERM and SIGHUP while a code is out (see withCode). */
  private releaseTermination = async () => {};
  private folder: VerifiedFolder | undefined;
  private dir: string | undefined;

  constructor(
    private readonly s: Settings,
    private readonly ctx: Context,
    private readonly minRemaining: number,
    private readonly sts: StsCalls,
    private readonly heldMfa?: CacheEntry,
  ) {
    if (!s.useCache) return;
    // Nothing in the folder is read, written or removed before it is proven kops-mfa's own.
    try {
      this.folder = openCache(ctx.env, { create: true });
      this.dir = this.folder?.path;
    } catch (e) {
      if (!(e instanceof CacheError)) throw e;
      this.warn(`cannot use the session cache: ${e.message}; going on without it (set XDG_CACHE_HOME to move it)`);
    }
  }

  /** Each cache warning once: a file is read before and after the lock. */
  private warn = (message: string) => {
    if (this.told.has(message)) return;
    this.told.add(message);
    this.ctx.note(message);
  };

  private get reading() {
    return { warn: this.warn, repair: true, ctx: this.ctx };
  }

  /** A file of the cache, while the cache can be used (a failed lock gives it up for this run). */
  private read(file: string | undefined, minSeconds: number): CacheEntry | undefined {
    return this.dir ? readSession(file, minSeconds, this.reading) : undefined;
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
    if (file && this.folder) {
      try {
        sweep(this.folder);
        unlock = await lock(file, {
          onWait: (pid, seconds) => this.ctx.note(`waiting for another kops-mfa (pid ${pid}) that is logging in to the same session (at most ${seconds} s)…`),
        });
      } catch (e) {
        if (!(e instanceof CacheError)) throw e;
        this.warn(`cannot use the session cache: ${e.message}; going on without it (set XDG_CACHE_HOME to move it)`);
        this.dir = undefined;
        this.folder = undefined;
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
    const { role: roleFile, mfa: mfaFile } = this.dir ? sessionFiles(this.dir, s) : {};
    if (!s.refresh && this.dir) {
      const hit = fromCache({ role: roleFile, mfa: mfaFile }, this.minRemaining, this.reading);
      if (hit) return hit;
    }
    // Without an MFA session the code buys the session itself; without a role, the MFA session is it.
    if (!usesMfaSession) return this.boughtWithCode(roleFile, this.minRemaining, (code, onSend) => this.sts.sessionWithCode(s, this.ctx.env, code, onSend));
    if (!s.roleArn) return this.boughtWithCode(mfaFile, this.minRemaining, (code, onSend) => this.sts.mfaSessionWithCode(s, this.ctx.env, code, onSend), 'mfa');
    const held = this.heldMfa && secondsLeft(this.heldMfa.credentials, this.ctx.now()) > MFA_SESSION_MARGIN_SECONDS ? this.heldMfa : undefined;
    let mfa = s.refresh ? undefined : (this.read(mfaFile, MFA_SESSION_MARGIN_SECONDS) ?? held);
    let how: Obtained['how'] = 'renewed';
    if (!mfa) {
      const bought = await this.boughtWithCode(mfaFile, MFA_SESSION_MARGIN_SECONDS, (code, onSend) => this.sts.mfaSessionWithCode(s, this.ctx.env, code, onSend), 'mfa');
      mfa = bought.entry;
      if (bought.how === 'code') how = 'code';
    }
    const entry = this.entry(await this.sts.roleFromMfaSession(s, this.ctx.env, mfa.credentials));
    this.save(roleFile, entry);
    return { entry, how, mfa };
  }

  /**
   * Under the lock of `file`: the session another terminal may have made
   * while this one waited, else one bought with a code, and saved.
   */
  private boughtWithCode(file: string | undefined, minSeconds: number, call: CodedCall, kind?: 'mfa'): Promise<Obtained> {
    return this.locked(file, async () => {
      const again = this.s.refresh ? undefined : this.read(file, minSeconds);
      if (again) return { entry: again, how: 'cache' as const };
      const t0 = Date.now();
      try {
        const entry = this.entry(await this.withCode(call), kind);
        // Saved before anything is said: a kill after STS answered loses as little as it can.
        this.save(file, entry);
        this.ctx.debug(`STS answered and the session was saved in ${Date.now() - t0} ms`);
        return { entry, how: 'code' as const };
      } finally {
        await this.releaseTermination();
      }
    });
  }

  /**
   * Get a code and make the call, asking again after a code AWS refused
   * (prompt only). The code is remembered as spent right before it is sent:
   * a run killed while waiting for the answer, or an answer that never comes,
   * must not lead to the same code being sent again. From then until the
   * session is saved, SIGTERM and SIGHUP wait a moment for the answer.
   */
  private async withCode(call: CodedCall): Promise<Session> {
    // The SDK loads while the user reads the prompt and types;
    // without a terminal the prompt fails first and the load never matters.
    const codes: CodeSource = codeSource(this.s, this.ctx, this.folder);
    // Without a way to a code (a renewal with --no-prompt), nothing is loaded or run first.
    codes.check();
    const loading = this.sts.loadSdk();
    loading.catch(() => {});
    // The keys that will sign (keyring, credential_process) before the code: a missing key must not cost one.
    await loadKeys(this.s.source, this.ctx.env);
    let retry: RejectedCodeError | undefined;
    for (;;) {
      const code = await codes.next(retry);
      await loading;
      try {
        return await call(code, () => {
          codes.spent(code);
          this.releaseTermination = deferTermination(currentTerminalPlatform(), KILL_GRACE_MS);
        });
      } catch (e) {
        if (!(e instanceof RejectedCodeError)) throw e;
        codes.refused(code);
        await this.releaseTermination();
        retry = e;
      }
    }
  }
}
