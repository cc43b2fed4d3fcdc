// `npm run bench`: how fast kops-mfa is where it matters, against the local
// STS server (127.0.0.1 only; never AWS) in a throw-away HOME.
//
// Every row is the wall time of a whole process, spawn to exit, as a shell
// pays it. Rows are run round-robin (one of each, then again), so a noisy
// moment on the machine hits all rows alike, and the ratio to node running
// an empty file (`node empty.cjs`, the baseline the issues name; `node -e 0`
// is beside it)
// (measured in the same rounds) is what the targets are about. With zsh
// installed, three rows time a zsh start: bare, with `eval "$(kops-mfa init
// zsh)"`, and with the snippet sourced by path (what the README quotes).
//
// The package is three bundles: dist/cli.cjs (the entry: the cached `env`,
// CommonJS, which bin/kops-mfa.cjs runs), dist/main.cjs (the rest of
// kops-mfa, which the entry loads when the cached env declines) and
// dist/sdk.mjs (the AWS SDK, an ES module that main.cjs import()s only when an
// STS call is due).
//
// The target of the cached `env` (at most 1.15× node on an empty file) is
// measured apart, by bench-start.ts: a minimal environment (env -i PATH HOME),
// alternated pairs, on Node 20 and Node 24; the run fails above it.
//
// Then: the npm package size, the files and built-ins the cached path loads
// (the run fails if dist/sdk.mjs is one of them), and, when the cached `env`
// misses its target (or with --profile), a CPU profile of it by source area.
//
// Options: --runs N (default 30, after 3 warm-up rounds), --workaround-runs N
// (default 10: the aws CLI takes seconds a run), --budget S (default 75: on a
// busy machine, stop adding rounds after S seconds once every row has 10
// runs, so npm run bench stays near two minutes), --profile.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload, type SourceMapping } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestContext } from 'node:test';
import { build, type BuildOptions } from 'esbuild';
// @ts-expect-error: build.mjs is plain JavaScript without types
import { CLI_BUNDLES, finishCli } from './build.mjs';
import { ROLE_ARN, USER, world } from '../test/support/world.ts';
import { ROOT as REPO, hasTool, posixQuote } from '../test/support/helpers.ts';
import { benchShells } from './bench-shells.ts';
import { benchCachedStart, describeFigures, NODES, TARGET } from './bench-start.ts';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const RUNS = option('--runs', 30);
const WORKAROUND_RUNS = option('--workaround-runs', 10);
const BUDGET_MS = option('--budget', 75) * 1000;
const WARMUP = 3;
const FORCE_PROFILE = argv.includes('--profile');
const NODE = process.execPath;

const cleanups: Array<() => unknown> = [];
// Ctrl-C, or a reader that went away (| head): still remove the temporary folders.
const abort = (status: number) => {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      void fn();
    } catch {
      // best effort
    }
  }
  process.exit(status);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => abort(130));
process.stdout.on('error', () => abort(141));

/** The entry bundle (all the cached path runs), and the AWS SDK bundle that only an STS call may load. */
const CLI = 'dist/cli.cjs';
const SDK = 'dist/sdk.mjs';

// The package as npm would install it (bin/, dist/, shells/, package.json),
// copied out of the work tree right after the build: a rebuild of dist/ by
// someone else while the bench runs cannot pull files from under it.
for (const f of ['bin/kops-mfa.cjs', CLI, SDK]) {
  if (!existsSync(join(REPO, f))) {
    process.stderr.write(`bench: ${f} is missing: run npm run build first\n`);
    process.exit(1);
  }
}
const ROOT = mkdtempSync(join(tmpdir(), 'kops-mfa-bench-pkg-'));
cleanups.push(() => rmSync(ROOT, { recursive: true, force: true }));
for (const entry of ['package.json', 'bin', 'dist', 'shells']) cpSync(join(REPO, entry), join(ROOT, entry), { recursive: true });
const BIN = join(ROOT, 'bin', 'kops-mfa.cjs');
const fakeTest = { after: (fn: () => unknown) => cleanups.push(fn) } as unknown as TestContext;

interface Run {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

function timedRun(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t0, code, stdout, stderr }));
  });
}

interface Row {
  label: string;
  runs: number;
  command: () => [string, string[]];
  env: NodeJS.ProcessEnv;
  times: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (ms: number) => ms.toFixed(1);
const kb = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);
const mark = (ok: boolean) => (ok ? '✅ pass' : '❌ FAIL');
const load1 = () => loadavg()[0]!.toFixed(2);

