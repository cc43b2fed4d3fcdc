// Everything kops-mfa does around cac, in one place. cac matches the command,
// finds unknown options and writes --help; the values themselves are read
// here from argv as typed, because cac turns `--token-code 012345` into the
// number 12345, camel-cases names, and takes `--min-remaining -1` for an
// unknown option `-1`.
import type { Command } from 'cac';
import type { Flags, OptionSpec } from './options.js';
import { helpText, rawName } from './options.js';

/** Add the table's options to a cac command. */
export function addOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const o of specs) command.option(rawName(o), helpText(o));
  return command;
}

function spec(specs: readonly OptionSpec[], token: string): OptionSpec | undefined {
  if (token.startsWith('--')) return specs.find((o) => o.name === token.slice(2));
  if (/^-[A-Za-z]$/.test(token)) return specs.find((o) => o.short === token.slice(1));
  return undefined;
}

/**
 * `--name value` as `--name=value` for every option that takes a value, so
 * that cac never reads a value such as `-1` as an option. Nothing after `--`
 * is touched.
 */
export function normalize(args: readonly string[], specs: readonly OptionSpec[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') return [...out, ...args.slice(i)];
    const o = spec(specs, a);
    if (o?.value && i + 1 < args.length && args[i + 1] !== '--') out.push(`--${o.name}=${args[++i] as string}`);
    else out.push(a);
  }
  return out;
}

/** The options as typed (last one wins), up to `--`. Run on normalized args. */
export function readFlags(args: readonly string[], specs: readonly OptionSpec[]): Flags {
  const flags: Record<string, string | true> = {};
  for (const a of args) {
    if (a === '--') break;
    const eq = a.indexOf('=');
    const o = spec(specs, eq > 0 ? a.slice(0, eq) : a);
    if (!o) continue;
    flags[o.name] = o.value ? (eq > 0 ? a.slice(eq + 1) : '') : true;
  }
  return flags;
}

/**
 * A call made only of `command`'s own options, each with a value where it
 * takes one, and `positionals` plain words (init's shell): its flags, words
 * and what follows `--`. Anything else (help, version, an unknown option, a
 * missing value, a stray word) is undefined: cac's to show or to refuse.
 * Run on normalized args.
 */
export function plainCall(
  command: string,
  args: readonly string[],
  specs: readonly OptionSpec[],
  positionals: number,
): { flags: Flags; positional: string[]; dashed: string[] } | undefined {
  const end = args.indexOf('--');
  const before = end === -1 ? args : args.slice(0, end);
  const positional: string[] = [];
  let named = false;
  for (const a of before) {
    if (!named && a === command) named = true;
    else if (!a.startsWith('-')) positional.push(a);
    else {
      const eq = a.indexOf('=');
      const o = spec(specs, eq > 0 ? a.slice(0, eq) : a);
      if (!o || !!o.value !== eq > 0) return undefined;
    }
  }
  if (!named || positional.length !== positionals) return undefined;
  return { flags: readFlags(args, specs), positional, dashed: end === -1 ? [] : args.slice(end + 1) };
}

/** What cac printed with console.info (help, version) while `fn` ran. */
export function captureInfo(fn: () => void): string {
  const info = console.info;
  let text = '';
  console.info = (...a: unknown[]) => {
    text += `${a.map(String).join(' ')}\n`;
  };
  try {
    fn();
  } finally {
    console.info = info;
  }
  return text;
}

/** cac's help, tidied: no "(default: true)" that it adds to --no-* switches, no trailing blanks; `kops-mfa help X` for more. */
export function tidyHelp(sections: Array<{ title?: string; body: string }>) {
  return sections.map((section) => {
    const more = section.title?.startsWith('For more info') === true;
    return {
      ...section,
      title: more ? 'For more about one command' : section.title,
      body: section.body
        .split('\n')
        .filter((line) => !(more && / help --help$/.test(line)))
        .map((line) => (more ? line.replace(/kops-mfa (\S+) --help$/, 'kops-mfa help $1') : line))
        .map((line) => line.replace(/ \(default: true\)$/, '').trimEnd())
        .join('\n'),
    };
  });
}

/**
 * A cac error as one line that names the option as the user typed it: cac
 * says `--bogusFlag` for --bogus-flag and `--suchFlag` for --no-such-flag.
 */
export function usageMessage(message: string, args: readonly string[]): string {
  const unknown = /^Unknown option `-{1,2}([^`=]+)[^`]*`$/.exec(message)?.[1];
  if (!unknown) return message.replace(/`/g, '');
  return `unknown option ${typedOption(args, unknown) ?? `--${unknown}`}`;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function typedOption(args: readonly string[], name: string): string | undefined {
  for (const a of args) {
    if (a === '--') break;
    if (!a.startsWith('-')) continue;
    const typed = a.split('=')[0] as string;
    const bare = typed.replace(/^-{1,2}/, '');
    if ([bare, bare.replace(/^no-/, '')].some((n) => n === name || camel(n) === name)) return typed;
  }
  return undefined;
}
