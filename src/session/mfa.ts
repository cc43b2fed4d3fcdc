// Where the MFA code comes from, and the rules around it: --token-code, else
// the profile's mfa_process, else the terminal prompt (asked again after a
// typo or a code AWS refused, three times at most). IAM takes each code once,
// so a code used in the last 90 s is refused here, before AWS sees it.
import { TOKEN_CODE, type Settings } from '../settings/config.js';
import type { Context } from '../context.js';
import { configError, ExitCode, KopsMfaError, mfaError, shortened, type RejectedCodeError } from '../errors.js';
import { spentCodes } from '../store/spent-codes.js';
import type { VerifiedFolder } from '../store/cache.js';
import { printable } from '../printable.js';

const TRIES = 3;

/** A code refused as just used ends as a code AWS refused: exit 4 (see errors.ts). */
const JUST_USED = 'this code was just used; wait for the next one on your device and try again';
const refused = (message = JUST_USED) => new KopsMfaError(message, ExitCode.aws);

const NO_PROMPT = 'an MFA code is needed and --no-prompt forbids asking: run kops-login to type one';

export interface CodeSource {
  /** A code for the next STS call. `retry` is the reason the previous one failed, if it did. */
  next(retry?: RejectedCodeError): Promise<string>;
  /** The code is about to be sent: remember it as spent (AWS takes it even when no answer comes back). */
  spent(code: string): void;
  /** AWS refused the code: it was not taken, so a retyped code is AWS's to judge again. */
  refused(code: string): void;
  /** Throw at once when no code can be had at all (--no-prompt without --token-code), before keys or the SDK load. */
  check(): void;
}

/** The code source for these settings. Nothing is asked or run until next() is called. */
export function codeSource(s: Settings, ctx: Context, folder: VerifiedFolder | undefined): CodeSource {
  const memory = spentCodes(folder, s.serialNumber, ctx.now, ctx.debug);
  let asked = 0;
  const fromPrompt = s.tokenCode === undefined && s.mfaProcess === undefined;
  return {
    check() {
      if (s.noPrompt && s.tokenCode === undefined) throw mfaError(NO_PROMPT);
    },
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
    refused: (code) => memory.remove(code),
  };
}

/** mfa_process: a command (split like a shell would, run without one) whose trimmed stdout is the code. */
export async function runMfaProcess(command: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<string> {
  // Loaded here, not at start-up: only mfa_process users need them.
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const { parse: parseCommand } = await import('shell-quote');
  const words = parseCommand(command, (name) => env[name] ?? '');
  if (words.length === 0 || words.some((w) => typeof w !== 'string')) {
    throw configError(`mfa_process must be one plain command (no pipes, redirections or globs): ${printable(shortened(command))}`);
  }
  const [file, ...args] = words as string[];
  const shown = printable(shortened(file as string));
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
