// The orchestrator (src/session/session.ts) in this process, with stand-ins
// for the three STS calls and a clock the test moves: when the cache is
// used, when a code is asked, when an MFA session renews a role session
// without one, and what is refused. The cache, the lock and the spent-code
// memory are the real ones, in a temporary folder.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { obtainSession, type StsCalls } from '../src/session/session.ts';
import type { Session } from '../src/session/sts.ts';
import { resolveSettings, type Settings } from '../src/settings/config.ts';
import type { Context } from '../src/context.ts';
import { ExitCode, KopsMfaError, RejectedCodeError } from '../src/errors.ts';
import { tempDir } from './support/helpers.ts';

const ROLE = 'arn:aws:iam::123456789012:role/kops';
const MFA = 'arn:aws:iam::123456789012:mfa/alice';
const MINUTE = 60_000;

function settings(flags: Record<string, string | true> = {}, profile: Record<string, string> = {}): Settings {
  return resolveSettings({ profile: 'kops', ...flags }, {}, {
    config: { kops: { role_arn: ROLE, mfa_serial: MFA, ...profile } },
    credentials: { kops: { aws_access_key_id: 'AKIASESSIONTEST00001', aws_secret_access_key: 'secret' } },
    configPath: '/nowhere/config',
    credentialsPath: '/nowhere/credentials',
  });
}

/** A world of fakes: the clock, the prompt's answers, STS. */
function fakes(t: TestContext, answers: string[] = []) {
  let now = Date.parse('2030-01-01T08:00:00Z');
  const cache = tempDir(t);
  const calls: string[] = [];
  const asked: string[] = [];
  const notes: string[] = [];
  let issued = 0;
  /** What the next session STS hands out looks like (a test may change it). */
  const next = { rejectCodes: new Set<string>(), expiresIn: (seconds: number) => seconds * 1000 };
  const session = (seconds: number, arn?: string): Session => {
    issued++;
    return {
      credentials: {
        accessKeyId: `ASIAFAKE${String(issued).padStart(12, '0')}`,
        secretAccessKey: `secret-${issued}`,
        sessionToken: `token-${issued}`,
        expiration: new Date(now + next.expiresIn(seconds)).toISOString(),
      },
      arn,
    };
  };
  const refuse = (code: string) => {
    if (next.rejectCodes.delete(code)) throw new RejectedCodeError('AWS rejected the MFA code', ExitCode.aws);
  };
  const sts: StsCalls = {
    async sessionWithCode(s, _env, code, onSend = () => {}) {
      onSend(); // the code goes out
      calls.push(`AssumeRole with code ${code}`);
      refuse(code);
      return session(s.durationSeconds, `${s.roleArn}/session`);
    },
    async mfaSessionWithCode(s, _env, code, onSend = () => {}) {
      onSend();
      calls.push(`GetSessionToken with code ${code}`);
      refuse(code);
      return session(s.mfaSessionSeconds);
    },
    async roleFromMfaSession(s, _env, mfa) {
      calls.push(`AssumeRole with the MFA session ${mfa.accessKeyId}`);
      return session(s.durationSeconds, `${s.roleArn}/session`);
    },
    loadSdk: async () => undefined,
  };
  const ctx: Context = {
    env: { XDG_CACHE_HOME: cache },
    now: () => new Date(now),
    prompt: async (message) => {
      asked.push(message);
      const a = answers.shift();
      if (a === undefined) throw new KopsMfaError('no more answers', ExitCode.mfa);
      return a;
    },
    note: (m) => notes.push(m),
    debug: () => {},
    stdout: async () => {},
  };
  return {
    calls,
    asked,
    notes,
    next,
    cacheFiles: () => readdirSync(`${cache}/kops-mfa`).sort(),
    advance: (ms: number) => (now += ms),
    obtain: (s: Settings) => obtainSession(s, ctx, { sts }),
  };
}

