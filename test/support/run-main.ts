// kops-mfa in the test process: main(argv, ctx) with the context a test
// chooses, stdout and stderr captured. No node start (about 130 ms each, and
// far more under load), so precedence, cache, status, logout and exit-code
// cases run here; the bundle, the SDK as a consumer, signals, real shells and
// pseudo-terminals stay spawned (helpers.ts runCli).
//
// What differs from the built CLI: process.pid is the test's (the lock file
// says so; concurrent logins are spawned tests), and --debug / KOPS_MFA_DEBUG
// are read the way src/cli.ts reads them.
import { main } from '../../src/cli/main.ts';
import { mfaError } from '../../src/errors.ts';
import { NO_TERMINAL, type Prompt } from '../../src/session/prompt.ts';

export interface MainResult {
  code: number;
  /** What main wrote through ctx.stdout (at most one write). */
  stdout: string;
  /** Every line main said on stderr, as the CLI prints them ("kops-mfa: …\n"). */
  stderr: string;
  /** The same, one entry a line, without the prefix. */
  notes: string[];
  /** The messages the prompt was called with (one per question asked). */
  asked: string[];
  signal: null;
}

export interface MainOptions {
  env?: NodeJS.ProcessEnv;
  /** The clock; default the real one. */
  now?: () => Date;
  /**
   * The MFA prompt. Default: no terminal, as for a spawned CLI with no
   * controlling terminal (never the developer's /dev/tty). An array answers
   * one question each, then fails as a closed terminal would.
   */
  prompt?: Prompt | readonly string[];
  /** stdout's write; default: capture. Pass one that rejects to test a failed write. */
  stdout?: (text: string) => Promise<void>;
  /** Whether stdout is a terminal; default not (captured). */
  stdoutIsTerminal?: boolean;
}

const noTerminal: Prompt = () => Promise.reject(mfaError(NO_TERMINAL));

/** Run `kops-mfa ...args` in this process. */
export async function runMain(args: readonly string[], opts: MainOptions = {}): Promise<MainResult> {
  const env = { ...(opts.env ?? {}) };
  const notes: string[] = [];
  const asked: string[] = [];
  let stdout = '';
  let writes = 0;
  const answers = Array.isArray(opts.prompt) ? [...(opts.prompt as readonly string[])] : undefined;
  const given = typeof opts.prompt === 'function' ? opts.prompt : undefined;
  const prompt: Prompt = async (message) => {
    asked.push(message);
    if (given) return given(message);
    if (answers) {
      const a = answers.shift();
      if (a === undefined) throw mfaError('no code entered (end of input at the MFA prompt)');
      return a;
    }
    return noTerminal(message);
  };
  const dashes = args.indexOf('--');
  const debugOn = args.slice(0, dashes === -1 ? undefined : dashes).includes('--debug') || !!env.KOPS_MFA_DEBUG;
  const code = await main(['node', 'kops-mfa', ...args], {
    env,
    now: opts.now ?? (() => new Date()),
    prompt,
    note: (m) => notes.push(m),
    debug: debugOn ? (m) => notes.push(`debug: ${m}`) : () => {},
    stdout:
      opts.stdout ??
      (async (text) => {
        writes += 1;
        if (writes > 1) throw new Error('main wrote stdout twice: it promises one write');
        stdout += text;
      }),
    stdoutIsTerminal: () => opts.stdoutIsTerminal ?? false,
  });
  const lines = notes.flatMap((n) => n.split('\n'));
  return { code, stdout, stderr: notes.map((n) => `kops-mfa: ${n}\n`).join(''), notes: lines, asked, signal: null };
}
