// `kops-mfa exec -- cmd`: run a command with the session in its environment,
// as the old wrapper's `exec kops "$@"` did: secrets in the environment only,
// never in argv; the child's status returned; signals forwarded.
import { loadAwsFiles } from '../settings/aws-files.js';
import type { Context, Outcome } from '../context.js';
import { describeExpiry, secondsLeft, type SessionCredentials } from '../session/credentials.js';
import { childEnv, EXPIRES, KEY_ID, MARKER, SAVED } from '../shell/env-ops.js';
import { ExitCode, usageError } from '../errors.js';
import type { Flags } from '../cli/options.js';
import { printable } from '../printable.js';
import { forwardedSignals, procStat, type Platform } from '../platform.js';
import type { CacheEntry } from '../store/cache.js';
import { roleFromMfaSession } from '../session/sts.js';
import { withSession, type WithSession } from '../cli/commands/with-session.js';

/** Hand out no credentials with less than this left when fresh ones can be had silently (botocore refreshes at 15 min). */
const SERVE_MIN_SECONDS = 15 * 60;
/** Say this long before the MFA session ends that the command will then get no new credentials. */
const WARN_BEFORE_END_SECONDS = 10 * 60;

/** Signals a terminal sends to its whole foreground group, the child included. */
const FROM_TERMINAL = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT']);

export async function execCommand(flags: Flags, command: readonly string[], ctx: Context): Promise<Outcome> {
  if (command.length === 0) throw usageError('exec needs a command after --: kops-mfa exec [options] -- kops get clusters');
  // Like aws-vault exec: quiet while a cached session serves, so an alias
  // for kops prints nothing of its own before every run.
  const session = await withSession(flags, ctx, { quietReuse: true });
  // Without an MFA session the child gets static keys, which last as long as the role session.
  if (!session.obtained.mfa) return { code: await run(command, childEnv(ctx.env, session.ops), ctx) };
  return { code: await serve(flags, command, session, ctx) };
}

/**
 * With an MFA session: the child gets no static keys but the loopback
 * endpoint every AWS SDK reads (AWS_CONTAINER_CREDENTIALS_FULL_URI and its
 * token), and each time it asks, a role session is renewed from the MFA
 * session without a code. The run outlives any one role session, for as
 * long as the MFA session lasts.
 */
async function serve(flags: Flags, command: readonly string[], session: WithSession, ctx: Context): Promise<number> {
  const { settings } = session;
  let current: SessionCredentials = session.obtained.entry.credentials;
  let mfa = session.obtained.mfa as CacheEntry;
  const quiet: Context = { ...ctx, note: () => {} };
  // Renewals never use a code: not the one typed at the start (spent, and
  // refused locally or by AWS), and not --refresh (which asks for a new one).
  const renewFlags: Flags = { ...flags, 'no-prompt': true, 'token-code': undefined, refresh: undefined };
  let kept = false;
  const renew = async (): Promise<SessionCredentials> => {
    if (!settings.useCache) return (await roleFromMfaSession({ ...settings, noPrompt: true }, ctx.env, mfa.credentials)).credentials;
    // The cache may hold a newer MFA session (a kops-login --refresh in another terminal).
    const again = await withSession(renewFlags, quiet, { quiet: true, silentRenewalSeconds: SERVE_MIN_SECONDS });
    if (again.obtained.mfa) mfa = again.obtained.mfa;
    return again.obtained.entry.credentials;
  };
  const provide = async (): Promise<SessionCredentials> => {
    if (secondsLeft(current, ctx.now()) > SERVE_MIN_SECONDS) return current;
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
  const server = await startCredentialServer(provide, {
    onRefused: (status, reason) => ctx.debug(`exec: credential request refused (${status}: ${reason})`),
    onError: (e) => ctx.note(`cannot renew the command's credentials: ${printable(e instanceof Error ? e.message : String(e))}`),
  });
  const env = childEnv(ctx.env, session.ops);
  for (const name of [...SHADOWING_VARIABLES, MARKER, EXPIRES, KEY_ID, SAVED]) delete env[name];
  Object.assign(env, server.env);
  // Keys of a [default] profile in the credentials file come before the endpoint in every SDK's chain.
  if (loadAwsFiles(ctx.env).credentials.default?.aws_access_key_id) env.AWS_SHARED_CREDENTIALS_FILE = process.platform === 'win32' ? 'NUL' : '/dev/null';
  const warner = warnBeforeEnd(() => mfa, ctx);
  try {
    return await run(command, env, ctx);
  } finally {
    warner.stop();
    await server.close();
  }
}

/** Once, ten minutes before the MFA session ends (if it has not been renewed by then): the command will lose its credentials. */
function warnBeforeEnd(mfa: () => CacheEntry, ctx: Context): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    const left = secondsLeft(mfa().credentials, ctx.now());
    const wait = Math.max(0, left - WARN_BEFORE_END_SECONDS) * 1000;
    timer = setTimeout(() => {
      if (secondsLeft(mfa().credentials, ctx.now()) > WARN_BEFORE_END_SECONDS + 1) return schedule();
      ctx.note(
        `the MFA session ${describeExpiry(mfa().credentials.expiration, ctx.now())}; after that the command gets no new credentials unless you run kops-login --refresh in another terminal`,
      );
    }, Math.min(wait, 2 ** 31 - 1));
    timer.unref();
  };
  schedule();
  return { stop: () => clearTimeout(timer) };
}

