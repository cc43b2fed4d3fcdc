// Temporary credentials, as STS hands them out and as every command passes
// them on: the type, the time they have left, and how it is shown.

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

/**
 * The time left as every place shows it: notes, status and the shells'
 * prompt segment. One rule, so that the same moment reads the same
 * everywhere: whole seconds left are the expiration's second minus the
 * clock's second (both truncated, as a shell's `$EPOCHSECONDS` is), then
 * whole minutes, rounded down. Time that is left never shows as 0:
 *
 *   seconds left   long (notes, status)   short (prompt)
 *   <= 0           expired                expired
 *   1-59           under 1 min            <1m
 *   60-3599        N min                  Nm
 *   >= 3600        H h MM min             HhMMm
 */
export function formatLeft(expiration: string, now: Date, style: 'long' | 'short' = 'long'): string {
  return formatSeconds(wholeSecondsLeft(expiration, now), style);
}

/** The whole seconds of formatLeft's rule. */
function wholeSecondsLeft(expiration: string, now: Date): number {
  return Math.floor(Date.parse(expiration) / 1000) - Math.floor(now.getTime() / 1000);
}

export function formatSeconds(seconds: number, style: 'long' | 'short' = 'long'): string {
  const long = style === 'long';
  if (seconds <= 0) return 'expired';
  if (seconds < 60) return long ? 'under 1 min' : '<1m';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return long ? `${minutes} min` : `${minutes}m`;
  const h = Math.floor(minutes / 60);
  const mm = String(minutes % 60).padStart(2, '0');
  return long ? `${h} h ${mm} min` : `${h}h${mm}m`;
}

/** "14:05" in local time, with the seconds when under a minute is left, and the date when more than a day is. */
function clock(expiration: string, now: Date): string {
  const at = new Date(expiration);
  const two = (n: number) => String(n).padStart(2, '0');
  const left = wholeSecondsLeft(expiration, now);
  const date = left > 86_400 ? `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ` : '';
  return `${date}${two(at.getHours())}:${two(at.getMinutes())}${left > 0 && left < 60 ? `:${two(at.getSeconds())}` : ''}`;
}

/** "until 14:05 (59 min)", or "expired at 14:05": for one-line notes. */
export function until(expiration: string, now: Date): string {
  const left = formatLeft(expiration, now);
  return left === 'expired' ? `expired at ${clock(expiration, now)}` : `until ${clock(expiration, now)} (${left})`;
}

/** "valid until 14:05 (59 min left)", or "expired at 14:05": for status. */
export function describeExpiry(expiration: string, now: Date): string {
  const left = formatLeft(expiration, now);
  return left === 'expired' ? `expired at ${clock(expiration, now)}` : `valid until ${clock(expiration, now)} (${left} left)`;
}

/** 2026-11-30T20:00:00Z: RFC 3339 in UTC as AWS writes it, whole seconds; undefined for a time that is no time. */
export function rfc3339(time: string | Date): string | undefined {
  const t = time instanceof Date ? time : new Date(time);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
