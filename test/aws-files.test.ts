// Our AWS config reader against the AWS SDK's own (@smithy/shared-ini-file-loader)
// over the same files: profiles must mean the same to both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { loadAwsFiles } from '../src/aws-files.ts';
import { KopsMfaError } from '../src/errors.ts';
import { tempDir } from './helpers.ts';

const CASES: Array<[string, string, string]> = [
  [
    'profiles, default, comments',
    `# a comment\n[default]\nregion = eu-west-1 ; inline comment\n\n[profile kops]\nrole_arn = arn:aws:iam::123456789012:role/kops # trailing\nmfa_serial=arn:aws:iam::123456789012:mfa/alice\nsource_profile = alice\n;role_session_name = off\n`,
    `[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = se/cr+et==\n# [bob]\n`,
  ],
  [
    'sub-sections, sso sessions, services, CRLF',
    `[profile a]\r\ns3 =\r\n  max_concurrent_requests = 20\r\n  addressing_style = path\r\nregion = us-west-2\r\n[sso-session corp]\r\nsso_region = us-east-1\r\n[services local]\r\nsts =\r\n  endpoint_url = http://127.0.0.1:1\r\n`,
    '',
  ],
  [
    'odd names and values',
    `[profile "quoted"]\nregion = ap-south-1\n[profile 'single']\nregion = eu-north-1\n[profile with space]\nregion = x-1\n[profile user@corp.example]\nmfa_process = ykman oath accounts code --single "AWS: alice"\n[default]\nkey=a=b=c\n  =novalue\nnovalue\n[profile default]\nregion = from-profile-default\n`,
    `[default]\naws_access_key_id=AKIADEF\naws_secret_access_key=x\n[with space]\naws_access_key_id = AKIASPACE\n`,
  ],
  ['keys before any section, empty sections', `orphan = 1\n[profile empty]\n[profile b]\n`, `[c]\n`],
  ['a value with # and ; not after white space', `[profile x]\nexternal_id = a#b;c\nrole_session_name = n\t# tab comment\n`, ''],
];

/** The SDK's view: its config map also holds sso-session.* and services.*; only profiles count here. */
function sdkProfiles(config: Record<string, Record<string, string | undefined>>) {
  return Object.fromEntries(Object.entries(config).filter(([name]) => !/^(sso-session|services)\./.test(name)));
}

/** Ours are null-prototype maps (no __proto__ surprises); compare plain data. */
const plain = (o: unknown) => JSON.parse(JSON.stringify(o)) as unknown;

for (const [name, config, credentials] of CASES) {
  test(`same profiles as the AWS SDK: ${name}`, async (t) => {
    const home = tempDir(t);
    mkdirSync(join(home, '.aws'));
    const configPath = join(home, '.aws', 'config');
    const credentialsPath = join(home, '.aws', 'credentials');
    writeFileSync(configPath, config);
    writeFileSync(credentialsPath, credentials);
    const ours = loadAwsFiles({ HOME: home });
    const sdk = await loadSharedConfigFiles({ configFilepath: configPath, filepath: credentialsPath, ignoreCache: true });
    assert.deepEqual(plain(ours.config), plain(sdkProfiles(sdk.configFile)));
    assert.deepEqual(plain(ours.credentials), plain(sdk.credentialsFile));
  });
}

test('AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE are honoured; missing files are empty', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'c'), '[profile x]\nregion = eu-west-3\n');
  writeFileSync(join(dir, 'k'), '[y]\naws_access_key_id = AKIAY\n');
  const files = loadAwsFiles({ HOME: '/nonexistent', AWS_CONFIG_FILE: join(dir, 'c'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'k') });
  assert.equal(files.config.x?.region, 'eu-west-3');
  assert.equal(files.credentials.y?.aws_access_key_id, 'AKIAY');
  const none = loadAwsFiles({ HOME: dir });
  assert.deepEqual([{ ...none.config }, { ...none.credentials }], [{}, {}]);
});

test('an unreadable config file is a clear error, not silently empty (where the SDK says nothing)', async (t) => {
  if (process.getuid?.() === 0) {
    // root reads any file; make the path a folder instead, which nobody can read as a file.
    const home = tempDir(t);
    mkdirSync(join(home, '.aws', 'config'), { recursive: true });
    assert.throws(() => loadAwsFiles({ HOME: home }), (e: unknown) => e instanceof KopsMfaError && /cannot read .*config: EISDIR/.test(e.message));
    return;
  }
  const home = tempDir(t);
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(home, '.aws', 'config'), '[default]\n');
  chmodSync(join(home, '.aws', 'config'), 0o000);
  assert.throws(() => loadAwsFiles({ HOME: home }), (e: unknown) => e instanceof KopsMfaError && /cannot read .*config: EACCES/.test(e.message));
});

test('a __proto__ profile is refused, as by the SDK', async (t) => {
  const home = tempDir(t);
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(home, '.aws', 'config'), '[profile __proto__]\nregion = x\n');
  assert.throws(() => loadAwsFiles({ HOME: home }), /invalid profile name/);
});
