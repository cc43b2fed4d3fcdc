// The precedence of src/settings/config.ts, for every option of the option
// table that an environment variable or a profile key also sets: the flag
// over the variable over the profile over the default, an empty value
// falling through to the next layer; with --profile, the profile's key over
// a KOPS_MFA_* variable. Driven by the table itself, so an option added
// there without a row here fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSettings, type Settings } from '../src/settings/config.ts';
import { LOGIN_OPTIONS } from '../src/cli/options.ts';
import type { AwsFiles, Profile } from '../src/settings/aws-files.ts';

const arn = (kind: string, name: string) => `arn:aws:iam::123456789012:${kind}/${name}`;

/** Per option: three valid values (flag, variable, profile), what Settings shows, and the default. */
const ROWS: Record<string, { values: [string, string, string]; read: (s: Settings) => unknown; fallback?: unknown }> = {
  'role-arn': { values: [arn('role', 'flag'), arn('role', 'env'), arn('role', 'prof')], read: (s) => s.roleArn, fallback: undefined },
  'serial-number': { values: [arn('mfa', 'flag'), arn('mfa', 'env'), arn('mfa', 'prof')], read: (s) => s.serialNumber },
  'duration-seconds': { values: ['1000', '2000', '3000'], read: (s) => s.durationSeconds, fallback: 3600 },
  'mfa-session-duration': { values: ['1000', '2000', '3000'], read: (s) => s.mfaSessionSeconds, fallback: 0 },
  'role-session-name': { values: ['flag-name', 'env-name', 'prof-name'], read: (s) => s.roleSessionName, fallback: 'kops-access' },
  'external-id': { values: ['flag-id', 'env-id', 'prof-id'], read: (s) => s.externalId, fallback: undefined },
  region: { values: ['eu-west-1', 'eu-west-2', 'eu-west-3'], read: (s) => s.exportRegion, fallback: undefined },
  'min-remaining': { values: ['10', '20', '30'], read: (s) => s.minRemainingSeconds / 60, fallback: 5 },
  'kops-state-store': { values: ['s3://flag', 's3://env', 's3://prof'], read: (s) => s.kops.stateStore, fallback: undefined },
  'kops-cluster-name': { values: ['flag.example.com', 'env.example.com', 'prof.example.com'], read: (s) => s.kops.clusterName, fallback: undefined },
};

/** Numbers where Settings holds numbers. */
const shown = (name: string, value: string) => (/^\d+$/.test(value) && name !== 'role-session-name' ? Number(value) : value);

function files(profile: Profile): AwsFiles {
  return {
    config: { p: { mfa_serial: arn('mfa', 'base'), ...profile } },
    credentials: { p: { aws_access_key_id: 'AKIAPRECEDENCE00001', aws_secret_access_key: 'secret' } },
    configPath: '/home/u/.aws/config',
    credentialsPath: '/home/u/.aws/credentials',
  };
}

const layered = LOGIN_OPTIONS.filter((o) => (o.env || o.profileKey) && o.name !== 'profile');

test('every option that a variable or a profile key sets has a row here', () => {
  assert.deepEqual(layered.map((o) => o.name).sort(), Object.keys(ROWS).sort());
});

for (const o of layered) {
  test(`${o.name}: flag, then ${o.env ?? '(no variable)'}, then ${o.profileKey ?? '(no profile key)'}, then the default`, () => {
    const row = ROWS[o.name]!;
    const [flag, fromEnv, fromProfile] = row.values;
    const env = o.env ? { [o.env]: fromEnv } : {};
    const profile = o.profileKey ? { [o.profileKey]: fromProfile } : {};
    // The profile picked by AWS_PROFILE; --profile is the case below.
    const at = (flags: Record<string, string>, e: NodeJS.ProcessEnv, p: Profile) => row.read(resolveSettings(flags, { AWS_PROFILE: 'p', ...e }, files(p)));
    const named = (flags: Record<string, string>, e: NodeJS.ProcessEnv, p: Profile) => row.read(resolveSettings({ profile: 'p', ...flags }, e, files(p)));

    assert.equal(at({ [o.name]: flag }, env, profile), shown(o.name, flag), 'the flag wins');
    if (o.env) {
      assert.equal(at({}, env, profile), shown(o.name, fromEnv), 'then the variable');
      assert.equal(at({ [o.name]: '' }, env, profile), shown(o.name, fromEnv), 'an empty flag falls through');
    }
    if (o.profileKey) {
      assert.equal(at({}, {}, profile), shown(o.name, fromProfile), 'then the profile');
      if (o.env) assert.equal(at({}, { [o.env]: '' }, profile), shown(o.name, fromProfile), 'an empty variable falls through');
    }
    if ('fallback' in row) assert.equal(at({}, {}, {}), row.fallback, 'then the default');
    if (o.env && o.profileKey) {
      const profileFirst = o.env.startsWith('KOPS_MFA_');
      assert.equal(named({}, env, profile), shown(o.name, profileFirst ? fromProfile : fromEnv), `with --profile: ${profileFirst ? 'the profile over a KOPS_MFA_* variable' : 'the variable still'}`);
      assert.equal(named({ [o.name]: flag }, env, profile), shown(o.name, flag), 'with --profile the flag still wins');
    }
  });
}

test('the region: AWS_REGION over AWS_DEFAULT_REGION; STS is called in us-east-1 when none is set', () => {
  const s = (env: NodeJS.ProcessEnv) => resolveSettings({ profile: 'p' }, env, files({ region: 'ap-south-1' }));
  assert.equal(s({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2' }).region, 'eu-west-1');
  assert.equal(s({ AWS_DEFAULT_REGION: 'eu-west-2' }).region, 'eu-west-2');
  assert.equal(s({}).region, 'ap-south-1');
  const none = resolveSettings({ profile: 'p' }, {}, files({}));
  assert.deepEqual([none.region, none.exportRegion], ['us-east-1', undefined]);
});
