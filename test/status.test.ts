// `kops-mfa status`: one profile's sessions with labels in one column, and
// `--all`, every cached role session and MFA session in one table. kops-mfa
// in the test process, the local STS server, a real bash for the shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ok, shellAfter } from './support/helpers.ts';
import { mfaProfile, ROLE_ARN, USER, world, type World } from './support/world.ts';
import { runMain } from './support/run-main.ts';

const PROFILES = [
  mfaProfile('kops', { mfa_session_duration: '3600', kops_state_store: 's3://kops-state', kops_cluster_name: 'k8s.example.com' }),
  mfaProfile('kops-short', { mfa_session_duration: '3600', duration_seconds: '900' }),
  mfaProfile('nomfa', { mfa_serial: 'arn:aws:iam::123456789012:mfa/other' }),
].join('\n');

/** kops logged in with a code (and an MFA session), kops-short renewed from it without one. */
async function twoSessions(w: World): Promise<NodeJS.ProcessEnv> {
  w.writeAws(PROFILES);
  const env: NodeJS.ProcessEnv = { ...w.env };
  delete env.AWS_PROFILE;
  const kops = ok(await runMain(['env', '--shell', 'bash', '--profile', 'kops', '--token-code', w.code()], { env }), 'login kops');
  ok(await runMain(['env', '--shell', 'bash', '--profile', 'kops-short', '--no-prompt'], { env }), 'login kops-short');
  return shellAfter(env, kops.stdout);
}

test('status --all: every role session and the MFA session in an aligned table, this shell marked', async (t) => {
  const w = await world(t);
  const shell = await twoSessions(w);
  const calls = w.server.calls.length;
  const r = ok(await runMain(['status', '--all'], { env: shell }), 'status --all');
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 5, r.stdout);
  assert.match(lines[0]!, /^PROFILE +ROLE +LEFT +SOURCE$/);
  assert.match(lines[1]!, new RegExp(`^kops \\* +${ROLE_ARN} +(5\\d min|1 h 00 min) +${USER.mfaSerial}$`));
  assert.match(lines[2]!, new RegExp(`^kops-short +${ROLE_ARN} +1\\d min +${USER.mfaSerial}$`));
  assert.match(lines[3]!, new RegExp(`^kops,kops-short +MFA session +(5\\d min|1 h 00 min) +${USER.mfaSerial}$`));
  assert.equal(lines[4], '* this shell');
  // Every column starts where the header's does.
  for (const name of ['ROLE', 'LEFT', 'SOURCE']) {
    const at = lines[0]!.indexOf(name);
    for (const row of lines.slice(1, 4)) assert.match(row.slice(at - 2, at + 1), /^  \S$/, `${name} lines up in ${JSON.stringify(row)}`);
  }
  assert.equal(w.server.calls.length, calls, 'status calls nothing');
});

test('status --all --json: the same rows with their labels; the MFA session is labelled by the profiles of its device', async (t) => {
  const w = await world(t);
  const shell = await twoSessions(w);
  const r = ok(await runMain(['status', '--all', '--json'], { env: shell }), 'status --all --json');
  const { sessions } = JSON.parse(r.stdout) as { sessions: Array<Record<string, unknown>> };
  assert.deepEqual(
    sessions.map((s) => [s.kind, s.profile, s.role, s.serialNumber, s.valid, s.thisShell]),
    [
      ['role', 'kops', ROLE_ARN, USER.mfaSerial, true, true],
      ['role', 'kops-short', ROLE_ARN, USER.mfaSerial, true, false],
      ['mfa', 'kops,kops-short', null, USER.mfaSerial, true, false],
    ],
  );
  for (const s of sessions) assert.deepEqual(Object.keys(s).sort(), ['expiration', 'kind', 'profile', 'role', 'secondsLeft', 'serialNumber', 'thisShell', 'valid']);
});

test('status --json --profile kops-short labels the MFA session kops-short, not the profile that bought it', async (t) => {
  const w = await world(t);
  const shell = await twoSessions(w);
  const r = ok(await runMain(['status', '--json', '--profile', 'kops-short'], { env: shell }), 'status');
  const data = JSON.parse(r.stdout) as { mfaSession: { profile: string; arn: string }; cache: { profile: string } };
  assert.equal(data.mfaSession.profile, 'kops-short');
  assert.equal(data.mfaSession.arn, USER.mfaSerial);
  assert.equal(data.cache.profile, 'kops-short');
});

test('status in a logged-in shell: labels in one column, the kops context shown', async (t) => {
  const w = await world(t);
  const shell = await twoSessions(w);
  const r = ok(await runMain(['status'], { env: shell }), 'status');
  const lines = r.stdout.trimEnd().split('\n');
  assert.deepEqual(
    lines.map((l) => l.slice(0, 13)),
    ['this shell:  ', 'cache:       ', 'MFA session: ', 'kops:        '],
  );
  assert.equal(lines[3], 'kops:        state s3://kops-state, cluster k8s.example.com');
  const json = JSON.parse(ok(await runMain(['status', '--json'], { env: shell })).stdout) as { kops: unknown };
  assert.deepEqual(json.kops, { stateStore: 's3://kops-state', clusterName: 'k8s.example.com' });
});

test('status after logout names what is still cached instead of "no session for profile default"', async (t) => {
  const w = await world(t);
  const shell = await twoSessions(w);
  const out = ok(await runMain(['logout', '--shell', 'bash'], { env: shell }), 'logout');
  const after = await shellAfter(shell, out.stdout);
  const r = await runMain(['status'], { env: after });
  assert.equal(r.code, 1, 'no session for the default profile');
  assert.equal(
    r.stdout,
    'this shell: not logged in\ncache:      no profile chosen; cached: 1 role session (kops-short) and an MFA session (kops-mfa status --all)\n',
  );
  assert.doesNotMatch(r.stdout, /profile default/);
  // A profile asked for by name, with nothing of its own cached: said so, and what else is there.
  const named = await runMain(['status', '--profile', 'nomfa'], { env: after });
  assert.match(named.stdout, /^cache: +no session for profile nomfa; cached: 1 other role session \(kops-short\) and an MFA session \(kops-mfa status --all\)$/m);
  const all = ok(await runMain(['status', '--all'], { env: after }));
  assert.match(all.stdout, /^kops-short /m);
  assert.doesNotMatch(all.stdout, /^kops /m, "kops's role session is forgotten");
});

test('status --all with nothing cached says so and exits 1', async (t) => {
  const w = await world(t);
  const r = await runMain(['status', '--all'], { env: w.env });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, 'no cached sessions\n');
  assert.deepEqual(JSON.parse((await runMain(['status', '--all', '--json'], { env: w.env })).stdout), { sessions: [] });
});
