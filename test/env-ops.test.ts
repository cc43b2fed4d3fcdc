// What a login does to the shell it runs in, and what logout gives back
// (long-term keys, AWS_PROFILE, region): kops-mfa in the test
// process (exec: the built CLI), the local STS server and a real bash that
// evaluates every statement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ok } from './support/helpers.ts';
import { ACCOUNT, mfaProfile, ROLE_ARN, USER, world } from './support/world.ts';
import { runMain } from './support/run-main.ts';
import { cli, loginIn, logoutIn, logins } from './support/kops-mfa.ts';
import { shellAfter } from './support/helpers.ts';

const HEADER = '# kops-mfa statements v1\n';

/** A user whose secret holds every byte a shell could stumble on (no NUL: no variable can hold one). */
const BOB = {
  accessKeyId: 'AKIAKOPSMFATESTBOB01',
  secretAccessKey: `q'"$(touch pwned)\`id\`\\ \n\t*?[a] é€ ;&|<> $HOME %s \r!`,
  arn: `arn:aws:iam::${ACCOUNT}:user/bob`,
  mfaSerial: `arn:aws:iam::${ACCOUNT}:mfa/bob`,
};

/** The original wrapper's setup: long-term keys and KOPS_MFA_* in the environment, no AWS files at all. */
async function wrapperWorld(t: Parameters<typeof world>[0]) {
  const w = await world(t, { users: [{ ...USER }, { ...BOB }] });
  rmSync(join(w.home, '.aws'), { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = { ...w.env, AWS_ACCESS_KEY_ID: BOB.accessKeyId, AWS_SECRET_ACCESS_KEY: BOB.secretAccessKey, KOPS_MFA_ROLE_ARN: ROLE_ARN, KOPS_MFA_ARN: BOB.mfaSerial };
  delete env.AWS_PROFILE;
  const code = () => w.server.nextCode(BOB.mfaSerial);
  return { w, env, code };
}

test('long-term keys in the environment: a re-login signs with them, and logout gives them back byte for byte', async (t) => {
  const { w, env, code } = await wrapperWorld(t);
  const first = ok(await runMain(['env', '--shell', 'bash', '--token-code', code()], { env }), 'first login');
  const shell = await shellAfter(env, first.stdout);
  assert.match(shell.AWS_ACCESS_KEY_ID ?? '', /^ASIA/, 'the session is exported');
  assert.notEqual(shell.AWS_SECRET_ACCESS_KEY, BOB.secretAccessKey);

  // A second login in that shell (kops-login --refresh) signs with bob's long-term key, not the session's.
  const again = await runMain(['env', '--shell', 'bash', '--refresh', '--token-code', code()], { env: shell });
  assert.equal(again.code, 0, `re-login failed: ${again.stderr}`);
  const signers = logins(w).map((c) => c.accessKeyId);
  assert.deepEqual(signers, [BOB.accessKeyId, BOB.accessKeyId], 'both AssumeRole calls are signed with the long-term key');
  const shell2 = await shellAfter(shell, again.stdout);

  const out = await logoutIn(shell2);
  assert.equal(out.AWS_ACCESS_KEY_ID, BOB.accessKeyId);
  assert.equal(out.AWS_SECRET_ACCESS_KEY, BOB.secretAccessKey, 'the secret comes back byte for byte');
  for (const gone of ['AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'KOPS_MFA_SESSION', 'KOPS_MFA_KEY_ID', 'KOPS_MFA_EXPIRES', 'KOPS_MFA_SAVED']) {
    assert.equal(out[gone], undefined, `${gone} is cleared`);
  }
  assert.equal(out.KOPS_MFA_ROLE_ARN, ROLE_ARN);
  assert.equal(out.KOPS_MFA_ARN, BOB.mfaSerial);
});

test('logout in a shell that never logged in prints only the header and changes nothing', async (t) => {
  const { env } = await wrapperWorld(t);
  const mine: NodeJS.ProcessEnv = { ...env, AWS_SESSION_TOKEN: 'user-own-token', AWS_PROFILE: 'dev', AWS_REGION: 'ap-south-1' };
  const r = ok(await runMain(['logout', '--shell', 'bash'], { env: mine }), 'logout');
  assert.equal(r.stdout, HEADER);
  const after = await shellAfter(mine, r.stdout);
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION']) {
    assert.equal(after[name], mine[name], `${name} is untouched`);
  }
});

test('no secret reaches any argv: exec hands the session to the child through its environment only', async (t) => {
  const { env, code } = await wrapperWorld(t);
  // The child prints its parent's (kops-mfa's) argv, its own, and the session it got.
  const script = 'cat /proc/$PPID/cmdline; printf "\\n--\\n"; cat /proc/$$/cmdline; printf "\\n--\\n%s\\n%s\\n" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN"';
  const r = ok(await cli(['exec', '--token-code', code(), '--', 'sh', '-c', script], { env }), 'exec');
  const [parentArgv, childArgv, session] = r.stdout.split('\n--\n') as [string, string, string];
  assert.match(parentArgv, /kops-mfa\.cjs\0exec\0/, 'the parent is kops-mfa');
  const [secret, token] = session.split('\n');
  assert.ok(secret && token && token.length > 100, 'the child has the session');
  for (const s of [BOB.secretAccessKey, secret, token]) {
    assert.ok(!parentArgv.includes(s!) && !childArgv.includes(s!), 'no secret in argv');
  }
});

test('an AWS_PROFILE that was set but empty comes back set and empty', async (t) => {
  const w = await world(t);
  const env = { ...w.env, AWS_PROFILE: '' };
  const shell = await loginIn(w, env, ['--profile', 'kops']);
  assert.equal('AWS_PROFILE' in shell, false, 'the login unsets it');
  const out = await logoutIn(shell);
  assert.equal(out.AWS_PROFILE, '', 'set and empty again');
});

const TWO_REGIONS = [mfaProfile('a', { region: 'eu-west-1' }), mfaProfile('b', { region: 'us-west-2' })].join('\n');

test('a region exported for one profile does not stick to the next: after logout, and without one', async (t) => {
  const w = await world(t);
  w.writeAws(TWO_REGIONS);
  const env = { ...w.env };
  delete env.AWS_PROFILE;

  const a = await loginIn(w, env, ['--profile', 'a']);
  assert.equal(a.AWS_REGION, 'eu-west-1');
  const b = await loginIn(w, await logoutIn(a), ['--profile', 'b']);
  assert.equal(b.AWS_REGION, 'us-west-2', 'login A, logout, login B');
  assert.equal(b.AWS_DEFAULT_REGION, 'us-west-2');

  const b2 = await loginIn(w, a, ['--profile', 'b']);
  assert.equal(b2.AWS_REGION, 'us-west-2', 'login A, then login B without a logout');
  assert.equal(b2.AWS_DEFAULT_REGION, 'us-west-2');
  // And the region from before the first login comes back at logout: there was none.
  const out = await logoutIn(b2);
  assert.equal(out.AWS_REGION, undefined);
});
