// `kops-mfa logout`: forget cached sessions, and print the statements that
// give this shell back what it held before kops-mfa's login. Only files of
// kops-mfa's names and format, in the verified cache folder, are removed.
import { listEntries, openCache, removeEntry, type VerifiedFolder } from '../../store/cache.js';
import type { Context, Outcome } from '../../context.js';
import { CacheError, shortened } from '../../errors.js';
import { logoutOps } from '../../shell/env-ops.js';
import type { Flags } from '../options.js';
import { printable } from '../../printable.js';
import { profileName } from '../../settings/config.js';
import { detectShell, parseShellName, render } from '../../shell/render/index.js';

export async function logoutCommand(flags: Flags, ctx: Context): Promise<Outcome> {
  const shell = typeof flags.shell === 'string' ? parseShellName(flags.shell) : detectShell(ctx.env);
  const all = flags.all === true;
  const profile = profileName(flags, ctx.env);
  let folder: VerifiedFolder | undefined;
  let refused = false;
  try {
    folder = openCache(ctx.env, { create: false });
  } catch (e) {
    if (!(e instanceof CacheError)) throw e;
    // The shell still gets its variables back; nothing in that folder is touched.
    refused = true;
    ctx.note(`cannot use the session cache: ${e.message}; nothing forgotten`);
  }
  let removed = 0;
  let mfaSessions = 0;
  for (const { file, entry } of listEntries(folder, ctx.note)) {
    // An MFA session serves every profile of its device: only --all forgets it.
    const mine = all || (entry.kind === undefined && entry.profile === profile);
    if (mine && removeEntry(file)) {
      if (entry.kind === 'mfa') mfaSessions++;
      else removed++;
    }
  }
  const sessions = `${removed} cached session${removed === 1 ? '' : 's'}`;
  const mfa = all ? ` and ${mfaSessions} MFA session${mfaSessions === 1 ? '' : 's'}` : '';
  if (!refused) ctx.note(`forgot ${sessions}${mfa}${all ? '' : ` of profile ${printable(shortened(profile))}`}`);
  return { stdout: render(shell, logoutOps(ctx.env)) };
}
