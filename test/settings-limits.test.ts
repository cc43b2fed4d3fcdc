// Settings a user names and what kops-mfa says about them: a profile named
// with --profile beats the KOPS_MFA_* variables (and says which), the STS
// time limit is checked, huge values are shortened, --debug hides the
// password of an endpoint URL, a far expiry shows its date and one beyond
// any session's length is no session. In this process, against the local STS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mfaProfile, ROLE_ARN, USER, world } from './support/world.ts';
import { secondsSetting } from '../src/settings/config.ts';
import { failsCleanly, ok } from './support/helpers.ts';
import { runMain } from './support/run-main.ts';
import { describeExpiry } from '../src/session/credentials.ts';

const READONLY = 'arn:aws:iam::123456789012:role/readonly';

test('--profile readonly with KOPS_MFA_ROLE_ARN exported: the profile\'s role, and one line naming the variable', async (t) => {
  const w = await world(t);
  w.server.addRole({ arn: READONLY, requireMfa: true });
  w.writeAws(
    `[profile kops]\nrole_arn = ${ROLE_ARN}\nmfa_serial = ${USER.mfaSerial}\nsource_profile = alice\n\n` +
      `[profile readonly]\nrole_arn = ${READONLY}\nmfa_serial = ${USER.mfaSerial}\nsource_profile = alice\n`,
  );
  const env = { ...w.env, KOPS_MFA_ROLE_ARN: ROLE_ARN };
  const r = await runMain(['env', '--shell', 'bash', '--profile', 'readonly', '--token-code', w.code()], { env });
  ok(r);
  assert.equal(w.server.calls.at(-1)?.params.RoleArn, READONLY, 'the role of the profile named');
  assert.equal(r.notes[0], '--profile readonly overrides KOPS_MFA_ROLE_ARN');
  assert.equal(r.notes.length, 2, r.stderr);
  // Without --profile the documented order stays: the variable wins, quietly.
  const plain = ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: { ...env, AWS_PROFILE: 'readonly' } }));
  assert.equal(w.server.calls.at(-1)?.params.RoleArn, ROLE_ARN);
  assert.doesNotMatch(plain.stderr, /overrides/);
});

test('KOPS_MFA_STS_TIMEOUT out of range: exit 3 with the range, no STS call, no "unexpected error"', async (t) => {
  const w = await world(t);
  for (const value of ['0.001', '1e9']) {
    const r = await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: { ...w.env, KOPS_MFA_STS_TIMEOUT: value } });
    failsCleanly(r, 3, new RegExp(`KOPS_MFA_STS_TIMEOUT "${value.replace('.', '\\.')}" must be a number of seconds from 0\\.5 to 300`));
  }
  assert.equal(w.server.requests, 0);
});

test('the other seconds settings are checked the same way: out of range is exit 3 naming the variable, never a silent default or an overflowed timer', async (t) => {
  const w = await world(t);
  // credential_process as the key source, through a login: the limit is read before the process runs.
  w.writeAws(`${mfaProfile('kops', { source_profile: 'vault' })}\n[profile vault]\ncredential_process = /bin/false\n`, '');
  const r = await runMain(['env', '--shell', 'bash', '--profile', 'kops', '--token-code', w.code()], {
    env: { ...w.env, KOPS_MFA_CREDENTIAL_PROCESS_TIMEOUT: '1e9' },
  });
  failsCleanly(r, 3, /KOPS_MFA_CREDENTIAL_PROCESS_TIMEOUT "1e9" must be a number of seconds from 0\.5 to 3600/);
  assert.equal(w.server.requests, 0);
  // The keyring's and keys rotate's limits, by the same function.
  for (const [name, value, range] of [
    ['KOPS_MFA_KEYRING_TIMEOUT', '1e9', { min: 0.5, max: 300, default: 4 }],
    ['KOPS_MFA_ROTATE_WAIT', '-1', { min: 0, max: 300, default: 15 }],
  ] as const) {
    assert.throws(() => secondsSetting({ [name]: value }, name, range), new RegExp(`${name} "${value}" must be a number of seconds`));
    assert.equal(secondsSetting({}, name, range), range.default);
  }
});

test('a 130 KB --profile is quoted in about 100 characters', async (t) => {
  const w = await world(t);
  const r = await runMain(['env', '--shell', 'bash', '--profile', 'p'.repeat(130_000)], { env: w.env });
  failsCleanly(r, 3, /^kops-mfa: profile p{100}… is not in /);
  assert.doesNotMatch(r.stderr, /p{101}/, 'each mention of the value is cut');
  assert.ok(r.stderr.length < 400, `${r.stderr.length} bytes on stderr`);
});

test('--debug never shows the user and password of an endpoint URL', async (t) => {
  const w = await world(t);
  const url = w.server.url.replace('http://', 'http://someone:hunter2@');
  const r = await runMain(['env', '--shell', 'bash', '--debug', '--token-code', w.code()], { env: { ...w.env, AWS_ENDPOINT_URL_STS: url } });
  assert.match(r.stderr, /endpoint http:\/\/\*\*\*@127\.0\.0\.1:/, r.stderr);
  assert.doesNotMatch(r.stderr, /hunter2|someone/);
});

test('--token-code says in --help that it stays in argv, and what is better', async () => {
  const r = ok(await runMain(['env', '--help']));
  const line = r.stdout.split('\n').find((l) => l.includes('--token-code')) ?? '';
  assert.match(line, /stays in argv/);
  assert.match(line, /mfa_process or the prompt are better/);
});

test('an expiry more than a day away shows its date', () => {
  const now = new Date(2026, 0, 10, 12, 0, 0);
  const far = new Date(now.getTime() + (35 * 60 + 59) * 60_000);
  assert.equal(describeExpiry(far.toISOString(), now), 'valid until 2026-01-11 23:59 (35 h 59 min left)');
  assert.equal(describeExpiry(new Date(now.getTime() + 3_600_000).toISOString(), now), 'valid until 13:00 (1 h 00 min left)');
});

test('an expiry further away than any session lasts (36 h) is no session: status and env treat it as none', async (t) => {
  const w = await world(t);
  ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env }));
  const name = readdirSync(w.cacheDir).find((n) => n.endsWith('.json'))!;
  const file = join(w.cacheDir, name);
  const entry = JSON.parse(readFileSync(file, 'utf8')) as { credentials: { expiration: string } };
  entry.credentials.expiration = '2157-06-01T00:00:00Z';
  writeFileSync(file, JSON.stringify(entry), { mode: 0o600 });
  const status = await runMain(['status'], { env: w.env });
  assert.equal(status.code, 1, status.stdout);
  assert.match(status.stdout, /cache: +no session for profile kops/);
  failsCleanly(await runMain(['env', '--shell', 'bash'], { env: w.env }), 6, /no terminal/);
  // The same for the session a shell holds: AWS_CREDENTIAL_EXPIRATION far away.
  const shell = await runMain(['status', '--json'], {
    env: { ...w.env, KOPS_MFA_SESSION: 'kops', AWS_ACCESS_KEY_ID: 'ASIAX', KOPS_MFA_KEY_ID: 'ASIAX', AWS_CREDENTIAL_EXPIRATION: '2157-06-01T00:00:00Z' },
  });
  assert.equal((JSON.parse(shell.stdout) as { shell: unknown }).shell, null);
});
