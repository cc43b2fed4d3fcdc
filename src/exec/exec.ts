// `kops-mfa exec -- cmd`: run a command with the session, as the old
// wrapper's `exec kops "$@"` did. Without an MFA session the command gets the
// role session's keys in its environment (child.ts); with one, the loopback
// endpoint that renews them (serve.ts). docs/long-runs.md tells the user.
import type { Context, Outcome } from '../context.js';
import { childEnv } from '../shell/env-ops.js';
import { usageError } from '../errors.js';
import type { Flags } from '../cli/options.js';
import type { Platform } from '../platform.js';
import { withSession } from '../cli/commands/with-session.js';
import { runChild } from './child.js';
import { serve } from './serve.js';

export async function execCommand(flags: Flags, command: readonly string[], ctx: Context, platform: Platform = process.platform): Promise<Outcome> {
  if (command.length === 0) throw usageError('exec needs a command after --: kops-mfa exec [options] -- kops get clusters');
  // Like aws-vault exec: quiet while a cached session serves, so an alias
  // for kops prints nothing of its own before every run.
  const session = await withSession(flags, ctx, { quietReuse: true });
  // Without an MFA session the child gets static keys, which last as long as the role session.
  if (!session.obtained.mfa) return { code: await runChild(command, childEnv(ctx.env, session.ops), ctx, platform) };
  return { code: await serve(flags, command, session, ctx, platform) };
}
