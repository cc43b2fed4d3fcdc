// Run a command with the session in its environment, as the old wrapper's
// `exec kops "$@"` did: secrets in the environment only, never in argv; the
// child's status returned; signals forwarded.
import { constants } from 'node:os';
import type { Context } from '../context.js';
import { applyOps, type EnvOp } from '../env-ops.js';
import { ExitCode } from '../errors.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
/** Signals a terminal sends to its whole foreground group, the child included. */
const FROM_TERMINAL = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT']);

export async function execCommand(command: readonly string[], ops: readonly EnvOp[], ctx: Context): Promise<number> {
  // Loaded here, off the other commands' start-up; getBuiltinModule needs no
  // ES module loader in the CommonJS bundle.
  const { spawn } = process.getBuiltinModule('node:child_process');
  const [file, ...args] = command as [string, ...string[]];
  const env = applyOps(ctx.env, ops);
  return new Promise((resolve) => {
    // kops-mfa stays alive until the child decides what to do with a signal.
    // On a terminal, Ctrl-C and Ctrl-\ already reached the child (same
    // foreground group); sending them again would make kops see two.
    // The handlers go in before the child starts, so no signal falls between.
    const onTerminal = process.stdin.isTTY === true;
    let child: ReturnType<typeof spawn> | undefined;
    const forward = (signal: NodeJS.Signals) => {
      if (onTerminal && FROM_TERMINAL.has(signal)) return;
      if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const s of FORWARDED) process.on(s, forward);
    child = spawn(file, args, { env, stdio: 'inherit' });
    const done = (code: number) => {
      for (const s of FORWARDED) process.removeListener(s, forward);
      resolve(code);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        ctx.note(`${file}: command not found`);
        done(ExitCode.notFound);
      } else if (e.code === 'EACCES') {
        ctx.note(`${file}: permission denied`);
        done(126);
      } else {
        ctx.note(`${file}: ${e.message}`);
        done(126);
      }
    });
    child.once('exit', (code, signal) => {
      if (signal) done(128 + (constants.signals[signal] ?? 0));
      else done(code ?? ExitCode.general);
    });
  });
}
