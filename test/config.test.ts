// Settings precedence and validation: pure, so every branch runs without a process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSettings, profileName } from '../src/settings/config.ts';
import type { Flags } from '../src/cli/options.ts';
import type { AwsFiles } from '../src/settings/aws-files.ts';
import { KopsMfaError, ExitCode } from '../src/errors.ts';

const ROLE = 'arn:aws:iam::123456789012:role/kops';
const MFA = 'arn:aws:iam::123456789012:mfa/alice';

function files(config: AwsFiles['config'] = {}, credentials: AwsFiles['credentials'] = {}): AwsFiles {
  return { config, credentials, configPath: '/home/u/.aws/config', credentialsPath: '/home/u/.aws/credentials' };
}

const base = files(
  {
    default: { region: 'eu-west-1' },
    kops: { role_arn: ROLE, mfa_serial: MFA, source_profile: 'base', region: 'eu-central-1', duration_seconds: '7200' },
    base: {},
  },
  { base: { aws_access_key_id: 'AKIABASE', aws_secret_access_key: 'basesecret' } },
);

function configFails(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KopsMfaError, `expected KopsMfaError, got ${String(e)}`);
    assert.equal(e.exitCode, ExitCode.config);
    assert.match(e.message, pattern);
    return true;
  });
}

test('the profile comes from --profile, AWS_PROFILE, the logged-in marker, then default', () => {
  assert.equal(profileName({ profile: 'a' }, { AWS_PROFILE: 'b', KOPS_MFA_SESSION: 'c' }), 'a');
  assert.equal(profileName({}, { AWS_PROFILE: 'b', KOPS_MFA_SESSION: 'c' }), 'b');
  assert.equal(profileName({}, { KOPS_MFA_SESSION: 'c' }), 'c');
  assert.equal(profileName({}, {}), 'default');
});

test('a profile supplies role, serial, region, duration and source keys', () => {
  const s = resolveSettings({ profile: 'kops' }, {}, base);
  assert.equal(s.roleArn, ROLE);
  assert.equal(s.serialNumber, MFA);
  assert.equal(s.region, 'eu-central-1');
  assert.equal(s.exportRegion, 'eu-central-1');
  assert.equal(s.durationSeconds, 7200);
  assert.equal(s.roleSessionName, 'kops-access');
  assert.deepEqual(s.source, {
    kind: 'file',
    origin: 'profile base',
    profile: 'base',
    accessKeyId: 'AKIABASE',
    secretAccessKey: 'basesecret',
    sessionToken: undefined,
    cacheId: 'AKIABASE',
  });
  assert.deepEqual(s.hops, []);
  assert.equal(s.minRemainingSeconds, 300);
});

test('flags win over the environment, which wins over the profile', () => {
  const other = 'arn:aws:iam::123456789012:role/other';
  const envRole = 'arn:aws:iam::123456789012:role/fromenv';
  const env = { AWS_PROFILE: 'kops', KOPS_MFA_ROLE_ARN: envRole, KOPS_MFA_DURATION: '1800', KOPS_MFA_SESSION_NAME: 'env-name', AWS_REGION: 'us-west-2' };
  const fromEnv = resolveSettings({}, env, base);
  assert.equal(fromEnv.roleArn, envRole);
  assert.equal(fromEnv.durationSeconds, 1800);
  assert.equal(fromEnv.roleSessionName, 'env-name');
  assert.equal(fromEnv.region, 'us-west-2');
  assert.deepEqual(fromEnv.ignoredVariables, [], 'without --profile nothing is overridden');
  const flags: Flags = { profile: 'kops', 'role-arn': other, 'duration-seconds': '900', 'role-session-name': 'flag-name', region: 'ap-south-1' };
  const fromFlags = resolveSettings(flags, env, base);
  assert.equal(fromFlags.roleArn, other);
  assert.equal(fromFlags.durationSeconds, 900);
  assert.equal(fromFlags.roleSessionName, 'flag-name');
  assert.equal(fromFlags.region, 'ap-south-1');
  assert.deepEqual(fromFlags.ignoredVariables, []);
});

