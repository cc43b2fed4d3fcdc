// The AWS console as a role session: a sign-in token from the federation
// endpoint (getSigninToken), then the login URL that carries it. No SDK: one
// GET with node's fetch, bounded in time.
import type { SessionCredentials } from '../session/credentials.js';
import { awsError, configError, networkError } from '../errors.js';
import { printable } from '../printable.js';

type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

/** The partition a region belongs to. */
export function partitionOf(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

const SIGNIN: Record<Partition, string> = {
  aws: 'https://signin.aws.amazon.com',
  'aws-cn': 'https://signin.amazonaws.cn',
  'aws-us-gov': 'https://signin.amazonaws-us-gov.com',
};

const CONSOLE: Record<Partition, string> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/** The federation endpoint: AWS_ENDPOINT_URL_SIGNIN, else the partition's sign-in host. */
export function federationUrl(region: string, env: NodeJS.ProcessEnv): string {
  const base = env.AWS_ENDPOINT_URL_SIGNIN || SIGNIN[partitionOf(region)];
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw configError(`AWS_ENDPOINT_URL_SIGNIN ${JSON.stringify(printable(base))} is not a URL such as https://signin.aws.amazon.com`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/federation`;
}

/** The console's home page in the region, where the login lands unless told otherwise. */
export function defaultDestination(region: string): string {
  return `https://${CONSOLE[partitionOf(region)]}/console/home?region=${encodeURIComponent(region)}`;
}

/** A destination must be an https URL (the sign-in endpoint refuses anything else). */
export function checkDestination(destination: string): string {
  let url: URL | undefined;
  try {
    url = new URL(destination);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:') {
    throw configError(`--destination ${JSON.stringify(printable(destination))} must be an https URL such as https://console.aws.amazon.com/ec2/home`);
  }
  return url.href;
}

const TIMEOUT_MS = 10_000;

/** GET getSigninToken for a role session: the token, valid for 15 minutes. */
export async function signinToken(endpoint: string, creds: SessionCredentials, fetchImpl: typeof fetch = fetch): Promise<string> {
  const session = JSON.stringify({ sessionId: creds.accessKeyId, sessionKey: creds.secretAccessKey, sessionToken: creds.sessionToken });
  const url = `${endpoint}?Action=getSigninToken&Session=${encodeURIComponent(session)}`;
  const host = printable(new URL(endpoint).host);
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
  } catch (e) {
    const timedOut = (e as Error).name === 'TimeoutError';
    throw networkError(`cannot reach the sign-in endpoint ${host}${timedOut ? ` in ${TIMEOUT_MS / 1000} s` : ''}: check the network or AWS_ENDPOINT_URL_SIGNIN`, e);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    throw awsError(`the sign-in endpoint ${host} refused the session (HTTP ${res.status}): try kops-mfa console --refresh`);
  }
  let token: unknown;
  try {
    token = (JSON.parse(text) as { SigninToken?: unknown }).SigninToken;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || token === '') throw networkError(`the sign-in endpoint ${host} answered without a sign-in token`);
  return token;
}

/** The URL that signs the browser in: Action=login with the token and where to land. */
export function loginUrl(endpoint: string, token: string, destination: string, issuer = 'kops-mfa'): string {
  const q = new URLSearchParams({ Action: 'login', Issuer: issuer, Destination: destination, SigninToken: token });
  return `${endpoint}?${q.toString()}`;
}