/** The real aws program: a pyenv shim costs seconds of its own that are not the workaround's. */
function awsProgram(): { path: string; note: string } {
  const found = spawnSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).stdout.trim();
  if (found.includes('/shims/')) {
    const real = spawnSync('pyenv', ['which', 'aws'], { encoding: 'utf8' });
    if (real.status === 0 && real.stdout.trim()) return { path: real.stdout.trim(), note: ` (pyenv shim bypassed: ${real.stdout.trim()})` };
  }
  return { path: found, note: '' };
}

/**
 * The zsh rows: a bare `zsh --no-rcs -c :`, the rc line the README gives
 * (`eval "$(kops-mfa init zsh)"`, with kops-mfa found on PATH), and the
 * snippet sourced by its path (no node at all). kops-mfa on PATH is a sh
 * wrapper that execs this node on the copied package's bin; npm's bin link
 * goes through `/usr/bin/env node` instead, about the same one exec.
 */
function zshRows(env: NodeJS.ProcessEnv): { rows: Row[]; note: string } {
  if (!hasTool('zsh')) return { rows: [], note: 'skipped the zsh start-up rows: zsh is not installed' };
  const pathDir = mkdtempSync(join(tmpdir(), 'kops-mfa-bench-path-'));
  cleanups.push(() => rmSync(pathDir, { recursive: true, force: true }));
  const wrapper = join(pathDir, 'kops-mfa');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${posixQuote(NODE)} ${posixQuote(BIN)} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const zshEnv = { ...env, PATH: `${pathDir}:${env.PATH ?? ''}` };
  const snippet = join(ROOT, 'shells', 'kops-mfa.zsh');
  const scripts = {
    bare: ':',
    eval: 'eval "$(kops-mfa init zsh)"',
    source: `source ${posixQuote(snippet)}`,
  };
  // Once, before timing: both ways really define the functions. A failing
  // `kops-mfa init` would leave eval an empty string, which exits 0.
  for (const script of [scripts.eval, scripts.source]) {
    const r = spawnSync('zsh', ['--no-rcs', '-c', `${script}\nwhence -w kops-login kops-logout`], { env: zshEnv, encoding: 'utf8' });
    if (r.status !== 0 || !r.stdout.includes('kops-login: function') || !r.stdout.includes('kops-logout: function')) {
      throw new Error(`zsh -c '${script}' did not define kops-login and kops-logout (exit ${r.status}): ${r.stdout}${r.stderr}`);
    }
  }
  const version = spawnSync('zsh', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const row = (label: string, script: string): Row => ({
    label,
    runs: RUNS,
    command: () => ['zsh', ['--no-rcs', '-c', script]],
    env: zshEnv,
    times: [],
  });
  return {
    rows: [
      row("`zsh --no-rcs -c :` (a bare zsh)", scripts.bare),
      row('`zsh --no-rcs -c \'eval "$(kops-mfa init zsh)"\'`', scripts.eval),
      row("`zsh --no-rcs -c 'source …/shells/kops-mfa.zsh'`", scripts.source),
    ],
    note:
      `zsh: ${version}; kops-mfa on PATH is \`#!/bin/sh\` + \`exec node …/bin/kops-mfa.cjs "$@"\`; ` +
      'no compinit, so the snippet skips its two compdef calls',
  };
}

async function main(): Promise<void> {
  const loadAtStart = load1();
  const w = await world(fakeTest);
  const kops = (...args: string[]) => (): [string, string[]] => [NODE, [BIN, ...args]];

  // A session in the cache for the cached rows.
  const first = await timedRun(NODE, [BIN, 'env', '--token-code', w.code()], w.env);
  if (first.code !== 0) throw new Error(`first login failed: ${first.stderr}`);

  const zsh = zshRows(w.env);
  const emptyFile = join(ROOT, 'empty.cjs');
  writeFileSync(emptyFile, '');
  const rows: Row[] = [
    // The baseline the issues name: node running an empty file, as kops-mfa's bin is a file.
    { label: '`node empty.cjs`', runs: RUNS, command: () => [NODE, [emptyFile]], env: w.env, times: [] },
    { label: '`node -e 0`', runs: RUNS, command: () => [NODE, ['-e', '0']], env: w.env, times: [] },
    { label: '`kops-mfa env` (cached)', runs: RUNS, command: kops('env'), env: w.env, times: [] },
    { label: '`kops-mfa status`', runs: RUNS, command: kops('status'), env: w.env, times: [] },
    { label: '`kops-mfa init zsh`', runs: RUNS, command: kops('init', 'zsh'), env: w.env, times: [] },
    { label: '`kops-mfa --version`', runs: RUNS, command: kops('--version'), env: w.env, times: [] },
    { label: '`kops-mfa exec -- true` (cached)', runs: RUNS, command: kops('exec', '--', 'true'), env: w.env, times: [] },
    ...zsh.rows,
    {
      label: '`kops-mfa env --refresh --token-code …` (fresh login)',
      runs: RUNS,
      command: () => [NODE, [BIN, 'env', '--refresh', '--token-code', w.code()]],
      env: w.env,
      times: [],
    },
  ];

  // The original workaround, as the bash script in the kops docs has it.
  let workaround: Row | undefined;
  let workaroundNote = '';
  const missing = ['aws', 'jq'].filter((tool) => !hasTool(tool));
  if (missing.length > 0) {
    workaroundNote = `skipped the workaround row: ${missing.join(' and ')} not installed`;
  } else {
    const aws = awsProgram();
    workaroundNote = `workaround: ${spawnSync(aws.path, ['--version'], { encoding: 'utf8' }).stdout.trim() || aws.path}${aws.note}`;
    const script = [
      'set -eu',
      'CREDS=$("$AWS" sts assume-role --role-arn "$ROLE_ARN" --role-session-name kops-access --serial-number "$MFA_ARN" --token-code "$1" --endpoint-url "$ENDPOINT" --region eu-west-1 --output json)',
      'export AWS_ACCESS_KEY_ID=$(echo "$CREDS" | jq -r .Credentials.AccessKeyId)',
      'export AWS_SECRET_ACCESS_KEY=$(echo "$CREDS" | jq -r .Credentials.SecretAccessKey)',
      'export AWS_SESSION_TOKEN=$(echo "$CREDS" | jq -r .Credentials.SessionToken)',
      'test -n "$AWS_SESSION_TOKEN"',
    ].join('\n');
    workaround = {
      label: '`aws sts assume-role` + 3× `jq -r` (the old workaround)',
      runs: WORKAROUND_RUNS,
      command: () => ['bash', ['-c', script, 'workaround', w.code()]],
      // The long-term keys' profile: with AWS_PROFILE=kops the aws CLI would assume the role itself.
      env: { ...w.env, AWS_PROFILE: 'alice', AWS: aws.path, ROLE_ARN, MFA_ARN: USER.mfaSerial, ENDPOINT: w.server.url },
      times: [],
    };
    rows.push(workaround);
  }

  const rounds = Math.max(...rows.map((r) => r.runs)) + WARMUP;
  const started = performance.now();
  process.stderr.write(`bench: ${rounds} rounds of ${rows.length} commands…\n`);
  for (let round = 0; round < rounds; round++) {
    if (performance.now() - started > BUDGET_MS && round >= WARMUP + 10) {
      process.stderr.write(`bench: time budget spent after ${round - WARMUP} rounds\n`);
      break;
    }
    for (const row of rows) {
      if (round >= row.runs + WARMUP) continue;
      const [cmd, args] = row.command();
      const r = await timedRun(cmd, args, row.env);
      if (r.code !== 0) throw new Error(`${row.label} failed (exit ${r.code}): ${r.stderr.trim()}`);
      if (round >= WARMUP) row.times.push(r.ms);
    }
  }
  const benchSeconds = (performance.now() - started) / 1000;

  const base = median(rows[0]!.times);
  const out: string[] = [];
  out.push(
    `## kops-mfa bench — node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPUs, ` +
      `load average ${loadAtStart} at the start, ${load1()} after the timed rounds`,
    '',
    `${rows[0]!.times.length} runs per command (the workaround: ${workaround?.times.length ?? 0}) after ${WARMUP} warm-up rounds, ` +
      `round-robin, wall time spawn→exit (${benchSeconds.toFixed(0)} s).`,
    '',
    '| command | median ms | min | max | × node empty.cjs |',
    '|---|---:|---:|---:|---:|',
  );
  for (const row of rows) {
    const m = median(row.times);
    out.push(`| ${row.label} | ${fmt(m)} | ${fmt(Math.min(...row.times))} | ${fmt(Math.max(...row.times))} | ${(m / base).toFixed(2)} |`);
  }
  out.push('', workaroundNote, '');

  const byLabel = (label: string) => rows.find((r) => r.label.startsWith(label))!;
  const ratio = (label: string) => median(byLabel(label).times) / base;
  const envRatio = ratio('`kops-mfa env`');

  out.push('### zsh start-up with the integration', '');
  if (zsh.rows.length) {
    // Each round runs the three back to back: the median of the per-round
    // differences cancels most of a busy machine's drift; the medians are beside it.
    const [bare, evalRow, sourceRow] = zsh.rows as [Row, Row, Row];
    const added = (row: Row) => {
      const d = median(row.times.map((t, i) => t - bare.times[i]!));
      return `${d < 0 ? '−' : '+'}${fmt(Math.abs(d))} ms`;
    };
    out.push(
      `- \`eval "$(kops-mfa init zsh)"\` in ~/.zshrc: ${added(evalRow)} per zsh start ` +
        `(median ${fmt(median(evalRow.times))} ms against ${fmt(median(bare.times))} ms for a bare \`zsh --no-rcs -c :\`)`,
      `- \`source …/shells/kops-mfa.zsh\` in ~/.zshrc: ${added(sourceRow)} per zsh start (median ${fmt(median(sourceRow.times))} ms)`,
      '- (the added time is the median of the per-round differences to the bare zsh, which each round runs right before them)',
      `- ${zsh.note}`,
    );
  } else {
    out.push(`- ${zsh.note}`);
  }
  out.push('');

  // The snippets inside each shell: no node while the session is valid.
  const pwshHost = join(REPO, 'test', 'powershell', 'bin', 'kops-mfa-pwsh');
  const pwsh = hasTool('pwsh') ? 'pwsh' : existsSync(pwshHost) ? pwshHost : undefined;
  process.stderr.write('bench: the shell integration, per call…\n');
  const figures = benchShells(ROOT, w.env, pwsh);
  out.push(
    '### The shell integration, per call',
    '',
    'Inside one shell process: a loop of 200 calls against the same loop empty, 5 times each, medians; the wrapper against',
    'calling the same stand-in `kops` directly; sourcing against a bare start of the same shell. A valid session; a',
    '`kops-mfa` on PATH that only counts its starts.',
    '',
    '| shell | `kops` wrapper adds (≤ 5 ms) | `kops_mfa_prompt` (≤ 2 ms) | in `$(…)`, as PS1 runs it | sourcing the snippet (≤ 5 ms) | kops-mfa starts |',
    '|---|---:|---:|---:|---:|---:|',
  );
  const ms = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(2)} ms`);
  for (const f of figures) {
    out.push(`| ${f.shell} | ${ms(f.wrapperMs)} | ${ms(f.promptMs)} | ${ms(f.promptCapturedMs)} | ${ms(f.sourceMs)} | ${f.kopsMfaStarts} |`);
  }
  if (!pwsh) out.push('', 'PowerShell: not measured (no pwsh on PATH and no test host built: see .ci/run).');
  out.push('');

  out.push('### Targets', '');
  for (const f of figures) {
    out.push(`- ${mark(f.wrapperMs <= 5 && f.kopsMfaStarts === 0)} ${f.shell}: the kops wrapper adds ${f.wrapperMs.toFixed(2)} ms and starts kops-mfa ${f.kopsMfaStarts} times (target ≤ 5 ms, 0)`);
    out.push(`- ${mark(f.promptMs <= 2)} ${f.shell}: kops_mfa_prompt ${f.promptMs.toFixed(2)} ms (target ≤ 2 ms)`);
    out.push(`- ${mark(f.sourceMs <= 5)} ${f.shell}: sourcing the snippet ${f.sourceMs.toFixed(2)} ms (target ≤ 5 ms)`);
  }
  // The cached env at most 1.15× node's start (bench-start.ts); status and init as before.
  // The cached env against node's own start: a minimal environment, alternated pairs, each Node.
  process.stderr.write('bench: the cached path at node\'s start…\n');
  const nodes = NODES.filter((n) => existsSync(n));
  const startFigures = await benchCachedStart(BIN, nodes, RUNS * 2);
  out.push(...describeFigures(startFigures));
  for (const n of NODES.filter((x) => !existsSync(x))) out.push(`- ❌ FAIL not measured on ${n}: missing (see .ci/run)`);
  const startOk = nodes.length === NODES.length && startFigures.every((f) => f.ratio <= TARGET);
  for (const [label, name, target] of [
    ['`kops-mfa status`', 'status', 1.3],
    ['`kops-mfa init zsh`', 'init zsh', 1.3],
  ] as const) {
    const r = ratio(label);
    out.push(`- ${mark(r <= target)} ${name}: ${r.toFixed(2)}× node on an empty file (target ≤ ${target.toFixed(2)}×)`);
  }
  if (workaround) {
    const r = median(rows.find((x) => x.label.includes('fresh login'))!.times) / median(workaround.times);
    out.push(`- ${mark(r <= 0.4)} fresh login: ${r.toFixed(2)}× the workaround (target ≤ 0.40×)`);
  } else {
    out.push(`- fresh login vs the workaround: not measured (${workaroundNote})`);
  }

  out.push('', '### Package', '', packSize());

  const rebuilt = await rebuildCliWithMap();
  const loaded = await loadedFiles(w.env, () => w.code(), rebuilt);
  out.push('', '### Files loaded on the cached path', '', ...loaded.lines);

  process.stdout.write(`${out.join('\n')}\n`);

  if (FORCE_PROFILE || envRatio > TARGET || !startOk) {
    process.stdout.write(`\n${profileCachedEnv(w.env, rebuilt).join('\n')}\n`);
  }
  if (!loaded.ok || !startOk) process.exitCode = 1;
}

/** `npm pack --dry-run --json`: what `npm install kops-mfa` downloads and unpacks. */
function packSize(): string {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) return `npm pack --dry-run failed: ${r.stderr.trim().split('\n').pop()}`;
  const [info] = JSON.parse(r.stdout) as Array<{ size: number; unpackedSize: number; entryCount: number; files: Array<{ path: string; size: number }> }>;
  if (!info) return 'npm pack --dry-run printed nothing';
  const biggest = [...info.files].sort((a, b) => b.size - a.size).slice(0, 3);
  return (
    `npm pack: tarball ${kb(info.size)}, unpacked ${kb(info.unpackedSize)}, ${info.entryCount} files ` +
    `(largest: ${biggest.map((f) => `${f.path} ${kb(f.size)}`).join(', ')})`
  );
}

/** A source map for the copied dist/cli.cjs, or why there is none. */
type Rebuilt = { map: SourceMap; sources: string[] } | { why: string };

/**
 * dist/cli.cjs ships without a source map. esbuild with the options of
 * scripts/build.mjs plus sourcemap: 'external' (which writes the map beside
 * the code and leaves the code itself as it is) gives one, in memory; it is
 * used only when its code is byte for byte the copied dist/cli.cjs, so the
 * map describes the very file that was timed. The options are build.mjs's
 * own (imported), so the two cannot drift apart.
 */
async function rebuildCliWithMap(): Promise<Rebuilt> {
  try {
    const entry = (CLI_BUNDLES as Array<{ options: BuildOptions }>)[0]!.options;
    const r = await build({ ...entry, logLevel: 'silent', outfile: join(REPO, CLI), sourcemap: 'external', write: false });
    const js = r.outputFiles.find((f) => f.path.endsWith('.cjs'));
    const map = r.outputFiles.find((f) => f.path.endsWith('.cjs.map'));
    if (!js || !map) return { why: 'esbuild gave no cli.cjs and map' };
    if (finishCli(js.text, { imports: false }) !== readFileSync(join(ROOT, CLI), 'utf8')) {
      return { why: `a rebuild with build.mjs's options is not byte-identical to ${CLI}` };
    }
    const payload = JSON.parse(map.text) as SourceMapPayload;
    // Sources are relative to dist/: ../src/cache.ts → src/cache.ts.
    const sources = payload.sources.map((s) => relative(REPO, join(REPO, 'dist', s)));
    return { map: new SourceMap({ ...payload, sources }), sources };
  } catch (e) {
    return { why: `esbuild failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** An AWS SDK source in the bundle: the SDK's own packages and the ones it is made of. */
const isSdkSource = (source: string) => /^node_modules\/(?:@aws-sdk|@smithy|@aws-crypto|@aws)\//.test(source);

interface Loaded {
  /** kops-mfa's files, relative to the package: require.cache, plus what the ESM load hook saw. */
  files: string[];
  /** Native addons opened (process.dlopen). */
  addons: string[];
  /** process.moduleLoadList's NativeModule entries: every built-in module this process loaded. */
  natives: string[];
}

/**
 * What a run loads, seen two ways, because one way alone misses something:
 *
 * - clean: NODE_OPTIONS=--require=counter.cjs. On exit it writes
 *   Object.keys(require.cache) (bin and cli.cjs are CommonJS) and the
 *   NativeModule entries of process.moduleLoadList (every built-in, public or
 *   internal, that the process loaded, the ESM loader's own modules
 *   included). The counter loads nothing Node has not loaded already, so
 *   these counts are the CLI's own.
 * - hooked: the same, plus --import of a module.register() hook whose load()
 *   logs every URL the ESM loader loads: an import() of sdk.mjs never shows in
 *   require.cache. --import starts the ESM loader and a hooks thread itself,
 *   so this run's built-in list is not counted; it only adds files.
 */
async function loadedFiles(env: NodeJS.ProcessEnv, code: () => string, rebuilt: Rebuilt): Promise<{ ok: boolean; lines: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'kops-mfa-bench-load-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const counter = join(dir, 'counter.cjs');
  const hooks = join(dir, 'hooks.mjs');
  const register = join(dir, 'register.mjs');
  const empty = join(dir, 'empty.cjs');
  writeFileSync(
    counter,
    `'use strict';
const { writeFileSync } = require('node:fs');
const log = process.env.KOPS_MFA_BENCH_LOG;
// Every native addon the run opens: require() of a .node file goes through process.dlopen.
const addons = [];
const dlopen = process.dlopen;
process.dlopen = function (m, file, ...rest) { addons.push(file); return dlopen.call(this, m, file, ...rest); };
process.once('exit', () => {
  const natives = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  writeFileSync(log, JSON.stringify({ cache: Object.keys(require.cache), natives, addons }));
});
`,
  );
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) { appendFileSync(log, url + '\\n'); return next(url, context); }
`,
  );
  writeFileSync(
    register,
    `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { log: process.env.KOPS_MFA_BENCH_ESM_LOG } });
`,
  );
  writeFileSync(empty, '');

  let n = 0;
  // Spawned asynchronously: the STS server answers from this process's event loop.
  const observe = async (script: string, args: string[], hooked: boolean): Promise<Loaded> => {
    const log = join(dir, `run-${++n}.json`);
    const esmLog = join(dir, `run-${n}.esm.log`);
    writeFileSync(esmLog, '');
    const r = await timedRun(NODE, [script, ...args], {
      ...env,
      NODE_OPTIONS: `--require="${counter}"` + (hooked ? ` --import="${pathToFileURL(register).href}"` : ''),
      KOPS_MFA_BENCH_LOG: log,
      KOPS_MFA_BENCH_ESM_LOG: esmLog,
    });
    if (r.code !== 0) throw new Error(`node ${[script, ...args].join(' ')} failed under the module counter: ${r.stderr}`);
    const seen = JSON.parse(readFileSync(log, 'utf8')) as { cache: string[]; natives: string[]; addons: string[] };
    const esm = readFileSync(esmLog, 'utf8').split('\n').filter((u) => u.startsWith('file:'));
    const paths = [...seen.cache, ...esm.map((u) => new URL(u).pathname)];
    const files = [...new Set(paths.filter((p) => p.startsWith(`${ROOT}/`)).map((p) => relative(ROOT, p)))].sort();
    return { files, natives: seen.natives, addons: seen.addons };
  };

  const bare = await observe(empty, [], false);
  const cachedArgs = ['env'];
  const cached = await observe(BIN, cachedArgs, false);
  const cachedHooked = await observe(BIN, cachedArgs, true);
  const fresh = await observe(BIN, ['env', '--refresh', '--token-code', code()], false);
  const freshHooked = await observe(BIN, ['env', '--refresh', '--token-code', code()], true);

  const union = (a: Loaded, b: Loaded) => [...new Set([...a.files, ...b.files])].sort();
  const cachedFiles = union(cached, cachedHooked);
  const freshFiles = union(fresh, freshHooked);
  const size = (f: string) => kb(readFileSync(join(ROOT, f)).length);
  const added = (run: Loaded) => run.natives.filter((m) => !bare.natives.includes(m));
  const cachedAdded = added(cached);
  const freshAdded = added(fresh);
  const publicOf = (ms: string[]) => ms.filter((m) => !m.startsWith('internal/'));
  const esmLoader = (run: Loaded) => run.natives.includes('internal/modules/esm/loader');

  const sdkOnCached = cachedFiles.includes(SDK);
  const sdkOnFresh = freshHooked.files.includes(SDK);
  const addonsOnCached = [...cached.addons, ...cachedHooked.addons];
  const ok = !sdkOnCached && sdkOnFresh && addonsOnCached.length === 0;

  const lines = [
    `Cached \`env\` loads ${cachedFiles.length} files of kops-mfa as modules: ${cachedFiles.map((f) => `${f} ${size(f)}`).join(', ')}; ` +
      `the bin reads ${CLI} ${size(CLI)} and runs it through node:vm with V8's code cache, so it is in no module list.`,
    `Node built-ins: running an empty .cjs file loads ${bare.natives.length} (bootstrap); the cached \`env\` loads ` +
      `${cachedAdded.length} more, ${publicOf(cachedAdded).length} of them public ` +
      `(${publicOf(cachedAdded).map((m) => `node:${m}`).join(', ') || 'none'}), ` +
      `${cachedAdded.length - publicOf(cachedAdded).length} internal.`,
    `Control, a login that calls STS: ${freshFiles.map((f) => `${f} ${size(f)}`).join(', ')}; ` +
      `${freshAdded.length} built-ins over the empty file, the ESM loader ${esmLoader(fresh) ? 'started' : 'not started'} for the import().`,
    '',
    `- ${mark(!sdkOnCached)} ${SDK} is not loaded on the cached path` +
      (sdkOnCached ? `: it was (${cachedFiles.join(', ')})` : ' (neither in require.cache nor seen by the ESM load hook)'),
    `- ${mark(addonsOnCached.length === 0)} no native addon is loaded on the cached path` + (addonsOnCached.length ? `: ${addonsOnCached.join(', ')}` : ' (process.dlopen never called)'),
    `- ${mark(sdkOnFresh)} the counter sees ${SDK} when a login calls STS (the control: ${sdkOnFresh ? 'it does' : 'it does NOT, so the check above proves nothing'})`,
    `- ${esmLoader(cached) ? '⚠️ warn' : '✅ pass'} the cached path never starts the ESM loader (internal/modules/esm/loader ` +
      `${esmLoader(cached) ? 'IS' : 'is not'} in its process.moduleLoadList; it is after a fresh login)`,
  ];
  if ('why' in rebuilt) {
    lines.push(`- not checked: whether ${CLI} bundles AWS SDK code (${rebuilt.why})`);
  } else {
    const sdkSources = rebuilt.sources.filter(isSdkSource);
    lines.push(
      `- ${mark(sdkSources.length === 0)} ${CLI} bundles no AWS SDK code: ${sdkSources.length} of its ${rebuilt.sources.length} sources ` +
        `are @aws-sdk/@smithy/@aws-crypto (read from the source map of a byte-identical rebuild)` +
        (sdkSources.length ? `: ${sdkSources.slice(0, 5).join(', ')}…` : ''),
    );
  }
  lines.push(
    '',
    `Counted with NODE_OPTIONS=--require of a preload that writes require.cache and process.moduleLoadList on exit, and, in a ` +
      `second run of each, --import of a module.register() load hook that logs what the ESM loader loads (that run's built-ins ` +
      `are not counted: --import starts the ESM loader itself). The run fails if ${SDK} or a native addon is loaded on the cached path, ` +
      `if the control does not see it, or if ${CLI} bundles SDK code.`,
  );
  return { ok: ok && ('why' in rebuilt || rebuilt.sources.filter(isSdkSource).length === 0), lines };
}

