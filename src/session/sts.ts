// The only module that talks to the AWS SDK. It loads the SDK (sdk.ts, a
// bundle of its own) with a dynamic import when a call is due, so a cached
// login never pays for it. Three calls, each one line here:
// a role session with the code, an MFA session with the code, a role
// session from an MFA session without one.
import type { STSClient, Credentials } from '@aws-sdk/client-sts';
import type { Keys, Settings } from '../settings/config.js';
import { loadKeys } from '../keys/source.js';
import type { SessionCredentials } from './credentials.js';
import { awsError, configError, ExitCode, KopsMfaError, networkError, redactUrl, RejectedCodeError, shortened } from '../errors.js';

/** One attempt may take this long before the SDK gives up on it (KOPS_MFA_STS_TIMEOUT, checked by config.ts). */
function attemptMs(settings: Settings): number {
  return settings.stsTimeoutSeconds * 1000;
}

/** Calls without a code are retried; a call that carries one is sent once, since AWS takes each code once. */
const ATTEMPTS = 3;

export interface Session {
  credentials: SessionCredentials;
  /** The assumed role's (or the user's, for GetSessionToken) ARN. */
  arn?: string | undefined;
}

type Sdk = typeof import('./sdk.js');
let sdkLoading: Promise<Sdk> | undefined;

/** Start loading the SDK (idempotent), e.g. while the user types the code. */
export function loadSdk(): Promise<Sdk> {
  sdkLoading ??= import('./sdk.js');
  return sdkLoading;
}

export interface Call {
  settings: Settings;
  env: NodeJS.ProcessEnv;
  deadline: AbortSignal;
  keys: Keys;
  caller: string;
  /** The keys are the profile's long-term source keys (not a hop's or an MFA session's). */
  fromSource: boolean;
  /** The call carries an MFA code: one attempt only, and a lost answer may have spent the code. */
  withCode?: boolean;
}

function start(settings: Settings, env: NodeJS.ProcessEnv, keys: Keys = { accessKeyId: '', secretAccessKey: '' }): Call {
  return { settings, env, deadline: AbortSignal.timeout(attemptMs(settings) * 3.5), keys, caller: settings.source.origin, fromSource: true };
}

/** A call signed by the source keys: fetched now (keyring, credential_process), before the deadline starts. */
async function fromSource(settings: Settings, env: NodeJS.ProcessEnv): Promise<Call> {
  return start(settings, env, await loadKeys(settings.source, env));
}

/** Called right before a request that carries the code goes out: the code counts as spent from then on. */
export type OnSend = () => void;

/** The role hops of a source_profile chain, assumed without MFA: their last session signs the MFA call. */
async function throughHops(c: Call): Promise<Call> {
  const { AssumeRoleCommand } = await loadSdk();
  for (const hop of c.settings.hops) {
    const out = await send(c, (client) =>
      client.send(new AssumeRoleCommand({ RoleArn: hop.roleArn, RoleSessionName: hop.roleSessionName, ExternalId: hop.externalId }), {
        abortSignal: c.deadline,
      }),
    );
    const origin = `role ${hop.roleArn} (profile ${hop.profile})`;
    c = { ...c, keys: toSession(out.Credentials), caller: origin, fromSource: false };
  }
  return c;
}

/** The session to export, bought with the code: AssumeRole with MFA, or GetSessionToken when there is no role. */
export async function sessionWithCode(settings: Settings, env: NodeJS.ProcessEnv, code: string, onSend: OnSend = () => {}): Promise<Session> {
  const { AssumeRoleCommand } = await loadSdk();
  const hopped = await throughHops(await fromSource(settings, env));
  const c: Call = { ...hopped, withCode: true };
  if (!settings.roleArn) refuseTemporary(c);
  onSend();
  if (!settings.roleArn) return getSessionToken(c, code, settings.durationSeconds);
  const roleArn = settings.roleArn;
  const out = await send(c, (client) =>
    client.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: settings.roleSessionName,
        SerialNumber: settings.serialNumber,
        TokenCode: code,
        DurationSeconds: settings.durationSeconds,
        ExternalId: settings.externalId,
      }),
      { abortSignal: c.deadline },
    ),
  );
  return { credentials: toSession(out.Credentials), arn: out.AssumedRoleUser?.Arn };
}

/** An MFA session: GetSessionToken with the code, for mfa_session_duration seconds. */
export async function mfaSessionWithCode(settings: Settings, env: NodeJS.ProcessEnv, code: string, onSend: OnSend = () => {}): Promise<Session> {
  const c = await fromSource(settings, env);
  refuseTemporary(c);
  onSend();
  return getSessionToken({ ...c, withCode: true }, code, settings.mfaSessionSeconds);
}

