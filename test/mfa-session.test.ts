// The MFA session, end to end: one code a day. kops-mfa against the local STS
// server over HTTP with the real SDK (env, status, logout and
// credential-process in this process; the day on a terminal, exec and the
// SDK consumers as the built CLI): an MFA session (GetSessionToken) bought
// with one code, role sessions assumed from it without a code, silent
// renewal, exec serving renewing credentials to a real SDK child, and
// credential-process for fromProcess. The server caps role sessions at a few
// seconds, so runs that outlive several role sessions take seconds.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, DEFAULT_CREDENTIALS, ROLE_ARN, USER, world, type World } from './support/world.ts';
import { BIN, ok, ROOT, run, runCli, tempDir } from './support/helpers.ts';
import { runMain, type MainResult } from './support/run-main.ts';
import { spawnPty } from './support/pty.ts';
import { exported } from './support/kops-mfa.ts';
import { servingMinimumSeconds } from '../src/session/serving.ts';
import type { Settings } from '../src/settings/config.ts';

const ROLE_B = `arn:aws:iam::${ACCOUNT}:role/kops-admin`;
const ROLE_C = `arn:aws:iam::${ACCOUNT}:role/kops-readonly`;
const assumed = (roleArn: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${roleArn.split('/').pop()}/kops-access`;
const CHILD = join(ROOT, 'test', 'fixtures', 'sdk-loop.mjs');
const MFA_PROMPT = `MFA code for ${USER.mfaSerial}:`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function profile(name: string, roleArn: string, extra = ''): string {
  return `[profile ${name}]\nrole_arn = ${roleArn}\nmfa_serial = ${USER.mfaSerial}\nsource_profile = alice\nregion = eu-west-1\n${extra}`;
}

/** Three roles that need MFA, and profiles a, b and c for them: same keys, same device, an MFA session of `mfaSeconds`. */
async function mfaWorld(t: TestContext, mfaSeconds = 3600, opts: NonNullable<Parameters<typeof world>[1]> = {}): Promise<World> {
  const w = await world(t, opts);
  for (const arn of [ROLE_B, ROLE_C]) w.server.addRole({ arn, requireMfa: true, maxSessionDuration: 43200 });
  const extra = `mfa_session_duration = ${mfaSeconds}\n`;
  w.writeAws([profile('a', ROLE_ARN, extra), profile('b', ROLE_B, extra), profile('c', ROLE_C, extra)].join('\n'));
  // Every SDK the tests start stays on 127.0.0.1 and quiet about the Node version.
  Object.assign(w.env, { AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  return w;
}

/** The calls that carried an MFA code, right or wrong. */
const withCode = (w: World) => w.server.calls.filter((c) => c.tokenCode);

/**
 * kops-mfa in this process (run-main.ts), with no terminal: env, status,
 * logout and credential-process, where a process start adds nothing. exec,
 * the terminal and the SDK consumers stay spawned.
 */
function kopsMfa(w: World, args: string[], env: NodeJS.ProcessEnv = {}): Promise<MainResult> {
  return runMain(args, { env: { ...w.env, ...env } });
}

function login(w: World, profileName: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<MainResult> {
  return kopsMfa(w, ['env', '--shell', 'bash', '--profile', profileName, ...args], env);
}

function mfaFiles(w: World): string[] {
  return existsSync(w.cacheDir) ? readdirSync(w.cacheDir).filter((n) => /^mfa-session-.*\.json$/.test(n)) : [];
}

function mfaFile(w: World): string {
  const files = mfaFiles(w);
  assert.equal(files.length, 1, `one MFA session file: ${files.join(', ')}`);
  return join(w.cacheDir, files[0] as string);
}

/** The role session files (one per profile), not the MFA session nor the used codes. */
function roleFiles(w: World): string[] {
  return existsSync(w.cacheDir) ? readdirSync(w.cacheDir).filter((n) => n.endsWith('.json') && !n.startsWith('mfa-session-')) : [];
}

interface ChildCall {
  ok: boolean;
  at: number;
  arn?: string;
  error?: string;
}
const childCalls = (stdout: string): ChildCall[] =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ChildCall);

// Each test has its own STS server and HOME; a few at a time keeps the file short
// without starving the 2-3 s role sessions of CPU on a small machine.
describe('the MFA session', { concurrency: 6 }, () => {
  // The longest first: they set the length of the file.
  test('a scripted day: 3 roles, 4 renewals and one long exec cost one typed code', async (t) => {
    // Each step runs on a real terminal; any MFA prompt that appears is answered
    // with a fresh code and counted. Role sessions last 2 s, so "an hour later"
    // is 2 s later; KOPS_MFA_MIN_REMAINING=0 reuses a role session to its end.
    const w = await mfaWorld(t, 3600, { roleSessionSeconds: 2 });
    const env = { ...w.env, KOPS_MFA_MIN_REMAINING: '0' };
    const dir = tempDir(t);
    let typed = 0;
    const transcript: string[] = [];
    const step = async (shown: string, args: string[], anyExit = false): Promise<string> => {
      const out = join(dir, `stdout-${transcript.length}`);
      // stdout (the statements, the child's lines) to a file; the terminal shows stderr and the prompt.
      const pty = spawnPty(['sh', '-c', 'exec "$@" > "$KOPS_DAY_OUT"', 'sh', process.execPath, BIN, ...args], { env: { ...env, KOPS_DAY_OUT: out } });
      t.after(() => pty.kill('SIGKILL'));
      let answered = 0;
      const answer = setInterval(() => {
        if (pty.output.split(MFA_PROMPT).length - 1 > answered) {
          answered++;
          typed++;
          pty.type(`${w.code()}\r`);
        }
      }, 20);
      const exit = await pty.exited;
      clearInterval(answer);
      const screen = pty.output.replace(/\r/g, '').trimEnd();
      transcript.push(`$ ${shown}${answered ? `        [${answered} code typed]` : ''}`, ...(screen ? screen.split('\n') : []));
      if (!anyExit) assert.equal(exit.code, 0, `${shown}: ${screen}`);
      return readFileSync(out, 'utf8');
    };
    const expiresOf = (statements: string) => Date.parse(exported(statements, 'AWS_CREDENTIAL_EXPIRATION'));
    const untilEnded = async (expires: number) => sleep(Math.max(0, expires - Date.now()) + 50);
    const eval_ = (p: string) => `eval "$(kops-mfa env --profile ${p})"`;
    const envArgs = (p: string) => ['env', '--shell', 'bash', '--profile', p];

    // Each round waits for the last of its role sessions to end: steps take
    // longer under load, and a session still valid is reused, not renewed.
    const round = async () => {
      const ends: number[] = [];
      for (const p of ['a', 'b', 'c']) ends.push(expiresOf(await step(eval_(p), envArgs(p))));
      return Math.max(...ends);
    };
    await untilEnded(await round());
    transcript.push('# an hour later: every role session has ended');
    await untilEnded(await round());
    transcript.push('# an hour later');
    await step(eval_('a'), envArgs('a'));
    transcript.push('# a long run: kops rolling-update, here a JS SDK client over 2+ role sessions');
    w.server.setRoleSessionSeconds(3);
    const lines = await step('kops-mfa exec --profile b -- node sdk-loop.mjs', ['exec', '--profile', 'b', '--', process.execPath, CHILD, '3500', '250']);
    const calls = childCalls(lines);
    transcript.push(`# the child made ${calls.length} calls, ${calls.filter((c) => c.ok).length} succeeded`);
    // Its exit status says whether the 3 s role session is still valid by then: either is fine here.
    const status = await step('kops-mfa status --profile b', ['status', '--profile', 'b'], true);
    transcript.push(...status.trimEnd().split('\n'));
    transcript.push(`# codes typed all day: ${typed}`);
    if (process.env.KOPS_MFA_DAY_TRANSCRIPT) writeFileSync(process.env.KOPS_MFA_DAY_TRANSCRIPT, `${transcript.join('\n')}\n`);

    assert.equal(typed, 1, transcript.join('\n'));
    assert.equal(withCode(w).length, 1);
    assert.equal(w.server.calls.filter((c) => c.action === 'GetSessionToken').length, 1);
    assert.ok(calls.length > 3 && calls.every((c) => c.ok && c.arn === assumed(ROLE_B)), lines);
    assert.equal(transcript.filter((l) => /, no code needed/.test(l)).length, 2 + 4, 'b and c at first, then 4 renewals');
  });

  test('credential-process over role sessions: fromProcess works longer than a role lifetime, every call succeeds, one code', async (t) => {
    const w = await mfaWorld(t, 3600, { roleSessionSeconds: 3 });
    w.writeAws(
      `${readFileSync(join(w.home, '.aws', 'config'), 'utf8')}\n[profile consumer]\ncredential_process = "${process.execPath}" "${BIN}" credential-process --profile a\nregion = eu-west-1\n`,
    );
    ok(await kopsMfa(w, ['credential-process', '--profile', 'a', '--token-code', w.code()]));
    // A consumer as any application would be: fromProcess on the consumer
    // profile, GetCallerIdentity in a loop. The client runs credential_process
    // again whenever the credentials are near their end (always, at 3 s).
    const r = await run(process.execPath, [CHILD, '3500', '200'], { env: { ...w.env, AWS_PROFILE: 'consumer', SDK_LOOP_FROM_PROCESS: 'consumer' }, cwd: ROOT });
    assert.equal(r.code, 0, `${r.stderr}${r.stdout}`);
    const calls = childCalls(r.stdout);
    assert.deepEqual(calls.filter((c) => !c.ok), []);
    assert.ok(calls.length >= 2, r.stdout);
    assert.ok(calls.every((c) => c.arn === assumed(ROLE_ARN)));
    assert.ok(calls.at(-1)!.at - calls[0]!.at >= 3500, 'longer than one role lifetime (3 s)');
    const keys = new Set(w.server.calls.filter((c) => c.action === 'GetCallerIdentity').map((c) => c.accessKeyId));
    assert.ok(keys.size >= 2, `${keys.size} access keys`);
    assert.equal(withCode(w).length, 1);
  });

  test('exec over role sessions: a real SDK child works over more than 2 role lifetimes with one code; the endpoint is guarded', async (t) => {
    // 3 s role sessions: at 2 s a loaded machine sometimes signed with a session that ended in flight.
    const w = await mfaWorld(t, 3600, { roleSessionSeconds: 3 });
    const dir = tempDir(t);
    const info = join(dir, 'info.json');
    const running = runCli(['exec', '--profile', 'a', '--token-code', w.code(), '--', process.execPath, CHILD, '7000', '150', info], { env: w.env, cwd: ROOT });

    // While the child runs: the endpoint it was given, probed from this process.
    for (let i = 0; i < 100 && !existsSync(info); i++) await sleep(50);
    const seen = JSON.parse(readFileSync(info, 'utf8')) as { uri: string; token: string; present: string[]; sharedCredentialsFile: string | null };
    const url = new URL(seen.uri);
    assert.equal(url.protocol, 'http:');
    assert.equal(url.hostname, '127.0.0.1', 'loopback only');
    assert.match(seen.token, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(seen.present, [], 'no static keys, no profile in the child');
    const before = w.server.calls.length;
    const missing = await fetch(seen.uri);
    assert.equal(missing.status, 401);
    assert.doesNotMatch(await missing.text(), /AccessKeyId/);
    const wrongToken = seen.token.slice(0, -1) + (seen.token.endsWith('A') ? 'B' : 'A');
    const wrong = await fetch(seen.uri, { headers: { Authorization: wrongToken } });
    assert.equal(wrong.status, 403);
    assert.doesNotMatch(await wrong.text(), /AccessKeyId/);
    const right = await fetch(seen.uri, { headers: { Authorization: seen.token } });
    assert.equal(right.status, 200);
    const served = (await right.json()) as { AccessKeyId: string; Expiration: string };
    assert.equal(w.server.session(served.AccessKeyId)?.arn, assumed(ROLE_ARN));
    assert.ok(w.server.calls.length >= before);

    const r = await running;
    assert.equal(r.code, 0, `${r.stderr}${r.stdout}`);
    const calls = childCalls(r.stdout);
    assert.deepEqual(calls.filter((c) => !c.ok), [], 'every call of the child succeeded');
    assert.ok(calls.every((c) => c.arn === assumed(ROLE_ARN)), 'as the role');
    assert.ok(calls.at(-1)!.at - calls[0]!.at >= 7000, 'over more than 2 role lifetimes of 3 s');

    const identity = w.server.calls.filter((c) => c.action === 'GetCallerIdentity');
    assert.equal(identity.length, calls.length);
    assert.ok(identity.every((c) => c.status === 200));
    const keys = new Set(identity.map((c) => c.accessKeyId));
    assert.ok(keys.size >= 3, `${keys.size} access keys over the run`);
    assert.equal(withCode(w).length, 1, 'one code for the whole run');
    // Every role session of the run came from the one MFA session.
    const mfaKey = w.server.calls.find((c) => c.action === 'GetSessionToken')!.issuedAccessKeyId;
    assert.ok(w.server.calls.filter((c) => c.action === 'AssumeRole').every((c) => c.accessKeyId === mfaKey && !c.tokenCode));

    // The endpoint closed with the child.
    await assert.rejects(fetch(seen.uri, { headers: { Authorization: seen.token } }));
  });

  test('exec --no-cache: the MFA session held in memory renews the role sessions through the session layer; nothing is cached', async (t) => {
    const w = await mfaWorld(t, 3600, { roleSessionSeconds: 3 });
    const r = await runCli(['exec', '--no-cache', '--profile', 'a', '--token-code', w.code(), '--', process.execPath, CHILD, '4000', '150'], { env: w.env, cwd: ROOT });
    assert.equal(r.code, 0, `${r.stderr}${r.stdout}`);
    const calls = childCalls(r.stdout);
    assert.deepEqual(calls.filter((c) => !c.ok), [], 'every call of the child succeeded');
    const keys = new Set(w.server.calls.filter((c) => c.action === 'GetCallerIdentity').map((c) => c.accessKeyId));
    assert.ok(keys.size >= 2, `${keys.size} role sessions over the run`);
    assert.equal(withCode(w).length, 1, 'one code for the whole run');
    const mfaKey = w.server.calls.find((c) => c.action === 'GetSessionToken')!.issuedAccessKeyId;
    assert.ok(w.server.calls.filter((c) => c.action === 'AssumeRole').every((c) => c.accessKeyId === mfaKey && !c.tokenCode));
    assert.deepEqual(existsSync(w.cacheDir) ? readdirSync(w.cacheDir).filter((n) => n.endsWith('.json')) : [], [], 'nothing cached');
  });

  test("exec: when the MFA session ends during the run, one note says so on stderr", async (t) => {
    // An MFA session of 5 minutes is inside exec's 10-minute warning at once.
    // Role sessions of 30 s: exec renews at each fetch anyway (under its 15
    // minutes), and at 2 s a loaded machine signed with a session that ended
    // in flight (ExpiredToken), which is not what this test is about.
    const w = await mfaWorld(t, 3600, { sessionTokenSeconds: 300, roleSessionSeconds: 30 });
    const r = ok(await runCli(['exec', '--profile', 'a', '--token-code', w.code(), '--', process.execPath, CHILD, '1200', '200'], { env: w.env, cwd: ROOT }));
    const notes = r.stderr.split('\n').filter((l) => /so the command keeps getting credentials/.test(l));
    assert.equal(notes.length, 1, r.stderr);
    assert.match(notes[0]!, /^kops-mfa: the MFA session is valid until \d\d:\d\d \([345] min left\): run kops-login --profile a --refresh so the command keeps getting credentials$/);
    assert.ok(childCalls(r.stdout).every((c) => c.ok));

    // Control: an MFA session of an hour says nothing of the kind.
    const long = await mfaWorld(t, 3600, { roleSessionSeconds: 30 });
    const quiet = ok(await runCli(['exec', '--profile', 'a', '--token-code', long.code(), '--', process.execPath, CHILD, '0', '0'], { env: long.env, cwd: ROOT }));
    assert.doesNotMatch(quiet.stderr, /keeps getting credentials/);
  });

  test('silent renewal: after the role session ran out, env succeeds without a terminal or a code, with a new key', async (t) => {
    // One clock for kops-mfa and the STS server, moved by the test: the role session ends without a wait.
    let now = Date.now();
    const clock = () => new Date(now);
    const w = await mfaWorld(t, 7200, { now: clock });
    const env = { ...w.env, KOPS_MFA_MIN_REMAINING: '0' };
    const first = ok(await runMain(['env', '--shell', 'bash', '--profile', 'a', '--token-code', w.code()], { env, now: clock }));
    const firstKey = exported(first.stdout, 'AWS_ACCESS_KEY_ID');
    now = Date.parse(exported(first.stdout, 'AWS_CREDENTIAL_EXPIRATION')) + 1000;
    assert.equal(w.server.session(firstKey)!.expiration.getTime() < now, true, 'the first role session is over');
    const again = ok(await runMain(['env', '--shell', 'bash', '--profile', 'a'], { env, now: clock }));
    const key = exported(again.stdout, 'AWS_ACCESS_KEY_ID');
    assert.notEqual(key, firstKey);
    assert.match(again.stderr, /, no code needed/);
    assert.equal(withCode(w).length, 1);
    assert.equal(w.server.session(key)?.arn, assumed(ROLE_ARN));
    assert.deepEqual(
      w.server.calls.map((c) => c.action),
      ['GetSessionToken', 'AssumeRole', 'AssumeRole'],
    );
  });

  test('one code, two roles: the second role needs no code, no prompt and no terminal; one call carried a code', async (t) => {
    const w = await mfaWorld(t);
    const first = ok(await login(w, 'a', ['--token-code', w.code()]));
    assert.match(first.stderr, /^kops-mfa: kops-state session until [^,\n]*; MFA session (59 min|1 h 00 min) left\n$/);
    // No --token-code, no terminal.
    const second = ok(await login(w, 'b'));
    assert.match(second.stderr, /^kops-mfa: kops-admin session until \d\d:\d\d \([^)]*\), no code needed/m);
    assert.doesNotMatch(second.stderr, /MFA code|terminal/);

    assert.equal(withCode(w).length, 1, 'exactly one call carried a code');
    const actions = w.server.calls.map((c) => [c.action, c.tokenCode, c.status]);
    assert.deepEqual(actions, [
      ['GetSessionToken', true, 200],
      ['AssumeRole', false, 200],
      ['AssumeRole', false, 200],
    ]);
    // Both roles were assumed with the MFA session's keys, and the sessions carry its MFA context.
    const mfaKey = w.server.calls[0]!.issuedAccessKeyId!;
    assert.equal(w.server.calls[1]!.accessKeyId, mfaKey);
    assert.equal(w.server.calls[2]!.accessKeyId, mfaKey);
    assert.equal(w.server.session(mfaKey)?.mfa, true);
    assert.equal(w.server.session(exported(second.stdout, 'AWS_ACCESS_KEY_ID'))?.arn, assumed(ROLE_B));
    assert.equal(w.server.calls[2]!.params.RoleArn, ROLE_B);
    assert.equal(mfaFiles(w).length, 1, 'one MFA session, shared');
    assert.equal(statSync(mfaFile(w)).mode & 0o777, 0o600);
  });

  test('control: with mfa_session_duration = 0 the second role asks for a code (exit 6 without a terminal)', async (t) => {
    // The same steps as above with the feature off: proves that test can fail.
    const w = await mfaWorld(t, 0);
    ok(await login(w, 'a', ['--token-code', w.code()]));
    const second = await login(w, 'b');
    assert.equal(second.code, 6, second.stderr);
    assert.match(second.stderr, /no terminal to ask for the MFA code/);
    assert.deepEqual(mfaFiles(w), []);
  });

  test('duration_seconds 7200 with an MFA session: a one-line warning when the session is made (not at a reuse) and a 3600 s role session', async (t) => {
    const w = await mfaWorld(t);
    w.writeAws(profile('long', ROLE_ARN, 'mfa_session_duration = 3600\nduration_seconds = 7200\n'));
    const r = ok(await login(w, 'long', ['--token-code', w.code()]));
    const lines = r.stderr.trimEnd().split('\n');
    const warnings = lines.filter((l) => /3600/.test(l));
    assert.deepEqual(warnings, [
      'kops-mfa: a role session from an MFA session lasts at most 3600 s (AWS\'s limit), not 7200',
    ]);
    // Said when such a session is made, not at every reuse of it.
    const again = ok(await login(w, 'long', []));
    assert.doesNotMatch(again.stderr, /3600/, again.stderr);
    assert.equal(lines.length, 2, r.stderr);
    const assume = w.server.calls.find((c) => c.action === 'AssumeRole')!;
    assert.equal(assume.params.DurationSeconds, '3600');
    const left = (Date.parse(exported(r.stdout, 'AWS_CREDENTIAL_EXPIRATION')) - Date.now()) / 1000;
    assert.ok(left > 3500 && left <= 3600, `${left} s left`);
  });

  test('exec with keys in a [default] profile of ~/.aws/credentials: the child still uses the role', async (t) => {
    const w = await mfaWorld(t);
    const config = readFileSync(join(w.home, '.aws', 'config'), 'utf8');
    w.writeAws(config, `${DEFAULT_CREDENTIALS}\n[default]\naws_access_key_id = ${USER.accessKeyId}\naws_secret_access_key = ${USER.secretAccessKey}\n`);
    const dir = tempDir(t);
    const info = join(dir, 'info.json');
    const r = ok(await runCli(['exec', '--profile', 'a', '--token-code', w.code(), '--', process.execPath, CHILD, '0', '0', info], { env: w.env, cwd: ROOT }));
    const calls = childCalls(r.stdout);
    assert.deepEqual(calls.map((c) => c.arn), [assumed(ROLE_ARN)], 'the role, not alice of [default]');
    const credentialsFile = (JSON.parse(readFileSync(info, 'utf8')) as { sharedCredentialsFile: string }).sharedCredentialsFile;
    assert.match(credentialsFile, /kops-mfa-exec-[^/]+\/credentials$/, 'a credentials file of its own');
    assert.equal(existsSync(credentialsFile), false, 'removed when exec ended');
    assert.notEqual(w.server.calls.at(-1)!.accessKeyId, USER.accessKeyId);
  });

  test('credential-process never hands out a session with under 15 minutes left when a fresh one needs no code', async (t) => {
    const w = await mfaWorld(t, 3600, { roleSessionSeconds: 600 });
    const first = ok(await login(w, 'a', ['--token-code', w.code()]));
    const tenMinutes = exported(first.stdout, 'AWS_ACCESS_KEY_ID');
    // env's reuse window (5 min) takes the 10-minute session as it is...
    const reused = ok(await login(w, 'a'));
    assert.equal(exported(reused.stdout, 'AWS_ACCESS_KEY_ID'), tenMinutes);
    w.server.setRoleSessionSeconds(undefined);
    // ...credential-process does not: botocore would run it again at once.
    const r = ok(await kopsMfa(w, ['credential-process', '--profile', 'a']));
    assert.equal(r.stderr, '');
    const json = JSON.parse(r.stdout) as { AccessKeyId: string; Expiration: string };
    assert.notEqual(json.AccessKeyId, tenMinutes);
    const left = (Date.parse(json.Expiration) - Date.now()) / 1000;
    assert.ok(left > 15 * 60, `${left} s left`);
    assert.equal(withCode(w).length, 1, 'renewed without a code');
    // The fresh one is cached: the next run reuses it without a call.
    const calls = w.server.calls.length;
    const again = JSON.parse(ok(await kopsMfa(w, ['credential-process', '--profile', 'a'])).stdout) as { AccessKeyId: string };
    assert.equal(again.AccessKeyId, json.AccessKeyId);
    assert.equal(w.server.calls.length, calls);
  });

  test('duration_seconds = 900: a fresh role session is served as it is; 10 credential-process runs make one AssumeRole; one note', async (t) => {
    const w = await mfaWorld(t, 3600);
    w.writeAws(profile('a', ROLE_ARN, 'mfa_session_duration = 3600\nduration_seconds = 900\n'));
    const first = await kopsMfa(w, ['credential-process', '--profile', 'a', '--token-code', w.code()]);
    ok(first);
    assert.deepEqual(first.notes, [
      'duration_seconds 900 is under 30 min: SDKs will call kops-mfa at each use; set 1800 or more',
    ]);
    const key = (JSON.parse(first.stdout) as { AccessKeyId: string }).AccessKeyId;
    for (let i = 0; i < 10; i++) {
      const r = ok(await kopsMfa(w, ['credential-process', '--profile', 'a']));
      assert.equal(r.stderr, '', `run ${i}: quiet, the note was given once`);
      assert.equal((JSON.parse(r.stdout) as { AccessKeyId: string }).AccessKeyId, key, `run ${i}: the session just issued`);
    }
    assert.equal(w.server.calls.filter((c) => c.action === 'AssumeRole').length, 1, 'one AssumeRole for 11 runs');
  });

  test('the serving rule: 15 minutes when a session lasts 30 minutes or more, else the usual minimum', () => {
    const settings = (durationSeconds: number) => ({ durationSeconds, minRemainingSeconds: 300 }) as Settings;
    assert.equal(servingMinimumSeconds(settings(3600)), 900);
    assert.equal(servingMinimumSeconds(settings(1800)), 900);
    assert.equal(servingMinimumSeconds(settings(1799)), 300);
    assert.equal(servingMinimumSeconds(settings(900)), 300);
  });

  test('credential-process: when no fresh session can be had without a code, the one with 10 minutes left is handed out', async (t) => {
    // The MFA session (30 s) is inside its 60 s margin at once: a renewal would need a code.
    const w = await mfaWorld(t, 3600, { roleSessionSeconds: 600, sessionTokenSeconds: 30 });
    const first = ok(await login(w, 'a', ['--token-code', w.code()]));
    const key = exported(first.stdout, 'AWS_ACCESS_KEY_ID');
    const calls = w.server.calls.length;
    // No terminal: as the mfa_session_duration = 0 path would, the valid session goes out rather than exit 6.
    const r = await kopsMfa(w, ['credential-process', '--profile', 'a']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { AccessKeyId: string }).AccessKeyId, key);
    assert.equal(w.server.calls.length, calls, 'no call');
  });

  test("status (text and --json) shows the MFA session's time left next to the role session's", async (t) => {
    const w = await mfaWorld(t, 3600, { roleSessionSeconds: 600 });
    ok(await login(w, 'a', ['--token-code', w.code()]));
    const json = JSON.parse(ok(await kopsMfa(w, ['status', '--json', '--profile', 'a'])).stdout) as {
      valid: boolean;
      cache: { secondsLeft: number; arn: string } | null;
      mfaSession: { secondsLeft: number; arn: string; valid: boolean } | null;
    };
    assert.equal(json.valid, true);
    assert.ok(json.cache && json.cache.secondsLeft > 590 && json.cache.secondsLeft <= 600, JSON.stringify(json.cache));
    assert.equal(json.cache.arn, assumed(ROLE_ARN));
    assert.ok(json.mfaSession && json.mfaSession.secondsLeft > 3590 && json.mfaSession.secondsLeft <= 3600, JSON.stringify(json.mfaSession));
    assert.equal(json.mfaSession.arn, USER.mfaSerial);
    assert.equal(json.mfaSession.valid, true);

    const text = ok(await kopsMfa(w, ['status', '--profile', 'a'])).stdout;
    assert.match(text, /^cache: {7}arn:aws:sts::\d+:assumed-role\/kops-state\/kops-access \(profile a\), valid until \d\d:\d\d \(([89]|10) min left\)$/m);
    assert.match(text, new RegExp(`^MFA session: ${USER.mfaSerial}, valid until \\d\\d:\\d\\d \\((59 min|1 h 00 min) left\\)$`, 'm'));
    assert.equal(w.server.calls.length, 2, 'status makes no call');

    // Profile b has no role session yet, but it would use the same MFA session: status shows it.
    const b = JSON.parse((await kopsMfa(w, ['status', '--json', '--profile', 'b'])).stdout) as { cache: unknown; mfaSession: { arn: string } | null };
    assert.equal(b.cache, null);
    assert.equal(b.mfaSession?.arn, USER.mfaSerial);
  });

  test('--no-prompt runs no mfa_process either (it may wait for a touch): exit 6, no call', async (t) => {
    const w = await mfaWorld(t);
    const config = readFileSync(join(w.home, '.aws', 'config'), 'utf8');
    const marker = join(tempDir(t), 'ran');
    w.writeAws(config.replace('[profile a]\n', `[profile a]\nmfa_process = sh -c "touch ${marker}; echo 123456"\n`));
    const r = await login(w, 'a', ['--no-prompt']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /--no-prompt/);
    assert.equal(existsSync(marker), false, 'mfa_process ran');
    assert.equal(w.server.calls.length, 0);
  });

  test('--no-prompt with no code to be had runs no key source first: a credential_process is not started, exit 6', async (t) => {
    const w = await mfaWorld(t);
    const config = readFileSync(join(w.home, '.aws', 'config'), 'utf8');
    const marker = join(tempDir(t), 'ran');
    const keys = join(tempDir(t), 'keys.sh');
    writeFileSync(keys, `#!/bin/sh\ntouch ${marker}\nprintf '{"Version": 1, "AccessKeyId": "${USER.accessKeyId}", "SecretAccessKey": "${USER.secretAccessKey}"}'\n`, { mode: 0o755 });
    w.writeAws(`${config.replace(/source_profile = alice/g, 'source_profile = vault')}\n[profile vault]\ncredential_process = ${keys}\n`, '');
    const r = await login(w, 'a', ['--no-prompt']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /--no-prompt/);
    assert.equal(existsSync(marker), false, 'the credential_process ran');
    assert.equal(w.server.calls.length, 0);
  });

  test('logout forgets the role session but keeps the MFA session; logout --all removes it too', async (t) => {
    const w = await mfaWorld(t);
    ok(await login(w, 'a', ['--token-code', w.code()]));
    ok(await login(w, 'b'));
    assert.equal(roleFiles(w).length, 2);
    const out = ok(await kopsMfa(w, ['logout', '--shell', 'bash', '--profile', 'a']));
    assert.equal(out.stderr, 'kops-mfa: forgot 1 cached session of profile a\n');
    assert.equal(roleFiles(w).length, 1, "b's role session stays");
    assert.equal(mfaFiles(w).length, 1, 'the MFA session stays');
    // a logs in again without a code: from the MFA session.
    const back = ok(await login(w, 'a'));
    assert.match(back.stderr, /, no code needed/);
    assert.equal(withCode(w).length, 1);

    const all = ok(await kopsMfa(w, ['logout', '--shell', 'bash', '--all']));
    assert.equal(all.stderr, 'kops-mfa: forgot 2 cached sessions and 1 MFA session\n');
    assert.deepEqual(mfaFiles(w), []);
    assert.deepEqual(roleFiles(w), []);
    const after = await login(w, 'b');
    assert.equal(after.code, 6, 'a code is needed again');
    assert.equal(withCode(w).length, 1);
  });

  for (const damage of ['garbage', 'mode 0644', 'a symlink'] as const) {
    test(`a damaged MFA-session file (${damage}) is a miss: a code is asked, and with --token-code the login works`, async (t) => {
      const w = await mfaWorld(t);
      ok(await login(w, 'a', ['--token-code', w.code()]));
      ok(await kopsMfa(w, ['logout', '--shell', 'bash', '--profile', 'a']));
      const file = mfaFile(w);
      const good = readFileSync(file, 'utf8');
      let target: string | undefined;
      if (damage === 'garbage') writeFileSync(file, 'garbage{', { mode: 0o600 });
      else if (damage === 'mode 0644') chmodSync(file, 0o644);
      else {
        // A link to a valid session file of the right owner and mode: still not followed.
        target = join(tempDir(t), 'elsewhere.json');
        renameSync(file, target);
        symlinkSync(target, file);
      }
      const asked = await login(w, 'a');
      assert.equal(asked.code, 6, asked.stderr);
      assert.match(asked.stderr, /no terminal to ask for the MFA code/);
      assert.match(asked.stderr, new RegExp(`(ignoring|refusing)( damaged)? cache file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.equal(withCode(w).length, 1);

      const r = ok(await login(w, 'a', ['--token-code', w.code()]));
      assert.equal(w.server.calls.filter((c) => c.action === 'GetSessionToken').length, 2, 'a new MFA session');
      assert.equal(w.server.session(exported(r.stdout, 'AWS_ACCESS_KEY_ID'))?.arn, assumed(ROLE_ARN));
      const st = lstatSync(file);
      assert.ok(st.isFile() && (st.mode & 0o777) === 0o600, 'replaced by a private regular file');
      if (target) assert.equal(readFileSync(target, 'utf8'), good, 'the link target was not written');
    });
  }

  test('a spent code is refused locally: --token-code exits 4, as a code AWS refused, before any call; --refresh buys a new MFA session', async (t) => {
    const w = await mfaWorld(t);
    const code = w.code();
    ok(await login(w, 'a', ['--token-code', code]));
    const mfaKey = w.server.calls[0]!.issuedAccessKeyId;
    const calls = w.server.calls.length;
    const spent = await login(w, 'a', ['--refresh', '--token-code', code]);
    assert.equal(spent.code, 4, spent.stderr);
    assert.equal(spent.stdout, '');
    assert.match(spent.stderr, /this code was just used; wait for the next one/);
    assert.equal(w.server.calls.length, calls, 'no STS call');

    const fresh = ok(await login(w, 'a', ['--refresh', '--token-code', w.code()]));
    const gst = w.server.calls.filter((c) => c.action === 'GetSessionToken');
    assert.equal(gst.length, 2, '--refresh made a new MFA session');
    assert.notEqual(gst[1]!.issuedAccessKeyId, mfaKey);
    const saved = JSON.parse(readFileSync(mfaFile(w), 'utf8')) as { credentials: { accessKeyId: string } };
    assert.equal(saved.credentials.accessKeyId, gst[1]!.issuedAccessKeyId, 'the cache holds the new one');
    assert.equal(w.server.calls.at(-1)!.accessKeyId, gst[1]!.issuedAccessKeyId, 'the role came from it');
    assert.equal(w.server.session(exported(fresh.stdout, 'AWS_ACCESS_KEY_ID'))?.arn, assumed(ROLE_ARN));
  });

  test('a spent code typed at the prompt: "this code was just used", and the prompt asks again', async (t) => {
    const w = await mfaWorld(t);
    const code = w.code();
    ok(await login(w, 'a', ['--token-code', code]));
    const calls = w.server.calls.length;
    const pty = spawnPty([process.execPath, BIN, 'env', '--print', '--shell', 'bash', '--profile', 'a', '--refresh'], { env: w.env });
    t.after(() => pty.kill('SIGKILL'));
    await pty.waitFor(MFA_PROMPT);
    const mark = pty.output.length;
    pty.type(`${code}\r`);
    await pty.waitFor('this code was just used; wait for the next one', { from: mark });
    assert.equal(w.server.calls.length, calls, 'the spent code never reached STS');
    await pty.waitFor(MFA_PROMPT, { from: mark });
    pty.type(`${w.code()}\r`);
    const exit = await pty.exited;
    assert.equal(exit.code, 0, pty.output);
    assert.match(pty.output, /kops-mfa: kops-state session until /);
    assert.equal(withCode(w).length, 2, 'only the fresh code was sent');
    assert.ok(withCode(w).every((c) => c.status === 200));
  });

  test('exec: a renewal that would need a code serves the current role session while it lasts, and never resends --token-code', async (t) => {
    // Role sessions of 10 min (under the 15 min exec renews at), an MFA session inside its margin at once.
    const w = await mfaWorld(t, 3600, { roleSessionSeconds: 600, sessionTokenSeconds: 30 });
    const r = await runCli(['exec', '--profile', 'a', '--token-code', w.code(), '--', process.execPath, CHILD, '0', '0'], { env: w.env, cwd: ROOT });
    assert.equal(r.code, 0, `${r.stderr}${r.stdout}`);
    assert.deepEqual(childCalls(r.stdout).map((c) => c.ok), [true]);
    const role = w.server.calls.find((c) => c.action === 'AssumeRole')!.issuedAccessKeyId;
    assert.equal(w.server.calls.at(-1)!.accessKeyId, role, 'the child signed with the role session exec started with');
    assert.equal(withCode(w).length, 1, 'the spent code was not sent again');
    assert.doesNotMatch(r.stderr, /this code was just used/);
    assert.equal(r.stderr.match(/it keeps the current session, valid until/g)?.length, 1, r.stderr);
  });

  test('exec --refresh: one new code at the start; the renewals during the run need none', async (t) => {
    const w = await mfaWorld(t, 3600, { roleSessionSeconds: 3 });
    ok(await login(w, 'a', ['--token-code', w.code()]));
    const r = await runCli(['exec', '--profile', 'a', '--refresh', '--token-code', w.code(), '--', process.execPath, CHILD, '600', '200'], { env: w.env, cwd: ROOT });
    assert.equal(r.code, 0, `${r.stderr}${r.stdout}`);
    assert.ok(childCalls(r.stdout).every((c) => c.ok));
    assert.equal(w.server.calls.filter((c) => c.action === 'GetSessionToken').length, 2, 'the new MFA session of --refresh, and no other');
    assert.equal(withCode(w).length, 2);
    assert.ok(new Set(w.server.calls.filter((c) => c.action === 'GetCallerIdentity').map((c) => c.accessKeyId)).size >= 2);
  });
});
