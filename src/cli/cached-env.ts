// `kops-mfa env` answered from the cache, the run of every login after the
// first, before the rest of kops-mfa is loaded: the entry runs this first
// and loads dist/main.cjs only when it declines. The same steps as env (the
// options, the settings, the cache, the notes, the statements), from the
// same modules. It declines, having changed nothing and said nothing, at the
// first thing it does not handle: another command, help, an option it does
// not know, no session or one too short, a cache file to warn about, any
// error. The full run then does everything again and says what there is to say.
import type { BaseContext, Outcome } from '../context.js';
import { normalize, plainCall } from './argv.js';
import { DEBUG_OPTION, ENV_OPTIONS } from './options.js';
import { refuseTerminal } from './commands/terminal.js';
import { loginSettings, sessionOps } from './commands/session-steps.js';
import { detectShell, parseShellName, render } from '../shell/render/index.js';
import { fromCache, sessionFiles } from '../session/cached.js';
import { openCache } from '../store/cache.js';

const SPECS = [...ENV_OPTIONS, DEBUG_OPTION];

/** A cache file the full run would warn about (and set aside). */
class Declined extends Error {}

export function cachedEnv(argv: readonly string[], ctx: BaseContext): Outcome | undefined {
  const args = normalize(argv.slice(2), SPECS);
  if (args.find((a) => !a.startsWith('-')) !== 'env') return undefined;
  const plain = plainCall('env', args, SPECS, 0);
  if (!plain) return undefined;
  const { flags } = plain;
  // Notes and debug lines wait for the answer: a run that declines has said nothing.
  const said: Array<() => void> = [];
  const held: BaseContext = { ...ctx, note: (m) => said.push(() => ctx.note(m)), debug: (m) => said.push(() => ctx.debug(m)) };
  try {
    refuseTerminal(flags, held);
    const shell = typeof flags.shell === 'string' ? parseShellName(flags.shell) : detectShell(ctx.env);
    const { settings, minRemainingSeconds } = loginSettings(flags, held, {});
    if (!settings.useCache || settings.refresh) return undefined;
    const folder = openCache(ctx.env, { create: false });
    if (!folder) return undefined;
    const warn = () => {
      throw new Declined();
    };
    const obtained = fromCache(sessionFiles(folder.path, settings), minRemainingSeconds, { warn, repair: false, ctx: held });
    if (!obtained) return undefined;
    const stdout = render(shell, sessionOps(flags, held, {}, settings, obtained));
    for (const line of said) line();
    return { stdout };
  } catch {
    return undefined;
  }
}
