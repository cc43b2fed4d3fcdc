// What a login does to the shell it runs in, and what logout gives back
// (long-term keys, AWS_PROFILE, region, the kops context): kops-mfa in the test
// process (exec: the built CLI), the local STS server and a real bash that
// evaluates every statement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, needTool, ok, runRaw, shellAfter, tempDir } from './support/helpers.ts';
import { BASH, FISH, readDump, ZSH, type Shell } from './support/shells.ts';
import { spawnPty } from './support/pty.ts';
import { kopsMfaOnPath, needPowerShell, psQuote, report, reports, runPs } from './powershell/pwsh.ts';
import { ACCOUNT, mfaProfile, ROLE_ARN, USER, world } from './support/world.ts';
import { runMain } from './support/run-main.ts';
import { cli, filesIn, loginIn, logoutIn, logins, sessionFiles } from './support/kops-mfa.ts';

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

// The kops context: kops_state_store and kops_cluster_name of the profile become KOPS_STATE_STORE and KOPS_CLUSTER_NAME.

const KOPS_PROFILES = [
  mfaProfile('prod', { kops_state_store: 's3://prod-kops-state', kops_cluster_name: 'prod.k8s.example.com' }),
  mfaProfile('dev', { kops_state_store: 'gs://dev-kops-state/clusters' }),
  mfaProfile('plain'),
].join('\n');

/** Every byte a shell could stumble on (no NUL: no variable can hold one). */
const HOSTILE = `s3://q'"$(touch pwned)\`id\`\\ \n\t*?[a] é€ ;&|<> $HOME %s \r!`;

test('a profile with a kops context exports KOPS_STATE_STORE and KOPS_CLUSTER_NAME; the next profile and logout give the old values back', async (t) => {
  const w = await world(t);
  w.writeAws(KOPS_PROFILES);
  const env: NodeJS.ProcessEnv = { ...w.env, KOPS_STATE_STORE: HOSTILE };
  delete env.AWS_PROFILE;

  const prod = await loginIn(w, env, ['--profile', 'prod']);
  assert.equal(prod.KOPS_STATE_STORE, 's3://prod-kops-state');
  assert.equal(prod.KOPS_CLUSTER_NAME, 'prod.k8s.example.com');
  const dev = await loginIn(w, prod, ['--profile', 'dev']);
  assert.equal(dev.KOPS_STATE_STORE, 'gs://dev-kops-state/clusters');
  assert.equal(dev.KOPS_CLUSTER_NAME, undefined, "prod's cluster does not stick to dev, which names none");
  const plain = await loginIn(w, dev, ['--profile', 'plain']);
  assert.equal(plain.KOPS_STATE_STORE, HOSTILE, 'a profile without a kops context leaves the value from before the first login');
  const out = await logoutIn(await loginIn(w, plain, ['--profile', 'prod']));
  assert.equal(out.KOPS_STATE_STORE, HOSTILE, 'byte for byte after logout');
  assert.equal('KOPS_CLUSTER_NAME' in out, false, 'unset again');
});

test('the kops context from flags and KOPS_MFA_* variables beats the profile, and a bad value costs no code', async (t) => {
  const w = await world(t);
  w.writeAws(KOPS_PROFILES);
  const env = { ...w.env, AWS_PROFILE: 'prod', KOPS_MFA_KOPS_CLUSTER_NAME: 'from-env.example.com' };
  const shell = await loginIn(w, env, ['--kops-state-store', 'azureblob://container/path']);
  assert.equal(shell.KOPS_STATE_STORE, 'azureblob://container/path', 'the flag');
  assert.equal(shell.KOPS_CLUSTER_NAME, 'from-env.example.com', 'the variable');

  const before = logins(w).length;
  for (const [args, pattern] of [
    [['--kops-state-store', 'prod-kops-state'], /kops state store "prod-kops-state" is not a URL such as s3:\/\//],
    [['--kops-state-store', 's3://a b'], /kops state store/],
    [['--kops-cluster-name', 'Prod_Cluster'], /kops cluster name "Prod_Cluster" is not a lower-case DNS name/],
  ] as const) {
    const r = await runMain(['env', '--shell', 'bash', '--refresh', '--token-code', w.code(), ...args], { env });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, pattern);
  }
  assert.equal(logins(w).length, before, 'no STS call for a bad kops value');
});

