// The MFA prompt, on the terminal and never on stdout (the shell captures
// stdout with $(…)). POSIX: /dev/tty in canonical mode with echo off, one
// read(2) for one line, so typeahead stays for the shell; Ctrl-C ends the
// line (kops-mfa alone sees it, exit 130). Windows, or no controlling
// terminal: the console through stdin and stderr in raw mode. The reasons
// are in docs/decisions/prompt-on-dev-tty.md.
import { cancelled, mfaError } from '../errors.js';
import { currentTerminalPlatform, type ConsoleStreams, type TerminalPlatform, type TtyDevice } from './tty.js';
import { printable } from '../printable.js';

export type Prompt = (message: string) => Promise<string>;

export const NO_TERMINAL =
  'no terminal to ask for the MFA code: pass --token-code CODE, or set mfa_process';
const NO_CODE = 'no code entered (end of input at the MFA prompt)';

/** How often the terminal is asked for a line: Enter shows within this long; each ask is one read(2). */
const POLL_MS = 20;

/** stty settings while asking: no echo; Ctrl-C is not an interrupt but ends the line. */
const ASKING = ['-echo', 'intr', 'undef', 'eol', '^C'];
const CTRL_C = '\x03';
const LOST_TYPEAHEAD =
  'kops-mfa: what you typed after the code, before this prompt appeared, was read with it and is gone: type it again\n';

/**
 * The answer in what one read(2) of the terminal returned, and whether more
 * was typed after it. Usually that is one line. But keys typed before the
 * prompt appeared arrived while the shell's line editor had the terminal in
 * raw mode (Enter as CR, not turned into a newline), and when the terminal
 * goes back to canonical mode Linux hands everything pending over as one
 * line: the code, then whatever came after it. The code is the first line;
 * the rest was read and cannot be given back (no TIOCSTI on current Linux).
 */
function firstLine(chunk: string): { line: string; lost: boolean } {
  const [line = '', ...rest] = chunk.split(/\r\n?|\n/);
  return { line, lost: rest.some((l) => l.trim() !== '') };
}

/** The prompt of the platform kops-mfa runs on. */
export const terminalPrompt: Prompt = (message) => createPrompt(currentTerminalPlatform())(message);

/**
 * Ask once, echo off; the answer without its line end, trimmed.
 * Ctrl-C: cancelled (exit 130). End of input: an error, not a hang.
 */
export function createPrompt(platform: TerminalPlatform): Prompt {
  return async (message) => {
    // The message holds an MFA serial from a config file: no escape sequences from it.
    const shown = `${printable(message.trim())} `;
    const tty = platform.openTerminal();
    if (tty) return (await askTerminal(tty, shown, platform)).trim();
    const con = platform.console();
    if (con) return (await askConsole(con, shown, platform)).trim();
    throw mfaError(NO_TERMINAL);
  };
}

/** Listeners for the time of one prompt. */
function listen(handlers: [NodeJS.Signals, () => void][]): () => void {
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}

/**
 * Node ignores SIGPIPE and SIGXFSZ; a prompt listens to them, and once the
 * last listener goes libuv leaves them at their default action (death).
 * A listener that does nothing keeps them ignored after the prompt.
 */
let keptIgnored = false;
function keepIgnored(platform: TerminalPlatform): void {
  if (keptIgnored) return;
  keptIgnored = true;
  for (const s of platform.ignoredByNode) process.on(s, () => {});
}