/** A role session assumed with an MFA session's keys: AWS carries the MFA context, so no code. */
export async function roleFromMfaSession(settings: Settings, env: NodeJS.ProcessEnv, mfa: SessionCredentials): Promise<Session> {
  const { AssumeRoleCommand } = await loadSdk();
  const c = start(settings, env);
  const origin = `the MFA session of ${settings.serialNumber}`;
  const viaMfa: Call = { ...c, keys: mfa, caller: origin, fromSource: false };
  const roleArn = settings.roleArn as string;
  const out = await send(viaMfa, (client) =>
    client.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: settings.roleSessionName,
        DurationSeconds: settings.durationSeconds,
        ExternalId: settings.externalId,
      }),
      { abortSignal: c.deadline },
    ),
  );
  return { credentials: toSession(out.Credentials), arn: out.AssumedRoleUser?.Arn };
}

/** AWS refuses GetSessionToken signed by session credentials; say why before it does (and before a code is spent). */
function refuseTemporary(c: Call): void {
  if (c.fromSource && c.keys.sessionToken) {
    throw configError(
      `${c.caller} gives temporary keys (a SessionToken): an MFA session needs an IAM user's long-term keys; add role_arn or remove mfa_session_duration`,
    );
  }
}

async function getSessionToken(c: Call, code: string, seconds: number): Promise<Session> {
  refuseTemporary(c);
  const { GetSessionTokenCommand } = await loadSdk();
  const out = await send(c, (client) =>
    client.send(new GetSessionTokenCommand({ SerialNumber: c.settings.serialNumber, TokenCode: code, DurationSeconds: seconds }), {
      abortSignal: c.deadline,
    }),
  );
  return { credentials: toSession(out.Credentials) };
}

async function send<T>(c: Call, fn: (client: STSClient) => Promise<T>): Promise<T> {
  const { STSClient } = await loadSdk();
  const { settings, keys } = c;
  const client = new STSClient({
    region: settings.region,
    // From the context's environment, not process.env: the call goes where the cache key says.
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey, sessionToken: keys.sessionToken },
    maxAttempts: c.withCode ? 1 : ATTEMPTS,
    requestHandler: {
      connectionTimeout: Math.min(4_000, attemptMs(settings)),
      requestTimeout: attemptMs(settings),
      // Without this the SDK only logs a warning and waits on.
      throwOnRequestTimeout: true,
    },
  });
  try {
    return await fn(client);
  } catch (e) {
    throw explain(e, c);
  } finally {
    client.destroy();
  }
}