test('exec hands the kops context to its command', async (t) => {
  const w = await world(t);
  w.writeAws(KOPS_PROFILES);
  const env = { ...w.env, AWS_PROFILE: 'prod', KOPS_CLUSTER_NAME: 'before.example.com' };
  const r = ok(await cli(['exec', '--token-code', w.code(), '--', 'sh', '-c', 'printf "%s|%s" "$KOPS_STATE_STORE" "$KOPS_CLUSTER_NAME"'], { env }), 'exec');
  assert.equal(r.stdout, 's3://prod-kops-state|prod.k8s.example.com');
});

test('exec with an MFA session (the credential endpoint) hands the kops context to its command too', async (t) => {
  const w = await world(t);
  w.writeAws(mfaProfile('prod', { kops_state_store: 's3://prod-kops-state', kops_cluster_name: 'prod.k8s.example.com', mfa_session_duration: '3600' }));
  const env = { ...w.env, AWS_PROFILE: 'prod' };
  const r = ok(await cli(['exec', '--token-code', w.code(), '--', 'sh', '-c', 'printf "%s|%s|%s" "$KOPS_STATE_STORE" "$KOPS_CLUSTER_NAME" "${AWS_CONTAINER_CREDENTIALS_FULL_URI:+endpoint}"'], { env }), 'exec');
  assert.equal(r.stdout, 's3://prod-kops-state|prod.k8s.example.com|endpoint');
});

