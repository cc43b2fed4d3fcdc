// Whose keys are these? One GetCallerIdentity call, for `keys add`,
// `keys rotate` and `setup`. Through the lazily loaded SDK bundle, to the
// STS endpoint a login would use (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL).
import type { Keys } from '../settings/config.js';
import { loadSdk } from '../session/sts.js';
import { awsError, networkError } from '../errors.js';
import { printable } from '../printable.js';

interface Identity {
  arn: string;
  account: string;
  /** The IAM user's name, when the keys are a user's. */
  user?: string | undefined;
}

function stsEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  return env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL || undefined;
}

function regionOf(env: NodeJS.ProcessEnv): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
}

export async function callerIdentity(keys: Keys, env: NodeJS.ProcessEnv): Promise<Identity> {
  const { STSClient, GetCallerIdentityCommand } = await loadSdk();
  const endpoint = stsEndpoint(env);
  const client = new STSClient({
    region: regionOf(env),
    ...(endpoint ? { endpoint } : {}),
    credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey, sessionToken: keys.sessionToken },
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 4_000, requestTimeout: 8_000, throwOnRequestTimeout: true },
  });
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    const arn = out.Arn ?? '';
    const user = /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
    return { arn, account: out.Account ?? '', user };
  } catch (e) {
    throw identityError(e, keys, endpoint);
  } finally {
    client.destroy();
  }
}

/** Is this an answer of AWS that the keys are bad (as opposed to a network problem)? */
export function isBadKeys(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  return /InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClient|AccessDenied|ExpiredToken/.test(name);
}

function identityError(e: unknown, keys: Keys, endpoint: string | undefined) {
  if (isBadKeys(e)) {
    return awsError(`AWS rejected the key ${printable(keys.accessKeyId)}: check it (or pass --no-verify to store it anyway)`, e);
  }
  const code = (e as { code?: string; cause?: { code?: string } })?.code ?? (e as { cause?: { code?: string } })?.cause?.code ?? '';
  return networkError(
    `cannot ask STS at ${endpoint ?? 'sts.amazonaws.com'} whose key this is (${code || printable(String((e as Error)?.message ?? e)).slice(0, 40)}); retry, or pass --no-verify`,
    e,
  );
}
