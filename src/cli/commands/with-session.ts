// What env, exec and credential-process share: settings, a session, and the
// statements that put it into a shell.
import { loadAwsFiles } from '../../settings/aws-files.js';
import { resolveKopsContext, resolveSettings, type Settings } from '../../settings/config.js';
import type { Context } from '../../context.js';
import { describeExpiry } from '../../session/credentials.js';
import { loginOps, type EnvOp } from '../../shell/env-ops.js';
import type { Flags } from '../options.js';
import { printable } from '../../printable.js';
import { obtainSession, type Obtained } from '../../session/session.js';

export interface WithSession {
  settings: Settings;
  obtained: Obtained;
  ops: EnvOp[];
}

export interface SessionOptions {
  /** No note at all. */
  quiet?: boolean;
  /** A note only when a code was typed (exec). */
  quietReuse?: boolean;
  /** With an MFA session, renew (silently) any session with less than this many seconds left. */
  silentRenewalSeconds?: number;
}

export async function withSession(flags: Flags, ctx: Context, opts: SessionOptions = {}): Promise<WithSession> {
  // The kops context first: a bad value costs no code.
  const kops = resolveKopsContext(flags, ctx.env, loadAwsFiles(ctx.env));
  const quiet = opts.quiet || flags.quiet === true;
  const settings = resolveSettings(flags, ctx.env, loadAwsFiles(ctx.env));
  if (settings.mfaSessionSeconds > 0 && opts.silentRenewalSeconds !== undefined) {
    settings.minRemainingSeconds = Math.max(settings.minRemainingSeconds, opts.silentRenewalSeconds);
  }
  ctx.debug(
    `profile ${settings.profile}; ${settings.roleArn ? `role ${settings.roleArn}` : 'GetSessionToken'}; MFA ${settings.serialNumber}; ` +
      `source keys ${settings.source.accessKeyId} from ${settings.source.origin}; region ${settings.region}` +
      (settings.endpoint ? `; endpoint ${settings.endpoint}` : '') +
      (settings.mfaSessionSeconds ? `; MFA session ${settings.mfaSessionSeconds} s` : ''),
  );
  const obtained = await obtainSession(settings, ctx);
  const { entry, mfa, how } = obtained;
  if (!quiet && how !== 'cache' && settings.requestedDurationSeconds > settings.durationSeconds) {
    ctx.note(
      `a role session assumed from an MFA session lasts at most ${settings.durationSeconds} s (AWS's limit); used ${settings.durationSeconds} instead of ${settings.requestedDurationSeconds}`,
    );
  }
  if (!quiet && !(opts.quietReuse && how !== 'code')) {
    const who = printable(entry.arn ?? entry.roleArn ?? `profile ${settings.profile}`);
    const what = { cache: 'reusing the cached session', renewed: 'new session (renewed from the MFA session, no code needed)', code: 'new session' }[how];
    const mfaLeft = mfa ? `; MFA session ${describeExpiry(mfa.credentials.expiration, ctx.now())}` : '';
    ctx.note(`${what} for ${who}, ${describeExpiry(entry.credentials.expiration, ctx.now())}${mfaLeft}`);
  }
  const ops = loginOps(entry.credentials, { profile: settings.profile, region: settings.exportRegion, kops, env: ctx.env });
  return { settings, obtained, ops };
}