/**
 * Where the cached `env` spends its time: --cpu-prof of 10 runs of the copied
 * package (the minified dist/cli.cjs, as shipped). Each sample goes to the
 * innermost frame in dist/, and that frame's function to the source it came
 * from through the source map of the byte-identical rebuild (src/cache.ts,
 * cac, shell-quote… told apart). Code at the top level of cli.cjs (every
 * bundled module's top-level statements: the bundle is one function) is
 * its own area, and so is the loading of a built-in that the bundle
 * require()s. Samples with no frame in dist/ go to what Node was doing.
 */
function profileCachedEnv(env: NodeJS.ProcessEnv, rebuilt: Rebuilt): string[] {
  const N = 10;
  const dir = mkdtempSync(join(tmpdir(), 'kops-mfa-bench-prof-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const envDir = join(dir, 'env');
  const baseDir = join(dir, 'node');
  mkdirSync(envDir);
  mkdirSync(baseDir);
  for (let i = 0; i < N; i++) {
    const r = spawnSync(NODE, ['--cpu-prof', `--cpu-prof-dir=${envDir}`, '--cpu-prof-interval=100', BIN, 'env'], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kops-mfa env failed under --cpu-prof (exit ${r.status}): ${r.stderr}`);
  }
  for (let i = 0; i < N; i++) spawnSync(NODE, ['--cpu-prof', `--cpu-prof-dir=${baseDir}`, '--cpu-prof-interval=100', '-e', '0']);

  const distUrl = pathToFileURL(join(ROOT, 'dist')).href + '/';
  const cliUrl = pathToFileURL(join(ROOT, CLI)).href;
  const areaOf = (url: string, line: number, column: number, functionName: string): string => {
    if (url !== cliUrl) return url.slice(distUrl.length - 'dist/'.length);
    // The CommonJS wrapper of cli.cjs: the top-level code of every bundled module.
    // bin/kops-mfa.cjs wraps cli.cjs in a function on a line of its own (line -1).
    if (line === -1 && functionName === '') return `${CLI} top level (all bundled modules' top-level code)`;
    if ('why' in rebuilt) return `${CLI} (not attributed: no source map)`;
    const entry = rebuilt.map.findEntry(line, column) as Partial<SourceMapping>;
    const source = entry.originalSource;
    if (!source) return `${CLI}: esbuild's runtime helpers`;
    const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1];
    return pkg ? `${pkg} (bundled)` : source;
  };

  const aggregate = (folder: string) => {
    // Per run, then the median run of each area: one descheduled run does not skew it.
    const perRunBuckets: Array<Map<string, number>> = [];
    const totals: number[] = [];
    for (const f of readdirSync(folder)) {
      const buckets = new Map<string, number>();
      perRunBuckets.push(buckets);
      let total = 0;
      const p = JSON.parse(readFileSync(join(folder, f), 'utf8')) as {
        nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }>;
        samples: number[];
        timeDeltas: number[];
      };
      const byId = new Map(p.nodes.map((n) => [n.id, n]));
      const parent = new Map<number, number>();
      for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
      p.samples.forEach((id, i) => {
        const us = p.timeDeltas[i] ?? 0;
        total += us;
        let bucket: string | undefined;
        let compileCjs = false; // the CommonJS loader compiling a file (bin, cli.cjs)
        let compileBuiltin = false;
        let esmLoader = false;
        // Between the leaf and the innermost dist/ frame: a built-in being loaded, and which public one.
        let loading = false;
        let nearestPublic: string | undefined; // the public built-in frame nearest the dist/ frame
        for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
          const cf = byId.get(cur)!.callFrame;
          if (!bucket && cf.url.startsWith(distUrl)) {
            bucket = loading
              ? `loading ${nearestPublic ?? 'Node built-ins'} (for the bundle)`
              : areaOf(cf.url, cf.lineNumber, cf.columnNumber, cf.functionName);
          }
          if (cf.functionName === 'wrapSafe') compileCjs = true;
          if (cf.functionName === 'compileForInternalLoader') compileBuiltin = true;
          if (cf.url.startsWith('node:internal/modules/esm/')) esmLoader = true;
          if (!bucket) {
            if (cf.functionName === 'compileForInternalLoader' || cf.url === 'node:internal/modules/cjs/loader') loading = true;
            if (/^node:(?!internal\/)/.test(cf.url)) nearestPublic = cf.url;
          }
        }
        const leaf = byId.get(id)!.callFrame.functionName;
        bucket ??=
          leaf === '(garbage collector)'
            ? 'garbage collection'
            : compileCjs
              ? `V8 compiling ${CLI} and the bin (CommonJS wrapSafe)`
              : leaf === '(program)' || leaf === '(idle)'
                ? 'V8/native (program, idle)'
                : esmLoader
                  ? 'ESM loader'
                  : compileBuiltin
                    ? 'compiling other Node built-ins'
                    : 'Node bootstrap, stdio, exit';
        buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
      });
      totals.push(total / 1000);
    }
    const names = new Set(perRunBuckets.flatMap((b) => [...b.keys()]));
    const buckets = new Map([...names].map((n) => [n, median(perRunBuckets.map((b) => (b.get(n) ?? 0) / 1000))]));
    return { buckets, perRun: median(totals) };
  };
  const env0 = aggregate(envDir);
  const node0 = aggregate(baseDir);
  const lines = [
    `### Where the cached \`env\` spends its time (--cpu-prof, ${N} runs, sampled main thread, profiler overhead included)`,
    '',
    `Profiled time of the median run: ${fmt(env0.perRun)} ms for \`kops-mfa env\`, ${fmt(node0.perRun)} ms for \`node -e 0\` (areas: median over the runs). ` +
      ('why' in rebuilt
        ? `Bundle frames are not attributed to sources: ${rebuilt.why}.`
        : `Bundle frames are attributed to sources by the source map of a rebuild byte-identical to ${CLI}.`),
    '',
    '| area | ms (median run) | node -e 0 | share of the cached env |',
    '|---|---:|---:|---:|',
  ];
  const sorted = [...env0.buckets].sort((a, b) => b[1] - a[1]);
  for (const [name, ms] of sorted.slice(0, 18)) {
    const b = node0.buckets.get(name) ?? 0;
    lines.push(`| ${name} | ${fmt(ms)} | ${b ? fmt(b) : '–'} | ${((100 * ms) / env0.perRun).toFixed(0)} % |`);
  }
  return lines;
}

try {
  await main();
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
