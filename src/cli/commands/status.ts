// `kops-mfa status`: the session of this shell, the newest cached one of the
// profile, and the MFA session of its device. Cheap enough for a prompt: no
// AWS SDK, no AWS call, a few small files.
import { loadAwsFiles } from '../../settings/aws-files.js';
import { listEntries, openCache } from '../../store/cache.js';
import { mergedProfile, profileName } from '../../settings/config.js';
import type { Context, Outcome } from '../../context.js';
import { credibleExpiry, describeExpiry, secondsLeft } from '../../session/credentials.js';
import { holdsOwnSession, MARKER } from '../../shell/env-ops.js';
import { ExitCode } from '../../errors.js';
import type { Flags } from '../options.js';
import { printable } from '../../printable.js';

interface Seen {
  profile: string;
  /** null when unknown, so the JSON always has the same keys. */
  arn: string | null;
  expiration: string;
  secondsLeft: number;
  valid: boolean;
}

export function statusCommand(flags: Flags, ctx: Context): Outcome {
  const now = ctx.now();
  const profile = profileName(flags, ctx.env);
  // Read-only and quiet, as a prompt needs: a damaged file is the next login's to report and replace.
  const entries = listEntries(cacheFolder(ctx.env), () => {}, false).filter((e) => credibleExpiry(e.entry.credentials.expiration, now));
  const seen = (p: string, arn: string | undefined, expiration: string): Seen => {
    const left = Math.floor(secondsLeft({ expiration }, now));
    return { profile: p, arn: arn ?? null, expiration, secondsLeft: left, valid: left > 0 };
  };

  let shell: Seen | null = null;
  const marker = ctx.env[MARKER];
  const expiration = ctx.env.AWS_CREDENTIAL_EXPIRATION;
  if (marker && holdsOwnSession(ctx.env) && expiration && !Number.isNaN(Date.parse(expiration)) && credibleExpiry(expiration, now)) {
    const own = entries.find((e) => e.entry.credentials.accessKeyId === ctx.env.AWS_ACCESS_KEY_ID);
    shell = seen(marker, own?.entry.arn, expiration);
  }
  const newest = (list: typeof entries) =>
    list.sort((a, b) => Date.parse(b.entry.credentials.expiration) - Date.parse(a.entry.credentials.expiration))[0];
  const role = newest(entries.filter((e) => e.entry.kind === undefined && e.entry.profile === profile));
  const cache = role ? seen(profile, role.entry.arn ?? role.entry.roleArn, role.entry.credentials.expiration) : null;
  // The MFA session of the profile's device: the profile's mfa_serial (or KOPS_MFA_ARN), else the one its newest role session names.
  const serial = deviceOf(profile, ctx.env) ?? role?.entry.serialNumber;
  const mfaEntry = newest(entries.filter((e) => e.entry.kind === 'mfa' && (e.entry.serialNumber === serial || e.entry.profile === profile)));
  const mfaSession = mfaEntry ? seen(mfaEntry.entry.profile, mfaEntry.entry.serialNumber, mfaEntry.entry.credentials.expiration) : null;
  const valid = shell ? shell.valid : (cache?.valid ?? mfaSession?.valid ?? false);
  const code = valid ? ExitCode.ok : ExitCode.general;

  if (flags.json === true) return { stdout: `${JSON.stringify({ valid, shell, cache, mfaSession })}\n`, code };
  const line = (s: Seen | null, none: string) =>
    s ? `${printable(s.arn ? `${s.arn} (profile ${s.profile})` : `profile ${s.profile}`)}, ${describeExpiry(s.expiration, now)}` : none;
  const mfaLine = mfaSession ? `MFA session: ${printable(mfaSession.arn ?? '')}, ${describeExpiry(mfaSession.expiration, now)}\n` : '';
  return {
    stdout: `this shell: ${line(shell, 'not logged in')}\ncache:      ${line(cache, `no session for profile ${printable(profile)}`)}\n${mfaLine}`,
    code,
  };
}

/** The MFA device a profile names, if the AWS files can be read. */
function deviceOf(profile: string, env: NodeJS.ProcessEnv): string | undefined {
  try {
    return env.KOPS_MFA_ARN || mergedProfile(loadAwsFiles(env), profile)?.mfa_serial || undefined;
  } catch {
    return undefined; // status only reads: an unreadable file is the next login's to report
  }
}

/** The verified cache folder; none when it is missing or not kops-mfa's own (the next login says why). */
function cacheFolder(env: NodeJS.ProcessEnv) {
  try {
    return openCache(env, { create: false });
  } catch {
    return undefined;
  }
}
