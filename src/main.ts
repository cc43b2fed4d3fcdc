// cac wiring only, and the one catch that maps errors to exit codes.
// stdout is a protocol: a command returns its output, and main writes it once,
// after everything succeeded. Everything else goes to stderr or the terminal.
import { cac, type Command } from 'cac';
import pkg from '../package.json' with { type: 'json' };
import type { Flags } from './config.js';
import type { Context } from './context.js';
import { ExitCode, KopsMfaError, usageError } from './errors.js';
import { detectShell, parseShellName, render } from './shells/index.js';
import { login } from './commands/login.js';
import { initText } from './commands/init.js';
import { execCommand } from './commands/exec.js';
import { statusCommand } from './commands/status.js';
import { logoutCommand } from './commands/logout.js';

/** What a command hands back: text for stdout (written once), and the exit code. */
export interface Outcome {
  stdout?: string;
  code?: number;
}

/** Options that take a value. cac turns "012345" into 12345, so these are read raw from argv. */
const VALUE_OPTIONS = [
  'shell',
  'profile',
  'role-arn',
  'serial-number',
  'token-code',
  'duration-seconds',
  'role-session-name',
  'external-id',
  'region',
  'min-remaining',
] as const;

function loginOptions(c: Command): Command {
  return c
    .option('--profile <name>', 'AWS profile (default: $AWS_PROFILE, the logged-in profile, then default)')
    .option('--role-arn <arn>', 'Role to assume (KOPS_MFA_ROLE_ARN, role_arn); none: GetSessionToken')
    .option('--serial-number <arn>', 'MFA device ARN (KOPS_MFA_ARN, mfa_serial)')
    .option('--token-code <code>', 'The 6-digit MFA code; without it kops-mfa asks on the terminal')
    .option('--duration-seconds <seconds>', 'Session length, 900-43200 (KOPS_MFA_DURATION, duration_seconds; default 3600)')
    .option('--role-session-name <name>', 'Session name (KOPS_MFA_SESSION_NAME, role_session_name; default kops-access)')
    .option('--external-id <id>', 'External ID for the role (external_id)')
    .option('--region <region>', 'Region to export and to call STS in (AWS_REGION, region; default us-east-1)')
    .option('--min-remaining <minutes>', 'Reuse a cached session only if it has more minutes left (KOPS_MFA_MIN_REMAINING; default 5)')
    .option('--refresh', 'Ask for a new code even if a cached session is still valid')
    .option('--no-cache', 'Neither read nor write the session cache')
    .option('-q, --quiet', 'No note on stderr about the session');
}

function flagsFrom(o: Record<string, unknown>): Flags {
  const s = (v: unknown) => (v === undefined ? undefined : String(v));
  return {
    profile: s(o.profile),
    roleArn: s(o.roleArn),
    serialNumber: s(o.serialNumber),
    tokenCode: s(o.tokenCode),
    durationSeconds: s(o.durationSeconds),
    roleSessionName: s(o.roleSessionName),
    externalId: s(o.externalId),
    region: s(o.region),
    minRemaining: s(o.minRemaining),
    refresh: o.refresh === true,
    cache: o.cache !== false,
  };
}