test('a profile named with --profile wins over the KOPS_MFA_* variables, and says which it overrode', () => {
  const envRole = 'arn:aws:iam::123456789012:role/fromenv';
  const env = { KOPS_MFA_ROLE_ARN: envRole, KOPS_MFA_DURATION: '1800', KOPS_MFA_SESSION_NAME: 'env-name', AWS_REGION: 'us-west-2' };
  const s = resolveSettings({ profile: 'kops' }, env, base);
  assert.equal(s.roleArn, ROLE, "the named profile's role, not the variable's");
  assert.equal(s.durationSeconds, 7200);
  assert.equal(s.roleSessionName, 'env-name', 'a variable still fills what the profile leaves empty');
  assert.equal(s.region, 'us-west-2', 'AWS_REGION keeps its place, as in the AWS CLI');
  assert.deepEqual(s.ignoredVariables, ['KOPS_MFA_ROLE_ARN', 'KOPS_MFA_DURATION']);
});

test('the original wrapper setup works with no AWS files at all', () => {
  const env = { KOPS_MFA_ROLE_ARN: ROLE, KOPS_MFA_ARN: MFA, AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'envsecret' };
  const s = resolveSettings({}, env, files());
  assert.equal(s.profile, 'default');
  assert.equal(s.source.accessKeyId, 'AKIAENV');
  assert.equal(s.source.origin, 'the environment');
  assert.equal(s.region, 'us-east-1');
  assert.equal(s.exportRegion, undefined, 'the default region is used for STS but not exported');
});

test("kops-mfa's own exported session is never taken for source keys", () => {
  const env = {
    KOPS_MFA_ROLE_ARN: ROLE,
    KOPS_MFA_ARN: MFA,
    AWS_ACCESS_KEY_ID: 'ASIATEMP',
    AWS_SECRET_ACCESS_KEY: 'tempsecret',
    AWS_SESSION_TOKEN: 'token',
    KOPS_MFA_SESSION: 'default',
  };
  noKeysButKeyring(resolveSettings({}, env, files()));
  // In a logged-in shell the marker finds the profile again, and its keys sign.
  const relogin = resolveSettings({}, { ...env, KOPS_MFA_SESSION: 'kops' }, base);
  assert.equal(relogin.profile, 'kops');
  assert.equal(relogin.source.accessKeyId, 'AKIABASE');
});

test('settings come from the environment before the login: KOPS_MFA_SAVED (0.2) or KOPS_MFA_PREV_PROFILE (0.1)', () => {
  // A shell logged in by 0.2 to another profile: AWS_PROFILE was "kops" before, the region was unset.
  const loggedIn = {
    AWS_ACCESS_KEY_ID: 'ASIATEMP',
    AWS_SECRET_ACCESS_KEY: 'tempsecret',
    AWS_SESSION_TOKEN: 'token',
    AWS_REGION: 'us-west-2',
    KOPS_MFA_SESSION: 'kops',
    KOPS_MFA_KEY_ID: 'ASIATEMP',
    KOPS_MFA_EXPIRES: '1900000000',
    KOPS_MFA_SAVED: JSON.stringify({ AWS_PROFILE: 'other', AWS_REGION: null, AWS_ACCESS_KEY_ID: null }),
  };
  const s = resolveSettings({}, loggedIn, base);
  assert.equal(s.profile, 'kops', 'the marker names the profile of the session (AWS_PROFILE was unset by the login)');
  assert.equal(s.exportRegion, 'eu-central-1', "the profile's region: the exported one was the login's, not the user's");
  assert.equal(s.source.accessKeyId, 'AKIABASE');
  // The saved values count only while the keys are the session's.
  const replaced = resolveSettings({ profile: 'kops' }, { ...loggedIn, AWS_ACCESS_KEY_ID: 'AKIAOWN', AWS_SECRET_ACCESS_KEY: 'own' }, base);
  assert.equal(replaced.exportRegion, 'us-west-2', 'keys the user set since: the environment is the user\'s');
  // A shell logged in by 0.1 (a marker, no KOPS_MFA_KEY_ID): its keys are that session's, never the user's.
  const old = { KOPS_MFA_ROLE_ARN: ROLE, KOPS_MFA_ARN: MFA, AWS_ACCESS_KEY_ID: 'ASIATEMP', AWS_SECRET_ACCESS_KEY: 't', KOPS_MFA_SESSION: 'default', KOPS_MFA_PREV_PROFILE: 'x' };
  noKeysButKeyring(resolveSettings({}, old, files()));
});

