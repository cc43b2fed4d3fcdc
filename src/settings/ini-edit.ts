// Edits to ~/.aws/credentials and ~/.aws/config that keep every other byte:
// take lines out of one section, replace or append one section, and write
// the result atomically (a temporary file beside it, fsync, rename), with the
// file's own permissions. `keys import` and `setup` both edit through here.
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, constants as fsc } from 'node:fs';
import { dirname, join } from 'node:path';
import { configError } from '../errors.js';
import { fsProblem } from '../fs-words.js';

/** The name in a section header line, as botocore reads it (`[ profile x ]` → `profile x`), or undefined. */
export function headerName(line: string): string | undefined {
  const m = /^\s*\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(line);
  return m ? (m[1] as string).trim() : undefined;
}

/** The text split into lines that keep their own line ends. */
export function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** [start, end) line indexes of the section named `name` (the first one; botocore merges repeats, the first holds the keys we look for). */
function sectionRange(ls: string[], name: string): [number, number] | undefined {
  const start = ls.findIndex((l) => headerName(l) === name);
  if (start === -1) return undefined;
  let end = start + 1;
  while (end < ls.length && headerName(ls[end] as string) === undefined) end++;
  return [start, end];
}

/** The key of an unindented `key = value` (or, as botocore also reads it, `key: value`) line, or undefined. */
export function keyOf(line: string): string | undefined {
  const m = /^([^=:\s#;[][^=:]*?)\s*[=:]/.exec(line);
  return m ? (m[1] as string).trim() : undefined;
}

/**
 * The text without the lines of `keys` in section `name` (all sections of
 * that name). Everything else stays byte for byte. Returns the text and how
 * many lines went.
 */
export function removeKeys(text: string, name: string, keys: readonly string[]): { text: string; removed: number } {
  const ls = lines(text);
  let inSection = false;
  let removed = 0;
  const kept = ls.filter((l) => {
    const h = headerName(l);
    if (h !== undefined) inSection = h === name;
    else if (inSection && !/^\s/.test(l)) {
      const k = keyOf(l);
      if (k !== undefined && keys.includes(k)) {
        removed++;
        return false;
      }
    }
    return true;
  });
  return { text: kept.join(''), removed };
}

/** Does a section of this name exist? */
export function hasSection(text: string, name: string): boolean {
  return sectionRange(lines(text), name) !== undefined;
}

/**
 * The text with section `name` holding `entries`: replaced in place when it
 * exists (its lines, up to the next header, give way), else appended after
 * one blank line. Values are written as they are: no inline comments, which
 * the AWS CLI would keep as part of the value.
 */
export function putSection(text: string, name: string, entries: ReadonlyArray<readonly [string, string]>): string {
  for (const [k, v] of entries) {
    if (/[\r\n]/.test(k + v) || /^\s|\s$/.test(v)) throw configError(`the value of ${k} cannot start or end with a space or hold a line break`);
  }
  const block = `[${name}]\n${entries.map(([k, v]) => `${k} = ${v}\n`).join('')}`;
  const ls = lines(text);
  const r = sectionRange(ls, name);
  if (r) {
    // The blank lines and comments at the end of the old section stay: they may introduce the next one.
    let end = r[1];
    while (end > r[0] + 1 && /^\s*(?:[#;].*)?\n?$/.test(ls[end - 1] as string)) end--;
    return [...ls.slice(0, r[0]), block, ...ls.slice(end)].join('');
  }
  if (text === '') return block;
  return `${text}${text.endsWith('\n') ? '' : '\n'}\n${block}`;
}

/** A file's text, or '' when it is not there. */
export function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    throw configError(`cannot read ${path}: ${fsProblem(e)}`);
  }
}

/**
 * Replace the file's contents atomically: a temporary file in the same
 * folder with the old file's permissions (0600 for a new one), written and
 * synced, then renamed over it. A link is followed: its target is replaced.
 * A failure leaves the old file as it was.
 */
export function writeAtomic(path: string, text: string): void {
  let target = path;
  let mode = 0o600;
  try {
    if (lstatSync(path).isSymbolicLink()) target = realpathSync(path);
    mode = statSync(target).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw configError(`cannot write ${path}: ${fsProblem(e)}`);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }
  const tmp = join(dirname(target), `.${target.slice(dirname(target).length + 1)}.kops-mfa-${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | (fsc.O_NOFOLLOW ?? 0), mode);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // not made
    }
    throw configError(`cannot write ${path}: ${fsProblem(e)}`);
  }
}
