// Shared test utilities: finding the tools a test needs and running the built CLI.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import type { EnvOp } from '../../src/shell/env-ops.ts';

/** The repository, with a trailing slash: the nearest folder above this file with a package.json (this file runs from test/support/ or bundled into .test-build/). */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return `${dir}/`;
})();
export const BIN = join(ROOT, 'bin', 'kops-mfa.cjs');

/** Whether an executable is on PATH. */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v "$1" >/dev/null`, 'sh', name]).status === 0;
}

/**
 * A test that needs an external tool: in CI (CI=true) a missing tool fails the
 * test with its name; on a developer's machine the test is skipped with the reason.
 * Returns true when the tool is there and the test should go on.
 */
export function needTool(t: TestContext, name: string): boolean {
  if (hasTool(name)) return true;
  const why = `${name} is not installed (apt-get install -y ${name})`;
  if (process.env.CI) throw new Error(`required tool missing in CI: ${why}`);
  t.skip(why);
  return false;
}

/** How a command ended; its stdout as `Out`: text, or bytes. */
export interface Ended<Out> {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Out;
  stderr: string;
}

export type RunResult = Ended<string>;

/** Run the built kops-mfa with the given arguments, environment and stdin; no terminal. */
export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], opts);
}

/** Run a command with no terminal (detached: a new session, as in CI); stdin is `input`. */
export async function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const r = await collect(cmd, args, { ...opts, input: opts.input ?? '', detached: true, timeoutMs: opts.timeoutMs ?? 60_000 });
  return { ...r, stdout: r.stdout.toString('utf8') };
}

/** A throw-away directory removed after the test. */
export function tempDir(t: TestContext, prefix = 'kops-mfa-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The command succeeded; its stderr (and stdout) in the message when it did not. */
export function ok(r: RunResult, what = 'kops-mfa'): RunResult {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r;
}

/** stdout as bytes, undecoded: values are compared byte for byte. */
export type RawRun = Ended<Buffer>;

/** Run a shell (or any command) with no stdin, keeping stdout as bytes. */
export function runRaw(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<RawRun> {
  return collect(cmd, args, { ...opts, timeoutMs: 20_000 });
}

/** The one runner behind run and runRaw: spawn, collect both streams, kill after the timeout. */
function collect(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; detached?: boolean; timeoutMs: number },
): Promise<RawRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: opts.detached ?? false,
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr });
    });
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}

/** The environment of a shell after `eval "$(statements)"`: a real bash does the eval. */
export async function shellAfter(env: NodeJS.ProcessEnv, statements: string): Promise<NodeJS.ProcessEnv> {
  const r = ok(await run('bash', ['-c', 'eval "$1" && exec env -0', 'bash', statements], { env }), 'bash eval');
  const out: NodeJS.ProcessEnv = {};
  for (const pair of r.stdout.split('\0')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/**
 * A log the test shims write, read back: header lines, and fields written
 * length-prefixed (`printf '%s:%s\\n' "${#v}" "$v"`), so any byte can stand in
 * a field. Read as latin1, byte for byte; a missing file is an empty log.
 */
export class ShimLog {
  private i = 0;
  private readonly text: string;
  constructor(path: string) {
    this.text = existsSync(path) ? readFileSync(path, 'latin1') : '';
  }
  get done(): boolean {
    return this.i >= this.text.length;
  }
  /** The next line, without its newline. */
  line(): string {
    const nl = this.text.indexOf('\n', this.i);
    const line = this.text.slice(this.i, nl);
    this.i = nl + 1;
    return line;
  }
  /** The next length-prefixed field. */
  field(): string {
    const colon = this.text.indexOf(':', this.i);
    const len = Number(this.text.slice(this.i, colon));
    const value = this.text.slice(colon + 1, colon + 1 + len);
    assert.equal(this.text[colon + 1 + len], '\n', 'malformed shim record');
    this.i = colon + 2 + len;
    return value;
  }
}

/** A POSIX single-quoted word holding exactly `s` (for scripts the tests build). */
export const posixQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Write `bin`/kops-mfa, the shim tests put on PATH: a sh script that runs
 * `before` (shell lines, each ending in a newline) and then execs the built
 * CLI with its arguments. Returns its path.
 */
export function kopsMfaShim(bin: string, before = ''): string {
  const path = join(bin, 'kops-mfa');
  writeFileSync(path, `#!/bin/sh\n${before}exec ${posixQuote(process.execPath)} ${posixQuote(BIN)} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** What a failed kops-mfa run left: spawned (RunResult) or in-process (runMain). */
