// Forget cached sessions and print the statements that clear this shell.
import { cacheDir, listEntries, removeEntry } from '../cache.js';
import { profileName } from '../config.js';
import type { Context } from '../context.js';
import { logoutOps } from '../env-ops.js';
import { render, type ShellName } from '../shells/index.js';
import type { Outcome } from '../main.js';

export async function logoutCommand(shell: ShellName, o: { profile?: string | undefined; all: boolean }, ctx: Context): Promise<Outcome> {
  const profile = profileName({ profile: o.profile }, ctx.env);
  let removed = 0;
  for (const { file, entry } of listEntries(cacheDir(ctx.env), ctx.note)) {
    if ((o.all || entry.profile === profile) && removeEntry(file)) removed++;
  }
  ctx.note(`forgot ${removed} cached session${removed === 1 ? '' : 's'}${o.all ? '' : ` of profile ${profile}`}`);
  return { stdout: render(shell, logoutOps(ctx.env)) };
}
