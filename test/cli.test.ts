// kops-mfa end to end against the local STS server: what a user of
// `eval "$(kops-mfa env)"` relies on. Every failure leaves stdout empty.
// The command line itself runs in this process (runMain); the built bundle
// runs where the process matters: in real shells and on a closed pipe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { BIN, failsCleanly, needTool, runRaw, tempDir } from './support/helpers.ts';
import { runMain } from './support/run-main.ts';
import { readDump, UNIX_SHELLS } from './support/shells.ts';
import { world, USER, ROLE_ARN } from './support/world.ts';
import pkg from '../package.json' with { type: 'json' };

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const HEADER = '# kops-mfa statements v1';
const SESSION = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION'];
const REGION = ['AWS_REGION', 'AWS_DEFAULT_REGION'];
const MARKERS = ['KOPS_MFA_SESSION', 'KOPS_MFA_EXPIRES', 'KOPS_MFA_KEY_ID', 'KOPS_MFA_SAVED'];

test('--version prints the bare version, after any command too; --help works for every command', async () => {
  for (const args of [['--version'], ['-v'], ['env', '--version'], ['status', '-v']]) {
    const v = await runMain(args);
    assert.deepEqual([v.code, v.stdout, v.stderr], [0, `${pkg.version}\n`, ''], args.join(' '));
  }
  for (const cmd of ['env', 'exec', 'init', 'status', 'logout', 'credential-process']) {
    const r = await runMain([cmd, '--help']);
    assert.equal(r.code, 0, cmd);
    assert.match(r.stdout, new RegExp(`\\$ kops-mfa ${cmd}`), `${cmd} --help shows its usage`);
    assert.doesNotMatch(r.stdout, new RegExp(`^${HEADER}`), 'help is no statements');
    assert.equal(r.stderr, '');
  }
});

test('usage errors exit 2 with an empty stdout', async () => {
  failsCleanly(await runMain(['env', '--bogus']), 2, /unknown option --bogus \(see kops-mfa help env\)/);
  failsCleanly(await runMain(['env', '--shell', 'tcsh']), 2, /tcsh.*bash.*zsh.*fish.*powershell/);
  failsCleanly(await runMain(['env', '--token-code']), 2, /value is missing/);
  failsCleanly(await runMain(['frobnicate']), 2, /unknown command frobnicate/);
  failsCleanly(await runMain(['exec', '--profile', 'x']), 2, /exec needs a command after --/);
  failsCleanly(await runMain(['exec', '--profile', 'x', 'kops', 'get']), 2, /put -- before the command: kops-mfa exec \[options\] -- kops get/);
  failsCleanly(await runMain(['init', 'tcsh']), 2, /tcsh/);
  const bare = await runMain([]);
  assert.equal(bare.code, 2);
  assert.equal(bare.stdout, '', 'help for a bare call goes to stderr');
  assert.match(bare.stderr, /^kops-mfa: a command is needed\n[\s\S]*Commands:/);
});

test('the shell comes from $SHELL, or PSModulePath, or a usage error asking for --shell', async (t) => {
  const w = await world(t);
  const fish = await runMain(['env', '--token-code', w.code()], { env: { ...w.env, SHELL: '/usr/bin/fish' } });
  assert.equal(fish.code, 0, fish.stderr);
  // The header, the guard line that other shells refuse, then the statements.
  assert.match(fish.stdout, new RegExp(`^${HEADER}\\n.*\\nset -gx AWS_ACCESS_KEY_ID '`));
  const zsh = await runMain(['env'], { env: { ...w.env, SHELL: '/bin/zsh' } });
  assert.match(zsh.stdout, new RegExp(`^${HEADER}\\n.*\\nexport AWS_ACCESS_KEY_ID='`));
  const pwsh = await runMain(['env'], { env: { ...w.env, SHELL: '', PSModulePath: 'C:\\x' } });
  assert.match(pwsh.stdout, new RegExp(`^${HEADER}\\n.*\\n\\$env:AWS_ACCESS_KEY_ID = '`));
  failsCleanly(await runMain(['env'], { env: { ...w.env, SHELL: '' } }), 2, /--shell/);
});

