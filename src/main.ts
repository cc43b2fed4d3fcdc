// The wiring: register the commands, run the one that matched, catch errors
// once, write stdout once. stdout is a protocol: a command returns its
// output, and main writes it after everything succeeded; everything else
// goes to stderr or the terminal.
import { cac, type Command } from 'cac';
import { addOptions, captureInfo, normalize, readFlags, tidyHelp, usageMessage } from './argv.js';
import type { Context, Outcome } from './context.js';
import { ExitCode, KopsMfaError, usageError } from './errors.js';
import { DEBUG_OPTION, helpText } from './options.js';
import { printable } from './printable.js';
import { commands, type Entry } from './commands/index.js';
import { completeCommand } from './commands/complete.js';
import { VERSION } from './version.js';

export async function main(argv: readonly string[], ctx: Context): Promise<number> {
  const cli = cac('kops-mfa');
  const entries = commands(ctx);
  const all = entries.flatMap((e) => e.options).concat(DEBUG_OPTION);
  const args = normalize(argv.slice(2), all);
  let outcome: Outcome = {};
  let running: Entry | undefined;
  // Only the command that runs is registered (cac parses argv once per
  // command); all of them when none matched, for the help and the error.
  const named = entries.find((e) => e.name === args.find((a) => !a.startsWith('-')));
  for (const e of named ? [named] : entries) {
    const c: Command = cli.command(e.raw, e.description).usage(e.usage);
    addOptions(c, e.options);
    for (const example of e.examples ?? []) c.example(`  ${example}`);
    c.action(async (...a: unknown[]) => {
      running = e;
      const o = a[a.length - 1] as Record<string, unknown>;
      const positional = a.slice(0, -1).flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]));
      outcome = await e.action(readFlags(args, [...e.options, DEBUG_OPTION]), positional, (o['--'] as string[] | undefined) ?? []);
    });
  }
  cli.option(`--${DEBUG_OPTION.name}`, helpText(DEBUG_OPTION));
  cli.help(tidyHelp);
  cli.version(VERSION);

  try {
    // complete takes the words being completed as they are: `--pro` is a word, not an option.
    if (argv[2] === 'complete') return await finish(completeCommand(argv.slice(3), ctx), ctx);
    const first = args.find((a) => !a.startsWith('-'));
    if (first === 'exec' && !args.includes('--')) {
      const rest = args.slice(args.indexOf('exec') + 1);
      const command = rest.findIndex((a) => !a.startsWith('-'));
      if (command !== -1) throw usageError(`put -- before the command: kops-mfa exec [options] -- ${rest.slice(command).map(printable).join(' ')}`);
    }
    let parsed: ReturnType<typeof cli.parse> | undefined;
    const shown = captureInfo(() => {
      parsed = cli.parse(['node', 'kops-mfa', ...args], { run: false });
    });
    const o = parsed?.options ?? {};
    if (o.help) {
      outcome = { stdout: shown };
    } else if (o.version || o.v) {
      // cac prints the version only without a command: `env --version` printed nothing.
      outcome = { stdout: `${VERSION}\n` };
    } else if (!cli.matchedCommand) {
      if (cli.args.length > 0) throw usageError(`unknown command ${printable(String(cli.args[0]))}; commands: ${entries.map((e) => e.name).join(', ')}`);
      // No command: help, but on stderr, since stdout carries only results.
      ctx.note(`a command is needed\n${captureInfo(() => cli.outputHelp())}`.trimEnd());
      return ExitCode.usage;
    } else {
      await cli.runMatchedCommand();
    }
  } catch (e) {
    return report(e, ctx, (running as Entry | undefined)?.name ?? cli.matchedCommandName, args);
  }
  return finish(outcome, ctx);
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
