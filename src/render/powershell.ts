// PowerShell: `kops-mfa env --shell powershell | Out-String | Invoke-Expression`.
//
// Threat model: the values (session token, key id, expiration, profile) come
// from the network (AWS STS) or from config files, and the output is run as
// code. A value must never end its literal early, whatever it holds.
//
// A verbatim ('…') string in PowerShell expands nothing ($, `, " are literal);
// the only way out is a single-quote character, and PowerShell's tokenizer
// counts five of them as such: ' U+2018 U+2019 U+201A U+201B (the language
// spec's single-quote-character). Two in a row stand for one. So each of the
// five is doubled; doubling only the ASCII ' would let ’ close the string.
import type { EnvOp } from '../env-ops.ts';
import { renderWith } from './validate.ts';

/** The characters PowerShell's tokenizer reads as a single quote. */
export const SINGLE_QUOTES = ["'", '\u2018', '\u2019', '\u201A', '\u201B'] as const;

const QUOTE_CHARS = /['\u2018\u2019\u201A\u201B]/g;

export function quote(value: string): string {
  return `'${value.replace(QUOTE_CHARS, (c) => c + c)}'`;
}

export function render(ops: readonly EnvOp[]): string {
  return renderWith(ops, (op) =>
    op.op === 'set'
      ? `$env:${op.name} = ${quote(op.value)}`
      : `Remove-Item Env:${op.name} -ErrorAction SilentlyContinue`,
  );
}
