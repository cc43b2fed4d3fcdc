// Profiles end to end, in the test process (runMain) against the local STS server:
// source_profile chains with a role on the way, GetSessionToken profiles,
// mfa_process, the prompt asking again in a real terminal, and a re-login
// from a shell that already holds a session. The prompt runs the built CLI
// in a pseudo-terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, failsCleanly, ok, runCli, shellAfter } from './support/helpers.ts';
import { runMain } from './support/run-main.ts';
import { exported } from './support/kops-mfa.ts';
import { callerArn } from './support/caller.ts';
import { spawnPty } from './support/pty.ts';
import { world, mfaProfile, USER, ROLE_ARN, ACCOUNT, DEFAULT_CONFIG } from './support/world.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const JUMP_ARN = `arn:aws:iam::${ACCOUNT}:role/jump`;



test('a source_profile chain through a role: the hop first, then the MFA call signed with the hop session', async (t) => {
  // The MFA role trusts only the jump role, so a call signed by alice herself would be refused.
  const w = await world(t, {
    roles: [
      { arn: ROLE_ARN, requireMfa: true, maxSessionDuration: 43200, trust: [JUMP_ARN] },
      { arn: JUMP_ARN, requireMfa: false, trust: [USER.arn] },
    ],
  });
  w.writeAws(`${mfaProfile('kops', { source_profile: 'jump', region: 'eu-west-1' })}
[profile jump]
role_arn = ${JUMP_ARN}
source_profile = alice
role_session_name = hop-session
`);
  const code = w.code();
  const r = ok(await runMain(['env', '--shell', 'bash', '--token-code', code], { env: w.env }));
  const [hop, mfa, ...rest] = w.server.calls;
  assert.equal(rest.length, 0, 'two calls');
  assert.equal(hop?.action, 'AssumeRole');
  assert.equal(hop.status, 200);
  assert.equal(hop.params.RoleArn, JUMP_ARN);
  assert.equal(hop.params.RoleSessionName, 'hop-session');
  assert.equal(hop.accessKeyId, USER.accessKeyId, 'the hop is signed with the long-term key');
  assert.equal(hop.sessionToken, false);
  assert.equal(hop.params.TokenCode, undefined, 'the code is not spent on the hop');
  assert.equal(hop.params.SerialNumber, undefined);

  assert.equal(mfa?.action, 'AssumeRole');
  assert.equal(mfa.status, 200, mfa.errorMessage);
  assert.equal(mfa.params.RoleArn, ROLE_ARN);
  assert.equal(mfa.params.TokenCode, code);
  assert.equal(mfa.params.SerialNumber, USER.mfaSerial);
  assert.equal(mfa.accessKeyId, w.server.issued[0]!.accessKeyId, 'the MFA call is signed with the hop temporary key');
  assert.equal(mfa.sessionToken, true);
  assert.equal(mfa.callerArn, `arn:aws:sts::${ACCOUNT}:assumed-role/jump/hop-session`);

  const keys = exported(r.stdout);
  assert.equal(keys.AWS_ACCESS_KEY_ID, w.server.issued[1]!.accessKeyId, 'the MFA session is exported, not the hop');
  assert.equal(await callerArn(w, keys), `arn:aws:sts::${ACCOUNT}:assumed-role/kops-state/kops-access`);
  assert.equal(w.server.issued[1]!.mfa, true);

  // Cached like any other session: no hop, no call.
  const calls = w.server.calls.length;
  const again = ok(await runMain(['env', '--shell', 'bash'], { env: w.env }));
  assert.equal(again.stdout, r.stdout);
  assert.equal(w.server.calls.length, calls);
});

test('a source_profile loop is a config error (exit 3), empty stdout, no AWS call', async (t) => {
  const w = await world(t);
  w.writeAws(`[profile kops]
role_arn = ${ROLE_ARN}
mfa_serial = ${USER.mfaSerial}
source_profile = a

[profile a]
role_arn = ${JUMP_ARN}
source_profile = b

[profile b]
source_profile = a
`);
  const code = w.code();
  for (const cmd of [['env'], ['credential-process'], ['exec', '--', 'true']]) {
    const r = await runMain([...cmd, '--token-code', code], { env: w.env });
    failsCleanly(r, 3, /^kops-mfa: source_profile loop: kops -> a -> b -> a\n$/);
  }
  assert.equal(w.server.calls.length, 0);
});

