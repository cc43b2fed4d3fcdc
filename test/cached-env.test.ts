// The cached env (src/cli/cached-env.ts) answers `kops-mfa env` from the
// cache before the rest of kops-mfa loads. Where it answers, it says and
// prints exactly what the full run (main) does; where it declines, it has
// said nothing and changed nothing, and the full run does it all.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { cachedEnv } from '../src/cli/cached-env.ts';
import { runMain } from './support/run-main.ts';
import { mfaProfile, world, DEFAULT_CONFIG, type World } from './support/world.ts';

/** A clock the two runs share, so that "until 14:05 (59 min)" reads the same. */
const NOW = () => new Date(Date.now() + 60_000);

function cached(w: World, args: string[], env: NodeJS.ProcessEnv = w.env, terminal = false) {
  const notes: string[] = [];
  const dashes = args.indexOf('--');
  const debugOn = args.slice(0, dashes === -1 ? undefined : dashes).includes('--debug') || !!env.KOPS_MFA_DEBUG;
  const out = cachedEnv(['node', 'kops-mfa', ...args], {
    env: { ...env },
    now: NOW,
    note: (m) => notes.push(m),
    debug: debugOn ? (m) => notes.push(`debug: ${m}`) : () => {},
    stdout: () => Promise.reject(new Error('the cached env returns its output, main writes it')),
    stdoutIsTerminal: () => terminal,
  });
  return { out, notes };
}

/** What a folder holds, names and bytes: a run that declines changes none of it. */
const contents = (dir: string) => readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'latin1')]);

async function loggedIn(t: TestContext, config = DEFAULT_CONFIG) {
  const w = await world(t);
  w.writeAws(config);
  const login = await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env });
  assert.equal(login.code, 0, login.stderr);
  return w;
}

test('answered from the cache, the cached env prints and says what the full run does, in every shell and with --debug', async (t) => {
  const w = await loggedIn(t);
  const calls = w.server.calls.length;
  const cases: Array<{ args: string[]; env?: NodeJS.ProcessEnv }> = [
    { args: ['env', '--shell', 'bash'] },
    { args: ['env', '--shell', 'zsh', '--debug'] },
    { args: ['env', '--shell=fish'] },
    { args: ['--debug', 'env', '--shell', 'powershell'] },
    { args: ['env', '--shell', 'sh', '--print'] },
    { args: ['env'], env: { ...w.env, SHELL: '/usr/bin/fish', KOPS_MFA_DEBUG: '1' } },
    // --profile beats a variable, with a note first.
    { args: ['env', '--shell', 'bash', '--profile', 'kops'], env: { ...w.env, AWS_PROFILE: 'other', KOPS_MFA_ROLE_ARN: 'arn:aws:iam::123456789012:role/other' } },
  ];
  for (const c of cases) {
    const env = c.env ?? w.env;
    const full = await runMain(c.args, { env, now: NOW });
    assert.equal(full.code, 0, full.stderr);
    const fast = cached(w, c.args, env);
    assert.ok(fast.out, `answered: ${c.args.join(' ')}`);
    assert.equal(fast.out.stdout, full.stdout, c.args.join(' '));
    assert.deepEqual(fast.notes, full.notes, c.args.join(' '));
    assert.ok(fast.notes.some((n) => n.endsWith(', from the cache')));
  }
  assert.equal(w.server.calls.length, calls, 'no STS call');
});

test('with an MFA session, the cached env names it as the full run does', async (t) => {
  const w = await loggedIn(t, mfaProfile('kops', { mfa_session_duration: '3600', region: 'eu-west-1', kops_state_store: 's3://state' }));
  const full = await runMain(['env', '--shell', 'bash'], { env: w.env, now: NOW });
  const fast = cached(w, ['env', '--shell', 'bash']);
  assert.ok(fast.out);
  assert.equal(fast.out.stdout, full.stdout);
  assert.match(fast.out.stdout, /KOPS_STATE_STORE='s3:\/\/state'/);
  assert.deepEqual(fast.notes, full.notes);
  assert.match(fast.notes.join('\n'), /; MFA session \d+ min left$/m);
});

test('the cached env declines, saying nothing and changing nothing, whatever it does not handle', async (t) => {
  const w = await loggedIn(t);
  const before = contents(w.cacheDir);
  const declines: Array<{ why: string; args: string[]; env?: NodeJS.ProcessEnv; terminal?: boolean }> = [
    { why: 'another command', args: ['status'] },
    { why: 'help', args: ['env', '--help'] },
    { why: 'help, the other way', args: ['help', 'env'] },
    { why: 'the version', args: ['env', '--version'] },
    { why: 'an option env does not have', args: ['env', '--all'] },
    { why: 'a value missing', args: ['env', '--shell'] },
    { why: 'a stray word', args: ['env', 'bash'] },
    { why: 'a bad shell', args: ['env', '--shell', 'tcsh'] },
    { why: 'stdout is a terminal', args: ['env'], terminal: true },
    { why: '--refresh', args: ['env', '--refresh'] },
    { why: '--no-cache', args: ['env', '--no-cache'] },
    { why: 'a session too short for --min-remaining', args: ['env', '--min-remaining', '700'] },
    { why: 'another profile, not logged in', args: ['env'], env: { ...w.env, AWS_PROFILE: 'nope' } },
    { why: 'a bad setting', args: ['env'], env: { ...w.env, KOPS_MFA_STS_TIMEOUT: '0' } },
    { why: 'no cache folder', args: ['env'], env: { ...w.env, XDG_CACHE_HOME: join(w.home, 'elsewhere') } },
  ];
  for (const d of declines) {
    const fast = cached(w, d.args, d.env ?? w.env, d.terminal);
    assert.equal(fast.out, undefined, d.why);
    assert.deepEqual(fast.notes, [], `${d.why}: nothing said`);
  }
  assert.deepEqual(contents(w.cacheDir), before, 'nothing changed in the cache folder');
});

test('a damaged cache file: the cached env leaves it where it is and declines; the full run sets it aside and says so', async (t) => {
  const w = await loggedIn(t);
  const [file] = readdirSync(w.cacheDir).filter((f) => f.startsWith('kops-') && f.endsWith('.json'));
  assert.ok(file);
  writeFileSync(join(w.cacheDir, file), '{"v":1,', { mode: 0o600 });
  const fast = cached(w, ['env', '--shell', 'bash']);
  assert.equal(fast.out, undefined);
  assert.deepEqual(fast.notes, []);
  assert.equal(readFileSync(join(w.cacheDir, file), 'utf8'), '{"v":1,', 'left as it was');
  const full = await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env });
  assert.equal(full.code, 0, full.stderr);
  assert.match(full.stderr, /ignoring damaged cache file .*; moved aside as /);
});