test('a login prints the header and the statements in the documented order, and a note on stderr', async (t) => {
  const w = await world(t);
  const now = Date.now();
  const r = await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], HEADER);
  // Line 2 is the guard other shells refuse.
  const names = lines.slice(2).map((l) => l.replace(/^export (\w+)=.*$/, '$1'));
  assert.deepEqual(names, [...SESSION, ...REGION, ...MARKERS, 'unset AWS_PROFILE']);
  const value = (name: string) => new RegExp(`^export ${name}='([^']*)'$`, 'm').exec(r.stdout)?.[1];
  const issued = w.server.issued.at(-1);
  assert.equal(value('KOPS_MFA_KEY_ID'), issued?.accessKeyId);
  assert.equal(Number(value('KOPS_MFA_EXPIRES')), Math.floor(Date.parse(value('AWS_CREDENTIAL_EXPIRATION') ?? '') / 1000));
  assert.ok(Math.abs(Number(value('KOPS_MFA_EXPIRES')) - (now / 1000 + 3600)) < 120, 'an hour from now');
  assert.deepEqual(JSON.parse(value('KOPS_MFA_SAVED') ?? ''), {
    ...Object.fromEntries([...SESSION, ...REGION].map((n) => [n, null])),
    AWS_PROFILE: 'kops',
  });
  assert.match(r.stderr, /^kops-mfa: kops-state session until \d\d:\d\d \((59 min|1 h 00 min)\)\n$/);
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
    HOME: home,
    AWS_ENDPOINT_URL_STS: w.server.url,
    AWS_ACCESS_KEY_ID: USER.accessKeyId,
    AWS_SECRET_ACCESS_KEY: USER.secretAccessKey,
    KOPS_MFA_ROLE_ARN: ROLE_ARN,
    KOPS_MFA_ARN: USER.mfaSerial,
  };
  w.server.setCode(USER.mfaSerial, '012345');
  const r = await runMain(['env', '--shell', 'sh', '--token-code', '012345', '--no-cache'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(w.server.calls.at(-1)?.params.TokenCode, '012345', 'the leading zero reaches AWS');
  assert.doesNotMatch(r.stdout, /AWS_REGION/, 'the default region is not exported');
  assert.match(r.stdout, /^export KOPS_MFA_SAVED='\{"AWS_ACCESS_KEY_ID":"AKIAKOPSMFATESTUSER1",/m, 'the long-term keys are saved for logout');
});

// Round trip: the real pipeline of the README, `eval "$(kops-mfa env)"` (fish:
// `| source`), in each real shell, with the built CLI; every variable comes
// back byte for byte as the server issued it.
for (const sh of UNIX_SHELLS) {
  test(`round trip in real ${sh.tool}: every value comes back byte for byte, AWS_PROFILE is gone`, async (t) => {
    if (!needTool(t, sh.tool)) return;
    const hostile = `tok'en"$(touch PWNED)\`id\`\\\n; rm -rf ~ #’‘‚‛ ünï 🎉 end\\`;
    const w = await world(t, { issue: () => ({ sessionToken: hostile }) });
    const dir = tempDir(t);
    const kopsMfa = [process.execPath, BIN].map(sh.quote).join(' ');
    const names = [...SESSION, ...REGION, 'KOPS_MFA_SESSION', 'AWS_PROFILE'];
    const script = [sh.applyOutput(`${kopsMfa} env --shell ${sh.kops} --token-code ${w.code()}`), sh.printVars(names)].join('\n');
    const [cmd, args] = sh.command(script);
    const res = await runRaw(cmd, args, { cwd: dir, env: { ...w.env, HOME: w.home } });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /^kops-mfa: kops-state session until [^,\n]*\n$/);
    const issued = w.server.issued.at(-1);
    assert.ok(issued);
    const got = Object.fromEntries([...readDump(res.stdout).vars].map(([k, v]) => [k, v?.toString('utf8') ?? null]));
    assert.deepEqual(got, {
      AWS_ACCESS_KEY_ID: issued.accessKeyId,
      AWS_SECRET_ACCESS_KEY: issued.secretAccessKey,
      AWS_SESSION_TOKEN: hostile,
      AWS_CREDENTIAL_EXPIRATION: issued.expirationText,
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      KOPS_MFA_SESSION: 'kops',
      AWS_PROFILE: null,
    });
    assert.deepEqual(readdirSync(dir), [], 'the hostile value never ran');
  });
}

