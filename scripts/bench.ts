// `npm run bench`: how fast kops-mfa is where it matters, against the local
// STS server (127.0.0.1 only; never AWS) in a throw-away HOME.
//
// Every row is the wall time of a whole process, spawn to exit, as a shell
// pays it. Rows are run round-robin (one of each, then again), so a noisy
// moment on the machine hits all rows alike, and the ratio to `node -e 0`
// (measured in the same rounds) is what the targets are about.
//
// Then: the npm package size, the files the cached path loads (the AWS SDK
// chunk must not be one of them), and, when the cached `env` misses its
// target (or with --profile), a CPU profile of it by package.
//
// Options: --runs N (default 30, after 3 warm-up rounds), --workaround-runs N
// (default 10: the aws CLI takes seconds a run), --budget S (default 75: on a
// busy machine, stop adding rounds after S seconds once every row has 10
// runs, so npm run bench stays near two minutes), --profile.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestContext } from 'node:test';
import { ROLE_ARN, USER, world } from '../test/fixture.ts';
import { ROOT as REPO, hasTool } from '../test/helpers.ts';

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

// The package as npm would install it (bin/, dist/, shells/, package.json),
// copied out of the work tree right after the build: a rebuild of dist/ by
// someone else while the bench runs cannot pull files from under it.
if (!existsSync(join(REPO, 'dist', 'cli.js'))) {
  process.stderr.write('bench: dist/cli.js is missing: run npm run build first\n');
  process.exit(1);
}
const ROOT = mkdtempSync(join(tmpdir(), 'kops-mfa-bench-pkg-'));
cleanups.push(() => rmSync(ROOT, { recursive: true, force: true }));
for (const entry of ['package.json', 'bin', 'dist', 'shells']) cpSync(join(REPO, entry), join(ROOT, entry), { recursive: true });
const BIN = join(ROOT, 'bin', 'kops-mfa.js');
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
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mark = (ok: boolean) => (ok ? '✅ pass' : '❌ FAIL');

/** The real aws program: a pyenv shim costs seconds of its own that are not the workaround's. */
function awsProgram(): { path: string; note: string } {
  const found = spawnSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).stdout.trim();
  if (found.includes('/shims/')) {
    const real = spawnSync('pyenv', ['which', 'aws'], { encoding: 'utf8' });
    if (real.status === 0 && real.stdout.trim()) return { path: real.stdout.trim(), note: ` (pyenv shim bypassed: ${real.stdout.trim()})` };
  }
  return { path: found, note: '' };
}

