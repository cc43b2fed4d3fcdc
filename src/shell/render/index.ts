// Rendering of environment operations as statements the user's shell
// evaluates. Each shell module owns its quoting and its guard line: the
// first statement, a no-op in its own shell and a syntax error in the others,
// so that output given to the wrong shell is rejected before any of it runs.
import type { EnvOp } from '../env-ops.ts';
import type { ShellName } from '../shells.ts';
import * as fish from './fish.ts';
import * as posix from './posix.ts';
import * as powershell from './powershell.ts';

export { detectShell, parseShellName, SHELLS, type ShellName } from '../shells.ts';

const RENDERERS: Record<ShellName, (ops: readonly EnvOp[]) => string> = {
  bash: posix.render,
  zsh: posix.render,
  sh: posix.render,
  fish: fish.render,
  powershell: powershell.render,
};

/** Statements for `shell`, one per line, ending in a newline. */
export function render(shell: ShellName, ops: readonly EnvOp[]): string {
  return RENDERERS[shell](ops);
}
