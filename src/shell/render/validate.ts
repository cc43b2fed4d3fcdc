// Checks every renderer runs before it quotes anything, and the header line
// every statement output starts with. A name is written unquoted into shell
// code, so it is checked although the names are constants; a value the OS
// could not pass to a child (a NUL byte, over 128 KiB) is refused.
import type { EnvOp } from '../env-ops.ts';
import { envValueProblem } from '../../env-limits.ts';
import { ExitCode, KopsMfaError } from '../../errors.ts';

/** The first line of every statement output: the snippets evaluate nothing that lacks it. */
export const HEADER = '# kops-mfa statements v1';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkOp(op: EnvOp): void {
  if (!NAME.test(op.name)) {
    throw new KopsMfaError(`cannot export ${JSON.stringify(op.name)}: not a valid variable name`, ExitCode.general);
  }
  const problem = op.op === 'set' ? envValueProblem(op.name, op.value) : undefined;
  if (problem) throw new KopsMfaError(`cannot export ${op.name}: ${problem}`, ExitCode.general);
}

/**
 * Check all operations first, so a bad one renders nothing at all. The header,
 * then the shell's guard line, then one line per operation; with no
 * operations, the header alone (nothing to guard).
 */
export function renderWith(ops: readonly EnvOp[], guard: string, line: (op: EnvOp) => string): string {
  for (const op of ops) checkOp(op);
  const lines = ops.length === 0 ? [HEADER] : [HEADER, guard, ...ops.map(line)];
  return lines.map((l) => `${l}\n`).join('');
}