/** No keys in the files or the environment: only a keyring entry is left to look for, when the STS call is due. */
function noKeysButKeyring(s: ReturnType<typeof resolveSettings>): void {
  assert.equal(s.source.kind, 'keyring');
  assert.equal(s.source.accessKeyId, undefined, 'no key taken from the exported session');
  assert.equal(s.source.cacheId, `keyring:${s.profile}`);
}

test('source_profile chains are followed; a role on the way becomes a hop', () => {
  const chain = files(
    {
      top: { role_arn: ROLE, mfa_serial: MFA, source_profile: 'middle' },
      middle: { role_arn: 'arn:aws:iam::123456789012:role/jump', source_profile: 'root' },
      root: {},
      self: { role_arn: ROLE, mfa_serial: MFA, source_profile: 'self' },
    },
    { root: { aws_access_key_id: 'AKIAROOT', aws_secret_access_key: 's' }, self: { aws_access_key_id: 'AKIASELF', aws_secret_access_key: 's' } },
  );
  const s = resolveSettings({ profile: 'top' }, {}, chain);
  assert.equal(s.source.accessKeyId, 'AKIAROOT');
  assert.deepEqual(
    s.hops.map((h) => h.roleArn),
    ['arn:aws:iam::123456789012:role/jump'],
  );
  assert.equal(resolveSettings({ profile: 'self' }, {}, chain).source.accessKeyId, 'AKIASELF');
});

test('a source_profile loop is a clear error that shows the loop', () => {
  const loop = files({
    a: { role_arn: ROLE, mfa_serial: MFA, source_profile: 'b' },
    b: { source_profile: 'c' },
    c: { source_profile: 'a' },
  });
  configFails(() => resolveSettings({ profile: 'a' }, {}, loop), /source_profile loop: a -> b -> c -> a/);
});

test('credential_source = Environment takes the environment keys', () => {
  const f = files({ kops: { role_arn: ROLE, mfa_serial: MFA, credential_source: 'Environment' } });
  const s = resolveSettings({ profile: 'kops' }, { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'x' }, f);
  assert.equal(s.source.accessKeyId, 'AKIAENV');
  configFails(() => resolveSettings({ profile: 'kops' }, {}, f), /credential_source = Environment/);
  const imds = files({ kops: { role_arn: ROLE, mfa_serial: MFA, credential_source: 'Ec2InstanceMetadata' } });
  configFails(() => resolveSettings({ profile: 'kops' }, {}, imds), /not supported/);
});

test('no role but a serial means GetSessionToken, up to 36 hours', () => {
  const f = files({}, { me: { aws_access_key_id: 'AKIAME', aws_secret_access_key: 's', mfa_serial: MFA } });
  const s = resolveSettings({ profile: 'me', 'duration-seconds': '129600' }, {}, f);
  assert.equal(s.roleArn, undefined);
  assert.equal(s.durationSeconds, 129600);
  configFails(() => resolveSettings({ profile: 'me', 'duration-seconds': '129601' }, {}, f), /900 to 129600/);
});

test('mfa_process is taken from the profile', () => {
  const f = files({ kops: { role_arn: ROLE, mfa_serial: MFA, mfa_process: 'ykman oath accounts code --single' } }, {
    kops: { aws_access_key_id: 'AKIA', aws_secret_access_key: 's' },
  });
  assert.equal(resolveSettings({ profile: 'kops' }, {}, f).mfaProcess, 'ykman oath accounts code --single');
});

