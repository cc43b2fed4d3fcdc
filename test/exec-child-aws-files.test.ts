// The config file exec's command reads: the user's, less every credential
// source, every other byte kept. Checked against the AWS CLI itself, which
// must find the same settings and no credentials in it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withoutCredentialSources } from '../src/exec/child-aws-files.ts';
import { needTool, run, tempDir } from './support/helpers.ts';

const CONFIG = [
  '# my config\r',
  '[default]\r',
  'AWS_Access_Key_Id = AKIAEXAMPLE\r',
  'aws_secret_access_key: secret\r',
  'region = us-west-2\r',
  '\r',
  '[profile kops]',
  'role_arn = arn:aws:iam::123456789012:role/kops',
  'mfa_serial = arn:aws:iam::123456789012:mfa/alice',
  'source_profile = default',
  'credential_process = /usr/bin/get-creds',
  '  --with a continuation line',
  'output = json',
  's3 =',
  '  addressing_style = path',
  'mfa_session_duration = 43200',
  '',
  '[sso-session corp]',
  'sso_start_url = https://corp.awsapps.com/start',
  'sso_region = eu-west-1',
  '',
  '[profile sso]',
  'sso_session = corp',
  'sso_account_id = 123456789012',
  'sso_role_name = Admin',
  'web_identity_token_file = /tmp/token',
  'credential_source = Environment',
  'region = eu-central-1',
  '',
  '[services local]',
  'sts =',
  '  endpoint_url = http://127.0.0.1:4566',
  '',
].join('\n');

const EXPECTED = [
  '# my config\r',
  '[default]\r',
  'region = us-west-2\r',
  '\r',
  '[profile kops]',
  'output = json',
  's3 =',
  '  addressing_style = path',
  'mfa_session_duration = 43200',
  '',
  '[profile sso]',
  'region = eu-central-1',
  '',
  '[services local]',
  'sts =',
  '  endpoint_url = http://127.0.0.1:4566',
  '',
].join('\n');

test('every credential source goes, with its continuation lines and the sso-session sections; every other byte stays', () => {
  assert.equal(withoutCredentialSources(CONFIG), EXPECTED);
  assert.equal(withoutCredentialSources(''), '');
  assert.equal(withoutCredentialSources('[default]\nregion = eu-west-1'), '[default]\nregion = eu-west-1');
});

test('the AWS CLI reads the same settings from the stripped file, and no credentials', async (t) => {
  if (!needTool(t, 'aws')) return;
  const dir = tempDir(t);
  const path = join(dir, 'config');
  writeFileSync(path, withoutCredentialSources(CONFIG));
  const env = { PATH: process.env.PATH, HOME: dir, AWS_CONFIG_FILE: path, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), AWS_EC2_METADATA_DISABLED: 'true' };
  const get = async (key: string, profile: string) => (await run('aws', ['configure', 'get', key, '--profile', profile], { env })).stdout.trim();
  assert.equal(await get('region', 'default'), 'us-west-2');
  assert.equal(await get('output', 'kops'), 'json');
  assert.equal(await get('region', 'sso'), 'eu-central-1');
  for (const [profile, key] of [['default', 'aws_access_key_id'], ['kops', 'role_arn'], ['sso', 'sso_session']]) assert.equal(await get(key!, profile!), '', `${profile} ${key}`);
  const who = await run('aws', ['configure', 'list', '--profile', 'kops'], { env });
  assert.match(who.stdout, /access_key\s+<not set>/);
});
