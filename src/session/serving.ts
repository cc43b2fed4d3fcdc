// How long a session must have left to be handed to an SDK that refreshes
// on its own (credential-process, exec's endpoint).
import type { Settings } from '../settings/config.js';

/** botocore refreshes credentials with 15 minutes left: whatever serves an SDK hands out more than that when it can. */
const SERVE_MIN_SECONDS = 15 * 60;

/**
 * How many seconds a role session must have left to be served to an SDK
 * (credential-process, exec's endpoint) when a new one needs no code. The
 * 15-minute rule holds only when a session lasts long enough to serve under
 * it for as long again (30 minutes); a shorter one is served as it was
 * issued, until the usual minimum, so a fresh session is never renewed at once.
 */
export function servingMinimumSeconds(s: Settings): number {
  return servingRuleFits(s) ? Math.max(s.minRemainingSeconds, SERVE_MIN_SECONDS) : s.minRemainingSeconds;
}

/** Whether the role sessions last long enough for the 15-minute rule; if not, say so once (see servingNote). */
export function servingRuleFits(s: Settings): boolean {
  return s.durationSeconds >= 2 * SERVE_MIN_SECONDS;
}

/** The note for a duration too short for the 15-minute rule. */
export function servingNote(s: Settings): string {
  return `duration_seconds ${s.durationSeconds} is under 30 min: SDKs will call kops-mfa at each use; set ${2 * SERVE_MIN_SECONDS} or more`;
}
