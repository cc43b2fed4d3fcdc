// A child process whose stdout is its answer: run to its end, or killed at a
// deadline, or when it prints more than a limit. One place for the keyring's
// child and credential_process.
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

type Ended = { out: string; code: number | null; signal: NodeJS.Signals | null; tooMuch: boolean } | 'timeout' | Error;

/** Collect the child's stdout until it closes; SIGKILL at `timeoutMs`, or past `maxChars` (then tooMuch). */
export function childOutput(child: ChildProcessByStdio<Writable | null, Readable, null>, timeoutMs: number, maxChars = Infinity): Promise<Ended> {
  let out = '';
  let tooMuch = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => {
    out += c;
    if (out.length > maxChars && !tooMuch) {
      tooMuch = true;
      child.kill('SIGKILL');
    }
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('timeout');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ out, code, signal, tooMuch });
    });
  });
}
