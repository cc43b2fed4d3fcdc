// Where the MFA code comes from, and the rules around it: --token-code, else
// the profile's mfa_process, else the terminal prompt (asked again after a
// typo or a code AWS refused, three times at most). IAM takes each code once,
// so a code used in the last 90 s is refused here, before AWS sees it.
import { join } from 'node:path';
import { TOKEN_CODE, type Settings } from '../settings/config.js';
import type { Context } from '../context.js';
import { configError, ExitCode, KopsMfaError, mfaError } from '../errors.js';
import { digest, readPrivate, writePrivate } from '../store/cache.js';
import { RejectedCodeError } from './sts.js';
import { printable } from '../printable.js';

export const TRIES = 3;
/** How long a used code is remembered: a TOTP code lives 30 s, and AWS accepts a window around it. */
export const SPENT_CODE_SECONDS = 90;

/** A code refused as just used ends as a code AWS refused: exit 4 (see errors.ts). */
export const JUST_USED = 'this code was just used; wait for the next one on your device and try again';
const refused = (message = JUST_USED) => new KopsMfaError(message, ExitCode.aws);

export const NO_PROMPT = 'an MFA code is needed and --no-prompt forbids asking: run kops-login to type one';

export interface CodeSource {
  /** A code for the next STS call. `retry` is the reason the previous one failed, if it did. */
  next(retry?: RejectedCodeError): Promise<string>;
  /** AWS accepted the code: remember it as spent. */
  spent(code: string): void;
}

/** The code source for these settings. Nothing is asked or run until next() is called. */
export function codeSource(s: Settings, ctx: Context, cacheDir: string | undefined): CodeSource {
  const memory = spentCodes(cacheDir, s.serialNumber, ctx);
  let asked = 0;
  const fromPrompt = s.tokenCode === undefined && s.mfaProcess === undefined;
  return {
    async next(retry) {
      if (retry && (!fromPrompt || asked >= TRIES)) throw retry;
      if (retry) ctx.note(retry.message);
      if (s.tokenCode !== undefined) {
        if (memory.has(s.tokenCode)) throw refused();
        return s.tokenCode;
      }
      // --no-prompt: no code from anywhere that may wait (mfa_process may want a touch of a key).
      if (s.noPrompt) throw mfaError(NO_PROMPT);
      if (s.mfaProcess !== undefined) {
        const code = await runMfaProcess(s.mfaProcess, ctx.env);
        if (memory.has(code)) throw refused('mfa_process printed a code that was just used; wait for the next one and try again');
        return code;
      }
      let used = false;
      for (;;) {
        // Three answers that were not a code AWS could take: a wrong code, as AWS's refusal is (exit 4).
        if (asked >= TRIES) throw used ? refused() : refused(`no valid MFA code after ${TRIES} tries; a code is the 6 digits your device shows`);
        asked++;
        const answer = await ctx.prompt(`MFA code for ${printable(s.serialNumber)}:`);
        if (!TOKEN_CODE.test(answer)) {
          used = false;
          if (asked < TRIES) ctx.note('an MFA code is 6 digits; try again');
          continue;
        }
        if (memory.has(answer)) {
          used = true;
          if (asked < TRIES) ctx.note('this code was just used; wait for the next one on your device');
          continue;
        }
        return answer;
      }
    },
    spent: (code) => memory.add(code),
  };
}

interface SpentCodes {
  has(code: string): boolean;
  add(code: string): void;
}

/**
 * The codes used with one device in the last 90 s, as salted hashes in a 0600
 * file of the cache folder, never the codes. node:crypto is loaded here only,
 * on the path that asks for a code anyway.
 */
function spentCodes(dir: string | undefined, serial: string, ctx: Context): SpentCodes {
  if (!dir) return { has: () => false, add: () => {} };
  const file = join(dir, `used-codes-${digest(['used-codes', serial])}`);
  const now = () => ctx.now().getTime();
  const load = (): { salt: string; used: Array<{ h: string; at: number }> } => {
    const read = readPrivate(file, 16 * 1024);
    if (!read || !('text' in read)) return fresh();
    try {
      const data = JSON.parse(read.text) as { salt?: unknown; used?: unknown };
      if (typeof data.salt !== 'string' || !Array.isArray(data.used)) return fresh();
      const used = (data.used as Array<{ h: string; at: number }>).filter(
        (u) => typeof u?.h === 'string' && typeof u.at === 'number' && now() - u.at < SPENT_CODE_SECONDS * 1000,
      );
      return { salt: data.salt, used };
    } catch {
      return fresh();
    }
  };
  const fresh = () => {
    const { randomBytes } = process.getBuiltinModule('node:crypto');
    return { salt: randomBytes(16).toString('hex'), used: [] };
  };
  const hash = (salt: string, code: string) => {
    const { createHash } = process.getBuiltinModule('node:crypto');
    return createHash('sha256').update(`${salt}\0${serial}\0${code}`).digest('hex');
  };
  return {
    has(code) {
      const { salt, used } = load();
      const h = hash(salt, code);
      return used.some((u) => u.h === h);
    },
    add(code) {
      const state = load();
      state.used.push({ h: hash(state.salt, code), at: now() });
      try {
        writePrivate(file, `${JSON.stringify(state)}\n`);
      } catch (e) {
        ctx.debug(`could not remember the used code: ${(e as Error).message}`);
      }
    },
  };
}

/** mfa_process: a command (split like a shell would, run without one) whose trimmed stdout is the code. */
export async function runMfaProcess(command: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<string> {
  // Loaded here, not at start-up: only mfa_process users need them.
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const { parse: parseCommand } = await import('shell-quote');
  const words = parseCommand(command, (name) => env[name] ?? '');
  if (words.length === 0 || words.some((w) => typeof w !== 'string')) {
    throw configError(`mfa_process must be one plain command (no pipes, redirections or globs): ${printable(command)}`);
  }
  const [file, ...args] = words as string[];
  const shown = printable(file as string);
  const r = spawnSync(file as string, args, { env, encoding: 'utf8', stdio: ['inherit', 'pipe', 'inherit'], timeout: timeoutMs });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEDOUT') throw mfaError(`mfa_process ${shown} did not answer within ${Math.round(timeoutMs / 1000)} s`);
    throw mfaError(`mfa_process ${shown} could not run: ${code === 'ENOENT' ? 'command not found' : printable(r.error.message)}`);
  }
  if (r.status !== 0) {
    throw mfaError(`mfa_process ${shown} failed (${r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`}); run it by hand to see why`);
  }
  const code = r.stdout.trim();
  if (!TOKEN_CODE.test(code)) throw mfaError(`mfa_process ${shown} did not print a 6-digit code`);
  return code;
}