test('a profile with keys and mfa_serial but no role: GetSessionToken, and the keys work', async (t) => {
  const w = await world(t);
  w.writeAws(
    `[profile solo]\nmfa_serial = ${USER.mfaSerial}\nregion = eu-west-1\n`,
    `[solo]\naws_access_key_id = ${USER.accessKeyId}\naws_secret_access_key = ${USER.secretAccessKey}\n`,
  );
  const code = w.code();
  const r = ok(await runMain(['env', '--shell', 'bash', '--profile', 'solo', '--token-code', code], { env: w.env }));
  assert.equal(w.server.calls.length, 1);
  const call = w.server.calls[0]!;
  assert.equal(call.action, 'GetSessionToken');
  assert.equal(call.status, 200, call.errorMessage);
  assert.equal(call.accessKeyId, USER.accessKeyId);
  assert.equal(call.params.SerialNumber, USER.mfaSerial);
  assert.equal(call.params.TokenCode, code);
  assert.equal(call.params.RoleArn, undefined);
  assert.match(r.stderr, /session of profile solo until /);
  const keys = exported(r.stdout);
  assert.match(keys.AWS_ACCESS_KEY_ID!, /^ASIA/);
  assert.equal(keys.KOPS_MFA_SESSION, 'solo');
  assert.equal(await callerArn(w, keys), USER.arn, 'the exported keys authenticate as the user');
  const gct = w.server.calls.at(-1)!;
  assert.equal(gct.action, 'GetCallerIdentity');
  assert.equal(gct.accessKeyId, keys.AWS_ACCESS_KEY_ID);
  assert.equal(w.server.issued[0]!.mfa, true, 'an MFA session');
});

/** Write an executable script. */
function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  chmodSync(path, 0o755);
  return path;
}