function askTerminal(tty: TtyDevice, shown: string, platform: TerminalPlatform): Promise<string> {
  let saved: string;
  try {
    saved = tty.modes();
    tty.setModes(...ASKING);
  } catch (e) {
    tty.close();
    throw mfaError(`cannot turn the terminal's echo off (${(e as Error).message}): pass --token-code CODE, or set mfa_process in the profile`);
  }
  keepIgnored(platform);
  return new Promise((resolve, reject) => {
    const buffer = Buffer.alloc(4096);
    let timer: NodeJS.Timeout | undefined;
    let open = true;
    const restore = () => {
      try {
        tty.setModes(saved);
      } catch {
        // The terminal hung up: there is nothing left to restore.
      }
      // Echo was off, so Enter (or ^C) left the cursor after the prompt.
      tty.write('\n');
    };
    const close = (note?: string) => {
      open = false;
      clearTimeout(timer);
      unlisten();
      restore();
      if (note) tty.write(note);
      tty.close();
    };
    const fail = (error: Error) => {
      if (!open) return;
      close();
      reject(error);
    };
    const handlers: [NodeJS.Signals, () => void][] = [
      // kill -INT: cancelled, as Ctrl-C is.
      ['SIGINT', () => fail(cancelled())],
      ...platform.fatalSignals.map((s): [NodeJS.Signals, () => void] => [
        s,
        () => {
          if (open) close();
          platform.dieBy(s);
        },
      ]),
    ];
    const job = platform.jobControl;
    if (job) {
      handlers.push(
        // Ctrl-Z: give the shell its terminal back as it was, then stop as the default action would.
        [job.stop, () => {
          if (!open) return;
          restore();
          platform.stopSelf();
        }],
        // fg (or any continue, after a stop by SIGSTOP or SIGTTIN too): echo off again, and ask again.
        [job.resume, () => {
          if (!open) return;
          try {
            tty.setModes(...ASKING);
          } catch (e) {
            fail(mfaError(`cannot turn the terminal's echo off (${(e as Error).message})`));
            return;
          }
          tty.write(shown);
        }],
      );
    }
    const unlisten = listen(handlers);
    const poll = () => {
      if (!open) return;
      let n: number | 'wait';
      try {
        n = tty.read(buffer);
      } catch (e) {
        fail(mfaError(`cannot read the terminal (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`));
        return;
      }
      if (n === 'wait') {
        timer = setTimeout(poll, POLL_MS);
      } else if (n === 0) {
        fail(mfaError(NO_CODE));
      } else {
        const chunk = buffer.toString('utf8', 0, n);
        if (chunk.includes(CTRL_C)) {
          fail(cancelled());
        } else {
          const { line, lost } = firstLine(chunk);
          close(lost ? LOST_TYPEAHEAD : undefined);
          resolve(line);
        }
      }
    };
    tty.write(shown);
    poll();
  });
}

/** The console through stdin and stderr, in raw mode, with the `read` package (see the top of this file). */
async function askConsole(con: ConsoleStreams, shown: string, platform: TerminalPlatform): Promise<string> {
  const { read } = await import('read');
  const { input, output } = con;
  let open = true;
  const restore = () => {
    open = false;
    if (input.isTTY) input.setRawMode(false);
    input.pause();
    // Echo was off, so Enter (or Ctrl-C) left the cursor after the prompt.
    output.write('\n');
  };
  let unlisten = () => {};
  let onData: ((chunk: Buffer | string) => void) | undefined;
  try {
    const ended = new Promise<never>((_, reject) => {
      const end = () => reject(mfaError(NO_CODE));
      // In raw mode Ctrl-D arrives as a byte; readline then closes quietly and
      // read() would never settle.
      onData = (chunk) => {
        if (platform.endOfInputKeys.some((k) => chunk.includes(k))) end();
      };
      input.on('data', onData);
      unlisten = listen([
        // kill -INT (Ctrl-C itself is a byte in raw mode, and read() rejects with 'canceled').
        ['SIGINT', () => reject(cancelled())],
        ...platform.fatalSignals.map((s): [NodeJS.Signals, () => void] => [
          s,
          () => {
            if (open) restore();
            platform.dieBy(s);
          },
        ]),
      ]);
    });
    const answer = read({ prompt: shown, silent: true, replace: '', input, output, terminal: true });
    return await Promise.race([answer, ended]);
  } catch (e) {
    if (e instanceof Error && e.message === 'canceled') throw cancelled();
    throw e;
  } finally {
    unlisten();
    if (onData) input.removeListener('data', onData);
    if (open) restore();
  }
}