test('a session comes from the cache until fewer than min-remaining minutes are left, then a code buys a new one', async (t) => {
  const f = fakes(t, ['111111', '222222']);
  const s = settings();
  const first = await f.obtain(s);
  assert.equal(first.how, 'code');
  assert.deepEqual(f.calls, ['AssumeRole with code 111111']);

  f.advance(54 * MINUTE); // 6 minutes left of 60: more than the 5 of min-remaining
  const cached = await f.obtain(s);
  assert.equal(cached.how, 'cache');
  assert.deepEqual(cached.entry.credentials, first.entry.credentials);
  assert.equal(f.calls.length, 1, 'no STS call');
  assert.equal(f.asked.length, 1, 'no question');

  f.advance(2 * MINUTE); // 4 minutes left
  const renewed = await f.obtain(s);
  assert.equal(renewed.how, 'code');
  assert.notEqual(renewed.entry.credentials.accessKeyId, first.entry.credentials.accessKeyId);
  assert.deepEqual(f.calls, ['AssumeRole with code 111111', 'AssumeRole with code 222222']);
  assert.ok(!f.cacheFiles().some((n) => n.endsWith('.lock')), 'no lock left behind');
});

test('--refresh buys a new session although the cached one is valid; --no-cache neither reads nor writes', async (t) => {
  const f = fakes(t, ['111111', '222222', '333333', '444444']);
  await f.obtain(settings());
  assert.equal((await f.obtain(settings({ refresh: true }))).how, 'code');
  assert.equal((await f.obtain(settings({ 'no-cache': true }))).how, 'code');
  assert.equal((await f.obtain(settings({ 'no-cache': true }))).how, 'code');
  assert.equal(f.calls.length, 4);
});

test('with an MFA session: one code buys it, role sessions are renewed from it without a code until it nears its end', async (t) => {
  const f = fakes(t, ['111111', '222222']);
  const s = settings({}, { mfa_session_duration: '7200' });
  const first = await f.obtain(s);
  assert.equal(first.how, 'code');
  assert.deepEqual(f.calls, ['GetSessionToken with code 111111', 'AssumeRole with the MFA session ASIAFAKE000000000001']);

  f.advance(56 * MINUTE); // the role session has 4 minutes left; the MFA session 64
  const renewed = await f.obtain(s);
  assert.equal(renewed.how, 'renewed');
  assert.equal(f.asked.length, 1, 'no code asked');
  assert.equal(f.calls.at(-1), 'AssumeRole with the MFA session ASIAFAKE000000000001');

  f.advance(64 * MINUTE - 30_000); // 30 s left of the MFA session: under its one-minute margin
  const again = await f.obtain(s);
  assert.equal(again.how, 'code');
  assert.deepEqual(f.calls.slice(-2), ['GetSessionToken with code 222222', 'AssumeRole with the MFA session ASIAFAKE000000000004']);
});

test('a code AWS refused is noted and asked for again at the prompt; a typo too, without an STS call', async (t) => {
  const f = fakes(t, ['12345', '111111', '222222']);
  f.next.rejectCodes.add('111111');
  const got = await f.obtain(settings());
  assert.equal(got.how, 'code');
  assert.equal(f.asked.length, 3);
  assert.deepEqual(f.calls, ['AssumeRole with code 111111', 'AssumeRole with code 222222']);
  assert.ok(f.notes.some((n) => /6 digits/.test(n)), f.notes.join('\n'));
  assert.ok(f.notes.some((n) => /AWS rejected the MFA code/.test(n)), f.notes.join('\n'));
});

test('a code from --token-code that AWS refused is not asked again: the error stands', async (t) => {
  const f = fakes(t);
  f.next.rejectCodes.add('111111');
  await assert.rejects(f.obtain(settings({ 'token-code': '111111' })), RejectedCodeError);
  assert.deepEqual(f.asked, []);
});

test('a code spent a moment ago is refused before STS; 90 s later it may be used again', async (t) => {
  const f = fakes(t);
  await f.obtain(settings({ 'token-code': '111111', refresh: true }));
  f.advance(30_000);
  await assert.rejects(f.obtain(settings({ 'token-code': '111111', refresh: true })), /just used/);
  assert.equal(f.calls.length, 1);
  f.advance(61_000);
  assert.equal((await f.obtain(settings({ 'token-code': '111111', refresh: true }))).how, 'code');
});

test('a session already over by this machine\'s clock is refused, says so, and is not cached', async (t) => {
  const f = fakes(t, ['111111', '222222']);
  f.next.expiresIn = () => -MINUTE;
  await assert.rejects(f.obtain(settings()), (e: Error) => e instanceof KopsMfaError && /expired .*clock/.test(e.message));
  assert.deepEqual(f.cacheFiles().filter((n) => n.endsWith('.json')), []);
  f.next.expiresIn = (seconds) => seconds * 1000;
  assert.equal((await f.obtain(settings())).how, 'code', 'the next login calls STS again');
});
