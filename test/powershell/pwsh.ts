// A real PowerShell for the tests: `pwsh` when it is on PATH, else the small
// console host in this folder (PowerShell's own ConsoleShell from the
// Microsoft.PowerShell.SDK package, built with dotnet). In CI (CI=true) a
// missing PowerShell fails the test with the reason; elsewhere the test is
// skipped with it. Scripts run with -NoProfile -NonInteractive -File, and
// report back on stdout in ASCII only (base64 of UTF-8), so that the
// channel back to the test decodes the same under any console encoding.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { hasTool, kopsMfaShim, ROOT, tempDir, type RawRun } from '../support/helpers.ts';

export const HOST_DIR = join(ROOT, 'test', 'powershell');
export const HOST_EXE = join(HOST_DIR, 'bin', 'kops-mfa-pwsh');
export const SNIPPET = join(ROOT, 'shells', 'kops-mfa.ps1');
/** The first line of kops-mfa's statement output. */
export { HEADER } from '../../src/shell/render/validate.ts';

const HOST_SOURCES = ['Program.cs', 'kops-mfa-pwsh.csproj'].map((f) => join(HOST_DIR, f));

let resolved: { exe: string; how: string } | { why: string } | undefined;

function hostIsFresh(): boolean {
  if (!existsSync(HOST_EXE)) return false;
  const built = statSync(HOST_EXE).mtimeMs;
  return HOST_SOURCES.every((f) => statSync(f).mtimeMs <= built);
}

/** Build the host once (several test files may ask at the same time). */
function buildHost(): string | undefined {
  const lock = join(HOST_DIR, 'obj', 'kops-mfa-build.lock');
  mkdirSync(join(HOST_DIR, 'obj'), { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) return `another build holds ${lock}`;
      spawnSync('sleep', ['0.5']);
    }
  }
  try {
    if (hostIsFresh()) return undefined;
    const r = spawnSync('dotnet', ['publish', HOST_DIR, '-c', 'Release', '-o', join(HOST_DIR, 'bin'), '-nologo', '-v', 'q'], {
      encoding: 'utf8',
      env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
    });
    if (r.status !== 0) return `dotnet publish of ${HOST_DIR} failed:\n${r.stdout}${r.stderr}`;
    return hostIsFresh() ? undefined : `dotnet publish did not produce ${HOST_EXE}`;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function resolve(): { exe: string; how: string } | { why: string } {
  if (resolved) return resolved;
  if (hasTool('pwsh')) return (resolved = { exe: 'pwsh', how: 'pwsh on PATH' });
  if (hostIsFresh()) return (resolved = { exe: HOST_EXE, how: 'the test host (Microsoft.PowerShell.SDK)' });
  if (!hasTool('dotnet')) {
    return (resolved = {
      why: 'no PowerShell: pwsh is not on PATH, and without the .NET SDK (dotnet) the test host in test/powershell cannot be built',
    });
  }
  const failed = buildHost();
  if (failed) return (resolved = { why: `no PowerShell: ${failed}` });
  return (resolved = { exe: HOST_EXE, how: 'the test host (Microsoft.PowerShell.SDK), built now' });
}

/**
 * The PowerShell executable, or undefined when there is none: then the test
 * has been skipped (developer machine) or this throws (CI).
 */
export function needPowerShell(t: TestContext): string | undefined {
  const r = resolve();
  if ('exe' in r) return r.exe;
  if (process.env.CI) throw new Error(`required tool missing in CI: ${r.why}`);
  t.skip(r.why);
  return undefined;
}

/** The environment PowerShell runs in: no colours, no telemetry, no update check. */
export function psEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    POWERSHELL_TELEMETRY_OPTOUT: '1',
    POWERSHELL_UPDATECHECK: 'Off',
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    NO_COLOR: '1',
    TERM: env.TERM ?? 'dumb',
  };
}

/** Argument list for a script file. */
export function scriptArgs(file: string): string[] {
  return ['-NoLogo', '-NoProfile', '-NonInteractive', '-File', file];
}

/** Run a PowerShell script (text) in a fresh engine; stdout as bytes. */
export async function runPs(
  t: TestContext,
  exe: string,
  script: string,
  opts: { env: NodeJS.ProcessEnv; cwd?: string },
): Promise<RawRun> {
  const dir = tempDir(t, 'kops-mfa-ps-');
  const file = join(dir, 'test.ps1');
  // A BOM, so that any PowerShell reads the script itself as UTF-8.
  writeFileSync(file, '\uFEFF' + script);
  return new Promise((resolve, reject) => {
    // No stdin; killed after 3 minutes (an engine start takes seconds on a loaded machine).
    const child = spawn(exe, scriptArgs(file), { cwd: opts.cwd ?? dir, env: psEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr });
    });
  });
}

/** A PowerShell single-quoted literal: each of the five single quotes doubled. */
export function psQuote(s: string): string {
  return `'${s.replace(/['\u2018\u2019\u201A\u201B]/g, (c) => c + c)}'`;
}

/** PowerShell code that prints `R <tag> <base64 of the UTF-8 bytes of expr, or -unset->`. */
export function report(tag: string, expr: string): string {
  return (
    `$kmV = ${expr}; if ($null -eq $kmV) { 'R ${tag} -unset-' } ` +
    `else { 'R ${tag} ' + [Convert]::ToBase64String([Text.UTF8Encoding]::new($false).GetBytes([string] $kmV)) }`
  );
}

/** The `R tag value` lines of a run: tag -> value (undefined = unset). */
export function reports(stdout: Buffer): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const line of stdout.toString('latin1').split(/\r?\n/)) {
    const m = /^R (\S+) (\S*)$/.exec(line);
    if (!m) continue;
    out.set(m[1]!, m[2] === '-unset-' ? undefined : Buffer.from(m[2]!, 'base64').toString('utf8'));
  }
  return out;
}

/** A folder for PATH with `kops-mfa`: the built CLI, as a user has it. */
export function kopsMfaOnPath(t: TestContext): string {
  const bin = tempDir(t, 'kops-mfa-bin-');
  kopsMfaShim(bin);
  return bin;
}

/** The PowerShell version and how it was found, for the test's diagnostics. */
export function powerShellHow(): string {
  const r = resolve();
  return 'exe' in r ? r.how : r.why;
}
