// `kops-mfa exec -- cmd`: run a command with the session in its environment,
// as the old wrapper's `exec kops "$@"` did: secrets in the environment only,
// never in argv; the child's status returned; signals forwarded.
import { closeSync, openSync, readSync } from 'node:fs';
import { constants } from 'node:os';
import type { Context, Outcome } from '../context.js';
import { childEnv } from '../env-ops.js';
import { ExitCode, usageError } from '../errors.js';
import type { Flags } from '../options.js';
import { printable } from '../printable.js';
import { withSession } from './with-session.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
/** Signals a terminal sends to its whole foreground group, the child included. */
const FROM_TERMINAL = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT']);

export async function execCommand(flags: Flags, command: readonly string[], ctx: Context): Promise<Outcome> {
  if (command.length === 0) throw usageError('exec needs a command after --: kops-mfa exec [options] -- kops get clusters');
  // Like aws-vault exec: quiet while a cached session serves, so an alias
  // for kops prints nothing of its own before every run.
  const { ops } = await withSession(flags, ctx, { quietReuse: true });
  return { code: await run(command, childEnv(ctx.env, ops), ctx) };
}

/**
 * Whether this process is in the foreground process group of its terminal:
 * then Ctrl-C and Ctrl-\ reached the child (same group) already, and
 * forwarding them would make it see two. Linux tells through /proc (pgrp and
 * the terminal's foreground group, tpgid); elsewhere a terminal on any of the
 * standard streams is taken as the sign.
 */
export function inForeground(): boolean {
  let fd: number | undefined;
  try {
    fd = openSync('/proc/self/stat', 'r');
    const buf = Buffer.alloc(1024);
    const text = buf.toString('utf8', 0, readSync(fd, buf));
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return f[2] !== undefined && f[2] === f[5];
  } catch {
    return process.stdin.isTTY === true || process.stdout.isTTY === true || process.stderr.isTTY === true;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function run(command: readonly string[], env: NodeJS.ProcessEnv, ctx: Context): Promise<number> {
  // Loaded here, off the other commands' start-up.
  const { spawn } = process.getBuiltinModule('node:child_process');
  const [file, ...args] = command as [string, ...string[]];
  const shown = printable(file);
  return new Promise((resolve) => {
    // kops-mfa stays alive until the child decides what to do with a signal.
    // The handlers go in before the child starts, so no signal falls between.
    let child: ReturnType<typeof spawn> | undefined;
    const forward = (signal: NodeJS.Signals) => {
      if (FROM_TERMINAL.has(signal) && inForeground()) return;
      if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const s of FORWARDED) process.on(s, forward);
    const done = (code: number) => {
      for (const s of FORWARDED) process.removeListener(s, forward);
      resolve(code);
    };
    try {
      child = spawn(file, args, { env, stdio: 'inherit' });
    } catch (e) {
      // spawn throws synchronously for some errors (E2BIG on some Node versions).
      done(failed(e as NodeJS.ErrnoException, shown, ctx));
      return;
    }
    child.once('error', (e: NodeJS.ErrnoException) => done(failed(e, shown, ctx)));
    child.once('exit', (code, signal) => {
      if (signal) done(128 + (constants.signals[signal] ?? 0));
      else done(code ?? ExitCode.general);
    });
  });
}

function failed(e: NodeJS.ErrnoException, file: string, ctx: Context): number {
  if (e.code === 'ENOENT') {
    ctx.note(`${file}: command not found`);
    return ExitCode.notFound;
  }
  if (e.code === 'EACCES') ctx.note(`${file}: permission denied`);
  else if (e.code === 'E2BIG') ctx.note(`${file}: the environment and arguments are too large for the OS to start it (E2BIG)`);
  else ctx.note(`${file}: ${printable(e.message)}`);
  return ExitCode.notRunnable;
}
