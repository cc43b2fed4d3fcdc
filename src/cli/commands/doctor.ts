// `kops-mfa doctor`: a checklist of the setup, one line per check, each
// passed (✓), failed (✗, with its fix), a warning (!) or not known (?). The
// checklist is the command's output (stdout); it exits 1 when a check
// failed. Every check that waits (STS, kops, the keyring) is bounded in time,
// and the three run side by side.
import { execFile } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Context, Outcome } from '../../context.js';
import { ExitCode, KopsMfaError } from '../../errors.js';
import type { Flags } from '../options.js';
import { printable } from '../../printable.js';
import { loadAwsFiles, profileNames, type AwsFiles } from '../../settings/aws-files.js';
import { mergedProfile, profileName, resolveKopsContext, resolveSettings, type Settings } from '../../settings/config.js';
import { cacheDir, openCache } from '../../store/cache.js';
import { holdsOwnSession, MARKER } from '../../shell/saved-state.js';
import { onPath } from '../../console/open.js';
import { VERSION } from '../../version.js';

type Mark = 'ok' | 'fail' | 'warn' | 'unknown';

interface Check {
  mark: Mark;
  name: string;
  text: string;
  /** What to do; every failure has one. */
  fix?: string;
}

/** Whether the keyring can store and read a secret; its own module answers (keys/keyring.ts). */
type KeyringProbe = (env: NodeJS.ProcessEnv) => Promise<{ ok: true } | { ok: false; problem: string }>;

/** How long any one check may wait. */
const CHECK_TIMEOUT_MS = 5_000;
/** SigV4 signatures are refused beyond 15 minutes of skew; warn well before. */
const SKEW_FAIL_SECONDS = 300;
const SKEW_WARN_SECONDS = 60;

interface DoctorOptions {
  /** The script node runs (argv[1]) and node itself. */
  script?: string;
  execPath?: string;
  keyring?: KeyringProbe | undefined;
}

export async function doctorCommand(flags: Flags, ctx: Context, opts: DoctorOptions = {}): Promise<Outcome> {
  const env = ctx.env;
  const checks: Check[] = [];
  checks.push(...runtimeChecks(env, opts.script ?? process.argv[1] ?? 'kops-mfa', opts.execPath ?? process.execPath));
  checks.push(snippetCheck(env));

  let files: AwsFiles | undefined;
  try {
    files = loadAwsFiles(env);
  } catch (e) {
    checks.push({ mark: 'fail', name: 'AWS files', text: messageOf(e), fix: 'make ~/.aws/config and ~/.aws/credentials readable' });
  }
  const profile = profileName(flags, env);
  let settings: Settings | undefined;
  if (files) {
    const result = profileChecks(flags, env, files, profile);
    settings = result.settings;
    checks.push(...result.checks);
    checks.push(...iniChecks(files, chainOf(files, profile), profile));
    checks.push(...credentialProcessChecks(files, opts.script));
    checks.push(defaultProfileCheck(files, settings));
  }
  checks.push(cacheCheck(env));

  // The endpoint a login would call: the override (in the settings), else the region's.
  const endpoint = settings ? (settings.endpoint ?? `https://sts.${settings.region}.amazonaws.com`) : (env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL || 'https://sts.us-east-1.amazonaws.com');
  const [sts, keyring, kops] = await Promise.all([stsChecks(endpoint, ctx.now), keyringCheck(env, 'keyring' in opts ? opts.keyring : defaultProbe, settings?.source.kind === 'keyring'), kopsCheck(env)]);
  checks.push(...sts, keyring, kops);

  const failed = checks.some((c) => c.mark === 'fail');
  return { stdout: render(checks, env, ctx.stdoutIsTerminal?.() === true), code: failed ? ExitCode.general : ExitCode.ok };
}

// -- How the lines look ---------------------------------------------------------

const UNICODE: Record<Mark, string> = { ok: '✓', fail: '✗', warn: '!', unknown: '?' };
const ASCII: Record<Mark, string> = { ok: '[ok]', fail: '[FAIL]', warn: '[warn]', unknown: '[?]' };
const COLOR: Record<Mark, string> = { ok: '32', fail: '31', warn: '33', unknown: '2' };

