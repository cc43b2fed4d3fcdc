// The one orchestrator: cache → code source → STS → cache.
import type { Settings } from './config.js';
import { TOKEN_CODE } from './config.js';
import { cacheDir, cacheFile, ensureDir, lock, readEntry, secondsLeft, writeEntry, type CacheEntry } from './cache.js';
import { configError, KopsMfaError, mfaError } from './errors.js';
import type { Context } from './context.js';
import { loadSdk, login, RejectedCodeError } from './sts.js';

/** What the orchestrator needs from outside: the command context. */
export type Deps = Context;

export interface Obtained {
  entry: CacheEntry;
  fromCache: boolean;
}

const TRIES = 3;

export async function obtainSession(s: Settings, deps: Deps): Promise<Obtained> {
  let file = s.useCache ? cacheFile(cacheDir(deps.env), s) : undefined;
  // The file is read before and after the lock: a damaged one is told once.
  const told = new Set<string>();
  const warn = (message: string) => {
    if (told.has(message)) return;
    told.add(message);
    deps.note(message);
  };
  const fresh = (e: CacheEntry | undefined) =>
    e !== undefined && secondsLeft(e.credentials, deps.now()) > s.minRemainingSeconds ? e : undefined;

  if (file && !s.refresh) {
    const hit = fresh(readEntry(file, warn));
    deps.debug(`cache ${hit ? 'hit' : 'miss'}: ${file}`);
    if (hit) return { entry: hit, fromCache: true };
  }
  let unlock: (() => void) | undefined;
  if (file) {
    try {
      ensureDir(cacheDir(deps.env));
      unlock = await lock(file, (pid) => deps.note(`waiting for another kops-mfa (pid ${pid}) that is logging in to the same session…`));
    } catch (e) {
      // A folder of another user stays an error; anything else (a read-only
      // or unusable folder) costs the cache, not the login.
      if (e instanceof KopsMfaError) throw e;
      warn(`cannot use the session cache: ${(e as Error).message}; going on without it (set XDG_CACHE_HOME to move it)`);
      file = undefined;
    }
  }
  try {
    if (file && !s.refresh) {
      // Another terminal may have logged in while we waited for the lock.
      const hit = fresh(readEntry(file, warn));
      if (hit) return { entry: hit, fromCache: true };
    }
    const entry = await loginWithCode(s, deps);
    if (file) {
      // The code is spent and the session valid: a failed save must not lose it.
      try {
        writeEntry(file, entry);
      } catch (e) {
        warn(`could not save the session in the cache (${(e as Error).message}); the next login will ask for a code`);
      }
    }
    return { entry, fromCache: false };
  } finally {
    unlock?.();
  }
}

async function loginWithCode(s: Settings, deps: Deps): Promise<CacheEntry> {
  // The SDK (about 100 ms) loads while the user reads the prompt and types;
  // without a terminal the prompt fails first and the load never matters.
  const started = Date.now();
  const loading = loadSdk();
  loading.catch(() => {});
  const fromPrompt = s.tokenCode === undefined && s.mfaProcess === undefined;
  for (let attempt = 1; ; attempt++) {
    const code = s.tokenCode ?? (s.mfaProcess !== undefined ? await runMfaProcess(s.mfaProcess, deps.env) : await askCode(s, deps));
    await loading;
    if (attempt === 1) deps.debug(`the AWS SDK was ready ${Date.now() - started} ms after the login started`);
    const t0 = Date.now();
    try {
      const session = await login(s, code);
      deps.debug(`STS answered in ${Date.now() - t0} ms`);
      return { v: 1, profile: s.profile, roleArn: s.roleArn, serialNumber: s.serialNumber, arn: session.arn, credentials: session.credentials };
    } catch (e) {
      if (e instanceof RejectedCodeError && fromPrompt && attempt < TRIES) {
        deps.note(`${e.message}.`);
        continue;
      }
      throw e;
    }
  }
}

/** Ask on the terminal until the answer looks like a code: at most three times, no AWS call for a typo. */
async function askCode(s: Settings, deps: Deps): Promise<string> {
  for (let i = 1; i <= TRIES; i++) {
    const answer = await deps.prompt(`MFA code for ${s.serialNumber}:`);
    if (TOKEN_CODE.test(answer)) return answer;
    if (i < TRIES) deps.note('An MFA code is 6 digits; try again.');
  }
  throw mfaError(`no valid MFA code after ${TRIES} tries (a code is the 6 digits your device shows)`);
}

/** mfa_process: a command (split like a shell would, run without one) whose trimmed stdout is the code. */
export async function runMfaProcess(command: string, env: NodeJS.ProcessEnv): Promise<string> {
  // Loaded here, not at start-up: only mfa_process users need them.
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const { parse: parseCommand } = await import('shell-quote');
  const words = parseCommand(command, (name) => env[name] ?? '');
  if (words.length === 0 || words.some((w) => typeof w !== 'string')) {
    throw configError(`mfa_process must be one plain command (no pipes, redirections or globs): ${command}`);
  }
  const [file, ...args] = words as string[];
  const r = spawnSync(file as string, args, {
    env,
    encoding: 'utf8',
    stdio: ['inherit', 'pipe', 'inherit'],
    timeout: 120_000,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw mfaError(`mfa_process ${file} could not run: ${code === 'ENOENT' ? 'command not found' : r.error.message}`);
  }
  if (r.status !== 0) {
    throw mfaError(`mfa_process ${file} failed (${r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`}); run it by hand to see why`);
  }
  const code = r.stdout.trim();
  if (!TOKEN_CODE.test(code)) throw mfaError(`mfa_process ${file} did not print a 6-digit code`);
  return code;
}
