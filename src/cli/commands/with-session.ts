// What env, exec, credential-process and console share: settings, a session
// (from the cache, or through the orchestrator), and the statements that put
// it into a shell.
import type { Settings } from '../../settings/config.js';
import type { Context } from '../../context.js';
import type { EnvOp } from '../../shell/env-ops.js';
import type { Flags } from '../options.js';
import type { Obtained } from '../../session/cached.js';
import { obtainSession } from '../../session/session.js';
import { loginSettings, sessionOps, type SessionOptions } from './session-steps.js';

export interface WithSession {
  settings: Settings;
  obtained: Obtained;
  ops: EnvOp[];
}

export async function withSession(flags: Flags, ctx: Context, opts: SessionOptions = {}): Promise<WithSession> {
  const { settings, minRemainingSeconds } = loginSettings(flags, ctx, opts);
  const obtained = await obtainSession(settings, ctx, { minRemainingSeconds, mfa: opts.mfa });
  return { settings, obtained, ops: sessionOps(flags, ctx, opts, settings, obtained) };
}
