// What every command needs from the outside world, injected so tests and the
// demo can swap the clock, the prompt or stdout without touching the commands.
import type { Prompt } from './session/prompt.js';

/** Everything but the prompt: all that runs before a code could be asked for (the entry, the cached env). */
export interface BaseContext {
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** A line for the user on stderr, prefixed "kops-mfa: ". */
  note: (message: string) => void;
  /** --debug / KOPS_MFA_DEBUG only; never given a secret. */
  debug: (message: string) => void;
  /** The one write of a command's output; rejects when it could not be written. */
  stdout: (text: string) => Promise<void>;
  /** Whether stdout is a terminal: statements printed there would be secrets in the scrollback that change nothing. Absent: not a terminal. */
  stdoutIsTerminal?: () => boolean;
}

export interface Context extends BaseContext {
  prompt: Prompt;
}

/** What a command hands back: text for stdout (written once, by main), and the exit code. */
export interface Outcome {
  stdout?: string;
  code?: number;
}
