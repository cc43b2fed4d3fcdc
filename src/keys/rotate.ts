// `kops-mfa keys rotate PROFILE`: a new access key for the IAM user whose
// key is in the keyring entry PROFILE, as aws-vault rotate does:
//   1. an MFA session (the cached one, else GetSessionToken with a code);
//   2. CreateAccessKey with it; store the new key; check it with
//      GetCallerIdentity, retrying while IAM makes it known everywhere;
//   3. DeleteAccessKey of the old key; forget the sessions the old key signed.
// At every step one working key is in the keyring, and a failure says which
// one is live and what is left to clean up.
import type { Context, Outcome } from '../context.js';
import type { Flags } from '../cli/options.js';
import { awsError, configError, KopsMfaError, networkError } from '../errors.js';
import { printable } from '../printable.js';
import { loadAwsFiles, type AwsFiles } from '../settings/aws-files.js';
import { resolveSettings, secondsSetting, type Keys, type Settings } from '../settings/config.js';
import { readKeys, writeKeys } from './keyring.js';
import { readKnown, recordKnown } from './known.js';
import { callerIdentity, isBadKeys } from './identity.js';
import { obtainSession } from '../session/session.js';
import { cacheDir, cacheFile, mfaSessionFile, removeEntry } from '../store/cache.js';

type IamSdk = typeof import('./iam-sdk.js');

/** How long a new key gets to start working (KOPS_MFA_ROTATE_WAIT seconds, default 15). */
function waitMs(env: NodeJS.ProcessEnv): number {
  return secondsSetting(env, 'KOPS_MFA_ROTATE_WAIT', { min: 0, max: 300, default: 15 }) * 1000;
}

