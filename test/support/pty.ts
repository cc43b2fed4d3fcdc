// A real pseudo-terminal for tests, through util-linux `script`: the command
// runs with a controlling terminal (/dev/tty works, echo and raw mode are
// real), and the test types into it only after the expected text appeared,
// as a person would.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { posixQuote as quote } from './helpers.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a terminal's screen shows an MFA code (the digits alone, not inside a longer number). */
export function showsCode(screen: string, code: string): boolean {
  return new RegExp(`(?<!\\d)${code.replace(/\D/g, '')}(?!\\d)`).test(screen);
}

/** Terminal output as text: no escape sequences (colours, titles, bracketed
 * paste, cursor moves), and every CR (a repaint) starts a new line. */
export function cleanScreen(raw: string): string {
  return raw
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '') // OSC: window titles
    .replace(/\x1b[P^_X][^\x1b]*(?:\x1b\\)?/g, '') // DCS, PM, APC, SOS
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '') // CSI: colours, cursor, ?2004h/l
    .replace(/\x1b[()*+][0-9A-Za-z]/g, '') // character sets
    .replace(/\x1b[ -~]/g, '') // other two-byte escapes (ESC =, ESC >, ESC 7…)
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '') // bell, backspace, leftovers
    .replace(/\r+\n/g, '\n')
    .replace(/\r/g, '\n');
}

/** Every process under `root` (children first), from /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone
    }
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      walk(c);
      out.push(c);
    }
  };
  walk(root);
  return out;
}

/** SIGKILL `root`, everything under it, and its process group (spawnPty starts script detached). */
export function killTree(root: number): void {
  for (const p of [...descendants(root), root]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  try {
    process.kill(-root, 'SIGKILL');
  } catch {
    // gone already
  }
}

/**
 * The argv that starts an interactive shell in spawnPty with prompt PS1:
 * script(1) starts the command with `$SHELL -c`, and a non-interactive bash
 * drops PS1 from the environment, so env(1) hands the shell its own SHELL and
 * the prompt (give spawnPty SHELL=/bin/sh).
 */
export function interactiveShellArgv(tool: string, prompt: string, argv: string[]): string[] {
  const path = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { encoding: 'utf8' }).stdout.trim() || tool;
  return ['env', `SHELL=${path}`, `PS1=${prompt}`, ...argv];
}

/**
 * A program in a pty read the way a person reads a screen: marks, the cleaned
 * screen after a mark, and waiting until it shows something. The whole
 * process tree is killed after the test. KOPS_MFA_TEST_TRACE=1 prints how
 * long each wait took.
 */
export class ScreenSession {
  readonly pty: Pty;
  protected ended = false;

  constructor(
    t: TestContext,
    /** Who is on the screen, for messages. */
    readonly label: string,
    argv: string[],
    opts: { env: NodeJS.ProcessEnv; stepMs: number; prompt: string },
  ) {
    this.promptText = opts.prompt;
    this.stepMs = opts.stepMs;
    this.pty = spawnPty(argv, { env: opts.env });
    void this.pty.exited.then(() => (this.ended = true));
    // Whatever happened: the program, what runs under it and script go away.
    t.after(() => this.killAll());
  }

  /** The prompt the program shows when it waits for a command line. */
  readonly promptText: string;
  private readonly stepMs: number;

  killAll(): void {
    const pid = this.pty.pid;
    if (pid === undefined || this.ended) return;
    killTree(pid);
  }

  /** Where the output is now: later waits look only at what comes after. */
  mark(): number {
    return this.pty.length;
  }

  screen(from = 0): string {
    return cleanScreen(this.pty.since(from));
  }

  type(text: string): void {
    this.pty.type(text);
  }

