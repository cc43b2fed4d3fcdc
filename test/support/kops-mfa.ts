// Running kops-mfa (the built CLI, or main() in the test process), logging in
// through a real bash eval, and looking at what it left in the cache folder.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { BIN, ok, runCli, shellAfter, type Outcome, type RunResult } from './helpers.ts';
import type { World } from './world.ts';
import { runMain } from './run-main.ts';

export { BIN };

/** Run the built kops-mfa with no terminal (runCli of helpers.ts). */
export const cli = runCli;

/** `kops-mfa env --shell bash --token-code <fresh code> …extra`: in this process (run-main.ts), or the built CLI where the process matters. */
export function login(w: World, extra: string[] = [], env: NodeJS.ProcessEnv = w.env, opts: { spawn?: boolean } = {}): Promise<Outcome> {
  const args = ['env', '--shell', 'bash', '--token-code', w.code(), ...extra];
  return opts.spawn ? runCli(args, { env }) : runMain(args, { env });
}

/** The `export NAME='value'` statements of a bash rendering (values in these tests hold no quote); with a name, that one value, which must be there. */
export function exported(stdout: string): Record<string, string>;
export function exported(stdout: string, name: string): string;
export function exported(stdout: string, name?: string): Record<string, string> | string {
  const all: Record<string, string> = {};
  for (const m of stdout.matchAll(/^export (\w+)='([^']*)'$/gm)) all[m[1]!] = m[2]!;
  if (name === undefined) return all;
  assert.ok(Object.hasOwn(all, name), `no ${name} in:\n${stdout}`);
  return all[name]!;
}

/** `kops-mfa env --shell bash --token-code <fresh code>` in `env` (in this process: run-main.ts), then the environment a real bash has after eval. */
export async function loginIn(w: World, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<NodeJS.ProcessEnv> {
  const r = ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code(), ...extra], { env }), 'login');
  return shellAfter(env, r.stdout);
}

/** `kops-mfa logout --shell bash` in `env` (in this process), then the environment a real bash has after eval. */
export async function logoutIn(env: NodeJS.ProcessEnv, extra: string[] = []): Promise<NodeJS.ProcessEnv> {
  const r = ok(await runMain(['logout', '--shell', 'bash', ...extra], { env }), 'logout');
  return shellAfter(env, r.stdout);
}

/**
 * The built CLI with no terminal, started: `said(re)` resolves once its
 * stderr so far matches (a step a test waits for, as the line comes), `done`
 * when it ended.
 */
export function startCli(args: string[], env: NodeJS.ProcessEnv): { said(re: RegExp): Promise<void>; done: Promise<RunResult> } {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  const watchers: Array<{ re: RegExp; resolve: () => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of watchers.splice(0)) (w.re.test(stderr) ? w.resolve : () => watchers.push(w))();
  });
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const said = (re: RegExp) =>
    re.test(stderr)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          watchers.push({ re, resolve });
          void done.then((r) => reject(new Error(`kops-mfa ended (${r.code}) without saying ${re}: ${r.stderr}`)));
        });
  return { said, done };
}

/** The files of a folder, sorted (none when it does not exist). */
export function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The session files (*.json) of a cache folder. */
export function sessionFiles(dir: string): string[] {
  return filesIn(dir).filter((n) => n.endsWith('.json'));
}

/** The one session file of the cache folder, as a path. */
export function onlySessionFile(dir: string): string {
  const all = sessionFiles(dir);
  assert.equal(all.length, 1, `one session file expected in ${dir}, found: ${filesIn(dir).join(', ')}`);
  return join(dir, all[0]!);
}

/** stderr as lines, without the empty last one. */
export function lines(r: Outcome): string[] {
  return r.stderr.split('\n').filter((l) => l !== '');
}

/** The STS calls that bought a session (AssumeRole or GetSessionToken). */
export function logins(w: World) {
  return w.server.calls.filter((c) => c.action === 'AssumeRole' || c.action === 'GetSessionToken');
}

/** A tmpfs mounted for this test (root only): its path, or undefined when the test was skipped. */
export function tinyTmpfs(t: TestContext, options: string): string | undefined {
  const mnt = mkdtempSync(join(tmpdir(), 'kops-mfa-mnt-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mnt], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmdirSync(mnt);
    t.skip(`cannot mount a tmpfs here (${(mounted.stderr || mounted.error?.message || '').trim()}): it needs root`);
    return undefined;
  }
  t.after(() => {
    spawnSync('umount', [mnt]);
    rmdirSync(mnt);
  });
  return mnt;
}