/** In a real shell: set hostile previous values, eval kops-mfa env (the built CLI), dump; eval logout, dump. */
async function roundTripIn(t: Parameters<typeof world>[0], sh: Shell): Promise<void> {
  if (!needTool(t, sh.tool)) return;
  const w = await world(t);
  w.writeAws(KOPS_PROFILES);
  const dir = tempDir(t);
  const cliCall = (args: string) => `${sh.quote(process.execPath)} ${sh.quote(BIN)} ${args}`;
  const names = ['KOPS_STATE_STORE', 'KOPS_CLUSTER_NAME'];
  const setVar = (n: string, v: string) => (sh.tool === 'fish' ? `set -gx ${n} ${sh.quote(v)}` : `export ${n}=${sh.quote(v)}`);
  const script = [
    setVar('KOPS_STATE_STORE', HOSTILE),
    setVar('KOPS_CLUSTER_NAME', ''),
    sh.applyOutput(cliCall(`env --shell ${sh.kops} --profile prod --token-code ${w.code()}`)),
    sh.printVars(names),
    sh.applyOutput(cliCall(`logout --shell ${sh.kops}`)),
    sh.printVars(names),
  ].join('\n');
  const env = { ...w.env };
  delete env.AWS_PROFILE;
  const [cmd, args] = sh.command(script);
  const r = await runRaw(cmd, args, { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  const parts = r.stdout;
  // Two dumps in a row: read them as one, the later values under a second name.
  const dump = readDump(parts);
  assert.equal(dump.vars.get('KOPS_STATE_STORE')?.toString('utf8'), HOSTILE, `${sh.tool}: the old state store, byte for byte`);
  assert.equal(dump.vars.get('KOPS_CLUSTER_NAME')?.toString('utf8'), '', `${sh.tool}: set and empty again`);
  const firstStore = parts.indexOf(Buffer.from('s3://prod-kops-state\0'));
  assert.ok(firstStore > 0, `${sh.tool}: the login exported the profile's state store`);
  assert.ok(parts.includes(Buffer.from('prod.k8s.example.com\0')), `${sh.tool}: and its cluster`);
  assert.equal(filesIn(dir).length, 0, `${sh.tool}: nothing ran (no file written)`);
}

for (const sh of [BASH, ZSH, FISH]) {
  test(`${sh.tool}: login and logout give hostile KOPS_STATE_STORE and an empty KOPS_CLUSTER_NAME back byte for byte`, (t) => roundTripIn(t, sh));
}

// A terminal is not a shell: env and logout typed at a terminal print no statements (and so no secret).

test('env typed at a terminal prints no secret, spends no code, and says how to apply it in one line', async (t) => {
  if (!needTool(t, 'script')) return;
  const w = await world(t);
  const pty = spawnPty([process.execPath, BIN, 'env', '--profile', 'kops', '--token-code', w.code()], { env: w.env });
  const end = await pty.exited;
  assert.equal(end.code, 2, pty.output);
  const lines = pty.output.split(/\r?\n/).filter((l) => l !== '');
  assert.deepEqual(lines, ['kops-mfa: a terminal is not a shell: use kops-login --profile kops or eval "$(kops-mfa env …)"']);
  assert.equal(logins(w).length, 0, 'no STS call: the code is not spent');
});

test('env --print at a terminal prints the statements, as asked', async (t) => {
  if (!needTool(t, 'script')) return;
  const w = await world(t);
  const pty = spawnPty([process.execPath, BIN, 'env', '--print', '--token-code', w.code()], { env: w.env });
  const end = await pty.exited;
  assert.equal(end.code, 0, pty.output);
  const issued = w.server.issued.at(-1);
  assert.ok(issued && pty.output.includes(issued.accessKeyId), 'the statements are on the terminal');
  assert.match(pty.output, /export AWS_SECRET_ACCESS_KEY=/);
});

test('logout typed at a terminal forgets the cache, prints no unset lines, and says how to clear the shell', async (t) => {
  if (!needTool(t, 'script')) return;
  const w = await world(t);
  const shell = await loginIn(w, w.env);
  assert.equal(sessionFiles(w.cacheDir).length, 1);
  const pty = spawnPty([process.execPath, BIN, 'logout'], { env: shell });
  const end = await pty.exited;
  assert.equal(end.code, 0, pty.output);
  assert.doesNotMatch(pty.output, /unset|AWS_/, 'no statements');
  assert.match(pty.output, /kops-mfa: to clear this shell: use kops-logout or eval "\$\(kops-mfa logout\)"\r?\n/);
  assert.equal(sessionFiles(w.cacheDir).length, 0, 'the cached session is forgotten');
});

test('logout --print at a terminal prints the statements', async (t) => {
  if (!needTool(t, 'script')) return;
  const w = await world(t);
  const shell = await loginIn(w, w.env);
  const pty = spawnPty([process.execPath, BIN, 'logout', '--print', '--shell', 'bash'], { env: shell });
  assert.equal((await pty.exited).code, 0, pty.output);
  assert.match(pty.output, /unset AWS_SESSION_TOKEN/);
});

test('PowerShell: login and logout give a hostile KOPS_STATE_STORE back byte for byte', async (t) => {
  const exe = needPowerShell(t);
  if (!exe) return;
  const w = await world(t);
  w.writeAws(KOPS_PROFILES);
  const env: NodeJS.ProcessEnv = { ...w.env, PATH: `${kopsMfaOnPath(t)}:${w.env.PATH}` };
  delete env.AWS_PROFILE;
  const script = [
    `$env:KOPS_STATE_STORE = ${psQuote(HOSTILE)}`,
    `kops-mfa env --shell powershell --profile prod --token-code ${w.code()} | Out-String | Invoke-Expression`,
    report('store', '$env:KOPS_STATE_STORE'),
    report('cluster', '$env:KOPS_CLUSTER_NAME'),
    'kops-mfa logout --shell powershell | Out-String | Invoke-Expression',
    report('store2', '$env:KOPS_STATE_STORE'),
    report('cluster2', '$env:KOPS_CLUSTER_NAME'),
  ].join('\n');
  const r = await runPs(t, exe, script, { env });
  assert.equal(r.code, 0, r.stderr);
  const got = reports(r.stdout);
  assert.equal(got.get('store'), 's3://prod-kops-state');
  assert.equal(got.get('cluster'), 'prod.k8s.example.com');
  assert.equal(got.get('store2'), HOSTILE, 'byte for byte after logout');
  assert.equal(got.get('cluster2'), undefined, 'unset again');
});

test('env with stdout to /dev/null (a character device, not a terminal) still logs in', async (t) => {
  const w = await world(t);
  const r = await runRaw('sh', ['-c', '"$0" "$1" env --token-code "$2" > /dev/null', process.execPath, BIN, w.code()], { env: w.env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sessionFiles(w.cacheDir).length, 1, 'the session is cached');
});
