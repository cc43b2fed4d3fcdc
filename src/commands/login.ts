// What env, exec and credential-process share: settings, then a session.
import { loadAwsFiles } from '../aws-files.js';
import { resolveSettings, type Flags, type Settings } from '../config.js';
import { obtainSession, type Obtained } from '../credentials.js';
import { describeExpiry, type Context } from '../context.js';
import { loginOps, type EnvOp } from '../env-ops.js';

export interface LoginResult {
  settings: Settings;
  obtained: Obtained;
  ops: EnvOp[];
}

/** quiet: no note at all; quietReuse: a note only when a new session was made (exec). */
export async function login(flags: Flags, ctx: Context, opts: { quiet?: boolean; quietReuse?: boolean } = {}): Promise<LoginResult> {
  const settings = resolveSettings(flags, ctx.env, loadAwsFiles(ctx.env));
  ctx.debug(
    `profile ${settings.profile}; ${settings.roleArn ? `role ${settings.roleArn}` : 'GetSessionToken'}; MFA ${settings.serialNumber}; ` +
      `source keys ${settings.source.accessKeyId} from ${settings.source.origin}; region ${settings.region}` +
      (settings.endpoint ? `; endpoint ${settings.endpoint}` : ''),
  );
  const obtained = await obtainSession(settings, ctx);
  const { entry } = obtained;
  if (!opts.quiet && !(opts.quietReuse && obtained.fromCache)) {
    const who = entry.arn ?? entry.roleArn ?? `profile ${settings.profile}`;
    ctx.note(
      `${obtained.fromCache ? 'reusing the cached session' : 'new session'} for ${who}, ${describeExpiry(entry.credentials.expiration, ctx.now())}`,
    );
  }
  const ops = loginOps(entry.credentials, {
    profile: settings.profile,
    region: settings.exportRegion,
    previousProfile: settings.previousProfile,
  });
  return { settings, obtained, ops };
}
