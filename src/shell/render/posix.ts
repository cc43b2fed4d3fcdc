// bash, zsh, dash, ksh: `eval "$(kops-mfa env)"`.
//
// Inside POSIX single quotes every byte is literal and nothing ends the word
// but the next `'`, so a value is written as one single-quoted word with each
// `'` written `'\''` (close, an escaped quote, reopen). No backslash forms,
// no $'…' (not in dash), no double quotes (they expand $, ` and \).
// zsh's RC_QUOTES option (`''` inside quotes) cannot see a `''` pair in this
// form: every `'\''` starts by closing the word.
import type { EnvOp } from '../env-ops.ts';
import { renderWith } from './validate.ts';

function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export function render(ops: readonly EnvOp[]): string {
  return renderWith(ops, (op) => (op.op === 'set' ? `export ${op.name}=${quote(op.value)}` : `unset ${op.name}`));
}
