// The terminal the MFA prompt talks to, and the signals around it, per OS.
//
// POSIX (Linux, macOS, the BSDs): a controlling terminal at /dev/tty whose
// modes stty(1) sets; job control (Ctrl-Z sends SIGTSTP, `fg` SIGCONT); many
// signals whose default action ends the process.
//
// Windows: no /dev/tty and no stty: the console is stdin (input) and stderr
// (output), read through Node's raw console mode. No job control. Of the
// signals only SIGINT (Ctrl-C), SIGBREAK (Ctrl-Break) and SIGHUP (the console
// window is closed) ever reach a process, and process.on() throws ENOSYS for
// most others, SIGUSR1 included.
//
// A signal whose default action dumps core (Ctrl-\ is SIGQUIT) is never
// raised again: the core file would hold the long-term secret. kops-mfa exits
// with 128+n instead (docs/decisions/no-core-dumps.md).
import { closeSync, constants as fsc, openSync, readSync, writeSync } from 'node:fs';
import type { Platform } from '../platform.js';

/** The controlling terminal, open for one prompt (POSIX only). */
export interface TtyDevice {
  /**
   * One read(2) of the terminal, which does not block: the number of bytes
   * (one line at most, since the terminal stays in canonical mode; 0 at
   * end of input, Ctrl-D on an empty line), or 'wait' when no whole line
   * was typed yet.
   */
  read(buffer: Buffer): number | 'wait';
  write(text: string): void;
  /** The terminal's modes, as `stty -g` prints them. Throws when stty cannot run. */
  modes(): string;
  /** Run stty with these arguments (settings such as -echo, or what modes() gave). Throws when stty fails. */
  setModes(...args: string[]): void;
  close(): void;
}

/** The console as stdin and stderr, when both are terminals. */
export interface ConsoleStreams {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

/** What the MFA prompt needs from the OS: its terminal, its signals. */
export interface TerminalPlatform {
  readonly os: Platform;
  /** The controlling terminal, or undefined: always on Windows, and on POSIX when there is none (ENXIO). */
  openTerminal(): TtyDevice | undefined;
  /** stdin and stderr when both are terminals, else undefined. */
  console(): ConsoleStreams | undefined;
  /**
   * Signals that end the process by default and that a listener can catch
   * here: a prompt restores the terminal on each, then dies by it. SIGINT is
   * not among them (it cancels the prompt), nor are the synchronous faults
   * (SIGSEGV, SIGBUS, SIGFPE, SIGILL), which no JavaScript listener may take.
   */
  readonly fatalSignals: readonly NodeJS.Signals[];
  /** Signals Node ignores from the start (so that writes fail with EPIPE or EFBIG instead). */
  readonly ignoredByNode: readonly NodeJS.Signals[];
  /** Job control: the stop signal a terminal sends for Ctrl-Z, and the one `fg` sends; none on Windows. */
  readonly jobControl: { stop: NodeJS.Signals; resume: NodeJS.Signals } | undefined;
  /** Raw console bytes that mean end of input at an empty prompt. */
  readonly endOfInputKeys: readonly string[];
  /** End the process as the signal's default action would. */
  dieBy(signal: NodeJS.Signals): never;
  /** Stop the process as Ctrl-Z's default action would; returns once it is continued. */
  stopSelf(): void;
}

// Default action "terminate" or "core" on Linux, minus SIGINT, SIGKILL and the
// synchronous faults. Aliases (SIGIOT, SIGPOLL) are left out: one listener per number.
const LINUX_FATAL: NodeJS.Signals[] = [
  'SIGHUP', 'SIGQUIT', 'SIGTRAP', 'SIGABRT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM',
  'SIGSTKFLT', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGPWR', 'SIGSYS',
];
// macOS and the BSDs: SIGEMT exists and terminates; SIGIO is ignored by default; no SIGSTKFLT or SIGPWR.
const BSD_FATAL: NodeJS.Signals[] = [
  'SIGHUP', 'SIGQUIT', 'SIGTRAP', 'SIGABRT', 'SIGEMT' as NodeJS.Signals, 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM',
  'SIGTERM', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGSYS',
];
// The numbers Windows gives these signals (Node's os.constants.signals there).
const WINDOWS_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGBREAK: 21 };

