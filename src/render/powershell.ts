// PowerShell: `kops-mfa env --shell powershell | Out-String | Invoke-Expression`.
//
// Threat model: the values (session token, key id, expiration, profile) come
// from the network (AWS STS) or from config files, and the output is run as
// code. A value must never end its literal early, whatever it holds, and
// must arrive whole whatever the console's encoding.
//
// A verbatim ('…') string in PowerShell expands nothing ($, `, " are literal);
// the only way out is a single-quote character, and PowerShell's tokenizer
// counts five of them as such: ' U+2018 U+2019 U+201A U+201B (the language
// spec's single-quote-character). Two in a row stand for one.
//
// The statements are ASCII only. PowerShell decodes a native command's output
// with [Console]::OutputEncoding: under Windows-1252 (the ISE, `chcp 1252`)
// the UTF-8 bytes 0x82, 0x91 and 0x92 of any non-ASCII value read as ‚ ‘ ’,
// which end a literal early; and it splits that output into lines at CR as
// well as LF, so a CR would come back as a newline. So every character that
// is not printable ASCII, CR and LF included, is written outside the literal
// as [char]0xNNNN (a UTF-16 unit; an astral character is two), joined with +
// to literals of the rest. The expression starts with a literal, so + joins
// strings (a [char] + [char] would add numbers). Only ASCII ' is left to
// double inside a literal.
import type { EnvOp } from '../env-ops.ts';
import { renderWith } from './validate.ts';

/** The characters PowerShell's tokenizer reads as a single quote. */
export const SINGLE_QUOTES = ["'", '\u2018', '\u2019', '\u201A', '\u201B'] as const;

/** Printable ASCII: the only characters written inside a literal. */
const PLAIN = /^[\x20-\x7e]$/;

export function quote(value: string): string {
  const parts: string[] = [];
  let literal = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (PLAIN.test(c)) {
      literal += c === "'" ? "''" : c;
      continue;
    }
    if (literal !== '' || parts.length === 0) parts.push(`'${literal}'`);
    literal = '';
    parts.push(`[char]0x${value.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`);
  }
  if (literal !== '' || parts.length === 0) parts.push(`'${literal}'`);
  return parts.join(' + ');
}

export function render(ops: readonly EnvOp[]): string {
  return renderWith(ops, (op) =>
    op.op === 'set'
      ? `$env:${op.name} = ${quote(op.value)}`
      : `Remove-Item Env:${op.name} -ErrorAction SilentlyContinue`,
  );
}