test('mfa_process supplies the code without a prompt; the code never reaches stderr', async (t) => {
  const w = await world(t);
  // A folder with a space, named through $HOME and quoted, as in a real config.
  const dir = join(w.home, 'mfa tools');
  mkdirSync(dir);
  script(join(dir, 'print-code'), 'cat "$HOME/code.txt"');
  w.writeAws(`${DEFAULT_CONFIG}mfa_process = "$HOME/mfa tools/print-code" --profile kops\n`);
  const code = w.code();
  writeFileSync(join(w.home, 'code.txt'), `${code}\n`);

  // No terminal, no --token-code, and --debug on: the code comes from the script.
  const r = ok(await runMain(['env', '--shell', 'bash', '--debug'], { env: w.env }));
  assert.equal(w.server.calls.length, 1);
  assert.equal(w.server.calls[0]!.params.TokenCode, code);
  assert.equal(w.server.calls[0]!.status, 200);
  assert.match(r.stdout, /^# kops-mfa statements v1\n.*\nexport AWS_ACCESS_KEY_ID='ASIA/); // the guard line between
  assert.ok(!r.stderr.includes(code), `the code is on stderr:\n${r.stderr}`);
  assert.ok(!r.stdout.includes(code));
  assert.doesNotMatch(r.stderr, /MFA code for/, 'no prompt');

  // credential-process uses it the same way.
  writeFileSync(join(w.home, 'code.txt'), w.code());
  const cp = ok(await runMain(['credential-process', '--refresh'], { env: w.env }));
  assert.equal(JSON.parse(cp.stdout).Version, 1);
  assert.equal(cp.stderr, '');
  assert.equal(w.server.calls.length, 2);
});

test('a failing mfa_process is a clear error, exit 6, empty stdout, no AWS call', async (t) => {
  const w = await world(t);
  const cases: Array<{ name: string; setup: () => string; message: RegExp }> = [
    {
      name: 'exits non-zero',
      setup: () => script(join(w.home, 'locked'), 'exit 3'),
      message: /kops-mfa: mfa_process \S*locked failed \(exit status 3\); run it by hand to see why/,
    },
    {
      name: 'prints no code',
      setup: () => script(join(w.home, 'chatty'), 'echo "your code is: twelve"'),
      message: /^kops-mfa: mfa_process \S*chatty did not print a 6-digit code\n$/,
    },
    {
      name: 'prints five digits',
      setup: () => script(join(w.home, 'short'), 'echo 12345'),
      message: /^kops-mfa: mfa_process \S*short did not print a 6-digit code\n$/,
    },
    {
      name: 'is not there',
      setup: () => join(w.home, 'no-such-helper'),
      message: /^kops-mfa: mfa_process \S*no-such-helper could not run: command not found\n$/,
    },
    {
      name: 'is killed',
      setup: () => script(join(w.home, 'killed'), 'kill -TERM $$'),
      message: /kops-mfa: mfa_process \S*killed failed \(killed by SIGTERM\)/,
    },
  ];
  for (const c of cases) {
    w.writeAws(`${DEFAULT_CONFIG}mfa_process = ${c.setup()}\n`);
    const r = await runMain(['env'], { env: w.env });
    failsCleanly(r, 6, c.message);
  }
  // The helper's own stderr reaches the user's terminal (the built CLI's stderr): it may say why.
  w.writeAws(`${DEFAULT_CONFIG}mfa_process = ${script(join(w.home, 'says-why'), 'echo "token store is locked" >&2; exit 3')}\n`);
  const said = await runCli(['env'], { env: w.env });
  assert.equal(said.code, 6);
  assert.match(said.stderr, /^token store is locked\nkops-mfa: mfa_process \S*says-why failed \(exit status 3\)/);
  // A pipeline is not one command.
  w.writeAws(`${DEFAULT_CONFIG}mfa_process = cat code.txt | head -1\n`);
  failsCleanly(await runMain(['env'], { env: w.env }), 3, /mfa_process must be one plain command/);
  assert.equal(w.server.calls.length, 0);
});

test('in a terminal, a rejected code is noted and asked again; the second code logs in', async (t) => {
  const w = await world(t);
  const pty = spawnPty([process.execPath, BIN, 'env', '--print', '--shell', 'bash'], { env: w.env });
  t.after(() => pty.kill('SIGKILL'));
  await pty.waitFor(`MFA code for ${USER.mfaSerial}:`);
  // No code was made valid yet, so any code is wrong.
  pty.type('000000\r');
  let from = pty.output.length;
  await pty.waitFor(/AWS rejected the MFA code \(mistyped, or already used\)[^\n]*\n/, { from });
  await pty.waitFor(`MFA code for ${USER.mfaSerial}:`, { from });
  assert.equal(w.server.calls.length, 1);
  assert.equal(w.server.calls[0]!.errorCode, 'AccessDenied');
  const code = w.code();
  from = pty.output.length;
  pty.type(`${code}\r`);
  const { code: exit } = await pty.exited;
  assert.equal(exit, 0, pty.output);
  assert.match(pty.output, /export AWS_ACCESS_KEY_ID='ASIA/);
  assert.match(pty.output, /kops-mfa: \S+ session until /);
  assert.ok(!pty.output.includes(code), 'the code is not echoed');
  assert.ok(!pty.output.includes('000000'), 'nor the wrong one');
  assert.deepEqual(
    w.server.calls.map((c) => [c.action, c.status, c.params.TokenCode]),
    [
      ['AssumeRole', 403, '000000'],
      ['AssumeRole', 200, code],
    ],
  );
});

test('in a terminal, an answer that is not 6 digits is asked again without any AWS call', async (t) => {
  const w = await world(t);
  const pty = spawnPty([process.execPath, BIN, 'env', '--print', '--shell', 'bash'], { env: w.env });
  t.after(() => pty.kill('SIGKILL'));
  await pty.waitFor(`MFA code for ${USER.mfaSerial}:`);
  let from = pty.output.length;
  pty.type('12345\r');
  await pty.waitFor('an MFA code is 6 digits; try again', { from });
  await pty.waitFor(`MFA code for ${USER.mfaSerial}:`, { from });
  from = pty.output.length;
  pty.type('12a456\r');
  await pty.waitFor('an MFA code is 6 digits; try again', { from });
  await pty.waitFor(`MFA code for ${USER.mfaSerial}:`, { from });
  assert.equal(w.server.calls.length, 0, 'no AWS call for a typo');
  const code = w.code();
  pty.type(`${code}\r`);
  const { code: exit } = await pty.exited;
  assert.equal(exit, 0, pty.output);
  assert.match(pty.output, /export AWS_SESSION_TOKEN='IQoJ/);
  assert.deepEqual(
    w.server.calls.map((c) => [c.action, c.status, c.params.TokenCode]),
    [['AssumeRole', 200, code]],
  );
});

test('re-login in a logged-in shell signs with the long-term key, not the exported session', async (t) => {
  const w = await world(t);
  const first = ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env }));
  const shell = await shellAfter(w.env, first.stdout);
  const temp = exported(first.stdout);
  assert.equal(shell.AWS_ACCESS_KEY_ID, temp.AWS_ACCESS_KEY_ID);
  assert.equal(shell.AWS_SESSION_TOKEN, temp.AWS_SESSION_TOKEN);
  assert.equal(shell.AWS_PROFILE, undefined);
  assert.equal(shell.KOPS_MFA_SESSION, 'kops');

  const code = w.code();
  const again = ok(await runMain(['env', '--refresh', '--token-code', code], { env: shell }));
  const call = w.server.calls.at(-1)!;
  assert.equal(call.action, 'AssumeRole');
  assert.equal(call.status, 200, call.errorMessage);
  assert.equal(call.params.TokenCode, code);
  assert.equal(call.accessKeyId, USER.accessKeyId, 'signed with the long-term key of source_profile alice');
  assert.notEqual(call.accessKeyId, temp.AWS_ACCESS_KEY_ID);
  assert.equal(call.sessionToken, false);
  const renewed = exported(again.stdout);
  assert.notEqual(renewed.AWS_ACCESS_KEY_ID, temp.AWS_ACCESS_KEY_ID);
  assert.equal(renewed.KOPS_MFA_SESSION, 'kops', 'the profile came from the marker');
  assert.equal(JSON.parse(renewed.KOPS_MFA_SAVED ?? '').AWS_PROFILE, 'kops', 'the AWS_PROFILE from before the first login is kept across re-logins');
});

