// `kops-mfa complete …`: what the shell completions offer, one candidate a
// line, raw: each snippet quotes them as one word for its shell. Commands and
// their options come from the command list and the option table, profile
// names from the AWS files parser and shell names from the shell table, so no
// snippet keeps a list or a parser of its own.
//
//   complete <login|logout> <previous word> <current word>
//     kops-login and kops-logout: candidates only.
//   complete cli <word>… <current word>
//     kops-mfa itself, given the words after `kops-mfa` up to the cursor:
//     `candidate<TAB>description` lines (bash drops the description).
//   complete usage <login|logout>
//     the help of kops-login or kops-logout, for their --help: the options
//     the functions pass on (not --shell, which they set themselves).
import { loadAwsFiles, profileNames } from '../../settings/aws-files.js';
import type { Context, Outcome } from '../../context.js';
import { usageError } from '../../errors.js';
import { DEBUG_OPTION, helpText, rawName, SHELL_FUNCTIONS, type OptionSpec } from '../options.js';
import { INIT_NAMES, SHELL_NAMES } from '../../shell/shells.js';
import { commands } from './index.js';

const HELP: OptionSpec = { name: 'help', short: 'h', help: 'Show help' };
const VERSION: OptionSpec = { name: 'version', short: 'v', help: 'Show the version' };

function profiles(ctx: Context): string[] {
  try {
    return profileNames(loadAwsFiles(ctx.env));
  } catch {
    return []; // an unreadable file: nothing to offer, and no error in the middle of a Tab
  }
}

/** The values an option takes, when they can be listed. */
function optionValues(o: OptionSpec, ctx: Context): string[] | undefined {
  if (o.profiles) return profiles(ctx);
  if (o.name === 'shell') return [...SHELL_NAMES];
  return undefined;
}

const lines = (pairs: readonly (readonly [string, string])[], current: string) =>
  pairs
    .filter(([c]) => c.startsWith(current))
    .map(([c, d]) => `${c}\t${d.replace(/[\t\r\n]+/g, ' ')}\n`)
    .join('');

function completeCli(words: readonly string[], ctx: Context): string {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const list = commands(ctx);
  const firstWord = before.findIndex((w) => !w.startsWith('-'));
  if (firstWord < 0) {
    // The command itself (or a global option).
    const names = list.map((e) => [e.name, e.description] as const);
    const globals = [HELP, VERSION, DEBUG_OPTION].map((o) => [`--${o.name}`, o.help] as const);
    return lines(current.startsWith('-') ? globals : names, current);
  }
  const name = before[firstWord];
  const entry = list.find((e) => e.name === name);
  if (!entry) return '';
  const after = before.slice(firstWord + 1);
  if (after.includes('--')) return ''; // exec's command line: the shell's own completion
  const options = [...entry.options, DEBUG_OPTION, HELP];
  const previous = after.at(-1);
  const taking = previous && options.find((o) => o.value && (`--${o.name}` === previous || (o.short && `-${o.short}` === previous)));
  if (taking) {
    const values = optionValues(taking, ctx) ?? [];
    return lines(values.map((v) => [v, taking.help] as const), current);
  }
  if (!current.startsWith('-')) {
    // A plain word: init's shell, or help's command.
    const positional = after.filter((w, i) => !w.startsWith('-') && !options.some((o) => o.value && after[i - 1] === `--${o.name}`));
    if (positional.length > 0) return '';
    if (entry.name === 'init') return lines(INIT_NAMES.map((s) => [s, 'the shell of the rc file'] as const), current);
    if (entry.name === 'help') return lines(list.filter((e) => e.name !== 'help').map((e) => [e.name, e.description] as const), current);
  }
  const used = new Set(after);
  const offered = options.filter((o) => !used.has(`--${o.name}`) || o.name === 'help');
  return lines(offered.map((o) => [`--${o.name}`, o.help] as const), current);
}

const FUNCTIONS = {
  login: { name: 'kops-login', what: 'Log in with MFA and set the AWS session in this shell', example: 'kops-login --profile prod' },
  logout: { name: 'kops-logout', what: 'Forget the session and give this shell back what the login replaced', example: 'kops-logout --all' },
} as const;

/** The --help of kops-login or kops-logout, from the option table. */
function usage(fn: 'login' | 'logout'): string {
  const f = FUNCTIONS[fn];
  const options = [...SHELL_FUNCTIONS[fn], HELP];
  const width = Math.max(...options.map((o) => rawName(o).length));
  return [
    `${f.name}: ${f.what}`,
    '',
    'Usage:',
    `  $ ${f.name} [options]`,
    '',
    'Options:',
    ...options.map((o) => `  ${rawName(o).padEnd(width)}  ${helpText(o)}`),
    '',
    'Examples:',
    `  ${f.example}`,
    '',
    'More: docs/shells.md, and kops-mfa --help',
    '',
  ].join('\n');
}

export function completeCommand(words: readonly string[], ctx: Context): Outcome {
  const [fn, ...rest] = words;
  if (fn === 'cli') return { stdout: completeCli(rest, ctx) };
  if (fn === 'usage' && (rest[0] === 'login' || rest[0] === 'logout')) return { stdout: usage(rest[0]) };
  const [previous = '', current = ''] = rest;
  if (fn !== 'login' && fn !== 'logout') {
    throw usageError('complete needs login, logout or cli, then the words up to the one being completed');
  }
  const specs = SHELL_FUNCTIONS[fn];
  const option = specs.find((o) => `--${o.name}` === previous || (o.short && `-${o.short}` === previous));
  let candidates: string[];
  if (option?.value) {
    if (!option.profiles) return { stdout: '' };
    candidates = profiles(ctx);
  } else {
    candidates = specs.map((o) => `--${o.name}`);
  }
  const out = candidates.filter((c) => c.startsWith(current));
  return { stdout: out.map((c) => `${c}\n`).join('') };
}
