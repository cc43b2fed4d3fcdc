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
  const ms = at.getTime() - now.getTime();
  const two = (n: number) => String(n).padStart(2, '0');
  const hhmm = `${two(at.getHours())}:${two(at.getMinutes())}`;
  if (ms <= 0) return `expired at ${hhmm}`;
  if (ms < 60_000) return `valid until ${hhmm}:${two(at.getSeconds())} (under a minute left)`;
  const minutes = Math.floor(ms / 60_000);
  const left = minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `valid until ${hhmm} (${left} left)`;
}

/** 2026-11-30T20:00:00Z: RFC 3339 in UTC as AWS writes it, whole seconds; undefined for a time that is no time. */
export function rfc3339(time: string | Date): string | undefined {
  const t = time instanceof Date ? time : new Date(time);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
