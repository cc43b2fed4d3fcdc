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

/** The longest session AWS hands out (an MFA session of 36 hours), and a few minutes for clocks apart. */
const LONGEST_SESSION_SECONDS = 36 * 3600 + 5 * 60;

/** Whether an expiry can be a session's: not further away than any session lasts. */
export function credibleExpiry(expiration: string, now: Date): boolean {
  return secondsLeft({ expiration }, now) <= LONGEST_SESSION_SECONDS;
}

/** "valid until 14:05 (59 min left)" in local time, for notes; the date too when it is more than a day away. */
export function describeExpiry(expiration: string, now: Date): string {
  const at = new Date(expiration);
  const ms = at.getTime() - now.getTime();
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(at.getHours())}:${two(at.getMinutes())}`;
  const hhmm = ms > 86_400_000 ? `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${time}` : time;
  if (ms <= 0) return `expired at ${hhmm}`;
  if (ms < 60_000) return `valid until ${hhmm}:${two(at.getSeconds())} (under a minute left)`;
  const minutes = Math.floor(ms / 60_000);
  const left = minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `valid until ${hhmm} (${left} left)`;
}
