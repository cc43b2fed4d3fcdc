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
// well as LF, so a CR would come back as a newline. So a value of printable
// ASCII is one literal, with ' doubled (the other four quotes are not ASCII);
// any other value is written as its UTF-16 units, joined:
//   (-join [char[]](0x0061,0x000D,0x00E9))
// One flat array, whatever the length: a chain of 'a' + [char]0x… terms grows
// one level of PowerShell's syntax tree per character and took seconds for a
// few thousand. Casts to [char[]] and -join are allowed in ConstrainedLanguage.
//
// The guard, the first statement, runs a script block that returns. bash, zsh, dash
// and fish all stop at a line that starts with `&`, before they run anything.
import type { EnvOp } from '../env-ops.ts';
import { renderWith } from './validate.ts';

/** Printable ASCII: the only characters written inside a literal. */
const PLAIN_VALUE = /^[\x20-\x7e]*$/;

function quote(value: string): string {
  if (PLAIN_VALUE.test(value)) return `'${value.replaceAll("'", "''")}'`;
  // One flat array of UTF-16 units, joined: no chain of + that grows with the value.
  const units = Array.from({ length: value.length }, (_, i) => `0x${value.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`);
  return `(-join [char[]](${units.join(',')}))`;
}

export const GUARD = '& { return }';

export function render(ops: readonly EnvOp[]): string {
  return renderWith(ops, GUARD, (op) =>
    op.op === 'set'
      ? `$env:${op.name} = ${quote(op.value)}`
      : `Remove-Item Env:${op.name} -ErrorAction SilentlyContinue`,
  );
}
