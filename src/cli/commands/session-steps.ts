// The steps on either side of getting a session, shared by every login (env,
// exec, credential-process, console) and by the cached env: the settings
// with their note before, what is said and exported after.
import type { BaseContext } from '../../context.js';
import { loadAwsFiles } from '../../settings/aws-files.js';
import { resolveSettings, type Settings } from '../../settings/config.js';
import type { Obtained } from '../../session/cached.js';
import { formatLeft, until } from '../../session/credentials.js';
import { servingMinimumSeconds, servingNote, servingRuleFits } from '../../session/serving.js';
import { loginOps, type EnvOp } from '../../shell/env-ops.js';
import type { CacheEntry } from '../../store/cache.js';
import type { Flags } from '../options.js';
import { printable } from '../../printable.js';
import { redactUrl, shortened } from '../../errors.js';

export interface SessionOptions {
  /** No note at all. */
  quiet?: boolean;
  /** A note only when a code was typed (exec). */
  quietReuse?: boolean;
  /** Serving an SDK (credential-process, exec's endpoint): with an MFA session, renew silently by the serving rule. */
  serving?: boolean;
  /** An MFA session this process holds (exec without the cache). */
  mfa?: CacheEntry | undefined;
  /** Say when the role sessions are too short for the serving rule (with serving, too). */
  warnShortSessions?: boolean;
}

const isQuiet = (flags: Flags, opts: SessionOptions) => opts.quiet || flags.quiet === true;

/** The settings of this login, and the minimum a cached session must have left to be used. */
export function loginSettings(flags: Flags, ctx: BaseContext, opts: SessionOptions): { settings: Settings; minRemainingSeconds: number } {
  const settings = resolveSettings(flags, ctx.env, loadAwsFiles(ctx.env));
  // A profile named with --profile beat these variables: say so, in one line.
  if (!isQuiet(flags, opts) && settings.ignoredVariables.length > 0) {
    ctx.note(`--profile ${printable(shortened(settings.profile))} overrides ${settings.ignoredVariables.join(', ')}`);
  }
  ctx.debug(
    `profile ${settings.profile}; ${settings.roleArn ? `role ${settings.roleArn}` : 'GetSessionToken'}; MFA ${settings.serialNumber}; ` +
      `source keys ${settings.source.accessKeyId ?? '(read when needed)'} from ${settings.source.origin}; region ${settings.region}` +
      (settings.endpoint ? `; endpoint ${redactUrl(settings.endpoint)}` : '') +
      (settings.mfaSessionSeconds ? `; MFA session ${settings.mfaSessionSeconds} s` : ''),
  );
  const minRemainingSeconds = settings.mfaSessionSeconds > 0 && opts.serving ? servingMinimumSeconds(settings) : settings.minRemainingSeconds;
  return { settings, minRemainingSeconds };
}

/** Once a session is had: the notes about it, and the statements that export it. */
export function sessionOps(flags: Flags, ctx: BaseContext, opts: SessionOptions, settings: Settings, obtained: Obtained): EnvOp[] {
  const quiet = isQuiet(flags, opts);
  const { entry, mfa, how } = obtained;
  // Once per code typed (not at each renewal): the sessions are too short for the SDKs' refresh rule.
  if ((opts.serving || opts.warnShortSessions) && settings.mfaSessionSeconds > 0 && how === 'code' && !servingRuleFits(settings)) ctx.note(servingNote(settings));
  if (!quiet && how !== 'cache' && settings.requestedDurationSeconds > settings.durationSeconds) {
    ctx.note(
      `a role session from an MFA session lasts at most ${settings.durationSeconds} s (AWS's limit), not ${settings.requestedDurationSeconds}`,
    );
  }
  ctx.debug(`session (${how}): ${entry.arn ?? entry.roleArn ?? `profile ${settings.profile}`}, ${until(entry.credentials.expiration, ctx.now())}`);
  if (!quiet && !(opts.quietReuse && how !== 'code')) {
    // One short line: the role's name, not its ARN (that is in --debug and status).
    const what = { cache: ', from the cache', renewed: ', no code needed', code: '' }[how];
    const mfaLeft = mfa ? `; MFA session ${formatLeft(mfa.credentials.expiration, ctx.now())} left` : '';
    ctx.note(`${printable(sessionName(entry.arn, entry.roleArn, settings.profile))} ${until(entry.credentials.expiration, ctx.now())}${what}${mfaLeft}`);
  }
  return loginOps(entry.credentials, { profile: settings.profile, region: settings.exportRegion, kops: settings.kops, env: ctx.env });
}

/** "kops-admin session" from the assumed-role ARN (or the role ARN); "session of profile P" without a role. */
function sessionName(arn: string | undefined, roleArn: string | undefined, profile: string): string {
  const role = /:assumed-role\/([^/]+)\//.exec(arn ?? '')?.[1] ?? roleArn?.split('/').at(-1);
  return role ? `${role} session` : `session of profile ${profile}`;
}
