// A real pseudo-terminal for tests, through util-linux `script`: the command
// runs with a controlling terminal (/dev/tty works, echo and raw mode are
// real), and the test types into it only after the expected text appeared,
// as a person would.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { posixQuote as quote } from './helpers.ts';

export interface Pty {
  /** Everything the terminal showed so far (CR LF as the terminal sent it). */
  readonly output: string;
  /** Wait until the screen shows a match after `from` (an index into output). */
  waitFor(pattern: RegExp | string, opts?: { timeoutMs?: number; from?: number }): Promise<void>;
  /** Type text (use \r for Enter, \x03 for Ctrl-C, \x04 for Ctrl-D). */
  type(text: string): void;
  /** Resolves with the exit status of the command (script -e passes it through). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  /** pid of `script` itself. */
  pid: number | undefined;
}


/** Run argv inside a new pseudo-terminal. */
export function spawnPty(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Pty {
  // script(1) runs the command with $SHELL -c: make that /bin/sh, which the
  // POSIX quoting above is for, and give the command its own SHELL back.
  const env: NodeJS.ProcessEnv = { TERM: 'dumb', ...(opts.env ?? process.env) };
  const shell = env.SHELL === undefined ? ['-u', 'SHELL'] : [`SHELL=${env.SHELL}`];
  const command = ['exec', 'env', ...shell, ...argv].map(quote).join(' ');
  const child: ChildProcessWithoutNullStreams = spawn('script', ['-q', '-e', '-f', '-c', command, '/dev/null'], {
    env: { ...env, SHELL: '/bin/sh' },
    cwd: opts.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d.toString('utf8');
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.stdin.on('error', () => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    });
  });
  let closed = false;
  void exited.then(() => (closed = true));
  return {
    get output() {
      return output;
    },
    pid: child.pid,
    exited,
    type(text) {
      child.stdin.write(text);
    },
    kill(signal = 'SIGTERM') {
      child.kill(signal);
    },
    waitFor(pattern, { timeoutMs = 15_000, from = 0 } = {}) {
      const matches = () => {
        const screen = output.slice(from);
        return typeof pattern === 'string' ? screen.includes(pattern) : pattern.test(screen);
      };
      return new Promise<void>((resolve, reject) => {
        if (matches()) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${String(pattern)}; the terminal showed:\n${output.slice(from)}`));
        }, timeoutMs);
        const check = () => {
          if (matches()) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (closed) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`the command ended before ${String(pattern)} appeared; the terminal showed:\n${output.slice(from)}`));
          }
        };
        waiters.add(check);
      });
    },
  };
}