function toSession(c: Credentials | undefined): SessionCredentials {
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    throw networkError('STS answered without complete credentials; try again');
  }
  // No environment variable can hold a NUL byte, so no shell or tool could use
  // such a session; refuse it here, before it is cached or a note says "new session".
  if ([c.AccessKeyId, c.SecretAccessKey, c.SessionToken].some((v) => v.includes('\0'))) {
    throw networkError('STS answered with credentials that hold a NUL byte (no shell can hold them); nothing was saved');
  }
  const expiration = c.Expiration instanceof Date ? c.Expiration : new Date(c.Expiration);
  if (Number.isNaN(expiration.getTime())) throw networkError('STS answered with an unreadable expiration time; try again');
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/** The endpoint as messages show it: without a user and password in the URL. */
function endpointOf(settings: Settings): string {
  return settings.endpoint ? redactUrl(settings.endpoint) : `https://sts.${settings.region}.amazonaws.com`;
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

/** Turn what the SDK threw into one line that says what to do. */
export function explain(e: unknown, c: Call): KopsMfaError {
  if (e instanceof KopsMfaError) return e;
  const { settings: s, keys, caller } = c;
  const timedOut = c.deadline.aborted;
  const err = (e ?? {}) as SdkError;
  const name = err.name ?? '';
  // AWS's own words (they name the user and the role, so longer than a value), cut: a hostile endpoint may send a screenful.
  const message = shortened((err.message ?? String(e)).trim(), 400);
  const status = err.$metadata?.httpStatusCode;
  const endpoint = endpointOf(s);
  const netCode = err.code ?? (e as { cause?: { code?: string } })?.cause?.code ?? '';

  if (name === 'AccessDenied' && /MultiFactorAuthentication failed/.test(message)) {
    if (/invalid MFA one time pass code/i.test(message)) {
      return new RejectedCodeError(
        'AWS rejected the MFA code (mistyped, or already used): wait for the next code and retry',
        ExitCode.aws,
        { cause: e },
      );
    }
    return awsError(
      `wrong MFA device ${s.serialNumber} for keys ${keys.accessKeyId}: check mfa_serial, KOPS_MFA_ARN or --serial-number`,
      e,
    );
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    return awsError(`AWS refused: ${message} (check role_arn and the role's trust policy)`, e);
  }
  if (name === 'InvalidClientTokenId' || name === 'SignatureDoesNotMatch' || name === 'UnrecognizedClientException') {
    // The keys live in the source profile (alice), not in the profile logged in to (kops):
    // `aws configure --profile kops` would write new keys where nothing reads them.
    const source = s.source.profile;
    const renew = !c.fromSource
      ? 'log in again to their source'
      : s.source.kind === 'keyring'
        ? `kops-mfa keys add ${source} --force`
        : s.source.kind === 'process'
          ? `check the credential_process of profile ${source}`
          : source !== undefined
            ? `aws configure --profile ${source}`
            : 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
    return awsError(
      `AWS rejected the keys ${keys.accessKeyId} from ${caller}; renew them: ${renew}`,
      e,
    );
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException') {
    return awsError(`the credentials from ${caller} have expired: log in again to their source, then try again`, e);
  }
  if (name === 'ValidationError') return awsError(`AWS refused the request: ${message}`, e);
  if (name === 'RegionDisabledException') return awsError(`STS is not enabled in region ${s.region}: pass --region with an enabled one`, e);
  if (name === 'Throttling' || name === 'ThrottlingException' || name === 'TooManyRequestsException') {
    if (c.withCode) return networkError('AWS is throttling STS calls; wait for the next code on your device and try again in a minute', e);
    return networkError(`AWS is throttling STS calls and did not recover after ${ATTEMPTS} attempts; try again in a minute`, e);
  }
  // The request may have reached AWS, which then took the code: it is not sent again.
  const maybeSpent = 'the code may have been used: wait for the next one';
  if (netCode === 'ECONNREFUSED') {
    return networkError(`cannot reach STS at ${endpoint}: connection refused; check your network or AWS_ENDPOINT_URL_STS`, e);
  }
  if (netCode === 'ENOTFOUND' || netCode === 'EAI_AGAIN') {
    return networkError(`cannot reach STS at ${endpoint}: host name does not resolve; check DNS or AWS_ENDPOINT_URL_STS`, e);
  }
  if (/^(EPROTO|ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/.test(netCode) || /SSL|TLS|certificate/i.test(message)) {
    return networkError(`TLS to STS at ${endpoint} failed (${netCode || message}); check the endpoint and any TLS-intercepting proxy`, e);
  }
  if (/^(ECONNRESET|EPIPE|ECONNABORTED)$/.test(netCode) && c.withCode) {
    return networkError(`STS at ${endpoint} dropped the connection (${netCode}); ${maybeSpent}`, e);
  }
  if (/^(ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH|ECONNABORTED)$/.test(netCode)) {
    return networkError(`cannot reach STS at ${endpoint}: ${netCode}; check your network or AWS_ENDPOINT_URL_STS`, e);
  }
  // After the network codes: the SDK names a reset socket a TimeoutError too.
  if (timedOut || name === 'TimeoutError' || name === 'AbortError' || netCode === 'ETIMEDOUT' || /timed? ?out|timeout/i.test(message)) {
    const attempt = attemptMs(s) / 1000;
    if (c.withCode) return networkError(`no answer from STS at ${endpoint} within ${attempt} s; ${maybeSpent}`, e);
    const waited = timedOut ? `within ${attempt * 3.5} s` : `in ${ATTEMPTS} attempts of ${attempt} s`;
    return networkError(`no answer from STS at ${endpoint} ${waited}: check your network, proxy or AWS_ENDPOINT_URL_STS`, e);
  }
  if (status !== undefined && status >= 500) {
    if (c.withCode) return networkError(`STS at ${endpoint} failed with HTTP ${status}; ${maybeSpent}`, e);
    return networkError(`STS at ${endpoint} failed with HTTP ${status} after ${ATTEMPTS} attempts; try again later`, e);
  }
  if (status !== undefined && status < 300) {
    return networkError(`STS at ${endpoint} answered with something that is not a valid STS response; check AWS_ENDPOINT_URL_STS`, e);
  }
  return networkError(`STS call to ${endpoint} failed: ${name ? `${name}: ` : ''}${message}`, e);
}
