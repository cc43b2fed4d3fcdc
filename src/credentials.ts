// Temporary credentials, as STS hands them out and as every command passes
// them on: the type, the time they have left, and how a note describes it.

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO 8601 UTC, e.g. 2026-11-23T23:05:00Z */
  expiration: string;
}

/** Seconds left before the credentials expire. */
export function secondsLeft(c: Pick<SessionCredentials, 'expiration'>, now: Date): number {
  return (Date.parse(c.expiration) - now.getTime()) / 1000;
}

/** "valid until 14:05 (59 min left)" in local time, for notes. */
export function describeExpiry(expiration: string, now: Date): string {
  const at = new Date(expiration);
  const minutes = Math.floor((at.getTime() - now.getTime()) / 60_000);
  const hhmm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  return minutes <= 0 ? `expired at ${hhmm}` : `valid until ${hhmm} (${minutes} min left)`;
}