export async function rotateCommand(name: string, flags: Flags, ctx: Context): Promise<Outcome> {
  const env = ctx.env;
  const old = await readKeys(name, env);
  if (!old) throw configError(`there is no keyring entry ${printable(name)} to rotate: kops-mfa keys import ${printable(name)} or keys add ${printable(name)} first`);
  const files = loadAwsFiles(env);
  const known = { ...readKnown(env), [name]: { accessKeyId: old.accessKeyId } };
  const settings = await mfaSettings(name, old, flags, files, known, ctx);
  const signedByOld = sessionFiles(name, files, known, env, settings);

  // 1. The MFA session.
  const { entry } = await obtainSession(settings, ctx);
  const mfa: Keys = entry.credentials;

  // 2. The new key.
  const iam = await import('./iam-sdk.js');
  const client = iamClient(iam, mfa, env);
  let created: Keys;
  try {
    const out = await client.send(new iam.CreateAccessKeyCommand({}));
    const k = out.AccessKey;
    if (!k?.AccessKeyId || !k.SecretAccessKey) throw networkError('IAM answered CreateAccessKey without a key');
    created = { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
  } catch (e) {
    client.destroy();
    if ((e as { name?: string }).name === 'LimitExceeded' || (e as { name?: string }).name === 'LimitExceededException') {
      throw awsError(`the IAM user has two access keys already; delete the one not in use (aws iam list-access-keys), then rotate again`, e);
    }
    throw iamProblem('create a new access key', e, `nothing changed: key ${old.accessKeyId} is live`);
  }
  const leftover = `delete key ${created.accessKeyId} (aws iam delete-access-key --access-key-id ${created.accessKeyId})`;
  try {
    await writeKeys(name, created, env, true);
    recordKnown(env, name, created.accessKeyId);
  } catch (e) {
    client.destroy();
    const why = e instanceof Error ? e.message : String(e);
    throw configError(`new key not stored (${why}); key ${old.accessKeyId} is live in the keyring; ${leftover}`);
  }
  const works = await keyWorks(created, env);
  if (!works) {
    // The old key still works: it goes back, the new one is the leftover.
    client.destroy();
    await writeKeys(name, old, env, true);
    recordKnown(env, name, old.accessKeyId);
    throw awsError(`new key ${created.accessKeyId} did not work within ${waitMs(env) / 1000} s; key ${old.accessKeyId} is live again; ${leftover}`);
  }

  // 3. The old key goes.
  try {
    await client.send(new iam.DeleteAccessKeyCommand({ AccessKeyId: old.accessKeyId }));
  } catch (e) {
    throw iamProblem(
      `delete the old key ${old.accessKeyId}`,
      e,
      `key ${created.accessKeyId} is live in the keyring; delete ${old.accessKeyId} (aws iam delete-access-key)`,
    );
  } finally {
    client.destroy();
  }
  for (const f of signedByOld) removeEntry(f);
  ctx.note(`rotated: key ${created.accessKeyId} is live in the keyring entry ${printable(name)}; key ${old.accessKeyId} is deleted`);
  return {};
}

/** Settings for an MFA session signed by the old key: the profile's device, never a role. */
async function mfaSettings(name: string, old: Keys, flags: Flags, files: AwsFiles, known: Record<string, { accessKeyId: string }>, ctx: Context): Promise<Settings> {
  const own = { ...files.config[name], ...files.credentials[name] };
  const user = Object.entries(files.config).find(([, p]) => p.source_profile === name && p.mfa_serial)?.[1];
  let serial = typeof flags['serial-number'] === 'string' ? flags['serial-number'] : (own.mfa_serial ?? user?.mfa_serial);
  if (!serial) {
    // The usual device of the user: arn:aws:iam::ACCOUNT:mfa/USER.
    const who = await callerIdentity(old, ctx.env);
    if (!who.user) throw configError(`key ${old.accessKeyId} is not an IAM user's; pass --serial-number`);
    serial = `arn:aws:iam::${who.account}:mfa/${who.user}`;
  }
  const duration = Number(own.mfa_session_duration ?? user?.mfa_session_duration ?? 0);
  const withName: AwsFiles = { ...files, config: { ...files.config, [name]: { ...files.config[name] } } };
  const s = resolveSettings(
    { ...flags, profile: name, 'serial-number': serial, 'role-arn': undefined, 'mfa-session-duration': String(duration >= 900 ? duration : 900) },
    { ...ctx.env, KOPS_MFA_ROLE_ARN: '' },
    withName,
    known,
  );
  s.roleArn = undefined;
  return s;
}

/** The cache files of every session the old key signed: each profile whose keys are this entry. */
function sessionFiles(name: string, files: AwsFiles, known: Record<string, { accessKeyId: string }>, env: NodeJS.ProcessEnv, own: Settings): string[] {
  const dir = cacheDir(env);
  const out = new Set<string>([mfaSessionFile(dir, own)]);
  for (const p of new Set([...Object.keys(files.config), ...Object.keys(files.credentials)])) {
    try {
      const s = resolveSettings({ profile: p }, env, files, known);
      if (s.source.kind !== 'keyring' || s.source.profile !== name) continue;
      out.add(cacheFile(dir, s));
      out.add(mfaSessionFile(dir, s));
    } catch {
      // a profile that cannot log in has no sessions
    }
  }
  return [...out];
}

function iamClient(iam: IamSdk, creds: Keys, env: NodeJS.ProcessEnv) {
  const endpoint = env.AWS_ENDPOINT_URL_IAM || env.AWS_ENDPOINT_URL || undefined;
  return new iam.IAMClient({
    region: 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken },
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 4_000, requestTimeout: 8_000, throwOnRequestTimeout: true },
  });
}

/** GetCallerIdentity with the new key until it works (IAM is eventually consistent) or the wait is over. */
async function keyWorks(k: Keys, env: NodeJS.ProcessEnv): Promise<boolean> {
  const until = Date.now() + waitMs(env);
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      await callerIdentity(k, env);
      return true;
    } catch (e) {
      const cause = e instanceof KopsMfaError ? e.cause : e;
      if (!isBadKeys(cause) || Date.now() + delay > until) return false;
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

function iamProblem(what: string, e: unknown, state: string): KopsMfaError {
  const err = e as { name?: string; message?: string; code?: string };
  const why = err.name && err.name !== 'Error' ? err.name : (err.code ?? printable(String(err.message ?? e)).slice(0, 40));
  return awsError(`could not ${what} (${why}); ${state}`, e);
}
