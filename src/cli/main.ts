// The wiring: register the commands, run the one that matched, catch errors
// once, write stdout once. stdout is a protocol: a command returns its
// output, and main writes it after everything succeeded; everything else
// goes to stderr or the terminal.
import { cac, type Command } from 'cac';
import { addOptions, captureInfo, normalize, plainCall, readFlags, tidyHelp, usageMessage } from './argv.js';
import type { Context, Outcome } from '../context.js';
import { ExitCode, KopsMfaError, usageError } from '../errors.js';
import { DEBUG_OPTION, helpText } from './options.js';
import { printable } from '../printable.js';
import { commands, type Entry } from './commands/index.js';
import { completeCommand } from './commands/complete.js';
import { VERSION } from '../version.js';
import { didYouMean } from './suggest.js';
import { finish } from './output.js';

export async function main(argv: readonly string[], ctx: Context): Promise<number> {
  const entries = commands(ctx);
  const all = entries.flatMap((e) => e.options).concat(DEBUG_OPTION);
  let args = normalize(argv.slice(2), all);
  // `kops-mfa help [command]` is `kops-mfa [command] --help`: the same text, on stdout.
  const first = args.findIndex((a) => !a.startsWith('-'));
  if (args[first] === 'help' && !args.slice(0, first).includes('--')) {
    const topic = args.slice(first + 1).filter((a) => !a.startsWith('-') && a !== 'help');
    if (topic.length > 1 || (topic[0] !== undefined && !entries.some((e) => e.name === topic[0]))) {
      return report(unknownCommand(topic.join(' '), entries), ctx, undefined, args);
    }
    args = [...(topic[0] === undefined ? [] : [topic[0]]), '--help'];
  }
  const named = entries.find((e) => e.name === args.find((a) => !a.startsWith('-')));
  let outcome: Outcome = {};
  try {
    // complete takes the words being completed as they are: `--pro` is a word, not an option.
    if (argv[2] === 'complete') return await finish(completeCommand(argv.slice(3), ctx), ctx);
    if (named?.name === 'exec' && !args.includes('--')) {
      const rest = args.slice(args.indexOf('exec') + 1);
      const command = rest.findIndex((a) => !a.startsWith('-'));
      if (command !== -1) throw usageError(`put -- before the command: kops-mfa exec [options] -- ${rest.slice(command).map(printable).join(' ')}`);
    }
    // A command line made only of the command's own options goes straight to
    // it: cac (about 3 ms of every start) is for help, version and mistakes.
    const plain = named && plainCall(named.name, args, [...named.options, DEBUG_OPTION], named.raw.includes('[shell]') ? 1 : 0);
    if (named && plain) outcome = await named.action(plain.flags, plain.positional, plain.dashed);
    else {
      const viaCac = await runWithCac(entries, named, args, ctx);
      if (typeof viaCac === 'number') return viaCac;
      outcome = viaCac;
    }
  } catch (e) {
    return report(e, ctx, named, args);
  }
  return finish(outcome, ctx);
}

/** The command through cac: its --help, --version, and the errors it finds. */
async function runWithCac(entries: Entry[], named: Entry | undefined, args: string[], ctx: Context): Promise<Outcome | number> {
  const cli = cac('kops-mfa');
  let outcome: Outcome = {};
  // Only the command that runs is registered (cac parses argv once per
  // command); all of them when none matched, for the help and the error.
  for (const e of named ? [named] : entries) {
    const c: Command = cli.command(e.raw, e.description).usage(e.usage);
    addOptions(c, e.options);
    for (const example of e.examples ?? []) c.example(`  ${example}`);
    c.action(async (...a: unknown[]) => {
      const o = a[a.length - 1] as Record<string, unknown>;
      const positional = a.slice(0, -1).flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]));
      outcome = await e.action(readFlags(args, [...e.options, DEBUG_OPTION]), positional, (o['--'] as string[] | undefined) ?? []);
    });
  }
  // Listed for the overview only: main turns `help [command]` into --help before cac runs.
  if (!named) cli.command('help [command]', 'Show this help, or the help of one command (as <command> --help does)');
  cli.option(`--${DEBUG_OPTION.name}`, helpText(DEBUG_OPTION));
  cli.help(tidyHelp);
  cli.version(VERSION);
  let parsed: ReturnType<typeof cli.parse> | undefined;
  const shown = captureInfo(() => {
    parsed = cli.parse(['node', 'kops-mfa', ...args], { run: false });
  });
  const o = parsed?.options ?? {};
  if (o.help) return { stdout: shown };
  // cac prints the version only without a command: `env --version` printed nothing.
  if (o.version || o.v) return { stdout: `${VERSION}\n` };
  if (!cli.matchedCommand) {
    if (cli.args.length > 0) throw unknownCommand(String(cli.args[0]), entries);
    // No command: help, but on stderr, since stdout carries only results.
    ctx.note(`a command is needed\n${captureInfo(() => cli.outputHelp())}`.trimEnd());
    return ExitCode.usage;
  }
  await cli.runMatchedCommand();
  return outcome;
}

/** An unknown command, with the nearest known one, else the list. */
function unknownCommand(typed: string, entries: readonly Entry[]): KopsMfaError {
  const names = [...entries.map((e) => e.name), 'help'];
  const hint = didYouMean(typed, names, (n) => `kops-mfa ${n}`);
  return usageError(`unknown command ${printable(typed)}${hint || '; kops-mfa help lists the commands'}`);
}

function report(e: unknown, ctx: Context, command: Entry | undefined, args: readonly string[]): number {
  if (e instanceof Error && e.name === 'CACError') {
    const typed = /^Unknown option `/.test(e.message) ? usageMessage(e.message, args).replace(/^unknown option /, '') : undefined;
    const known = [...(command?.options ?? []), DEBUG_OPTION].map((o) => `--${o.name}`).concat('--help', '--version');
    const hint = typed === undefined ? '' : didYouMean(typed.split('=')[0] as string, known);
    ctx.note(`${printable(usageMessage(e.message, args))}${hint || ` (see kops-mfa help${command ? ` ${command.name}` : ''})`}`);
    return ExitCode.usage;
  }
  if (e instanceof KopsMfaError) {
    // Ctrl-C too: `cancelled` says on the line after the prompt why nothing happened.
    ctx.note(printable(e.message));
    if (e.cause) ctx.debug(`cause: ${printable(String((e.cause as Error).stack ?? e.cause))}`);
    return e.exitCode;
  }
  ctx.note(`unexpected error: ${printable(e instanceof Error ? e.message : String(e))} (run with --debug for details)`);
  ctx.debug(printable(String((e as Error)?.stack ?? e)));
  return ExitCode.general;
}