export interface Outcome {
  code: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The failure contract, the one place it is written: exit status `code` (never
 * 0), no signal, nothing on stdout, and exactly one line on stderr that starts
 * "kops-mfa: " and matches every pattern; no stack trace.
 */
export function failsCleanly(r: Outcome, code: number, ...patterns: RegExp[]): void {
  const seen = `\nstderr: ${JSON.stringify(r.stderr)}\nstdout: ${JSON.stringify(r.stdout.slice(0, 200))}`;
  assert.notEqual(code, 0, 'failsCleanly needs a failing exit status');
  assert.equal(r.signal ?? null, null, `killed by a signal${seen}`);
  assert.equal(r.code, code, `exit status${seen}`);
  assert.equal(r.stdout, '', `stdout must stay empty on failure${seen}`);
  assert.match(r.stderr, /^kops-mfa: [^\n]+\n$/, `exactly one line on stderr, starting "kops-mfa: "${seen}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `a stack trace on stderr${seen}`);
  for (const p of patterns) assert.match(r.stderr, p, `stderr should match ${p}${seen}`);
}

/**
 * PowerShell's tokenizer reads these five as a single quote (the language
 * spec's single-quote-character): inside a verbatim string two in a row stand
 * for the second one, one alone ends the string.
 */
export const PS_QUOTES: ReadonlySet<string> = new Set(["'", '\u2018', '\u2019', '\u201A', '\u201B']);

/**
 * Read one PowerShell verbatim string ('…') starting at `start` (an opening
 * quote), as PowerShell does: the value, and the offset just after the closing quote.
 */
export function readPowerShellString(text: string, start: number): { value: string; end: number } {
  if (!PS_QUOTES.has(text[start] ?? '')) throw new Error(`no verbatim string at offset ${start}`);
  let value = '';
  let i = start + 1;
  for (;;) {
    const c = text[i];
    if (c === undefined) throw new Error('verbatim string not terminated');
    if (PS_QUOTES.has(c)) {
      const next = text[i + 1];
      if (next === undefined || !PS_QUOTES.has(next)) return { value, end: i + 1 };
      value += next;
      i += 2;
    } else {
      value += c;
      i += 1;
    }
  }
}

const JOINED = /^\(-join \[char\[\]\]\(((?:0x[0-9A-F]{4},)*0x[0-9A-F]{4})\)\)/;

/** Read one value expression from `start` as PowerShell's tokenizer would; where it ends. */
function readValue(text: string, start: number): { value: string; end: number } {
  const joined = JOINED.exec(text.slice(start, start + 8 * 131_072));
  if (joined?.[1]) {
    const value = joined[1].split(',').map((h) => String.fromCharCode(parseInt(h.slice(2), 16))).join('');
    return { value, end: start + joined[0].length };
  }
  return readPowerShellString(text, start);
}

/**
 * kops-mfa's PowerShell statements read back the way PowerShell's tokenizer
 * would (a model, for machines without PowerShell): the header, then
 * `$env:NAME = VALUE` and `Remove-Item Env:NAME -ErrorAction SilentlyContinue`
 * lines. VALUE is one verbatim literal, or (-join [char[]](0xNNNN,…)) for a value
 * that is not all printable ASCII. Anything after a value but the newline is code: an error.
 */
export function readPowerShellStatements(text: string): EnvOp[] {
  // The header, then the guard that other shells refuse to run (none when there is nothing to guard).
  if (text === '# kops-mfa statements v1\n') return [];
  const header = '# kops-mfa statements v1\n& { return }\n';
  assert.ok(text.startsWith(header), 'the header and the guard come first');
  const ops: EnvOp[] = [];
  let i = header.length;
  while (i < text.length) {
    const rest = text.slice(i, i + 200);
    const set = /^\$env:([A-Za-z_][A-Za-z0-9_]*) = /.exec(rest);
    const unset = /^Remove-Item Env:([A-Za-z_][A-Za-z0-9_]*) -ErrorAction SilentlyContinue\n/.exec(rest);
    if (set?.[1]) {
      const { value, end } = readValue(text, i + set[0].length);
      if (text[end] !== '\n') {
        throw new Error(`code after the string at offset ${end}: ${JSON.stringify(text.slice(end, end + 40))}`);
      }
      ops.push({ op: 'set', name: set[1], value });
      i = end + 1;
    } else if (unset?.[1]) {
      ops.push({ op: 'unset', name: unset[1] });
      i += unset[0].length;
    } else {
      throw new Error(`not one of our statements at offset ${i}: ${JSON.stringify(rest.slice(0, 40))}`);
    }
  }
  return ops;
}
