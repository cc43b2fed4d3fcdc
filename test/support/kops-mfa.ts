// Running kops-mfa (the built CLI, or main() in the test process), logging in
// through a real bash eval, and looking at what it left in the cache folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { BIN, ok, runCli, shellAfter, type Outcome } from './helpers.ts';
import type { World } from './world.ts';
import { runMain } from './run-main.ts';

export { BIN };

/** Run the built kops-mfa with no terminal (runCli of helpers.ts). */
export const cli = runCli;

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
