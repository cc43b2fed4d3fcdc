// The local STS fixture, driven by the real @aws-sdk/client-sts over HTTP.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
  type STSClientConfig,
} from '@aws-sdk/client-sts';
// The SDK's own standard retry strategy, with a fixed tiny back-off so the test stays fast.
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import {
  DEFAULT_ACCOUNT,
  MESSAGES,
  STS_NAMESPACE,
  startStsServer,
  type IssueOverrides,
  type StsServer,
  type StsServerOptions,
} from '../scripts/sts-server.ts';

const USER = {
  accessKeyId: 'AKIAUSERTESTKEY00001',
  secretAccessKey: 'u5erSecretKeyForTheLocalSts/Server+0001',
  arn: `arn:aws:iam::${DEFAULT_ACCOUNT}:user/alice`,
  mfaSerial: `arn:aws:iam::${DEFAULT_ACCOUNT}:mfa/alice`,
};
const OTHER = {
  accessKeyId: 'AKIAUSERTESTKEY00002',
  secretAccessKey: 'otherSecretKeyForTheLocalSts/Server+002',
  arn: `arn:aws:iam::${DEFAULT_ACCOUNT}:user/bob`,
  mfaSerial: `arn:aws:iam::${DEFAULT_ACCOUNT}:mfa/bob`,
};
const ROLE = `arn:aws:iam::${DEFAULT_ACCOUNT}:role/kops-admin`;
const HOP = `arn:aws:iam::${DEFAULT_ACCOUNT}:role/jump/hop`;

type Keys = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

async function setup(t: TestContext, opts: StsServerOptions = {}): Promise<StsServer> {
  const server = await startStsServer({ ...opts, users: [{ ...USER }, { ...OTHER }, ...(opts.users ?? [])] });
  server.addRole({ arn: ROLE, maxSessionDuration: 43200, trust: [USER.arn, HOP] });
  server.addRole({ arn: HOP, requireMfa: false, trust: [USER.arn] });
  t.after(() => server.close());
  return server;
}

function client(t: TestContext, server: StsServer, keys: Keys = USER, extra: STSClientConfig = {}): STSClient {
  const c = new STSClient({ endpoint: server.url, region: 'us-east-1', credentials: keys, maxAttempts: 1, ...extra });
  t.after(() => c.destroy());
  return c;
}

function assumeWithCode(server: StsServer, extra: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}) {
  return new AssumeRoleCommand({
    RoleArn: ROLE,
    RoleSessionName: 'alice-kops',
    SerialNumber: USER.mfaSerial,
    TokenCode: server.nextCode(USER.mfaSerial),
    ...extra,
  });
}

interface SdkError {
  name: string;
  message: string;
  $fault?: string;
  $metadata: { httpStatusCode?: number; attempts?: number };
  code?: string;
}

/** Run it, expect the SDK to throw, return what it threw. */
async function failure(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (e) {
    return e as SdkError;
  }
  assert.fail('expected the call to fail');
}

function assertAws(e: SdkError, name: string, message: string, status: number): void {
  assert.equal(e.name, name);
  assert.equal(e.message, message);
  assert.equal(e.$metadata.httpStatusCode, status);
}

