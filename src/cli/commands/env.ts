// `kops-mfa env`: log in (or reuse the session) and print the statements for the shell.
import type { Context, Outcome } from '../../context.js';
import type { Flags } from '../options.js';
import { detectShell, parseShellName, render } from '../../shell/render/index.js';
import { withSession } from './with-session.js';

export async function envCommand(flags: Flags, ctx: Context): Promise<Outcome> {
  // The shell first: a bad --shell costs no code.
  const shell = typeof flags.shell === 'string' ? parseShellName(flags.shell) : detectShell(ctx.env);
  const { ops } = await withSession(flags, ctx);
  return { stdout: render(shell, ops) };
}