const envOk = { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' };
const invalid: Array<[string, Flags, RegExp]> = [
  ['missing serial', { 'role-arn': ROLE }, /run kops-mfa setup \(or pass --serial-number\)/],
  ['role ARN typo', { 'role-arn': 'arn:aws:iam::123:role/x', 'serial-number': MFA }, /role ARN .* not of the form/],
  ['a user ARN given as the serial', { 'role-arn': ROLE, 'serial-number': 'arn:aws:iam::123456789012:user/alice' }, /MFA serial .* not of the form/],
  ['duration too short', { 'role-arn': ROLE, 'serial-number': MFA, 'duration-seconds': '899' }, /900 to 43200/],
  ['duration too long for a role', { 'role-arn': ROLE, 'serial-number': MFA, 'duration-seconds': '43201' }, /900 to 43200/],
  ['duration not a number', { 'role-arn': ROLE, 'serial-number': MFA, 'duration-seconds': '1h' }, /whole number/],
  ['session name with a space', { 'role-arn': ROLE, 'serial-number': MFA, 'role-session-name': 'a b' }, /session name/],
  ['session name too short', { 'role-arn': ROLE, 'serial-number': MFA, 'role-session-name': 'a' }, /session name/],
  ['code of 5 digits', { 'role-arn': ROLE, 'serial-number': MFA, 'token-code': '12345' }, /6 digits/],
  ['code with letters', { 'role-arn': ROLE, 'serial-number': MFA, 'token-code': '12a456' }, /6 digits/],
  ['region with shell syntax', { 'role-arn': ROLE, 'serial-number': MFA, region: 'eu-west-1;id' }, /region/],
  ['external id with a space', { 'role-arn': ROLE, 'serial-number': MFA, 'external-id': 'a b' }, /external id/],
  ['min-remaining not a number', { 'role-arn': ROLE, 'serial-number': MFA, 'min-remaining': 'soon' }, /minimum remaining/],
  ['unknown profile', { profile: 'nope', 'role-arn': ROLE, 'serial-number': MFA }, /profile nope is not in/],
];
for (const [name, flags, pattern] of invalid) {
  test(`refused before any AWS call: ${name}`, () => configFails(() => resolveSettings(flags, envOk, files()), pattern));
}

test('a code with a leading zero stays a string of six digits', () => {
  const s = resolveSettings({ 'role-arn': ROLE, 'serial-number': MFA, 'token-code': '012345' }, envOk, files());
  assert.equal(s.tokenCode, '012345');
});

test('KOPS_MFA_STS_TIMEOUT is checked: out of range or not a number is a config error that names the range', () => {
  for (const bad of ['0.001', '1e9', '0', '-1', 'soon', 'Infinity', 'NaN']) {
    configFails(() => resolveSettings({ profile: 'kops' }, { KOPS_MFA_STS_TIMEOUT: bad }, base), /^KOPS_MFA_STS_TIMEOUT ".*" must be a number of seconds from 0\.5 to 300$/);
  }
  assert.equal(resolveSettings({ profile: 'kops' }, { KOPS_MFA_STS_TIMEOUT: '2.5' }, base).stsTimeoutSeconds, 2.5);
  assert.equal(resolveSettings({ profile: 'kops' }, {}, base).stsTimeoutSeconds, 8);
});

test('an error quotes a huge value shortened to about 100 characters', () => {
  const huge = 'x'.repeat(130_000);
  for (const [flags, pattern] of [
    [{ profile: huge }, /^profile x{100}… is not in /],
    [{ profile: 'kops', 'role-arn': huge }, /^role ARN "x{100}"… is not of the form/],
    [{ profile: 'kops', region: huge }, /^region "x{100}"… is not a region name/],
  ] as const) {
    assert.throws(
      () => resolveSettings(flags, {}, base),
      (e: unknown) => {
        assert.ok(e instanceof KopsMfaError);
        assert.match(e.message, pattern);
        assert.doesNotMatch(e.message, /[xp]{101}/, 'each mention of the value is cut');
        assert.ok(e.message.length < 400, `${e.message.length} characters`);
        return true;
      },
    );
  }
});
