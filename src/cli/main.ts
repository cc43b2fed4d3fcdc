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

export async function main(argv: readonly string[], ctx: Context): Promise<number> {
  const entries = commands(ctx);
  const all = entries.flatMap((e) => e.options).concat(DEBUG_OPTION);
  const args = normalize(argv.slice(2), all);
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
    return report(e, ctx, named?.name, args);
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
    if (cli.args.length > 0) throw usageError(`unknown command ${printable(String(cli.args[0]))}; commands: ${entries.map((e) => e.name).join(', ')}`);
    // No command: help, but on stderr, since stdout carries only results.
    ctx.note(`a command is needed\n${captureInfo(() => cli.outputHelp())}`.trimEnd());
    return ExitCode.usage;
  }
  await cli.runMatchedCommand();
  return outcome;
}

/** The one write to stdout, and the exit code. */
async function finish(outcome: Outcome, ctx: Context): Promise<number> {
  if (outcome.stdout !== undefined) {
    try {
      await ctx.stdout(outcome.stdout);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A reader that went away (`| head`) is no failure worth a line; anything else is.
      if (code !== 'EPIPE') ctx.note(`cannot write the output: ${code === 'ENOSPC' ? 'no space left on the device' : printable(String((e as Error).message))}`);
      return ExitCode.general;
    }
  }
  return outcome.code ?? ExitCode.ok;
}

function report(e: unknown, ctx: Context, command: string | undefined, args: readonly string[]): number {
  if (e instanceof Error && e.name === 'CACError') {
    ctx.note(`${printable(usageMessage(e.message, args))} (see kops-mfa ${command ? `${command} ` : ''}--help)`);
    return ExitCode.usage;
  }
  if (e instanceof KopsMfaError) {
    if (e.exitCode !== ExitCode.cancelled) ctx.note(printable(e.message));
    if (e.cause) ctx.debug(`cause: ${printable(String((e.cause as Error).stack ?? e.cause))}`);
    return e.exitCode;
  }
  ctx.note(`unexpected error: ${printable(e instanceof Error ? e.message : String(e))} (run with --debug for details)`);
  ctx.debug(printable(String((e as Error)?.stack ?? e)));
  return ExitCode.general;
}
