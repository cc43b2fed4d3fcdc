// fish: `kops-mfa env --shell fish | source`.
//
// Inside fish single quotes the only escapes are `\\` and `\'`; every other
// character, newlines included, is literal. So a value is one single-quoted
// word with `\` and `'` backslash-escaped. `set` stops reading options at
// NAME, so a value like `-e` or `--erase` is a value, not an option.
//
// Unset: `set -e` of a variable that is not set prints nothing but returns
// status 4, and as the last statement that would become the status of
// `… | source`. The guard keeps the status 0. Only the global is erased, the
// scope `set -gx` writes; a universal variable of the same name (set -U) is
// left alone, since erasing it would change every fish session, now and later.
// The guard, the first statement, is a no-op here (`true` with one argument,
// then an empty statement). bash, zsh and dash stop at `;;` before they run
// anything; PowerShell reads `"\"` as a string and `<#` as a comment that
// runs to the end of the text, so it parses no value. `#>` in a value would
// close that comment: it is written `#'\>'` (close, an escaped >, reopen).
import type { EnvOp } from '../env-ops.ts';
import { renderWith } from './validate.ts';

export function quote(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => '\\' + c).replaceAll('#>', `#'\\>'`)}'`;
}

export const GUARD = 'true "\\" <#";;';

export function render(ops: readonly EnvOp[]): string {
  return renderWith(ops, GUARD, (op) =>
    op.op === 'set'
      ? `set -gx ${op.name} ${quote(op.value)}`
      : `if set -q -g ${op.name}; set -e -g ${op.name}; end`,
  );
}