async function main(): Promise<void> {
  const w = await world(fakeTest);
  const kops = (...args: string[]) => (): [string, string[]] => [NODE, [BIN, ...args]];

  // A session in the cache for the cached rows.
  const first = await timedRun(NODE, [BIN, 'env', '--token-code', w.code()], w.env);
  if (first.code !== 0) throw new Error(`first login failed: ${first.stderr}`);

  const rows: Row[] = [
    { label: '`node -e 0`', runs: RUNS, command: () => [NODE, ['-e', '0']], env: w.env, times: [] },
    { label: '`kops-mfa env` (cached)', runs: RUNS, command: kops('env'), env: w.env, times: [] },
    { label: '`kops-mfa status`', runs: RUNS, command: kops('status'), env: w.env, times: [] },
    { label: '`kops-mfa init zsh`', runs: RUNS, command: kops('init', 'zsh'), env: w.env, times: [] },
    { label: '`kops-mfa --version`', runs: RUNS, command: kops('--version'), env: w.env, times: [] },
    { label: '`kops-mfa exec -- true` (cached)', runs: RUNS, command: kops('exec', '--', 'true'), env: w.env, times: [] },
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
    `## kops-mfa bench — node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(2)}`,
    '',
    `${rows[0]!.times.length} runs per command (the workaround: ${workaround?.times.length ?? 0}) after ${WARMUP} warm-up rounds, ` +
      `round-robin, wall time spawn→exit (${benchSeconds.toFixed(0)} s).`,
    '',
    '| command | median ms | min | max | × node -e 0 |',
    '|---|---:|---:|---:|---:|',
  );
  for (const row of rows) {
    const m = median(row.times);
    out.push(`| ${row.label} | ${fmt(m)} | ${fmt(Math.min(...row.times))} | ${fmt(Math.max(...row.times))} | ${(m / base).toFixed(2)} |`);
  }
  out.push('', workaroundNote, '');

  const ratio = (label: string) => median(rows.find((r) => r.label.startsWith(label))!.times) / base;
  const envRatio = ratio('`kops-mfa env`');
  out.push('### Targets', '');
  for (const [label, name] of [
    ['`kops-mfa env`', 'cached env'],
    ['`kops-mfa status`', 'status'],
    ['`kops-mfa init zsh`', 'init zsh'],
  ] as const) {
    const r = ratio(label);
    out.push(`- ${mark(r <= 1.3)} ${name}: ${r.toFixed(2)}× node -e 0 (target ≤ 1.30×)`);
  }
  if (workaround) {
    const r = median(rows.find((x) => x.label.includes('fresh login'))!.times) / median(workaround.times);
    out.push(`- ${mark(r <= 0.4)} fresh login: ${r.toFixed(2)}× the workaround (target ≤ 0.40×)`);
  } else {
    out.push(`- fresh login vs the workaround: not measured (${workaroundNote})`);
  }

  out.push('', '### Package', '', packSize());

  const loaded = await loadedFiles(w.env, () => w.code());
  out.push('', '### Files loaded', '', ...loaded.lines);

  process.stdout.write(`${out.join('\n')}\n`);

  if (FORCE_PROFILE || envRatio > 1.3) {
    process.stdout.write(`\n${profileCachedEnv(w.env).join('\n')}\n`);
  }
  if (!loaded.ok) process.exitCode = 1;
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

/**
 * Which modules a run loads, counted by a module.register() hook given to the
 * CLI with NODE_OPTIONS=--import: its load() hook appends every URL the ESM
 * loader loads (our files as file: URLs, built-ins as node:) to a log. The
 * bundle is ESM, so every file of it goes through the hook; built-ins that
 * bundled CommonJS code require() through createRequire do not, so the node:
 * count is the ESM imports only.
 */
async function loadedFiles(env: NodeJS.ProcessEnv, code: () => string): Promise<{ ok: boolean; lines: string[] }> {
  const dir = join(tmpdir(), `kops-mfa-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const hooks = join(dir, 'hooks.mjs');
  const preload = join(dir, 'count-modules.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) { appendFileSync(log, url + '\\n'); return next(url, context); }
`,
  );
  writeFileSync(
    preload,
    `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { log: process.env.KOPS_MFA_BENCH_LOG } });
`,
  );
  // Spawned asynchronously: the STS server answers from this process's event loop.
  const count = async (args: string[], name: string) => {
    const log = join(dir, `${name}.log`);
    writeFileSync(log, '');
    const r = await timedRun(NODE, [BIN, ...args], {
      ...env,
      NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`,
      KOPS_MFA_BENCH_LOG: log,
    });
    if (r.code !== 0) throw new Error(`kops-mfa ${args.join(' ')} failed under the module counter: ${r.stderr}`);
    const urls = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
    const files = urls.filter((u) => u.startsWith('file:')).map((u) => relative(ROOT, new URL(u).pathname));
    const builtins = urls.filter((u) => u.startsWith('node:'));
    return { files, builtins };
  };

  // The chunk the login path imports lazily, and every chunk holding AWS SDK code.
  const cli = readFileSync(join(ROOT, 'dist', 'cli.js'), 'utf8');
  const lazy = [...cli.matchAll(/import\("\.\/(chunks\/[^"]+)"\)/g)].map((m) => `dist/${m[1]}`);
  const chunkDir = join(ROOT, 'dist', 'chunks');
  const sdkChunks = readdirSync(chunkDir)
    .filter((f) => readFileSync(join(chunkDir, f), 'utf8').includes('// node_modules/@aws-sdk/'))
    .map((f) => `dist/chunks/${f}`);
  const stsChunk = lazy.find((f) => readFileSync(join(ROOT, f), 'utf8').includes('// src/sts.ts'));

  const cached = await count(['env'], 'cached');
  const fresh = await count(['env', '--refresh', '--token-code', code()], 'fresh');
  const sdkLoaded = cached.files.filter((f) => sdkChunks.includes(f) || f === stsChunk);
  const ok = sdkLoaded.length === 0 && stsChunk !== undefined && fresh.files.includes(stsChunk);
  const size = (f: string) => kb(readFileSync(join(ROOT, f)).length);
  return {
    ok,
    lines: [
      `Cached \`env\` loads ${cached.files.length} files of kops-mfa (${cached.files.map((f) => `${f} ${size(f)}`).join(', ')}) ` +
        `and imports ${cached.builtins.length} node: built-ins (${cached.builtins.join(', ')}).`,
      `A login that calls STS loads ${fresh.files.length} files (the check that the counter sees the SDK: ${stsChunk && fresh.files.includes(stsChunk) ? 'it does' : 'it does NOT'}).`,
      `- ${mark(sdkLoaded.length === 0)} the AWS SDK is not loaded on the cached path` +
        (sdkLoaded.length ? `: loaded ${sdkLoaded.join(', ')}` : ` (${stsChunk ?? 'sts chunk not found'} and ${sdkChunks.length} SDK chunks untouched)`),
      'Counted with a module.register() load hook preloaded through NODE_OPTIONS=--import, which logs every URL the ESM loader loads ' +
        '(node:module, which the counter itself loads first, and built-ins that bundled CommonJS require() are not seen).',
    ],
  };
}

/**
 * Where the cached `env` spends its time: --cpu-prof of 10 runs, each sample
 * given to the innermost frame in our bundle (by the `// path` comments
 * esbuild writes before every module, so cac, shell-quote and src/cache.ts are
 * told apart); samples with no bundle frame go to what Node was doing.
 */
function profileCachedEnv(env: NodeJS.ProcessEnv): string[] {
  const N = 10;
  const dir = join(tmpdir(), `kops-mfa-bench-prof-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  for (let i = 0; i < N; i++) {
    spawnSync(NODE, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100', BIN, 'env'], { env });
  }
  const baseDir = `${dir}-node`;
  mkdirSync(baseDir, { recursive: true });
  cleanups.push(() => rmSync(baseDir, { recursive: true, force: true }));
  for (let i = 0; i < N; i++) spawnSync(NODE, ['--cpu-prof', `--cpu-prof-dir=${baseDir}`, '--cpu-prof-interval=100', '-e', '0']);

  // Per bundle file: the module each line belongs to.
  const sections = new Map<string, Array<[number, string]>>();
  const sectionOf = (url: string, line: number): string => {
    let list = sections.get(url);
    if (!list) {
      list = [];
      const text = readFileSync(new URL(url), 'utf8').split('\n');
      text.forEach((l, i) => {
        const m = /^\/\/ ((?:src|node_modules)\/\S+|package\.json)$/.exec(l);
        if (m) list!.push([i, m[1]!]);
      });
      sections.set(url, list);
    }
    let name = '(bundle glue)';
    for (const [start, n] of list) if (start <= line) name = n;
    const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(name)?.[1];
    return pkg ? `${pkg} (bundled)` : name;
  };
  const distUrl = pathToFileURL(join(ROOT, 'dist')).href;

  const aggregate = (folder: string) => {
    // Per run, then the median run of each area: one descheduled run does not skew it.
    const perRunBuckets: Array<Map<string, number>> = [];
    const totals: number[] = [];
    for (const f of readdirSync(folder)) {
      const buckets = new Map<string, number>();
      perRunBuckets.push(buckets);
      let total = 0;
      const p = JSON.parse(readFileSync(join(folder, f), 'utf8')) as {
        nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
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
        let compileOwn = false;
        let compileBuiltin = false;
        let esmLoader = false;
        let builtin: string | undefined; // the outermost public built-in on the stack
        for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
          const cf = byId.get(cur)!.callFrame;
          if (!bucket && cf.url.startsWith(distUrl)) bucket = sectionOf(cf.url, cf.lineNumber);
          if (cf.functionName === 'compileSourceTextModule') compileOwn = true;
          if (cf.functionName === 'compileForInternalLoader') compileBuiltin = true;
          if (cf.url.startsWith('node:internal/modules/esm/')) esmLoader = true;
          if (/^node:(?!internal\/)/.test(cf.url)) builtin = cf.url;
        }
        const leaf = byId.get(id)!.callFrame.functionName;
        bucket ??=
          leaf === '(garbage collector)'
            ? 'garbage collection'
            : compileOwn
              ? 'V8 compiling the kops-mfa bundle'
              : leaf === '(program)' || leaf === '(idle)'
                ? 'V8/native (program, idle)'
                : esmLoader && builtin
                  ? `loading ${builtin} (imported by the bundle)`
                  : compileBuiltin
                    ? 'compiling other Node built-ins'
                    : esmLoader
                      ? 'ESM loader: resolve, read, link'
                      : 'Node bootstrap, stdio, exit';
        buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
      });
      totals.push(total / 1000);
    }
    const names = new Set(perRunBuckets.flatMap((b) => [...b.keys()]));
    const buckets = new Map([...names].map((n) => [n, median(perRunBuckets.map((b) => (b.get(n) ?? 0) / 1000))]));
    return { buckets, perRun: median(totals) };
  };
  const env0 = aggregate(dir);
  const node0 = aggregate(baseDir);
  const lines = [
    `### Where the cached \`env\` spends its time (--cpu-prof, ${N} runs, sampled main thread, profiler overhead included)`,
    '',
    `Profiled time of the median run: ${fmt(env0.perRun)} ms for \`kops-mfa env\`, ${fmt(node0.perRun)} ms for \`node -e 0\` (areas: median over the runs).`,
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
