// The built binary, end to end against the local STS server: what a user of
// `eval "$(kops-mfa env)"` relies on. Every failure leaves stdout empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { BIN, needTool, run, runCli, tempDir, type RunResult } from './helpers.ts';
import { world, USER, ROLE_ARN } from './fixture.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'KOPS_MFA_SESSION'];

/** A failure as the protocol demands: the exit code, nothing on stdout, one line on stderr. */
function failsCleanly(r: RunResult, code: number, message: RegExp) {
  assert.equal(r.stdout, '', 'stdout must stay empty on failure');
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

test('--version prints the package version; --help works for every command', async () => {
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^kops-mfa\/\d+\.\d+\.\d+ /);
  for (const cmd of ['env', 'exec', 'init', 'status', 'logout', 'credential-process']) {
    const r = await runCli([cmd, '--help']);
    assert.equal(r.code, 0, cmd);
    assert.match(r.stdout, new RegExp(`\\$ kops-mfa ${cmd}`), `${cmd} --help shows its usage`);
    assert.equal(r.stderr, '');
  }
});

test('usage errors exit 2 with an empty stdout', async () => {
  failsCleanly(await runCli(['env', '--bogus']), 2, /unknown option --bogus \(see kops-mfa env --help\)/);
  failsCleanly(await runCli(['env', '--shell', 'tcsh']), 2, /tcsh.*bash.*zsh.*fish.*powershell/);
  failsCleanly(await runCli(['env', '--token-code']), 2, /value is missing/);
  failsCleanly(await runCli(['frobnicate']), 2, /unknown command frobnicate/);
  failsCleanly(await runCli(['exec', '--profile', 'x']), 2, /exec needs a command/);
  failsCleanly(await runCli(['init', 'tcsh']), 2, /tcsh/);
  const bare = await runCli([]);
  assert.equal(bare.code, 2);
  assert.equal(bare.stdout, '', 'help for a bare call goes to stderr');
  assert.match(bare.stderr, /Commands:/);
});

