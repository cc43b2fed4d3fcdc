// stdout and stderr, written straight to their file descriptors: creating
// process.stdout or process.stderr loads node:net and node:stream, a few
// milliseconds of every start. The one write of a command's output is here.
import { fstatSync, statSync, writeSync } from 'node:fs';
import type { BaseContext, Outcome } from '../context.js';
import { printable } from '../printable.js';
import { ExitCode } from '../errors.js';

/** Write all of `text`; a pipe left non-blocking by someone else answers EAGAIN: wait a moment and go on. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(fd, bytes, done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

/** A line for the user on stderr. */
export function say(message: string): void {
  try {
    writeAll(2, `kops-mfa: ${message}\n`);
  } catch {
    // stderr is gone: nothing left to tell
  }
}

/** The one write of the output; a failure (a full disk, a closed pipe) rejects with its errno. */
export const stdout = async (text: string) => writeAll(1, text);

/**
 * A pipe or a file answers from one fstat, /dev/null from one stat more;
 * node:tty (which loads node:net) is asked only about another character
 * device.
 */
export function stdoutIsTerminal(): boolean {
  try {
    const out = fstatSync(1);
    if (!out.isCharacterDevice()) return false;
    if (process.platform !== 'win32' && out.rdev === statSync('/dev/null').rdev) return false;
    return process.getBuiltinModule('node:tty').isatty(1);
  } catch {
    return false;
  }
}

/** The one write to stdout, and the exit code. */
export async function finish(outcome: Outcome, ctx: BaseContext): Promise<number> {
  if (outcome.stdout !== undefined) {
    try {
      await ctx.stdout(outcome.stdout);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A reader that went away (`| head`) is no failure worth a line; anything else is.
      if (code !== 'EPIPE') ctx.note(`cannot write the output: ${code === 'ENOSPC' ? 'no space left on the device' : printable(String((e as Error).message))}`);
      return ExitCode.general;
    }
  }
  return outcome.code ?? ExitCode.ok;
}