/** The last `--name value` or `--name=value` before `--`, exactly as typed. */
function rawValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (a === `--${name}`) value = argv[++i];
    else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
  }
  return value;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export async function main(argv: string[], ctx: Context): Promise<number> {
  const cli = cac('kops-mfa');
  let outcome: Outcome = {};
  const args = argv.slice(2);

  loginOptions(
    cli
      .command('env', 'Log in with MFA and print statements that set the session in your shell')
      .option('--shell <shell>', 'bash, zsh, sh, fish or powershell (default: from $SHELL)')
      .usage('env [options]'),
  )
    .example('  eval "$(kops-mfa env)"')
    .example('  kops-mfa env --shell fish | source')
    .example('  kops-mfa env --shell powershell | Out-String | Invoke-Expression')
    .action(async (o: Record<string, unknown>) => {
      const shell = o.shell !== undefined ? parseShellName(String(o.shell)) : detectShell(ctx.env);
      const { ops } = await login(flagsFrom(o), ctx, { quiet: o.quiet === true });
      outcome = { stdout: render(shell, ops) };
    });

  loginOptions(cli.command('exec [...command]', 'Run a command with the session in its environment').usage('exec [options] -- <command> [args...]'))
    .example('  kops-mfa exec -- kops get clusters')
    .example("  alias kops='kops-mfa exec -- kops'")
    .action(async (command: string[], o: Record<string, unknown>) => {
      const argvCmd = (o['--'] as string[] | undefined)?.length ? (o['--'] as string[]) : command;
      if (argvCmd.length === 0) throw usageError('exec needs a command: kops-mfa exec -- kops get clusters');
      // Like aws-vault exec: quiet while a cached session serves, so an alias
      // for kops prints nothing of its own before every run.
      const { ops } = await login(flagsFrom(o), ctx, { quiet: o.quiet === true, quietReuse: true });
      outcome = { code: await execCommand(argvCmd, ops, ctx) };
    });

  loginOptions(cli.command('credential-process', 'Print the session as credential_process JSON for any AWS SDK'))
    .example('  credential_process = kops-mfa credential-process --profile kops-mfa   (in ~/.aws/config)')
    .action(async (o: Record<string, unknown>) => {
      const { obtained } = await login(flagsFrom(o), ctx, { quiet: true });
      const c = obtained.entry.credentials;
      const json = { Version: 1, AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken, Expiration: c.expiration };
      outcome = { stdout: `${JSON.stringify(json)}\n` };
    });

  cli
    .command('init <shell>', 'Print the shell integration (kops-login, kops-logout) for an rc file')
    .option('--path', 'Print the path of the snippet file instead of its text')
    .example('  eval "$(kops-mfa init zsh)"        # ~/.zshrc')
    .example('  kops-mfa init fish | source        # ~/.config/fish/config.fish')
    .example('  kops-mfa init powershell | Out-String | Invoke-Expression   # $PROFILE')
    .action((shell: string, o: Record<string, unknown>) => {
      outcome = { stdout: initText(shell, { path: o.path === true }) };
    });

  cli
    .command('status', 'Show the session of this shell and of the cache; exit 0 when valid')
    .option('--profile <name>', 'AWS profile (default: $AWS_PROFILE, the logged-in profile, then default)')
    .option('--json', 'Print JSON')
    .action(async (o: Record<string, unknown>) => {
      outcome = await statusCommand({ profile: o.profile as string | undefined, json: o.json === true }, ctx);
    });

  cli
    .command('logout', 'Forget cached sessions and print statements that clear the shell')
    .option('--shell <shell>', 'bash, zsh, sh, fish or powershell (default: from $SHELL)')
    .option('--profile <name>', 'Forget the sessions of this profile (default: the logged-in one)')
    .option('--all', 'Forget every cached session')
    .example('  eval "$(kops-mfa logout)"')
    .action(async (o: Record<string, unknown>) => {
      const shell = o.shell !== undefined ? parseShellName(String(o.shell)) : detectShell(ctx.env);
      outcome = await logoutCommand(shell, { profile: o.profile as string | undefined, all: o.all === true }, ctx);
    });

  cli.option('--debug', 'Explain each step on stderr (KOPS_MFA_DEBUG=1)');
  // cac prints "(default: true)" for --no-cache and pads lines with spaces.
  cli.help((sections) =>
    sections.map((section) => ({
      ...section,
      body: section.body
        .split('\n')
        .map((line) => line.replace(/ \(default: true\)$/, '').trimEnd())
        .join('\n'),
    })),
  );
  cli.version(pkg.version);

  try {
    const parsed = cli.parse(argv, { run: false });
    for (const name of VALUE_OPTIONS) {
      const raw = rawValue(args, name);
      if (raw !== undefined && parsed.options[camel(name)] !== undefined) cli.options[camel(name)] = raw;
    }
    if (parsed.options.help || parsed.options.version) return ExitCode.ok;
    if (!cli.matchedCommand) {
      if (cli.args.length > 0) throw usageError(`unknown command ${cli.args[0]}; commands: env, exec, init, status, logout, credential-process`);
      // No command: help, but on stderr, since stdout carries only results.
      const info = console.info;
      console.info = (...a: unknown[]) => console.error(...a);
      try {
        cli.outputHelp();
      } finally {
        console.info = info;
      }
      return ExitCode.usage;
    }
    await cli.runMatchedCommand();
  } catch (e) {
    return report(e, ctx, cli.matchedCommandName, args);
  }
  if (outcome.stdout !== undefined) await writeStdout(outcome.stdout);
  return outcome.code ?? ExitCode.ok;
}

function report(e: unknown, ctx: Context, command: string | undefined, args: readonly string[]): number {
  if (e instanceof Error && e.name === 'CACError') {
    // cac names an unknown option camel-cased (--bogusFlag for --bogus-flag,
    // --suchFlag for --no-such-flag): name it as the user typed it.
    const unknown = /^Unknown option `-{1,2}([^`=]+)[^`]*`$/.exec(e.message)?.[1];
    const message = unknown ? `unknown option ${typedOption(args, unknown) ?? `--${unknown}`}` : e.message.replace(/`/g, '');
    ctx.note(`${message} (see kops-mfa ${command ? `${command} ` : ''}--help)`);
    return ExitCode.usage;
  }
  if (e instanceof KopsMfaError) {
    if (e.exitCode !== ExitCode.cancelled) ctx.note(e.message);
    if (e.cause) ctx.debug(`cause: ${String((e.cause as Error).stack ?? e.cause)}`);
    return e.exitCode;
  }
  ctx.note(`unexpected error: ${e instanceof Error ? e.message : String(e)} (run with --debug for details)`);
  ctx.debug(String((e as Error)?.stack ?? e));
  return ExitCode.general;
}

/** The option on the command line (before --) that cac parsed as `name`. */
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

/** One write; a reader that went away (EPIPE) is not an error worth a trace. */
function writeStdout(text: string): Promise<void> {
  return new Promise((resolve) => {
    process.stdout.once('error', () => resolve());
    process.stdout.write(text, () => resolve());
  });
}