/**
 * Whether this process is in the foreground process group of its terminal:
 * then Ctrl-C and Ctrl-\ reached the child (same group) already, and
 * forwarding them would make it see two. Linux tells through /proc (pgrp and
 * the terminal's foreground group, tpgid); elsewhere a terminal on any of the
 * standard streams is taken as the sign.
 */
export function inForeground(): boolean {
  const f = procStat('self');
  if (f) return f[2] !== undefined && f[2] === f[5];
  return process.stdin.isTTY === true || process.stdout.isTTY === true || process.stderr.isTTY === true;
}

export function run(command: readonly string[], env: NodeJS.ProcessEnv, ctx: Context, platform: Platform = process.platform): Promise<number> {
  const FORWARDED = forwardedSignals(platform);
  // Loaded here, off the other commands' start-up.
  const { spawn } = process.getBuiltinModule('node:child_process');
  const [file, ...args] = command as [string, ...string[]];
  const shown = printable(file);
  return new Promise((resolve) => {
    // kops-mfa stays alive until the child decides what to do with a signal.
    // The handlers go in before the child starts, so no signal falls between.
    let child: ReturnType<typeof spawn> | undefined;
    const forward = (signal: NodeJS.Signals) => {
      if (FROM_TERMINAL.has(signal) && inForeground()) return;
      if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const s of FORWARDED) process.on(s, forward);
    const done = (code: number) => {
      for (const s of FORWARDED) process.removeListener(s, forward);
      resolve(code);
    };
    try {
      child = spawn(file, args, { env, stdio: 'inherit' });
    } catch (e) {
      // spawn throws synchronously for some errors (E2BIG on some Node versions).
      done(failed(e as NodeJS.ErrnoException, shown, ctx));
      return;
    }
    child.once('error', (e: NodeJS.ErrnoException) => done(failed(e, shown, ctx)));
    child.once('exit', (code, signal) => {
      if (signal) done(128 + (process.getBuiltinModule('node:os').constants.signals[signal] ?? 0));
      else done(code ?? ExitCode.general);
    });
  });
}

function failed(e: NodeJS.ErrnoException, file: string, ctx: Context): number {
  if (e.code === 'ENOENT') {
    ctx.note(`${file}: command not found`);
    return ExitCode.notFound;
  }
  if (e.code === 'EACCES') ctx.note(`${file}: permission denied`);
  else if (e.code === 'E2BIG') ctx.note(`${file}: the environment and arguments are too large for the OS to start it (E2BIG)`);
  else ctx.note(`${file}: ${printable(e.message)}`);
  return ExitCode.notRunnable;
}
