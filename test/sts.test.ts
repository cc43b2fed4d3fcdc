// sts.ts's error mapping (explain), in this process: what the SDK throws
// becomes one line that says what to do, with the exit code of its kind.
// The real SDK against the local STS server is in faults.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, type Call } from '../src/session/sts.ts';
import { resolveSettings, type Keys } from '../src/settings/config.ts';
import { ExitCode, KopsMfaError, mfaError, RejectedCodeError } from '../src/errors.ts';

const MFA = 'arn:aws:iam::123456789012:mfa/alice';
const ENDPOINT = 'http://127.0.0.1:9';

function call(opts: { env?: NodeJS.ProcessEnv; fromEnvironment?: boolean; aborted?: boolean; keys?: Keys & { origin: string }; withCode?: boolean } = {}): Call {
  const settings = resolveSettings(
    { profile: 'kops' },
    {
      ...opts.env,
      AWS_ENDPOINT_URL_STS: ENDPOINT,
      ...(opts.fromEnvironment ? { AWS_ACCESS_KEY_ID: 'AKIAFROMENVIRONMENT1', AWS_SECRET_ACCESS_KEY: 's' } : {}),
    },
    {
      config: { kops: { role_arn: 'arn:aws:iam::123456789012:role/kops', mfa_serial: MFA, ...(opts.fromEnvironment ? {} : { source_profile: 'alice' }) } },
      credentials: { alice: { aws_access_key_id: 'AKIAALICE00000000001', aws_secret_access_key: 's' } },
      configPath: '/nowhere/config',
      credentialsPath: '/nowhere/credentials',
    },
  );
  const deadline = new AbortController();
  if (opts.aborted) deadline.abort();
  // The profile's own keys (from the source), or a hop's session keys.
  const s = settings.source;
  const keys = opts.keys ?? { accessKeyId: s.accessKeyId ?? '', secretAccessKey: s.secretAccessKey ?? '', sessionToken: s.sessionToken };
  return { settings, env: opts.env ?? {}, deadline: deadline.signal, keys, caller: opts.keys?.origin ?? s.origin, fromSource: !opts.keys, withCode: opts.withCode };
}

/** An error as the SDK throws it: a name, a message, and the HTTP status in $metadata. */
const sdkError = (name: string, message: string, status?: number, extra: object = {}) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, ...extra });

function said(e: unknown, c = call()): { line: string; exit: number; error: KopsMfaError } {
  const error = explain(e, c);
  assert.ok(error instanceof KopsMfaError);
  assert.doesNotMatch(error.message, /\n/, 'one line');
  return { line: error.message, exit: error.exitCode, error };
}

test('a refused code is a RejectedCodeError (the prompt asks again); a wrong device names it and the keys', () => {
  const code = said(sdkError('AccessDenied', 'MultiFactorAuthentication failed with invalid MFA one time pass code.', 403));
  assert.ok(code.error instanceof RejectedCodeError);
  assert.equal(code.exit, ExitCode.aws);
  assert.match(code.line, /rejected the MFA code.*next code and retry/);

  const device = said(sdkError('AccessDenied', 'MultiFactorAuthentication failed, unable to validate MFA code.', 403));
  assert.ok(!(device.error instanceof RejectedCodeError));
  assert.match(device.line, new RegExp(`wrong MFA device ${MFA} for keys AKIAALICE00000000001: check mfa_serial, KOPS_MFA_ARN or --serial-number`));
});

test('AWS refusals: the trust policy, the keys (where to renew them), an expired token, validation, a disabled region', () => {
  assert.match(said(sdkError('AccessDenied', 'not authorized to perform sts:AssumeRole', 403)).line, /^AWS refused: not authorized.*trust policy/);
  assert.match(said(sdkError('InvalidClientTokenId', 'bad', 403)).line, /keys AKIAALICE00000000001 from profile alice.*aws configure --profile alice/);
  assert.match(said(sdkError('SignatureDoesNotMatch', 'bad', 403), call({ fromEnvironment: true })).line, /set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  const hop = { accessKeyId: 'ASIAHOP', secretAccessKey: 's', sessionToken: 't', origin: 'role R (profile hop)' };
  assert.match(said(sdkError('InvalidClientTokenId', 'bad', 403), call({ keys: hop })).line, /from role R \(profile hop\).*log in again to their source/);
  assert.match(said(sdkError('ExpiredToken', 'expired', 403)).line, /credentials from profile alice have expired/);
  assert.match(said(sdkError('ValidationError', '1 validation error detected', 400)).line, /^AWS refused the request: 1 validation error/);
  assert.match(said(sdkError('RegionDisabledException', 'off', 403)).line, /not enabled in region us-east-1: pass --region/);
  for (const e of [sdkError('AccessDenied', 'x', 403), sdkError('ExpiredToken', 'x', 403)]) assert.equal(said(e).exit, ExitCode.aws);
});

test('network faults name the endpoint and what to check, exit network', () => {
  const cases: Array<[unknown, RegExp]> = [
    [sdkError('ThrottlingException', 'Rate exceeded', 400), /throttling STS calls.*3 attempts/],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), /connection refused; check your network or AWS_ENDPOINT_URL_STS/],
    [Object.assign(new Error('fetch failed'), { cause: { code: 'ENOTFOUND' } }), /host name does not resolve/],
    [Object.assign(new Error('wrong version number'), { code: 'EPROTO' }), /^TLS to STS at .* failed \(EPROTO\)/],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), /: ECONNRESET; check your network/],
    [sdkError('TimeoutError', 'Request timed out'), /no answer from STS at .* in 3 attempts of 8 s/],
    [sdkError('InternalFailure', 'oops', 503), /failed with HTTP 503 after 3 attempts/],
    [sdkError('Error', 'Deserialization error', 200), /answered with something that is not a valid STS response/],
    [sdkError('Weird', 'something else', 418), /^STS call to .* failed: Weird: something else$/],
  ];
  for (const [e, line] of cases) {
    const s = said(e);
    assert.match(s.line, line);
    assert.ok(s.line.includes(ENDPOINT) || /throttling/.test(s.line), `names the endpoint: ${s.line}`);
    assert.equal(s.exit, ExitCode.network, s.line);
  }
});

test('past the deadline: the whole wait is said, from KOPS_MFA_STS_TIMEOUT', () => {
  assert.match(said(new Error('aborted'), call({ aborted: true })).line, /no answer from STS at .* within 28 s/);
  assert.match(said(new Error('aborted'), call({ aborted: true, env: { KOPS_MFA_STS_TIMEOUT: '2' } })).line, /within 7 s/);
  assert.match(said(sdkError('TimeoutError', 'timed out'), call({ env: { KOPS_MFA_STS_TIMEOUT: '1' } })).line, /in 3 attempts of 1 s/);
  // A call with a code is sent once, and a lost answer may have used the code up.
  assert.match(said(sdkError('TimeoutError', 'timed out'), call({ withCode: true })).line, /no answer from STS at .* within 8 s; .*code/);
});

test('an error of kops-mfa itself passes through unchanged', () => {
  const own = mfaError('no code');
  assert.equal(explain(own, call()), own);
});
