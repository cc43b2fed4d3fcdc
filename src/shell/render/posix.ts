// bash, zsh, dash, ksh: `eval "$(kops-mfa env)"`.
//
// Inside POSIX single quotes every byte is literal and nothing ends the word
// but the next `'`, so a value is written as one single-quoted word with each
// `'` written `'\''` (close, an escaped quote, reopen). No backslash forms,
// no $'…' (not in dash), no double quotes (they expand $, ` and \).
// zsh's RC_QUOTES option (`''` inside quotes) cannot see a `''` pair in this
// form: every `'\''` starts by closing the word.
//
// The guard, the first statement, is a no-op here. fish reads the whole text
// before it runs any of it, and stops at the `if` that lacks fish's `end`.
// PowerShell reads it as an `if` without `(`, after which `"\"` is a string
// and `<#` opens a comment that runs to the end of the text, so no value is
// parsed and none is shown in the error. `#>` inside a value would close that
// comment, so it is written `#'\>'` (close, an escaped >, reopen).
import type { EnvOp } from '../env-ops.ts';
import { renderWith } from './validate.ts';

export function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`).replaceAll('#>', `#'\\>'`)}'`;
}

export const GUARD = 'if :; then : "\\" <#"; fi';

export function render(ops: readonly EnvOp[]): string {
  return renderWith(ops, GUARD, (op) => (op.op === 'set' ? `export ${op.name}=${quote(op.value)}` : `unset ${op.name}`));
}
