// The rest of kops-mfa (dist/main.cjs): every command, with the terminal's
// prompt. The entry loads it when the cached env declines.
import type { BaseContext } from '../context.js';
import { main } from './main.js';
import { terminalPrompt } from '../session/prompt.js';

export function runCli(argv: readonly string[], io: BaseContext): Promise<number> {
  return main(argv, { ...io, prompt: terminalPrompt });
}