test('a logged-in shell whose source keys were the environment ones signs with those, saved by the login, never with the session', async (t) => {
  const w = await world(t);
  // The original wrapper setup: no AWS files, long-term keys and settings in the environment.
  w.writeAws('', '');
  const { AWS_PROFILE: _p, ...base } = w.env;
  const env = {
    ...base,
    AWS_ACCESS_KEY_ID: USER.accessKeyId,
    AWS_SECRET_ACCESS_KEY: USER.secretAccessKey,
    KOPS_MFA_ROLE_ARN: ROLE_ARN,
    KOPS_MFA_ARN: USER.mfaSerial,
  };
  const first = ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env }));
  assert.equal(w.server.calls[0]!.accessKeyId, USER.accessKeyId);
  const shell = await shellAfter(env, first.stdout);
  assert.notEqual(shell.AWS_ACCESS_KEY_ID, USER.accessKeyId, 'eval replaced the long-term keys');
  ok(await runMain(['env', '--refresh', '--token-code', w.code()], { env: shell }));
  assert.deepEqual(
    w.server.calls.map((c) => [c.accessKeyId, c.sessionToken, c.status]),
    [
      [USER.accessKeyId, false, 200],
      [USER.accessKeyId, false, 200],
    ],
    'both logins signed with the long-term key (from KOPS_MFA_SAVED the second time)',
  );
  // Without the saved keys (a shell logged in by 0.1) there is nothing to sign with: refused, no call.
  const { KOPS_MFA_SAVED: _s, KOPS_MFA_KEY_ID: _k, ...old } = shell;
  failsCleanly(await runMain(['env', '--refresh', '--token-code', w.code()], { env: old }), 3, /no long-term AWS keys/);
  assert.equal(w.server.calls.length, 2, 'the temporary keys were not used to call AWS');
});
