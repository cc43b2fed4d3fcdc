// The session of this shell (AWS_CREDENTIAL_EXPIRATION and the marker) and the
// newest cached one of the profile. Cheap enough for a prompt: no AWS SDK,
// no AWS call, a few small files.
import { cacheDir, listEntries, secondsLeft } from '../cache.js';
import { profileName } from '../config.js';
import { describeExpiry, type Context } from '../context.js';
import { MARKER } from '../env-ops.js';
import { ExitCode } from '../errors.js';
import type { Outcome } from '../main.js';

interface Seen {
  profile: string;
  /** null when unknown, so the JSON always has the same keys. */
  arn: string | null;
  expiration: string;
  secondsLeft: number;
  valid: boolean;
}

export async function statusCommand(o: { profile?: string | undefined; json: boolean }, ctx: Context): Promise<Outcome> {
  const now = ctx.now();
  const profile = profileName({ profile: o.profile }, ctx.env);
  // Read-only and quiet, as a prompt needs: a damaged file is the next login's to report and replace.
  const entries = listEntries(cacheDir(ctx.env), () => {}, false);
  const seen = (p: string, arn: string | undefined, expiration: string): Seen => {
    const left = Math.floor(secondsLeft({ expiration } as never, now));
    return { profile: p, arn: arn ?? null, expiration, secondsLeft: left, valid: left > 0 };
  };

  let shell: Seen | null = null;
  const marker = ctx.env[MARKER];
  const expiration = ctx.env.AWS_CREDENTIAL_EXPIRATION;
  if (marker && expiration && !Number.isNaN(Date.parse(expiration))) {
    const own = entries.find((e) => e.entry.credentials.accessKeyId === ctx.env.AWS_ACCESS_KEY_ID);
    shell = seen(marker, own?.entry.arn, expiration);
  }
  const newest = entries
    .filter((e) => e.entry.profile === profile)
    .sort((a, b) => Date.parse(b.entry.credentials.expiration) - Date.parse(a.entry.credentials.expiration))[0];
  const cache = newest ? seen(profile, newest.entry.arn ?? newest.entry.roleArn, newest.entry.credentials.expiration) : null;
  const valid = shell ? shell.valid : (cache?.valid ?? false);
  const code = valid ? ExitCode.ok : ExitCode.general;

  if (o.json) return { stdout: `${JSON.stringify({ valid, shell, cache })}\n`, code };
  const line = (s: Seen | null, none: string) =>
    s ? `${s.arn ? `${s.arn} (profile ${s.profile})` : `profile ${s.profile}`}, ${describeExpiry(s.expiration, now)}` : none;
  return {
    stdout: `this shell: ${line(shell, 'not logged in')}\ncache:      ${line(cache, `no session for profile ${profile}`)}\n`,
    code,
  };
}
