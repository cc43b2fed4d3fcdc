// `kops-mfa credential-process`: the session as the JSON that every AWS SDK
// reads from a profile's credential_process. The SDKs run it again when
// Expiration passes (botocore already 15 minutes before), so with an MFA
// session a session is renewed first, without a code, by the serving rule
// (serving.ts servingMinimumSeconds). Without one, or once it has ended, the
// usual reuse window applies, since a renewal would mean a prompt.
import type { Context, Outcome } from '../../context.js';
import { ExitCode, KopsMfaError } from '../../errors.js';
import type { Flags } from '../options.js';
import { withSession } from './with-session.js';

export async function credentialProcessCommand(flags: Flags, ctx: Context): Promise<Outcome> {
  let obtained;
  try {
    // A session by the serving rule, when that needs no prompt...
    ({ obtained } = await withSession({ ...flags, 'no-prompt': true }, ctx, { quiet: true, serving: true }));
  } catch (e) {
    if (!(e instanceof KopsMfaError && e.exitCode === ExitCode.mfa)) throw e;
    // ...else (the MFA session ended) the usual reuse window, as without an MFA
    // session: a cached session with 10 minutes left beats a prompt, or exit 6.
    ({ obtained } = await withSession(flags, ctx, { quiet: true, warnShortSessions: true }));
  }
  const c = obtained.entry.credentials;
  const json = { Version: 1, AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken, Expiration: c.expiration };
  return { stdout: `${JSON.stringify(json)}\n` };
}
