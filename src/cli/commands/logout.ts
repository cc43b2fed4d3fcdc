// `kops-mfa logout`: forget cached sessions, and print the statements that
// give this shell back what it held before kops-mfa's login.
import { cacheDir, listEntries, removeEntry } from '../../store/cache.js';
import type { Context, Outcome } from '../../context.js';
import { logoutOps, MARKER } from '../../shell/env-ops.js';
import type { Flags } from '../options.js';
import { printable } from '../../printable.js';
import { detectShell, parseShellName, render } from '../../shell/render/index.js';

/** The profile to forget: --profile, else the one this shell is logged into, else AWS_PROFILE, else default. */
export function logoutProfile(flags: Flags, env: NodeJS.ProcessEnv): string {
  return (typeof flags.profile === 'string' && flags.profile) || env[MARKER] || env.AWS_PROFILE || 'default';
}

export async function logoutCommand(flags: Flags, ctx: Context): Promise<Outcome> {
  const shell = typeof flags.shell === 'string' ? parseShellName(flags.shell) : detectShell(ctx.env);
  const all = flags.all === true;
  const profile = logoutProfile(flags, ctx.env);
  let removed = 0;
  let mfaSessions = 0;
  for (const { file, entry } of listEntries(cacheDir(ctx.env), ctx.note)) {
    // An MFA session serves every profile of its device: only --all forgets it.
    const mine = all || (entry.kind === undefined && entry.profile === profile);
    if (mine && removeEntry(file)) {
      if (entry.kind === 'mfa') mfaSessions++;
      else removed++;
    }
  }
  const sessions = `${removed} cached session${removed === 1 ? '' : 's'}`;
  const mfa = all ? ` and ${mfaSessions} MFA session${mfaSessions === 1 ? '' : 's'}` : '';
  ctx.note(`forgot ${sessions}${mfa}${all ? '' : ` of profile ${printable(profile)}`}`);
  return { stdout: render(shell, logoutOps(ctx.env)) };
}