/** Unicode marks where the locale is UTF-8 (and on Windows); ASCII words elsewhere. Colour only on a terminal, never with NO_COLOR. */
function render(checks: readonly Check[], env: NodeJS.ProcessEnv, terminal: boolean, platform: NodeJS.Platform = process.platform): string {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  const marks = platform === 'win32' || /utf-?8/i.test(locale) ? UNICODE : ASCII;
  const color = terminal && !env.NO_COLOR && env.TERM !== 'dumb';
  const width = Math.max(...Object.values(marks).map((m) => m.length));
  return checks
    .map((c) => {
      const mark = marks[c.mark].padEnd(width);
      const shown = color ? `\x1b[${COLOR[c.mark]}m${mark}\x1b[0m` : mark;
      return `${shown} ${printable(c.name)}: ${printable(c.text)}${c.fix ? `; fix: ${printable(c.fix)}` : ''}\n`;
    })
    .join('');
}

// -- The checks -------------------------------------------------------------------

function runtimeChecks(env: NodeJS.ProcessEnv, script: string, execPath: string): Check[] {
  const checks: Check[] = [];
  const major = Number(/^v(\d+)/.exec(process.version)?.[1]);
  checks.push({ mark: 'ok', name: 'kops-mfa', text: `${VERSION} at ${script}` });
  checks.push(
    major <= 20
      ? { mark: 'warn', name: 'node', text: `${process.version} at ${execPath} reached its end of life on 2026-04-30`, fix: 'use Node 22 or newer' }
      : { mark: 'ok', name: 'node', text: `${process.version} at ${execPath}` },
  );
  const found = onPath('kops-mfa', env);
  if (!found) {
    checks.push({ mark: 'fail', name: 'PATH', text: 'kops-mfa is not on PATH (a different Node version?)', fix: 'npm install -g kops-mfa, or add its folder to PATH' });
  } else if (real(found) !== real(script) && !sameBin(found, script)) {
    checks.push({ mark: 'warn', name: 'PATH', text: `PATH finds ${found}, not the kops-mfa that runs now`, fix: 'remove the other install, or put this one first on PATH' });
  } else {
    checks.push({ mark: 'ok', name: 'PATH', text: `kops-mfa is ${found}` });
  }
  return checks;
}

