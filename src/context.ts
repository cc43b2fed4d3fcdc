// What every command needs from the outside world, injected so tests and the
// demo can swap the clock, the prompt or stdout without touching the commands.
import type { Prompt } from './session/prompt.js';

export interface Context {
  env: NodeJS.ProcessEnv;
  now: () => Date;
  prompt: Prompt;
  /** A line for the user on stderr, prefixed "kops-mfa: ". */
  note: (message: string) => void;
  /** --debug / KOPS_MFA_DEBUG only; never given a secret. */
  debug: (message: string) => void;
  /** The one write of a command's output; rejects when it could not be written. */
  stdout: (text: string) => Promise<void>;
  /** Whether stdout is a terminal: statements printed there would be secrets in the scrollback that change nothing. Absent: not a terminal. */
  stdoutIsTerminal?: () => boolean;
}

/** What a command hands back: text for stdout (written once, by main), and the exit code. */
export interface Outcome {
  stdout?: string;
  code?: number;
}
