// The MFA prompt. It talks to the terminal, never to stdout, so it works while
// the shell captures stdout with $(…) or a pipe. The code is read with echo off.
//
// node:tty and read (with node:readline) are imported only when a prompt is
// shown: every run loads this module, and a cached login never asks.
import { openSync, closeSync } from 'node:fs';
import type tty from 'node:tty';
import { cancelled, mfaError } from './errors.js';

export type Prompt = (message: string) => Promise<string>;

interface Terminal {
  input: tty.ReadStream | NodeJS.ReadStream;
  output: tty.WriteStream | NodeJS.WriteStream;
  close(): void;
}

export const NO_TERMINAL =
  'no terminal to ask for the MFA code: pass --token-code CODE, or set mfa_process in the profile';

/** /dev/tty when there is a controlling terminal; else stdin and stderr when both are terminals. */
async function openTerminal(): Promise<Terminal> {
  // getBuiltinModule: no ES module loader start-up for a CommonJS bundle.
  const { ReadStream, WriteStream } = process.getBuiltinModule('node:tty');
  let inFd: number | undefined;
  let outFd: number | undefined;
  try {
    inFd = openSync('/dev/tty', 'r');
    outFd = openSync('/dev/tty', 'w');
    const input = new ReadStream(inFd);
    const output = new WriteStream(outFd);
    return {
      input,
      output,
      close() {
        input.setRawMode(false);
        input.destroy();
        output.destroy();
      },
    };
  } catch {
    // ENXIO (no controlling terminal) or ENOENT (Windows): fall through.
    if (inFd !== undefined) closeSync(inFd);
    if (outFd !== undefined) closeSync(outFd);
  }
  if (process.stdin.isTTY && process.stderr.isTTY) {
    return {
      input: process.stdin,
      output: process.stderr,
      close() {
        process.stdin.setRawMode(false);
        process.stdin.pause();
      },
    };
  }
  throw mfaError(NO_TERMINAL);
}

/** Ask once, echo off. Ctrl-C: cancelled (exit 130). End of input: an error, not a hang. */
export const terminalPrompt: Prompt = async (message) => {
  const { read } = await import('read');
  const term = await openTerminal();
  const restore = () => term.close();
  // A signal while the terminal is raw must not leave it without echo.
  const onSignal = (signal: NodeJS.Signals) => {
    term.output.write('\n');
    restore();
    process.kill(process.pid, signal);
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];
  for (const s of signals) process.once(s, onSignal);
  let onEnd: (() => void) | undefined;
  let onData: ((chunk: Buffer | string) => void) | undefined;
  try {
    const ended = new Promise<never>((_, reject) => {
      onEnd = () => reject(mfaError('no code entered (end of input at the MFA prompt)'));
      term.input.once('end', onEnd);
      term.input.once('close', onEnd);
      // In raw mode Ctrl-D arrives as a byte; readline then closes quietly and
      // read() would never settle.
      onData = (chunk: Buffer | string) => {
        if (chunk.includes('\x04')) onEnd?.();
      };
      term.input.on('data', onData);
    });
    const answer = read({ prompt: message, silent: true, replace: '', input: term.input, output: term.output, terminal: true });
    return (await Promise.race([answer, ended])).trim();
  } catch (e) {
    if (e instanceof Error && e.message === 'canceled') throw cancelled();
    throw e;
  } finally {
    for (const s of signals) process.removeListener(s, onSignal);
    if (onEnd) {
      term.input.removeListener('end', onEnd);
      term.input.removeListener('close', onEnd);
    }
    if (onData) term.input.removeListener('data', onData);
    // Echo was off, so Enter (or Ctrl-C) left the cursor after the prompt.
    term.output.write('\n');
    restore();
  }
};