/** The bin link and the script it runs (bin/kops-mfa.cjs next to dist/cli.cjs and dist/main.cjs) count as the same install. */
function sameBin(found: string, script: string): boolean {
  const a = real(found).replace(/\/(bin\/kops-mfa(\.cjs)?|dist\/(?:cli|main)\.cjs)$/, '');
  const b = real(script).replace(/\/(bin\/kops-mfa(\.cjs)?|dist\/(?:cli|main)\.cjs)$/, '');
  return a === b;
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** A child cannot see the shell's functions: only a login's variables tell that kops-login ran here. */
function snippetCheck(env: NodeJS.ProcessEnv): Check {
  if (env[MARKER] && holdsOwnSession(env)) return { mark: 'ok', name: 'shell', text: `a kops-mfa login is in this shell (profile ${env[MARKER]})` };
  const hints = Object.keys(env).filter((k) => k.startsWith('KOPS_MFA_')).sort();
  return {
    mark: 'unknown',
    name: 'shell',
    text: `unknown whether it loaded the kops-mfa snippet (no login here${hints.length ? `; set: ${hints.slice(0, 3).join(', ')}` : ''})`,
    fix: 'if kops-login is not found, add the line of kops-mfa init <shell> to your rc file',
  };
}

function profileChecks(flags: Flags, env: NodeJS.ProcessEnv, files: AwsFiles, profile: string): { checks: Check[]; settings?: Settings } {
  const name = `profile ${profile}`;
  if (!mergedProfile(files, profile) && !flags.profile && !env.AWS_PROFILE && !env.KOPS_MFA_ARN) {
    const candidates = profileNames(files).filter((p) => mergedProfile(files, p)?.mfa_serial || mergedProfile(files, p)?.role_arn).slice(0, 5);
    return {
      checks: [
        {
          mark: 'fail',
          name: 'profile',
          text: candidates.length ? `none chosen; profiles with MFA: ${candidates.join(', ')}` : 'no profile with mfa_serial or role_arn',
          fix: candidates.length ? `kops-mfa doctor --profile ${candidates[0]}` : 'kops-mfa setup',
        },
      ],
    };
  }
  let settings: Settings;
  try {
    settings = resolveSettings(flags, env, files);
  } catch (e) {
    return { checks: [{ mark: 'fail', name, text: messageOf(e), fix: 'edit the profile as the message says' }] };
  }
  const checks: Check[] = [
    { mark: 'ok', name, text: `${settings.roleArn ? `role ${settings.roleArn}` : 'no role (GetSessionToken)'}, MFA ${settings.serialNumber}` },
    {
      mark: 'ok',
      name: 'keys',
      text: `${keyIdStart(settings)} from ${settings.source.origin}${settings.hops.length ? `, through ${settings.hops.map((h) => h.profile).join(' -> ')}` : ''}`,
    },
  ];
  try {
    const kops = resolveKopsContext(flags, env, files);
    if (kops.stateStore || kops.clusterName) {
      checks.push({ mark: 'ok', name: 'kops context', text: [kops.stateStore && `state ${kops.stateStore}`, kops.clusterName && `cluster ${kops.clusterName}`].filter(Boolean).join(', ') });
    }
  } catch (e) {
    checks.push({ mark: 'fail', name: 'kops context', text: messageOf(e), fix: `edit kops_state_store / kops_cluster_name in [profile ${profile}]` });
  }
  return { checks, settings };
}

/** The profile and the profiles its source_profile chain names. */
function chainOf(files: AwsFiles, profile: string): string[] {
  const chain = [profile];
  for (let p = mergedProfile(files, profile); p?.source_profile && !chain.includes(p.source_profile); p = mergedProfile(files, chain.at(-1)!)) {
    chain.push(p.source_profile);
  }
  return chain;
}

/** Values the AWS CLI reads differently: it keeps an inline `#` or `;` comment as part of the value; kops-mfa and the Go SDK strip it. */
function iniChecks(files: AwsFiles, chain: readonly string[], profile: string): Check[] {
  const found: string[] = [];
  for (const [path, isConfig] of [[files.configPath, true], [files.credentialsPath, false]] as const) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    let section: string | undefined;
    for (const line of text.split(/\r?\n/)) {
      const head = /^\s*\[\s*([^\]]*?)\s*\]/.exec(line);
      if (head) {
        const raw = head[1] ?? '';
        section = isConfig ? (raw === 'default' ? 'default' : /^profile\s+(.+)$/.exec(raw)?.[1]?.trim()) : raw;
        continue;
      }
      const kv = /^\s*([^=\s#;]+)\s*=\s*(.*)$/.exec(line);
      if (!kv || section === undefined || !chain.includes(section)) continue;
      if (/\s[#;]/.test(kv[2] ?? '')) found.push(`${kv[1]} of [${section}]`);
    }
  }
  if (found.length === 0) return [{ mark: 'ok', name: 'AWS CLI', text: `reads the values of profile ${profile} as kops-mfa does` }];
  return [
    {
      mark: 'fail',
      name: 'AWS CLI',
      text: `an inline comment the AWS CLI keeps as part of the value: ${found.slice(0, 3).join(', ')}`,
      fix: 'put the comment on a line of its own',
    },
  ];
}

/** credential_process found through PATH breaks where PATH differs (an IDE, cron, another Node version). */
function credentialProcessChecks(files: AwsFiles, script: string | undefined): Check[] {
  const out: Check[] = [];
  for (const name of profileNames(files)) {
    const line = files.config[name]?.credential_process;
    if (!line) continue;
    const program = /^\s*(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(line);
    const path = program?.[1] ?? program?.[2] ?? program?.[3] ?? '';
    if (isAbsolute(path)) continue;
    const better = path === 'kops-mfa' && script ? ` (${real(script)})` : '';
    out.push({
      mark: 'warn',
      name: `profile ${name}`,
      text: `credential_process runs ${path} from PATH, which an IDE or cron may not have`,
      fix: `use its absolute path${better}`,
    });
  }
  return out;
}

/**
 * What a child's SDK would take before the session. Exported static keys
 * come first in every SDK; with an MFA session exec serves the session on
 * loopback and gives its command AWS files without any credential source
 * (docs/decisions/exec-child-aws-files.md). So a [default] with keys, a
 * credential_process, a role or SSO is reported, and passes.
 */
function defaultProfileCheck(files: AwsFiles, settings: Settings | undefined): Check {
  const d = { ...files.config.default, ...files.credentials.default };
  const sources = ['aws_access_key_id', 'credential_process', 'role_arn', 'source_profile', 'sso_session', 'sso_start_url', 'web_identity_token_file'].filter((k) => d[k]);
  if (sources.length === 0) return { mark: 'ok', name: '[default]', text: 'holds no credentials that would come before the session' };
  const how = (settings?.mfaSessionSeconds ?? 0) > 0 ? "exec's command gets AWS files without it" : 'the exported session comes first';
  return { mark: 'ok', name: '[default]', text: `has ${sources.join(', ')}; ${how}` };
}

function cacheCheck(env: NodeJS.ProcessEnv): Check {
  const dir = cacheDir(env);
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { mark: 'ok', name: 'cache', text: `${dir} is made at the first login` };
    return { mark: 'fail', name: 'cache', text: `cannot read ${dir}: ${(e as NodeJS.ErrnoException).code}`, fix: `rm -r ${dir}` };
  }
  if (process.platform === 'win32') return { mark: 'ok', name: 'cache', text: dir };
  if (st.isSymbolicLink() || !st.isDirectory()) return { mark: 'fail', name: 'cache', text: `${dir} is not a folder`, fix: `rm ${dir}` };
  if (process.getuid && st.uid !== process.getuid()) return { mark: 'fail', name: 'cache', text: `${dir} belongs to another user`, fix: `rm -r ${dir}` };
  if (st.mode & 0o077) return { mark: 'fail', name: 'cache', text: `${dir} is open to others (mode ${(st.mode & 0o777).toString(8)})`, fix: `chmod 700 ${dir}` };
  let open = 0;
  try {
    for (const name of readdirSync(dir)) {
      try {
        if (lstatSync(`${dir}/${name}`).mode & 0o077) open++;
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // unreadable: the mode check above already passed; a login reports it
  }
  if (open > 0) return { mark: 'fail', name: 'cache', text: `${open} file${open === 1 ? '' : 's'} in ${dir} open to others`, fix: `chmod 600 ${dir}/*` };
  // The rest of the rule every command applies (the folders above it among them); the folder is private, so it changes nothing.
  try {
    openCache(env, { create: false });
  } catch (e) {
    return { mark: 'fail', name: 'cache', text: messageOf(e), fix: 'make the folders above it yours (or root\'s) and not writable by others' };
  }
  return { mark: 'ok', name: 'cache', text: `${dir} is private (700)` };
}

async function stsChecks(endpoint: string, now: () => Date): Promise<Check[]> {
  let host = endpoint;
  try {
    host = new URL(endpoint).host;
  } catch {
    return [{ mark: 'fail', name: 'STS', text: `${endpoint} is not a URL`, fix: 'fix AWS_ENDPOINT_URL_STS' }];
  }
  let date: string | null;
  try {
    const res = await fetch(endpoint, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS), redirect: 'manual' });
    await res.body?.cancel();
    date = res.headers.get('date');
  } catch (e) {
    const timedOut = (e as Error).name === 'TimeoutError';
    return [
      {
        mark: 'fail',
        name: 'STS',
        text: `cannot reach ${host}${timedOut ? ` in ${CHECK_TIMEOUT_MS / 1000} s` : ''}`,
        fix: 'check the network and any proxy, or AWS_ENDPOINT_URL_STS',
      },
      { mark: 'unknown', name: 'clock', text: 'not checked: STS did not answer' },
    ];
  }
  const checks: Check[] = [{ mark: 'ok', name: 'STS', text: `${host} answers` }];
  const at = date ? Date.parse(date) : Number.NaN;
  if (Number.isNaN(at)) {
    checks.push({ mark: 'unknown', name: 'clock', text: 'not checked: STS sent no Date' });
    return checks;
  }
  const skew = Math.round((now().getTime() - at) / 1000);
  const words = `${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} STS`;
  if (Math.abs(skew) > SKEW_FAIL_SECONDS) checks.push({ mark: 'fail', name: 'clock', text: `${words}: AWS refuses requests signed at the wrong time`, fix: 'sync the clock (timedatectl set-ntp true)' });
  else if (Math.abs(skew) > SKEW_WARN_SECONDS) checks.push({ mark: 'warn', name: 'clock', text: words, fix: 'sync the clock (timedatectl set-ntp true)' });
  else checks.push({ mark: 'ok', name: 'clock', text: `within ${Math.max(1, Math.abs(skew))} s of STS` });
  return checks;
}

/** The keyring's own answer, loaded only when doctor runs (keys/keyring.ts, bounded in time). */
const defaultProbe: KeyringProbe = async (env) => (await import('../../keys/keyring.js')).keyringStatus(env);

/** A keyring that does not work fails the check when the profile's keys live there; else it is a warning. */
async function keyringCheck(env: NodeJS.ProcessEnv, probe: KeyringProbe | undefined, needed: boolean): Promise<Check> {
  if (!probe) return { mark: 'unknown', name: 'keyring', text: 'not checked' };
  const fix = needed
    ? 'unlock or start the keyring (gnome-keyring, KWallet), or move the keys back: kops-mfa keys remove, then aws configure'
    : 'only needed for kops-mfa keys add/import: unlock or start the keyring (gnome-keyring, KWallet)';
  const bad = (text: string): Check => ({ mark: needed ? 'fail' : 'warn', name: 'keyring', text, fix });
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, CHECK_TIMEOUT_MS, 'timeout').unref());
  try {
    const r = await Promise.race([probe(env), timeout]);
    if (r === 'timeout') return bad(`no answer in ${CHECK_TIMEOUT_MS / 1000} s`);
    if (r.ok) return { mark: 'ok', name: 'keyring', text: 'stores and reads a secret' };
    return bad(r.problem);
  } catch (e) {
    return bad(messageOf(e));
  }
}

async function kopsCheck(env: NodeJS.ProcessEnv): Promise<Check> {
  const kops = onPath('kops', env);
  if (!kops) return { mark: 'fail', name: 'kops', text: 'not on PATH', fix: 'install kops (https://kops.sigs.k8s.io/getting_started/install/)' };
  return new Promise((resolve) => {
    execFile(kops, ['version'], { env, timeout: CHECK_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 }, (error, stdout) => {
      const first = String(stdout).split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 80);
      if (error && (error as { killed?: boolean }).killed) {
        resolve({ mark: 'fail', name: 'kops', text: `${kops} version did not answer in ${CHECK_TIMEOUT_MS / 1000} s`, fix: 'reinstall kops' });
      } else if (error || !first) {
        resolve({ mark: 'fail', name: 'kops', text: `${kops} version failed`, fix: 'reinstall kops' });
      } else {
        resolve({ mark: 'ok', name: 'kops', text: `${kops}: ${first}` });
      }
    });
  });
}

/** The first characters of the access key id (AKIA: a user's key), when it is known without reading a secret store. */
function keyIdStart(settings: Settings): string {
  const id = settings.source.accessKeyId as string | undefined;
  return id ? `${id.slice(0, 4)}…` : 'keys';
}

function messageOf(e: unknown): string {
  return e instanceof KopsMfaError || e instanceof Error ? e.message : String(e);
}
