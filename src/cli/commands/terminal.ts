// A terminal is not a shell. env and logout print statements for a shell to
// evaluate; typed at a terminal, they would put the secret in the scrollback
// and change nothing. There, unless --print asks for them, env stops before
// any code is asked for, and logout (which has forgotten the cache by then)
// prints nothing; each says in one line how to apply the statements.
import type { BaseContext, Outcome } from '../../context.js';
import { usageError } from '../../errors.js';
import type { Flags } from '../options.js';
import { printable } from '../../printable.js';

/** How to apply what `command` prints, for a person who typed it at a terminal; `…`: the same options. */
function howToApply(command: 'env' | 'logout', flags: Flags): string {
  const profile = typeof flags.profile === 'string' && flags.profile ? ` --profile ${printable(flags.profile)}` : '';
  const more = Object.entries(flags).some(([k, v]) => v !== undefined && k !== 'print') ? ' …' : '';
  const fn = command === 'env' ? 'kops-login' : 'kops-logout';
  return `use ${fn}${profile} or eval "$(kops-mfa ${command}${more})"`;
}

const atTerminal = (flags: Flags, ctx: BaseContext) => ctx.stdoutIsTerminal?.() === true && flags.print !== true;

/** Before env logs in: refuse, in one line, when stdout is a terminal. */
export function refuseTerminal(flags: Flags, ctx: BaseContext): void {
  if (atTerminal(flags, ctx)) throw usageError(`a terminal is not a shell: ${howToApply('env', flags)}`);
}

/** After logout forgot the cache: no statements to a terminal, one line instead. */
export function logoutOutput(flags: Flags, ctx: BaseContext, outcome: Outcome): Outcome {
  if (!atTerminal(flags, ctx)) return outcome;
  ctx.note(`to clear this shell: ${howToApply('logout', flags)}`);
  return { ...outcome, stdout: undefined };
}
