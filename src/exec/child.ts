// The command exec runs: started with its environment (secrets there only,
// never in argv), its exit status passed back, and the signals kops-mfa gets
// passed on, so the command decides what a signal means.
import type { Context } from '../context.js';
import { ExitCode } from '../errors.js';
import { printable } from '../printable.js';
import { forwardedSignals, procStat, type Platform } from '../platform.js';

/** Signals a terminal sends to its whole foreground group, the child included. */
const FROM_TERMINAL = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT']);

/**
 * Whether this process is in the foreground process group of its terminal:
 * then Ctrl-C and Ctrl-\ reached the child (same group) already, and
 * forwarding them would make it see two. Linux tells through /proc (pgrp and
 * the terminal's foreground group, tpgid); elsewhere a terminal on any of the
 * standard streams is taken as the sign.
 */
function inForeground(): boolean {
  const f = procStat('self');
  if (f) return f[2] !== undefined && f[2] === f[5];
  return process.stdin.isTTY === true || process.stdout.isTTY === true || process.stderr.isTTY === true;
}

/** Run the command to its end: its exit code, 128+n for a signal, 126/127 when it could not start. */
export function runChild(command: readonly string[], env: NodeJS.ProcessEnv, ctx: Context, platform: Platform): Promise<number> {
  const FORWARDED = forwardedSignals(platform);
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
      if (signal) done(128 + (process.getBuiltinModule('node:os').constants.signals[signal] ?? 0));
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
