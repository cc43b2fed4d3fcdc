// `kops-mfa credential-process`: the session as the JSON that every AWS SDK
// reads from a profile's credential_process. The SDKs run it again when
// Expiration passes (botocore already 15 minutes before), so a session with
// less than 15 minutes left is renewed first when that needs no code: from
// the MFA session. Without one, or once it has ended, the usual reuse window
// applies, since a renewal would mean a prompt.
import type { Context, Outcome } from '../../context.js';
import { ExitCode, KopsMfaError } from '../../errors.js';
import type { Flags } from '../options.js';
import { withSession } from './with-session.js';

/** botocore refreshes credentials with 15 minutes left; the AWS CLI would run us twice per command below that. */
export const CREDENTIAL_PROCESS_MIN_MINUTES = 15;

export async function credentialProcessCommand(flags: Flags, ctx: Context): Promise<Outcome> {
  let obtained;
  try {
    // A session with 15 minutes left, when that needs no prompt...
    ({ obtained } = await withSession({ ...flags, 'no-prompt': true }, ctx, { quiet: true, silentRenewalSeconds: CREDENTIAL_PROCESS_MIN_MINUTES * 60 }));
  } catch (e) {
    if (!(e instanceof KopsMfaError && e.exitCode === ExitCode.mfa)) throw e;
    // ...else (the MFA session ended) the usual reuse window, as without an MFA
    // session: a cached session with 10 minutes left beats a prompt, or exit 6.
    ({ obtained } = await withSession(flags, ctx, { quiet: true }));
  }
  const c = obtained.entry.credentials;
  const json = { Version: 1, AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken, Expiration: c.expiration };
  return { stdout: `${JSON.stringify(json)}\n` };
}
