// exec with an MFA session: the command gets no static keys but the loopback
// endpoint every AWS SDK reads (AWS_CONTAINER_CREDENTIALS_FULL_URI and its
// token), AWS files of its own in which no profile has a credential source,
// and, each time it asks, a role session renewed from the MFA session without
// a code. The run outlives any one role session, for as long as the MFA
// session lasts.
import type { Context } from '../context.js';
import { describeExpiry, secondsLeft, type SessionCredentials } from '../session/credentials.js';
import { childEnv } from '../shell/env-ops.js';
import { EXPIRES, KEY_ID, MARKER, SAVED } from '../shell/saved-state.js';
import type { Flags } from '../cli/options.js';
import { printable } from '../printable.js';
import type { Platform } from '../platform.js';
import type { CacheEntry } from '../store/cache.js';
import { servingMinimumSeconds } from '../session/serving.js';
import { withSession, type WithSession } from '../cli/commands/with-session.js';
import { runChild } from './child.js';
import { writeChildAwsFiles } from './child-aws-files.js';

/** Say this long before the MFA session ends that the command will then get no new credentials. */
const WARN_BEFORE_END_SECONDS = 10 * 60;

export async function serve(flags: Flags, command: readonly string[], session: WithSession, ctx: Context, platform: Platform): Promise<number> {
  const { settings } = session;
  let current: SessionCredentials = session.obtained.entry.credentials;
  let mfa = session.obtained.mfa as CacheEntry;
  const quiet: Context = { ...ctx, note: () => {} };
  // Renewals never use a code: not the one typed at the start (spent, and
  // refused locally or by AWS), and not --refresh (which asks for a new one).
  const renewFlags: Flags = { ...flags, 'no-prompt': true, 'token-code': undefined, refresh: undefined };
  // The session layer's serving rule: renewed 15 min before its end, unless it is too short for that.
  const minimum = servingMinimumSeconds(settings);
  let kept = false;
  const renew = async (): Promise<SessionCredentials> => {
    // The cache may hold a newer MFA session (a kops-login --refresh in another terminal);
    // without the cache, the one this process holds serves.
    const again = await withSession(renewFlags, quiet, { quiet: true, serving: true, mfa });
    if (again.obtained.mfa) mfa = again.obtained.mfa;
    return again.obtained.entry.credentials;
  };
  const provide = async (): Promise<SessionCredentials> => {
    if (secondsLeft(current, ctx.now()) > minimum) return current;
    try {
      current = await renew();
    } catch (e) {
      // No new session without a code (the MFA session ended, STS is away):
      // the current one still works until it ends, which beats an error now.
      if (secondsLeft(current, ctx.now()) <= 0) throw e;
      if (!kept) {
        kept = true;
        ctx.note(
          `cannot renew the command's credentials (${printable(e instanceof Error ? e.message : String(e))}); it keeps the current session, ${describeExpiry(current.expiration, ctx.now())}`,
        );
      }
      return current;
    }
    ctx.debug(`exec: served a role session ${describeExpiry(current.expiration, ctx.now())}`);
    return current;
  };
  const { startCredentialServer, SHADOWING_VARIABLES } = await import('./credential-server.js');
  const files = writeChildAwsFiles(ctx.env);
  try {
    const server = await startCredentialServer(provide, {
      onRefused: (status, reason) => ctx.debug(`exec: credential request refused (${status}: ${reason})`),
      onError: (e) => ctx.note(`cannot renew the command's credentials: ${printable(e instanceof Error ? e.message : String(e))}`),
    });
    const env = childEnv(ctx.env, session.ops);
    for (const name of [...SHADOWING_VARIABLES, MARKER, EXPIRES, KEY_ID, SAVED]) delete env[name];
    Object.assign(env, server.env, files.env);
    const warner = warnBeforeEnd(() => mfa, settings.profile, ctx);
    try {
      return await runChild(command, env, ctx, platform);
    } finally {
      warner.stop();
      await server.close();
    }
  } finally {
    // Signals are forwarded to the command and kops-mfa waits for it, so this runs on them too.
    files.remove();
  }
}

/** A profile name as the user would type it in a POSIX shell. */
const typed = (name: string) => (/^[\w.@%+=:,/-]+$/.test(name) ? name : `'${name.replaceAll("'", `'\\''`)}'`);

/** Once, ten minutes before the MFA session ends (if it has not been renewed by then): the command will lose its credentials. */
function warnBeforeEnd(mfa: () => CacheEntry, profile: string, ctx: Context): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    const left = secondsLeft(mfa().credentials, ctx.now());
    const wait = Math.max(0, left - WARN_BEFORE_END_SECONDS) * 1000;
    timer = setTimeout(() => {
      if (secondsLeft(mfa().credentials, ctx.now()) > WARN_BEFORE_END_SECONDS + 1) return schedule();
      ctx.note(
        `the MFA session is ${describeExpiry(mfa().credentials.expiration, ctx.now())}: run kops-login --profile ${printable(typed(profile))} --refresh so the command keeps getting credentials`,
      );
    }, Math.min(wait, 2 ** 31 - 1));
    timer.unref();
  };
  schedule();
  return { stop: () => clearTimeout(timer) };
}