function openTty(): TtyDevice | undefined {
  let readFd: number | undefined;
  let writeFd: number | undefined;
  try {
    // Reads do not block: a read pending in libuv's thread pool would keep
    // process.exit() from returning until a line came (Ctrl-C then
    // hung). Our own open file description, so the shell's is not touched.
    readFd = openSync('/dev/tty', fsc.O_RDONLY | fsc.O_NONBLOCK);
    writeFd = openSync('/dev/tty', fsc.O_WRONLY);
  } catch {
    // ENXIO: no controlling terminal.
    if (readFd !== undefined) closeSync(readFd);
    return undefined;
  }
  const r = readFd;
  const w = writeFd;
  const stty = (args: string[]) => {
    // Loaded here: only a prompt needs it. stty works on its stdin, the terminal.
    const { spawnSync } = process.getBuiltinModule('node:child_process');
    const out = spawnSync('stty', args, { stdio: [w, 'pipe', 'pipe'], encoding: 'utf8' });
    if (out.error) throw new Error(`stty: ${(out.error as NodeJS.ErrnoException).code ?? out.error.message}`);
    if (out.status !== 0) throw new Error(`stty ${args.join(' ')}: ${out.stderr.trim() || `exit status ${out.status}`}`);
    return out.stdout.trim();
  };
  return {
    read(buffer) {
      try {
        return readSync(r, buffer, 0, buffer.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') return 'wait';
        throw e;
      }
    },
    write(text) {
      try {
        writeSync(w, text);
      } catch {
        // The terminal went away (hung up): nothing to show it to.
      }
    },
    modes: () => stty(['-g']),
    setModes: (...args) => void stty(args),
    close() {
      closeSync(r);
      closeSync(w);
    },
  };
}

function stdConsole(): ConsoleStreams | undefined {
  return process.stdin.isTTY && process.stderr.isTTY ? { input: process.stdin, output: process.stderr } : undefined;
}

/** Signals whose default action writes a core file (with everything in memory), on Linux and the BSDs. */
const CORE_SIGNALS: readonly NodeJS.Signals[] = ['SIGQUIT', 'SIGTRAP', 'SIGABRT', 'SIGSYS', 'SIGXCPU', 'SIGXFSZ', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGSEGV', 'SIGEMT' as NodeJS.Signals];

/** The exit status a shell shows for death by `signal`: 128 + its number. */
function statusOf(signal: NodeJS.Signals): number {
  return 128 + (process.getBuiltinModule('node:os').constants.signals[signal] ?? 0);
}

/**
 * End the process as the signal's default action would, without a core dump:
 * a terminating signal is raised again (the parent sees the signal); one that
 * would dump core ends the process with status 128+n.
 */
function dieBySignal(signal: NodeJS.Signals): never {
  if (CORE_SIGNALS.includes(signal)) process.exit(statusOf(signal));
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Not reached for a signal that terminates; a safe end all the same.
  process.exit(statusOf(signal));
}

/**
 * For the whole run: a signal that would dump core (Ctrl-\ anywhere, not only
 * at the prompt) ends kops-mfa with 128+n instead, unless another listener
 * (the prompt, exec passing it on to its command) takes it.
 */
export function exitWithoutCore(platform: TerminalPlatform): void {
  for (const signal of platform.fatalSignals) {
    if (!CORE_SIGNALS.includes(signal) || signal === 'SIGXFSZ') continue;
    process.on(signal, () => {
      if (process.listenerCount(signal) === 1) process.exit(statusOf(signal));
    });
  }
}

/** SIGTERM and SIGHUP while a code is out: whether they wait, and the one that came. */
interface Termination {
  deferring: boolean;
  pending?: NodeJS.Signals | undefined;
  timer?: NodeJS.Timeout | undefined;
}
let termination: Termination | undefined;

/**
 * While an MFA code is out at STS: SIGTERM and SIGHUP wait for the answer to
 * be saved (at most `graceMs`), then end the process as they would have, so
 * that a kill in that moment does not lose the session AWS issued for the
 * spent code. The returned release() ends the wait: it first lets a signal
 * that came with the answer reach its listener (one turn of the event loop),
 * then dies of a pending one. The listeners stay afterwards, acting as the
 * default action unless another listener (the prompt, exec passing the
 * signal on) takes the signal: one removed with a signal in flight would
 * lose it.
 */
export function deferTermination(platform: TerminalPlatform, graceMs: number): () => Promise<void> {
  if (!termination) {
    const state: Termination = { deferring: false };
    termination = state;
    for (const signal of platform.fatalSignals.filter((s) => s === 'SIGTERM' || s === 'SIGHUP')) {
      process.on(signal, () => {
        if (state.deferring) {
          if (state.pending) return;
          state.pending = signal;
          state.timer = setTimeout(() => platform.dieBy(signal), graceMs);
        } else if (process.listenerCount(signal) === 1) {
          platform.dieBy(signal);
        }
      });
    }
  }
  const state = termination;
  state.deferring = true;
  return async () => {
    if (!state.deferring) return;
    await new Promise((resolve) => setImmediate(resolve));
    state.deferring = false;
    clearTimeout(state.timer);
    const pending = state.pending;
    state.pending = undefined;
    if (pending) platform.dieBy(pending);
  };
}

const posix = (os: Platform, fatal: NodeJS.Signals[]): TerminalPlatform => ({
  os,
  openTerminal: openTty,
  console: stdConsole,
  fatalSignals: fatal,
  ignoredByNode: ['SIGPIPE', 'SIGXFSZ'],
  jobControl: { stop: 'SIGTSTP', resume: 'SIGCONT' },
  endOfInputKeys: ['\x04'],
  dieBy: dieBySignal,
  stopSelf: () => void process.kill(process.pid, 'SIGSTOP'),
});

/** The platform of `os`; its functions touch only what exists there. */
export function terminalPlatform(os: Platform): TerminalPlatform {
  if (os === 'win32') {
    return {
      os,
      openTerminal: () => undefined,
      console: stdConsole,
      fatalSignals: ['SIGHUP', 'SIGBREAK'],
      ignoredByNode: [],
      jobControl: undefined,
      // Ctrl-Z is Windows' end-of-input key; Ctrl-D as elsewhere.
      endOfInputKeys: ['\x04', '\x1a'],
      // No signal can be raised again there: exit with the status a POSIX shell would show.
      dieBy: (signal) => process.exit(128 + (WINDOWS_NUMBERS[signal] ?? 0)),
      stopSelf: () => {},
    };
  }
  return posix(os, os === 'linux' || os === 'android' ? LINUX_FATAL : BSD_FATAL);
}

let current: TerminalPlatform | undefined;
/** The terminal platform kops-mfa runs on. */
export function currentTerminalPlatform(): TerminalPlatform {
  return (current ??= terminalPlatform(process.platform));
}