test('the exported keys authenticate a fresh client with the STS server', async (t) => {
  const w = await world(t);
  const r = await runMain(['credential-process', '--token-code', w.code()], { env: w.env });
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
  const env = w.env;
  failsCleanly(await runMain(['env', '--token-code', '000000', '--no-cache'], { env }), 4, /rejected the MFA code.*next code/);
  failsCleanly(
    await runMain(['env', '--token-code', w.code(), '--serial-number', 'arn:aws:iam::123456789012:mfa/bob', '--no-cache'], { env }),
    4,
    /wrong MFA device arn:aws:iam::123456789012:mfa\/bob for keys AKIAKOPSMFATESTUSER1: check mfa_serial, KOPS_MFA_ARN or --serial-number/,
  );
  failsCleanly(
    await runMain(['env', '--token-code', w.code(), '--role-arn', 'arn:aws:iam::123456789012:role/nope', '--no-cache'], { env }),
    4,
    /not authorized .*role\/nope.*trust policy/,
  );
  w.server.disableUser(USER.accessKeyId);
  failsCleanly(await runMain(['env', '--token-code', w.code(), '--no-cache'], { env }), 4, /keys AKIAKOPSMFATESTUSER1 from profile alice; renew them: aws configure --profile alice$/m);
  failsCleanly(
    await runMain(['env', '--token-code', '123456', '--no-cache'], { env: { ...env, AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' } }),
    5,
    /cannot reach STS at http:\/\/127\.0\.0\.1:9: connection refused/,
  );
});

test('configuration errors exit 3 before any AWS call', async (t) => {
  const w = await world(t);
  failsCleanly(await runMain(['env', '--profile', 'missing', '--token-code', '123456'], { env: w.env }), 3, /profile missing is not in/);
  failsCleanly(await runMain(['env', '--duration-seconds', '60', '--token-code', '123456'], { env: w.env }), 3, /900 to 43200/);
  failsCleanly(await runMain(['env', '--token-code', '12345'], { env: w.env }), 3, /6 digits/);
  assert.equal(w.server.calls.length, 0);
});

test('a failed write of the output: exit 1 and one line; a reader gone (EPIPE): exit 1 and no line', async (t) => {
  const w = await world(t);
  const failing = (code: string) => () => Promise.reject(Object.assign(new Error(`write ${code}`), { code }));
  failsCleanly(await runMain(['env', '--shell', 'sh', '--quiet', '--token-code', w.code()], { env: w.env, stdout: failing('ENOSPC') }), 1, /cannot write the output: no space left on the device/);
  const epipe = await runMain(['env', '--shell', 'sh', '--quiet'], { env: w.env, stdout: failing('EPIPE') });
  assert.deepEqual([epipe.code, epipe.stderr], [1, '']);
});

test('the built CLI on a pipe whose reader is gone (EPIPE): exit 1, quiet', async (t) => {
  const w = await world(t);
  // The read end is closed before kops-mfa starts, so its one write meets EPIPE for certain.
  const child = spawn(process.execPath, [BIN, 'env', '--shell', 'sh', '--token-code', w.code()], { env: w.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  assert.deepEqual({ code, signal, notes: stderr.split('\n').filter((l) => !l.startsWith('kops-mfa: kops-state session until')) }, { code: 1, signal: null, notes: [''] });
  assert.equal(w.server.issued.length, 1, 'the login itself ran');
});