function keysOf(c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined): Keys {
  assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

test('AssumeRole with a fresh MFA code: AWS-shaped credentials, expiry from the server clock, the call recorded', async (t) => {
  const server = await setup(t, { now: () => new Date('2030-01-02T03:04:05.678Z') });
  const out = await client(t, server).send(assumeWithCode(server, { DurationSeconds: 900 }));
  const c = out.Credentials!;
  assert.match(c.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
  assert.match(c.SecretAccessKey!, /^[A-Za-z0-9/+]{40}$/);
  assert.ok(c.SessionToken!.length > 500);
  assert.match(c.SessionToken!, /^[A-Za-z0-9/+]+==$/);
  assert.ok(c.SessionToken!.includes('/') && c.SessionToken!.includes('+'));
  assert.deepEqual(c.Expiration, new Date('2030-01-02T03:19:05Z'));
  assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${DEFAULT_ACCOUNT}:assumed-role/kops-admin/alice-kops`);
  assert.match(out.AssumedRoleUser?.AssumedRoleId ?? '', /^AROA[A-Z2-7]{17}:alice-kops$/);
  assert.equal(out.$metadata.requestId, server.calls[0]?.requestId);

  assert.equal(server.calls.length, 1);
  assert.equal(server.requests, 1);
  const call = server.calls[0]!;
  assert.equal(call.action, 'AssumeRole');
  assert.equal(call.accessKeyId, USER.accessKeyId);
  assert.equal(call.sessionToken, false);
  assert.equal(call.status, 200);
  assert.equal(call.errorCode, undefined);
  assert.equal(call.callerArn, USER.arn);
  assert.equal(call.params.RoleArn, ROLE);
  assert.equal(call.params.DurationSeconds, '900');
  assert.equal(call.params.Version, '2011-06-15');
  assert.match(call.params.TokenCode ?? '', /^\d{6}$/);
  assert.equal(server.issued[0]?.accessKeyId, c.AccessKeyId);
  assert.equal(server.issued[0]?.expirationText, '2030-01-02T03:19:05Z');
  assert.equal(server.issued[0]?.mfa, true);
});

test('an MFA code works once; a failed call does not use it up; setCode registers a chosen code', async (t) => {
  const server = await setup(t);
  const sts = client(t, server);
  const code = server.nextCode(USER.mfaSerial);
  const cmd = () => new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1', SerialNumber: USER.mfaSerial, TokenCode: code });

  // Refused for another reason first: the code stays valid.
  const tooLong = await failure(sts.send(new AssumeRoleCommand({ ...cmd().input, DurationSeconds: 43201 })));
  assertAws(
    tooLong,
    'ValidationError',
    "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
    400,
  );
  await sts.send(cmd());
  const reuse = await failure(sts.send(cmd()));
  assertAws(reuse, 'AccessDenied', MESSAGES.badCode, 403);
  assert.equal(reuse.message.endsWith('code. '), true, 'the trailing space of AWS’s message survives the SDK');
  assert.equal(reuse.$fault, 'client');

  const never = await failure(
    sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1', SerialNumber: USER.mfaSerial, TokenCode: '000001' })),
  );
  assertAws(never, 'AccessDenied', MESSAGES.badCode, 403);
  server.setCode(USER.mfaSerial, '000001');
  await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1', SerialNumber: USER.mfaSerial, TokenCode: '000001' }));
  assert.deepEqual(
    server.calls.map((c) => [c.status, c.errorCode]),
    [[400, 'ValidationError'], [200, undefined], [403, 'AccessDenied'], [403, 'AccessDenied'], [200, undefined]],
  );

  const codes = new Set(Array.from({ length: 50 }, () => server.nextCode('arn:aws:iam::123456789012:mfa/x')));
  assert.equal(codes.size, 50);
  for (const c of codes) assert.match(c, /^\d{6}$/);
});

test('SigV4 is checked: wrong secret, unknown key, disabled key, missing Authorization', async (t) => {
  const server = await setup(t);
  const wrongSecret = await failure(
    client(t, server, { ...USER, secretAccessKey: USER.secretAccessKey.replace('u5er', 'user') }).send(new GetCallerIdentityCommand({})),
  );
  assertAws(wrongSecret, 'SignatureDoesNotMatch', MESSAGES.signatureMismatch, 403);

  const unknown = await failure(
    client(t, server, { accessKeyId: 'AKIANOBODYKNOWSTHIS1', secretAccessKey: 'x'.repeat(40) }).send(new GetCallerIdentityCommand({})),
  );
  assertAws(unknown, 'InvalidClientTokenId', 'The security token included in the request is invalid.', 403);

  // A long-term key with a session token is not a valid pair either.
  const withToken = await failure(client(t, server, { ...USER, sessionToken: 'abc' }).send(new GetCallerIdentityCommand({})));
  assertAws(withToken, 'InvalidClientTokenId', MESSAGES.invalidToken, 403);

  const ok = await client(t, server, OTHER).send(new GetCallerIdentityCommand({}));
  assert.equal(ok.Arn, OTHER.arn);
  server.disableUser(OTHER.accessKeyId);
  const disabled = await failure(client(t, server, OTHER).send(new GetCallerIdentityCommand({})));
  assertAws(disabled, 'InvalidClientTokenId', MESSAGES.invalidToken, 403);

  const raw = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Action=GetCallerIdentity&Version=2011-06-15',
  });
  assert.equal(raw.status, 403);
  assert.equal(raw.headers.get('content-type'), 'text/xml');
  const requestId = raw.headers.get('x-amzn-requestid');
  assert.equal(
    await raw.text(),
    `<ErrorResponse xmlns="${STS_NAMESPACE}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>MissingAuthenticationToken</Code>\n` +
      `    <Message>Request is missing Authentication Token</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
  );
  assert.deepEqual(
    server.calls.map((c) => [c.accessKeyId, c.errorCode]),
    [
      [USER.accessKeyId, 'SignatureDoesNotMatch'],
      ['AKIANOBODYKNOWSTHIS1', 'InvalidClientTokenId'],
      [USER.accessKeyId, 'InvalidClientTokenId'],
      [OTHER.accessKeyId, undefined],
      [OTHER.accessKeyId, 'InvalidClientTokenId'],
      [undefined, 'MissingAuthenticationToken'],
    ],
  );
});

test('MFA serial of another user, or none', async (t) => {
  const server = await setup(t);
  const sts = client(t, server);
  const wrongSerial = await failure(
    sts.send(assumeWithCode(server, { SerialNumber: OTHER.mfaSerial, TokenCode: server.nextCode(OTHER.mfaSerial) })),
  );
  assertAws(wrongSerial, 'AccessDenied', MESSAGES.badSerial, 403);
  const noMfa = await failure(sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'x1' })));
  assertAws(noMfa, 'AccessDenied', `User: ${USER.arn} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`, 403);
});

test('trust, ExternalId, unknown roles and duration limits', async (t) => {
  const server = await setup(t);
  server.addRole({ arn: `arn:aws:iam::${DEFAULT_ACCOUNT}:role/vendor`, requireMfa: false, externalId: 'ext-123' });
  const notTrusted = await failure(
    client(t, server, OTHER).send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'bob', SerialNumber: OTHER.mfaSerial, TokenCode: server.nextCode(OTHER.mfaSerial) }),
    ),
  );
  assertAws(notTrusted, 'AccessDenied', MESSAGES.notAuthorized(OTHER.arn, ROLE), 403);

  const sts = client(t, server);
  const vendor = `arn:aws:iam::${DEFAULT_ACCOUNT}:role/vendor`;
  const noExt = await failure(sts.send(new AssumeRoleCommand({ RoleArn: vendor, RoleSessionName: 'v1' })));
  assertAws(noExt, 'AccessDenied', MESSAGES.notAuthorized(USER.arn, vendor), 403);
  await sts.send(new AssumeRoleCommand({ RoleArn: vendor, RoleSessionName: 'v1', ExternalId: 'ext-123' }));

  // Values in error messages are XML-escaped and come back exact.
  const odd = `arn:aws:iam::${DEFAULT_ACCOUNT}:role/<no>&"such"'`;
  const unknown = await failure(sts.send(new AssumeRoleCommand({ RoleArn: odd, RoleSessionName: 'v1' })));
  assertAws(unknown, 'AccessDenied', MESSAGES.notAuthorized(USER.arn, odd), 403);

  const hopOut = await sts.send(new AssumeRoleCommand({ RoleArn: HOP, RoleSessionName: 'hop' }));
  const overMax = await failure(sts.send(new AssumeRoleCommand({ RoleArn: HOP, RoleSessionName: 'hop', DurationSeconds: 7200 })));
  assertAws(overMax, 'ValidationError', MESSAGES.durationExceedsRoleMax, 400);
  assert.equal(MESSAGES.durationExceedsRoleMax, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');

  const badName = await failure(sts.send(new AssumeRoleCommand({ RoleArn: HOP, RoleSessionName: 'has space' })));
  assertAws(
    badName,
    'ValidationError',
    "1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    400,
  );
  const two = await failure(sts.send(new AssumeRoleCommand({ RoleArn: HOP, RoleSessionName: 'x', DurationSeconds: 60 })));
  assertAws(
    two,
    'ValidationError',
    "2 validation errors detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
      "Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    400,
  );

  // Role chaining: the hop's session may assume the MFA role (trusted by the hop role) with alice's device,
  // but only for an hour.
  const chained = client(t, server, keysOf(hopOut.Credentials));
  const long = await failure(chained.send(assumeWithCode(server, { DurationSeconds: 3601 })));
  assertAws(long, 'ValidationError', MESSAGES.roleChainingLimit, 400);
  const out = await chained.send(assumeWithCode(server, { DurationSeconds: 3600 }));
  assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${DEFAULT_ACCOUNT}:assumed-role/kops-admin/alice-kops`);
  const last = server.calls.at(-1)!;
  assert.equal(last.accessKeyId, hopOut.Credentials?.AccessKeyId);
  assert.equal(last.sessionToken, true);
  assert.equal(last.callerArn, `arn:aws:sts::${DEFAULT_ACCOUNT}:assumed-role/hop/hop`);
});

test('GetSessionToken with MFA; its credentials satisfy an MFA role and cannot call GetSessionToken again', async (t) => {
  const server = await setup(t, { now: () => new Date('2030-06-01T00:00:00Z') });
  const sts = client(t, server);
  const out = await sts.send(
    new GetSessionTokenCommand({ SerialNumber: USER.mfaSerial, TokenCode: server.nextCode(USER.mfaSerial), DurationSeconds: 129600 }),
  );
  assert.deepEqual(out.Credentials?.Expiration, new Date('2030-06-02T12:00:00Z'));
  const plain = await sts.send(new GetSessionTokenCommand({}));
  assert.deepEqual(plain.Credentials?.Expiration, new Date('2030-06-01T12:00:00Z'), 'default 12 hours');

  const tooLong = await failure(sts.send(new GetSessionTokenCommand({ DurationSeconds: 129601 })));
  assertAws(
    tooLong,
    'ValidationError',
    "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600",
    400,
  );
  const badCode = await failure(sts.send(new GetSessionTokenCommand({ SerialNumber: USER.mfaSerial, TokenCode: '123456' })));
  assertAws(badCode, 'AccessDenied', MESSAGES.badCode, 403);
  const shortCode = await failure(sts.send(new GetSessionTokenCommand({ SerialNumber: USER.mfaSerial, TokenCode: '12345' })));
  assertAws(
    shortCode,
    'ValidationError',
    "1 validation error detected: Value '12345' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6",
    400,
  );

  const session = client(t, server, keysOf(out.Credentials));
  const who = await session.send(new GetCallerIdentityCommand({}));
  assert.equal(who.Arn, USER.arn);
  const role = await session.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'from-session' }));
  assert.ok(role.Credentials?.AccessKeyId);
  const again = await failure(session.send(new GetSessionTokenCommand({})));
  assertAws(again, 'AccessDenied', 'Cannot call GetSessionToken with session credentials', 403);

  // Without MFA the session does not count as MFA-authenticated.
  const noMfa = await failure(client(t, server, keysOf(plain.Credentials)).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'x1' })));
  assertAws(noMfa, 'AccessDenied', MESSAGES.notAuthorized(USER.arn, ROLE), 403);
});

// -- The MFA session: GetSessionToken with a code, then roles without one.

const SECOND_ROLE = `arn:aws:iam::${DEFAULT_ACCOUNT}:role/kops-second`;

test('an MFA session assumes MFA roles with no code, for at most an hour; the log shows one call with a code', async (t) => {
  const server = await setup(t, { now: () => new Date('2030-03-01T10:00:00Z') });
  server.addRole({ arn: SECOND_ROLE, maxSessionDuration: 43200, trust: [USER.arn] });
  const code = server.nextCode(USER.mfaSerial);
  const mfaOut = await client(t, server).send(new GetSessionTokenCommand({ SerialNumber: USER.mfaSerial, TokenCode: code, DurationSeconds: 43200 }));
  const mfaKeys = keysOf(mfaOut.Credentials);
  assert.deepEqual(server.session(mfaKeys.accessKeyId), {
    action: 'GetSessionToken',
    arn: USER.arn,
    userArn: USER.arn,
    mfa: true,
    expiration: new Date('2030-03-01T22:00:00Z'),
  });
  assert.equal(server.session(USER.accessKeyId), undefined, 'long-term keys are no session');
  assert.equal(server.session('ASIANOTISSUEDATALL00'), undefined);

  const session = client(t, server, mfaKeys);
  const roleKeys: string[] = [];
  for (const roleArn of [ROLE, SECOND_ROLE]) {
    const out = await session.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'day', DurationSeconds: 3600 }));
    assert.deepEqual(out.Credentials?.Expiration, new Date('2030-03-01T11:00:00Z'));
    const key = keysOf(out.Credentials).accessKeyId;
    roleKeys.push(key);
    assert.deepEqual(server.session(key), {
      action: 'AssumeRole',
      arn: `arn:aws:sts::${DEFAULT_ACCOUNT}:assumed-role/${roleArn.split('/').pop()}/day`,
      userArn: USER.arn,
      mfa: true,
      expiration: new Date('2030-03-01T11:00:00Z'),
    });
    // The role session works (and carries MFA on, for a further hop).
    const me = await client(t, server, keysOf(out.Credentials)).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, server.session(key)?.arn);
  }
  assert.notEqual(roleKeys[0], roleKeys[1]);

  // Both roles allow 12 hours, but not to session credentials: the role-chaining limit, as AWS.
  for (const DurationSeconds of [3601, 43200]) {
    const e = await failure(session.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'day', DurationSeconds })));
    assertAws(e, 'ValidationError', MESSAGES.roleChainingLimit, 400);
  }
  // No DurationSeconds: AWS's default hour.
  const plainDuration = await session.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'day' }));
  assert.deepEqual(plainDuration.Credentials?.Expiration, new Date('2030-03-01T11:00:00Z'));
  // The code bought the session; it is spent for everything else.
  const reused = await failure(session.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'day', SerialNumber: USER.mfaSerial, TokenCode: code })));
  assertAws(reused, 'AccessDenied', MESSAGES.badCode, 403);

  // The log: one successful call with a code, per call the key that signed it and what it handed out.
  assert.deepEqual(
    server.calls.map((c) => [c.action, c.accessKeyId === USER.accessKeyId ? 'user' : c.accessKeyId === mfaKeys.accessKeyId ? 'mfa-session' : 'role', c.tokenCode, c.status]),
    [
      ['GetSessionToken', 'user', true, 200],
      ['AssumeRole', 'mfa-session', false, 200],
      ['GetCallerIdentity', 'role', false, 200],
      ['AssumeRole', 'mfa-session', false, 200],
      ['GetCallerIdentity', 'role', false, 200],
      ['AssumeRole', 'mfa-session', false, 400],
      ['AssumeRole', 'mfa-session', false, 400],
      ['AssumeRole', 'mfa-session', false, 200],
      ['AssumeRole', 'mfa-session', true, 403],
    ],
  );
  assert.equal(server.calls.filter((c) => c.tokenCode && c.status === 200).length, 1);
  assert.deepEqual(
    server.calls.filter((c) => c.action === 'AssumeRole').map((c) => c.issuedAccessKeyId),
    [roleKeys[0], roleKeys[1], undefined, undefined, plainDuration.Credentials?.AccessKeyId, undefined],
  );
  assert.equal(server.calls[0]?.issuedAccessKeyId, mfaKeys.accessKeyId);
  assert.equal(server.issued.length, 4, 'refused calls hand out nothing');
});

test('an MFA session past its expiry is refused with ExpiredToken; role sessions it made live on until their own end', async (t) => {
  let clock = new Date('2030-03-01T10:00:00Z').getTime();
  const server = await setup(t, { now: () => new Date(clock) });
  const mfaOut = await client(t, server).send(
    new GetSessionTokenCommand({ SerialNumber: USER.mfaSerial, TokenCode: server.nextCode(USER.mfaSerial), DurationSeconds: 900 }),
  );
  const mfaKeys = keysOf(mfaOut.Credentials);
  const session = client(t, server, mfaKeys);
  clock += 899_000; // one second left
  const role = keysOf((await session.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'late' }))).Credentials);

  clock += 1000; // exactly at the MFA session's Expiration
  for (const cmd of [new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'late' }), new GetCallerIdentityCommand({})]) {
    const e = await failure(session.send(cmd as AssumeRoleCommand));
    assertAws(e, 'ExpiredToken', MESSAGES.expiredToken, 403);
  }
  const me = await client(t, server, role).send(new GetCallerIdentityCommand({}));
  assert.equal(me.Arn, `arn:aws:sts::${DEFAULT_ACCOUNT}:assumed-role/kops-admin/late`);

  clock += 3600_000 - 1000; // the role session's own end
  assertAws(await failure(client(t, server, role).send(new GetCallerIdentityCommand({}))), 'ExpiredToken', MESSAGES.expiredToken, 403);

  // A new code buys a new session (what a person does once a day).
  const fresh = await client(t, server).send(
    new GetSessionTokenCommand({ SerialNumber: USER.mfaSerial, TokenCode: server.nextCode(USER.mfaSerial), DurationSeconds: 900 }),
  );
  await client(t, server, keysOf(fresh.Credentials)).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'next' }));
  // expireCredentials moves what session() reports.
  server.expireCredentials(fresh.Credentials!.AccessKeyId);
  assert.ok(server.session(fresh.Credentials!.AccessKeyId!)!.expiration.getTime() < clock);
});

test('roleSessionSeconds and sessionTokenSeconds cut sessions to seconds (option and setters); Expiration says so', async (t) => {
  let clock = new Date('2030-03-01T10:00:00Z').getTime();
  const at = (s: number) => new Date(new Date('2030-03-01T10:00:00Z').getTime() + s * 1000);
  const server = await setup(t, { now: () => new Date(clock), roleSessionSeconds: 3 });
  const mfaOut = await client(t, server).send(new GetSessionTokenCommand({ SerialNumber: USER.mfaSerial, TokenCode: server.nextCode(USER.mfaSerial) }));
  assert.deepEqual(mfaOut.Credentials?.Expiration, at(43200), 'GetSessionToken is not capped by roleSessionSeconds');
  const session = client(t, server, keysOf(mfaOut.Credentials));

  // The request is still validated as AWS does; only the lifetime is cut.
  assertAws(
    await failure(session.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'run', DurationSeconds: 3601 }))),
    'ValidationError',
    MESSAGES.roleChainingLimit,
    400,
  );
  const first = await session.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'run', DurationSeconds: 3600 }));
  assert.deepEqual(first.Credentials?.Expiration, at(3));
  const firstKeys = keysOf(first.Credentials);
  clock += 2000;
  await client(t, server, firstKeys).send(new GetCallerIdentityCommand({}));
  clock += 1000;
  assertAws(await failure(client(t, server, firstKeys).send(new GetCallerIdentityCommand({}))), 'ExpiredToken', MESSAGES.expiredToken, 403);
  // The MFA session renews it with no code: a second role session, another key.
  const second = await session.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'run' }));
  assert.deepEqual(second.Credentials?.Expiration, at(6));
  assert.notEqual(second.Credentials?.AccessKeyId, firstKeys.accessKeyId);

  server.setRoleSessionSeconds(10);
  assert.deepEqual((await session.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'run' }))).Credentials?.Expiration, at(13));
  server.setRoleSessionSeconds(undefined);
  assert.deepEqual((await session.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'run', DurationSeconds: 900 }))).Credentials?.Expiration, at(903));
  assert.equal(server.session(second.Credentials!.AccessKeyId!)?.expiration.getTime(), at(6).getTime(), 'issued sessions keep their end');

  server.setSessionTokenSeconds(4);
  const shortMfa = await client(t, server).send(
    new GetSessionTokenCommand({ SerialNumber: USER.mfaSerial, TokenCode: server.nextCode(USER.mfaSerial), DurationSeconds: 129600 }),
  );
  assert.deepEqual(shortMfa.Credentials?.Expiration, at(7));
  clock += 4000;
  assertAws(
    await failure(client(t, server, keysOf(shortMfa.Credentials)).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'run' }))),
    'ExpiredToken',
    MESSAGES.expiredToken,
    403,
  );
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => server.setRoleSessionSeconds(bad), RangeError);
    assert.throws(() => server.setSessionTokenSeconds(bad), RangeError);
  }
  await assert.rejects(startStsServer({ roleSessionSeconds: 0 }), RangeError);
});

test('roleSessionSeconds on the real clock: a role session really ends after a few seconds', async (t) => {
  const server = await setup(t, { roleSessionSeconds: 1 });
  const mfaOut = await client(t, server).send(new GetSessionTokenCommand({ SerialNumber: USER.mfaSerial, TokenCode: server.nextCode(USER.mfaSerial) }));
  const role = await client(t, server, keysOf(mfaOut.Credentials)).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'run' }));
  const end = role.Credentials!.Expiration!.getTime();
  assert.ok(end - Date.now() <= 1000 && end > Date.now() - 1000, `Expiration ${role.Credentials!.Expiration!.toISOString()} is about 1 s away`);
  await new Promise((r) => setTimeout(r, Math.max(0, end - Date.now()) + 50));
  assertAws(await failure(client(t, server, keysOf(role.Credentials)).send(new GetCallerIdentityCommand({}))), 'ExpiredToken', MESSAGES.expiredToken, 403);
});

test('issued credentials: GetCallerIdentity as the assumed role; token required; expiry', async (t) => {
  let clock = new Date('2030-01-01T00:00:00Z').getTime();
  const server = await setup(t, { now: () => new Date(clock) });
  const out = await client(t, server).send(assumeWithCode(server, { RoleSessionName: 'who-am-i' }));
  const keys = keysOf(out.Credentials);

  const me = await client(t, server, keys).send(new GetCallerIdentityCommand({}));
  assert.equal(me.Arn, `arn:aws:sts::${DEFAULT_ACCOUNT}:assumed-role/kops-admin/who-am-i`);
  assert.equal(me.Account, DEFAULT_ACCOUNT);
  assert.equal(me.UserId, out.AssumedRoleUser?.AssumedRoleId);
  const user = await client(t, server).send(new GetCallerIdentityCommand({}));
  assert.equal(user.Arn, USER.arn);
  assert.match(user.UserId ?? '', /^AIDA[A-Z2-7]{17}$/);

  const noToken = await failure(client(t, server, { ...keys, sessionToken: undefined }).send(new GetCallerIdentityCommand({})));
  assertAws(noToken, 'InvalidClientTokenId', MESSAGES.invalidToken, 403);
  const otherToken = await failure(client(t, server, { ...keys, sessionToken: keys.sessionToken + 'x' }).send(new GetCallerIdentityCommand({})));
  assertAws(otherToken, 'InvalidClientTokenId', MESSAGES.invalidToken, 403);

  clock += 3600_000; // exactly at Expiration
  const expired = await failure(client(t, server, keys).send(new GetCallerIdentityCommand({})));
  assertAws(expired, 'ExpiredToken', 'The security token included in the request is expired', 403);

  clock -= 3600_000;
  await client(t, server, keys).send(new GetCallerIdentityCommand({}));
  server.expireCredentials(keys.accessKeyId);
  const expiredNow = await failure(client(t, server, keys).send(new GetCallerIdentityCommand({})));
  assert.equal(expiredNow.name, 'ExpiredToken');
});

test('throttling: the SDK retries and recovers; when it gives up, the error is Throttling', async (t) => {
  const server = await setup(t);
  // The SDK's default strategy (its throttling back-off is random, at most 1 s for one retry).
  server.faults.throttle = 1;
  const out = await client(t, server, USER, { maxAttempts: 3 }).send(assumeWithCode(server));
  assert.equal(out.$metadata.attempts, 2);

  // Fixed 1 ms back-off, same strategy otherwise.
  const fast = client(t, server, USER, { retryStrategy: new ConfiguredRetryStrategy(3, 1) });
  server.faults.throttle = 2;
  const again = await fast.send(new GetCallerIdentityCommand({}));
  assert.equal(again.$metadata.attempts, 3);
  assert.equal(server.faults.throttle, 0);

  server.faults.throttle = 5;
  const gaveUp = await failure(fast.send(new GetCallerIdentityCommand({})));
  assertAws(gaveUp, 'Throttling', 'Rate exceeded', 400);
  assert.equal(gaveUp.$metadata.attempts, 3);
  assert.equal(server.faults.throttle, 2);
  assert.deepEqual(
    server.calls.map((c) => c.fault ?? c.status),
    ['throttle', 200, 'throttle', 'throttle', 200, 'throttle', 'throttle', 'throttle'],
  );
});

test('server errors, dropped connections and a hanging server', async (t) => {
  const server = await setup(t);
  server.faults.serverError = 1;
  const e500 = await failure(client(t, server).send(new GetCallerIdentityCommand({})));
  assertAws(e500, 'InternalFailure', MESSAGES.internalFailure, 500);
  assert.equal(e500.$fault, 'server');

  server.faults.serverError = 2;
  server.faults.serverErrorCode = 'ServiceUnavailable';
  const ok = await client(t, server, USER, { maxAttempts: 3 }).send(new GetCallerIdentityCommand({}));
  assert.equal(ok.$metadata.attempts, 3);
  assert.deepEqual(
    server.calls.slice(1).map((c) => [c.status, c.errorCode]),
    [[503, 'ServiceUnavailable'], [503, 'ServiceUnavailable'], [200, undefined]],
  );

  // Note: the SDK reports a dropped connection as name "TimeoutError", code ECONNRESET.
  server.faults.dropConnection = 1;
  const dropped = await failure(client(t, server).send(new GetCallerIdentityCommand({})));
  assert.equal(dropped.code, 'ECONNRESET');
  assert.equal(server.calls.at(-1)?.fault, 'dropConnection');
  assert.equal(server.calls.at(-1)?.status, 0);

  server.faults.hang = true;
  const timedOut = await failure(
    client(t, server, USER, { requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true } }).send(new GetCallerIdentityCommand({})),
  );
  assert.equal(timedOut.name, 'TimeoutError');
  assert.equal(timedOut.code, 'ETIMEDOUT');

  // close() does not wait for the hanging request.
  const pending = failure(client(t, server).send(new GetCallerIdentityCommand({})));
  while (server.calls.length < 7) await new Promise((r) => setTimeout(r, 5));
  await server.close();
  assert.equal((await pending).code, 'ECONNRESET');
});

test('hold(): a request waits at the gate until release(); arrived() says when it is there; later ones pass', async (t) => {
  const server = await setup(t);
  const gate = server.hold();
  let answered = false;
  const pending = client(t, server)
    .send(new GetCallerIdentityCommand({}))
    .then((r) => ((answered = true), r));
  await gate.arrived();
  assert.equal(server.calls.length, 1, 'read and recorded');
  // Every turn of the event loop the server would need to answer.
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(answered, false, 'held');
  gate.release();
  assert.equal((await pending).Arn, USER.arn);
  assert.equal((await client(t, server).send(new GetCallerIdentityCommand({}))).Arn, USER.arn, 'no longer held');
});

test("hold('answer'): the request is acted on (the code spent, the session issued) and only its answer waits", async (t) => {
  const server = await setup(t);
  const gate = server.hold('answer');
  let answered = false;
  const pending = client(t, server)
    .send(assumeWithCode(server))
    .then((r) => ((answered = true), r));
  await gate.arrived();
  assert.equal(server.issued.length, 1, 'issued already');
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(answered, false, 'the answer is held');
  gate.release();
  assert.equal((await pending).Credentials?.AccessKeyId, server.issued[0]!.accessKeyId);
});

test('malformed XML surfaces as an SDK parse error, not as credentials', async (t) => {
  const server = await setup(t);
  server.faults.malformed = true;
  const code = server.nextCode(USER.mfaSerial);
  const e = await failure(
    client(t, server, USER, { maxAttempts: 3 }).send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'm1', SerialNumber: USER.mfaSerial, TokenCode: code }),
    ),
  );
  assert.equal(e.name, 'Error');
  assert.match(e.message, /^@aws-sdk XML parse error: missing closing tag <\/AccessKeyId>\./);
  assert.match(e.message, /Deserialization error/);
  assert.equal(e.$metadata.httpStatusCode, 200);
  assert.equal(server.requests, 1, 'a parse error is not retried');
  server.faults.malformed = false;
  // The malformed answer did not act on the request: the code is still good.
  await client(t, server).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'm1', SerialNumber: USER.mfaSerial, TokenCode: code }));
});

test('AWS_ENDPOINT_URL_STS points an SDK client without an endpoint option at the server', async (t) => {
  const server = await setup(t);
  const before = process.env.AWS_ENDPOINT_URL_STS;
  process.env.AWS_ENDPOINT_URL_STS = server.url;
  t.after(() => {
    if (before === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
    else process.env.AWS_ENDPOINT_URL_STS = before;
  });
  const c = new STSClient({ region: 'eu-west-1', credentials: USER, maxAttempts: 1 });
  t.after(() => c.destroy());
  const me = await c.send(new GetCallerIdentityCommand({}));
  assert.equal(me.Arn, USER.arn);
  assert.equal(server.calls.length, 1);
});

test('optional clock-skew check, as AWS: "Signature expired"', async (t) => {
  const server = await setup(t, { now: () => new Date(Date.now() + 3600_000), maxClockSkewSeconds: 900 });
  const e = await failure(client(t, server).send(new GetCallerIdentityCommand({})));
  assert.equal(e.name, 'SignatureDoesNotMatch');
  assert.match(e.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
});

// Hostile values from issue() go out XML-escaped and come back through the SDK's
// parser byte for byte, with these exceptions (SDK 3.1173, @aws-sdk/xml-builder):
//  - a value made only of whitespace that contains a line feed ("\n", " \n ") is
//    read as "" (the parser drops whitespace-only text with a newline, after
//    decoding entities, so &#10; does not help);
//  - lone UTF-16 surrogates become U+FFFD (not encodable as UTF-8, not XML);
//  - Expiration is parsed as an RFC 3339 timestamp: anything else ("garbage",
//    "", a missing Z, surrounding spaces, epoch seconds) makes the SDK throw
//    TypeError "Invalid RFC3339 timestamp format …" with $metadata.httpStatusCode 200.
// CR survives only because the server writes it as &#13; (raw CR and CRLF are
// turned into LF before parsing); NUL and other controls are sent as &#N;, which
// the SDK decodes although they are not XML 1.0 characters.
const HOSTILE: Record<string, string> = {
  quotes: `'single' "double" \`back\``,
  shell: '$(rm -rf ~); `id` ${HOME} $HOME \\ ! | & ; < > * ? # ~',
  newlines: 'line1\nline2\n',
  leadingTrailingSpace: '  padded  ',
  onlySpaces: '   ',
  tabs: '\ta\tb\t',
  cr: 'a\rb\r\n',
  onlyCr: '\r',
  controls: 'nul\u0000bel\u0007esc\u001bdel\u007f',
  smartQuotes: '“double” ‘single’ „low“ «guillemets»',
  unicode: 'café 日本 😀 \u2028 \u0085 \ufeff',
  xml: '<Credentials><AccessKeyId>x</AccessKeyId></Credentials> ]]> &amp; &#13; &unknown;',
  empty: '',
  huge: 'A/+='.repeat(2560) + '==', // 10 KB
};

test('hostile issued values come back byte-exact through the SDK parser', async (t) => {
  let next: Partial<IssueOverrides> = {};
  const server = await setup(t, { issue: () => next });
  const sts = client(t, server);
  for (const [label, value] of Object.entries(HOSTILE)) {
    next = { accessKeyId: value, secretAccessKey: `${value}!`, sessionToken: value, expiration: '2031-02-03T04:05:06Z' };
    const out = await sts.send(new GetSessionTokenCommand({}));
    assert.equal(out.Credentials?.AccessKeyId, value, label);
    assert.equal(out.Credentials?.SecretAccessKey, `${value}!`, label);
    assert.equal(out.Credentials?.SessionToken, value, label);
    assert.deepEqual(out.Credentials?.Expiration, new Date('2031-02-03T04:05:06Z'), label);
  }

  // The documented exceptions, so a change in the SDK shows up here.
  next = { sessionToken: ' \n ' };
  assert.equal((await sts.send(new GetSessionTokenCommand({}))).Credentials?.SessionToken, '');
  next = { sessionToken: 'a\ud800b' };
  assert.equal((await sts.send(new GetSessionTokenCommand({}))).Credentials?.SessionToken, 'a\ufffdb');
  next = { expiration: 'garbage' };
  const e = await failure(sts.send(new GetSessionTokenCommand({})));
  assert.equal(e.name, 'TypeError');
  assert.match(e.message, /^Invalid RFC3339 timestamp format garbage/);
  assert.equal(e.$metadata.httpStatusCode, 200);

  // Hostile-looking but sendable keys still authenticate later calls.
  next = { accessKeyId: 'ASIA+=$"weird', secretAccessKey: "s3cr3t with spaces 'and' \"quotes\" \u00fc", sessionToken: 'tok/+== $x' };
  const weird = keysOf((await sts.send(new GetSessionTokenCommand({}))).Credentials);
  next = {};
  assert.equal(weird.sessionToken, 'tok/+== $x'); // (HTTP trims header values: no outer spaces)
  const me = await client(t, server, weird).send(new GetCallerIdentityCommand({}));
  assert.equal(me.Arn, USER.arn);
  assert.equal(server.calls.at(-1)?.accessKeyId, 'ASIA+=$"weird');
});
