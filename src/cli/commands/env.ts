// `kops-mfa env`: log in (or reuse the session) and print the statements for the shell.
import type { Context, Outcome } from '../../context.js';
import type { Flags } from '../options.js';
import { detectShell, parseShellName, render } from '../../shell/render/index.js';
import { withSession } from './with-session.js';
import { usageError } from '../../errors.js';
import { printable } from '../../printable.js';

/** How to apply what `command` prints, for a person who typed it at a terminal. */
export function howToApply(command: 'env' | 'logout', flags: Flags): string {
  const profile = typeof flags.profile === 'string' && flags.profile ? ` --profile ${printable(flags.profile)}` : '';
  const fn = command === 'env' ? 'kops-login' : 'kops-logout';
  return `${fn}${profile}, or eval "$(kops-mfa ${command}${profile})" (or --print)`;
}

export async function envCommand(flags: Flags, ctx: Context): Promise<Outcome> {
  // The shell first: a bad --shell costs no code.
  const shell = typeof flags.shell === 'string' ? parseShellName(flags.shell) : detectShell(ctx.env);
  // A terminal is not a shell: the statements would put the secret in the scrollback and change nothing.
  if (ctx.stdoutIsTerminal() && flags.print !== true) throw usageError(`a terminal is not a shell: ${howToApply('env', flags)}`);
  const { ops } = await withSession(flags, ctx);
  return { stdout: render(shell, ops) };
}
