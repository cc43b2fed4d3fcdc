// Checks every renderer runs before it quotes anything. The names are
// constants today, but a name is written unquoted into shell code, so it is
// checked anyway; a NUL byte cannot live in an environment variable (C strings
// end there) and no shell can be handed one inside a quoted word.
import type { EnvOp } from '../env-ops.ts';
import { ExitCode, KopsMfaError } from '../errors.ts';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkOp(op: EnvOp): void {
  if (!NAME.test(op.name)) {
    throw new KopsMfaError(`cannot export ${JSON.stringify(op.name)}: not a valid variable name`, ExitCode.general);
  }
  if (op.op === 'set' && op.value.includes('\0')) {
    throw new KopsMfaError(`cannot export ${op.name}: the value contains a NUL byte`, ExitCode.general);
  }
}

/** Check all operations first, so a bad one renders nothing at all. */
export function renderWith(ops: readonly EnvOp[], line: (op: EnvOp) => string): string {
  for (const op of ops) checkOp(op);
  return ops.map((op) => line(op) + '\n').join('');
}