  /** Wait until the screen after `from` satisfies `ok`, looking again at each new output; the failure shows the screen. */
  async until<T>(what: string, from: number, ok: (screen: string) => T | undefined | false | null): Promise<T> {
    const started = Date.now();
    const done = (got: T | undefined | false | null): got is T => got !== undefined && got !== false && got !== null;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.stepMs)));
    try {
      for (;;) {
        // Read before looking: once closed, the output is complete.
        const closed = this.pty.closed;
        const got = ok(this.screen(from));
        if (done(got)) {
          if (process.env.KOPS_MFA_TEST_TRACE) console.error(`${this.label}: ${Date.now() - started} ms for ${what}`);
          return got;
        }
        const why = closed ? 'ended' : (await Promise.race([this.pty.changed(), timedOut])) === 'timeout' ? `timed out after ${this.stepMs} ms` : undefined;
        if (why) throw new Error(`${this.label}: ${why} waiting for ${what}; the terminal showed:\n${this.screen(from)}`);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The prompt is the last thing on the screen after `from`. */
  prompt(from: number): Promise<true> {
    return this.until('the prompt', from, (s) => s.endsWith(this.promptText));
  }

  /** `text` has been shown `n` times after `from`, and the last one is the
   * last thing on the screen (but for spaces): it waits for input. */
  asking(text: string, from: number, n = 1): Promise<true> {
    return this.until(`prompt #${n} ("${text}")`, from, (s) => {
      const parts = s.split(text);
      return parts.length - 1 >= n && /^ *$/.test(parts.at(-1)!);
    });
  }

  /** Type a command line; wait for `done` to match in its output and for the
   * prompt after it. Returns the match. */
  async run(command: string, done: RegExp): Promise<RegExpExecArray> {
    const from = this.mark();
    this.type(`${command}\r`);
    return this.until(`the output of: ${command}`, from, (s) => {
      const m = done.exec(s);
      return m && s.slice(m.index + m[0].length).endsWith(this.promptText) ? m : undefined;
    });
  }
}

export interface Pty {
  /** Everything the terminal showed so far (CR LF as the terminal sent it). */
  readonly output: string;
  /** output.length, without joining the output. */
  readonly length: number;
  /** output.slice(from), built from the chunks after `from` only: a wait that
   * looks at the new output at each chunk costs the new output, not all of it. */
  since(from: number): string;
  /** Call `listener` with each chunk of output as it arrives. */
  onOutput(listener: (chunk: string) => void): void;
  /** Wait until the screen shows a match after `from` (an index into output). */
  waitFor(pattern: RegExp | string, opts?: { timeoutMs?: number; from?: number }): Promise<void>;
  /** Type text (use \r for Enter, \x03 for Ctrl-C, \x04 for Ctrl-D). */
  type(text: string): void;
  /** Resolves with the exit status of the command (script -e passes it through). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whether the command ended and its output is all in `output`. */
  readonly closed: boolean;
  /** Resolves when more output arrives or the command ends (at once if it has). */
  changed(): Promise<void>;
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
  // The output as the chunks that came (and where each starts): reading what
  // came after a mark copies only that, however long the session has run.
  const chunks: string[] = [];
  const starts: number[] = [];
  let length = 0;
  let joined = '';
  const since = (from: number): string => {
    if (from >= length) return '';
    if (from <= 0) {
      if (joined.length !== length) joined = chunks.join('');
      return joined;
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= from) lo = mid;
      else hi = mid - 1;
    }
    return chunks[lo]!.slice(from - starts[lo]!) + chunks.slice(lo + 1).join('');
  };
  const waiters = new Set<() => void>();
  const listeners: ((chunk: string) => void)[] = [];
  const onData = (d: Buffer) => {
    const chunk = d.toString('utf8');
    if (chunk === '') return;
    starts.push(length);
    chunks.push(chunk);
    length += chunk.length;
    for (const l of listeners) l(chunk);
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.stdin.on('error', () => {});
  let closed = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close': the streams are drained too, so output is complete.
    child.on('close', (code, signal) => {
      closed = true;
      for (const w of waiters) w();
      resolve({ code, signal });
    });
  });
  return {
    get output() {
      return since(0);
    },
    get length() {
      return length;
    },
    since,
    onOutput(listener) {
      listeners.push(listener);
    },
    get closed() {
      return closed;
    },
    changed() {
      return new Promise<void>((resolve) => {
        if (closed) return resolve();
        const w = () => {
          waiters.delete(w);
          resolve();
        };
        waiters.add(w);
      });
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
        const screen = since(from);
        return typeof pattern === 'string' ? screen.includes(pattern) : pattern.test(screen);
      };
      return new Promise<void>((resolve, reject) => {
        if (matches()) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${String(pattern)}; the terminal showed:\n${since(from)}`));
        }, timeoutMs);
        const check = () => {
          if (matches()) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (closed) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`the command ended before ${String(pattern)} appeared; the terminal showed:\n${since(from)}`));
          }
        };
        waiters.add(check);
      });
    },
  };
}
