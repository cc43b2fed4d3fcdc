// What every command needs from the outside world, injected so tests and the
// demo can swap the clock or the prompt without touching the commands.
import type { Prompt } from './prompt.js';

export interface Context {
  env: NodeJS.ProcessEnv;
  now: () => Date;
  prompt: Prompt;
  /** A line for the user on stderr, prefixed "kops-mfa: ". */
  note: (message: string) => void;
  /** --debug / KOPS_MFA_DEBUG only; never given a secret. */
  debug: (message: string) => void;
}

/** "14:05" in local time, and minutes left, for notes. */
export function describeExpiry(expiration: string, now: Date): string {
  const at = new Date(expiration);
  const minutes = Math.floor((at.getTime() - now.getTime()) / 60_000);
  const hhmm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  return minutes <= 0 ? `expired at ${hhmm}` : `valid until ${hhmm} (${minutes} min left)`;
}