test('the shell comes from $SHELL, or PSModulePath, or a usage error asking for --shell', async (t) => {
  const w = await world(t);
  const env = { ...w.env };
  const c1 = w.code();
  const fish = await runCli(['env', '--token-code', c1], { env: { ...env, SHELL: '/usr/bin/fish' } });
  assert.equal(fish.code, 0, fish.stderr);
  assert.match(fish.stdout, /^set -gx AWS_ACCESS_KEY_ID '/);
  const zsh = await runCli(['env'], { env: { ...env, SHELL: '/bin/zsh' } });
  assert.match(zsh.stdout, /^export AWS_ACCESS_KEY_ID='/);
  const pwsh = await runCli(['env'], { env: { ...env, SHELL: '', PSModulePath: 'C:\\x' } });
  assert.match(pwsh.stdout, /^\$env:AWS_ACCESS_KEY_ID = '/);
  const none = await runCli(['env'], { env: { ...env, SHELL: '' } });
  failsCleanly(none, 2, /--shell/);
});

test('a login prints statements in the documented order, and a note on stderr', async (t) => {
  const w = await world(t);
  const r = await runCli(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env });
  assert.equal(r.code, 0, r.stderr);
  const names = r.stdout.trimEnd().split('\n').map((l) => l.replace(/^export (\w+)=.*$/, '$1'));
  assert.deepEqual(names, [...VARS, 'KOPS_MFA_PREV_PROFILE', 'unset AWS_PROFILE']);
  assert.match(r.stderr, /^kops-mfa: new session for arn:aws:sts::123456789012:assumed-role\/kops-state\/kops-access, valid until \d\d:\d\d \(59 min left\)\n$/);
  const call = w.server.calls.find((c) => c.action === 'AssumeRole');
  assert.equal(call?.accessKeyId, USER.accessKeyId, 'signed with the long-term key of source_profile');
  assert.equal(call?.params.RoleArn, ROLE_ARN);
  assert.equal(call?.params.SerialNumber, USER.mfaSerial);
  assert.equal(call?.params.RoleSessionName, 'kops-access');
  assert.equal(call?.params.DurationSeconds, '3600');
});

test('the original wrapper setup: keys and KOPS_MFA_* in the environment, no AWS files, code with a leading zero', async (t) => {
  const w = await world(t);
  const home = tempDir(t);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ENDPOINT_URL_STS: w.server.url,
    AWS_ACCESS_KEY_ID: USER.accessKeyId,
    AWS_SECRET_ACCESS_KEY: USER.secretAccessKey,
    KOPS_MFA_ROLE_ARN: ROLE_ARN,
    KOPS_MFA_ARN: USER.mfaSerial,
  };
  w.server.setCode(USER.mfaSerial, '012345');
  const r = await runCli(['env', '--shell', 'sh', '--token-code', '012345', '--no-cache'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(w.server.calls.at(-1)?.params.TokenCode, '012345', 'the leading zero reaches AWS');
  assert.doesNotMatch(r.stdout, /AWS_REGION/, 'the default region is not exported');
});

// Round trip: eval the real output in each real shell and compare every
// variable byte for byte with what the server issued.
const SHELLS = [
  { name: 'bash', flag: 'bash', argv: ['bash', '--noprofile', '--norc', '-euo', 'pipefail', '-c'], script: 'eval "$(cat "$1")"; for v in "${@:2}"; do printf "%s\\0" "${!v-<unset>}"; done' },
  { name: 'zsh', flag: 'zsh', argv: ['zsh', '--no-rcs', '-eu', '-c'], script: 'eval "$(cat "$1")"; shift; for v in "$@"; do printf "%s\\0" "${(P)v-<unset>}"; done' },
  { name: 'dash', flag: 'sh', argv: ['dash', '-eu', '-c'], script: 'eval "$(cat "$1")"; shift; for v in "$@"; do eval "printf \'%s\\0\' \\"\\${$v-<unset>}\\""; done' },
  { name: 'fish', flag: 'fish', argv: ['fish', '--no-config', '--private', '-c'], script: 'source $argv[1]; for v in $argv[2..]; if set -q $v; printf "%s\\0" $$v; else; printf "<unset>\\0"; end; end' },
] as const;

for (const sh of SHELLS) {
  test(`round trip in real ${sh.name}: every value comes back byte for byte, AWS_PROFILE is gone`, async (t) => {
    if (!needTool(t, sh.argv[0])) return;
    const hostile = `tok'en"$(touch PWNED)\`id\`\\\n; rm -rf ~ #’‘‚‛ ünï 🎉 end\\`;
    const w = await world(t, { issue: () => ({ sessionToken: hostile }) });
    const r = await runCli(['env', '--shell', sh.flag, '--token-code', w.code()], { env: w.env });
    assert.equal(r.code, 0, r.stderr);
    const issued = w.server.issued.at(-1);
    assert.ok(issued);
    const dir = tempDir(t);
    const file = join(dir, 'out');
    writeFileSync(file, r.stdout);
    const names = [...VARS, 'AWS_PROFILE'];
    const args = sh.name === 'fish' ? [...sh.argv, sh.script, file, ...names] : [...sh.argv, sh.script, 'sh', file, ...names];
    const res = await run(args[0] as string, args.slice(1), { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, AWS_PROFILE: 'kops', LANG: 'C.UTF-8' } });
    assert.equal(res.stderr, '');
    assert.equal(res.code, 0);
    const got = res.stdout.split('\0').slice(0, -1);
    assert.deepEqual(got, [
      issued.accessKeyId,
      issued.secretAccessKey,
      hostile,
      issued.expirationText,
      'eu-west-1',
      'eu-west-1',
      'kops',
      '<unset>',
    ]);
    const pwned = await run('sh', ['-c', 'test ! -e PWNED'], { cwd: dir });
    assert.equal(pwned.code, 0, 'the hostile value never ran');
  });
}

test('the exported keys authenticate a fresh process with the STS server', async (t) => {
  const w = await world(t);
  const r = await runCli(['credential-process', '--token-code', w.code()], { env: w.env });
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout) as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
  const sts = new STSClient({
    region: 'us-east-1',
    endpoint: w.server.url,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
  });
  const who = await sts.send(new GetCallerIdentityCommand({}));
  sts.destroy();
  assert.equal(who.Arn, 'arn:aws:sts::123456789012:assumed-role/kops-state/kops-access');
});

test('AWS errors are one line that says what to do, with an empty stdout', async (t) => {
  const w = await world(t);
  failsCleanly(await runCli(['env', '--token-code', '000000', '--no-cache'], { env: w.env }), 4, /rejected the MFA code.*next code/);
  failsCleanly(
    await runCli(['env', '--token-code', w.code(), '--serial-number', 'arn:aws:iam::123456789012:mfa/bob', '--no-cache'], { env: w.env }),
    4,
    /MFA device arn:aws:iam::123456789012:mfa\/bob: check --serial-number, KOPS_MFA_ARN/,
  );
  failsCleanly(
    await runCli(['env', '--token-code', w.code(), '--role-arn', 'arn:aws:iam::123456789012:role/nope', '--no-cache'], { env: w.env }),
    4,
    /not authorized .*role\/nope.*trust policy/,
  );
  w.server.disableUser(USER.accessKeyId);
  failsCleanly(await runCli(['env', '--token-code', w.code(), '--no-cache'], { env: w.env }), 4, /keys AKIAKOPSMFATESTUSER1 from profile alice.*renew them/);
  failsCleanly(
    await runCli(['env', '--token-code', '123456', '--no-cache'], { env: { ...w.env, AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' } }),
    5,
    /cannot reach STS at http:\/\/127\.0\.0\.1:9: connection refused/,
  );
});

test('configuration errors exit 3 before any AWS call', async (t) => {
  const w = await world(t);
  failsCleanly(await runCli(['env', '--profile', 'missing', '--token-code', '123456'], { env: w.env }), 3, /profile missing is not in/);
  failsCleanly(await runCli(['env', '--duration-seconds', '60', '--token-code', '123456'], { env: w.env }), 3, /900 to 43200/);
  failsCleanly(await runCli(['env', '--token-code', '12345'], { env: w.env }), 3, /6 digits/);
  assert.equal(w.server.calls.length, 0);
});

test('without a terminal and without a code it fails at once, naming --token-code', async (t) => {
  const w = await world(t);
  const started = Date.now();
  failsCleanly(await runCli(['env'], { env: w.env }), 6, /no terminal .* --token-code/);
  assert.ok(Date.now() - started < 5000);
  assert.equal(w.server.calls.length, 0);
});

test('stdout closed early (EPIPE) is quiet', async (t) => {
  const w = await world(t);
  const r = await run('sh', ['-c', `"${process.execPath}" "$0" env --shell sh --token-code "$1" | true; echo "status=$?"`, BIN, w.code()], {
    env: w.env,
  });
  assert.match(r.stdout, /status=0/);
  assert.doesNotMatch(r.stderr, /EPIPE|Error/);
});
