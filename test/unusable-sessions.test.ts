// Sessions STS hands out that no shell can use: one that has
// already expired, one with a 200 KB token. Refused with one line, nothing
// printed and nothing cached, so the next run does not trip over them again.
// Through kops-mfa in the test process (exec: the built CLI), the local STS
// server made to answer them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { world } from './support/world.ts';
import { runMain } from './support/run-main.ts';
import { cli, filesIn, lines, sessionFiles } from './support/kops-mfa.ts';

test('a session whose Expiration already passed is refused: a hint at the clock, nothing printed, nothing cached', async (t) => {
  const w = await world(t, { issue: () => ({ expiration: new Date(Date.now() - 10 * 60_000) }) });
  const r = await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env });
  assert.notEqual(r.code, 0, 'refused');
  assert.equal(r.stdout, '');
  const said = lines(r);
  assert.equal(said.length, 1, `one line:\n${r.stderr}`);
  assert.match(said[0]!, /expired/);
  assert.match(said[0]!, /clock/);
  assert.deepEqual(sessionFiles(w.cacheDir), [], `nothing cached: ${filesIn(w.cacheDir).join(', ')}`);
});

test('a 200 KB session token is refused before it is cached: no shell could pass it to a command', async (t) => {
  const w = await world(t, { issue: () => ({ sessionToken: 'IQoJ'.padEnd(200 * 1024, 'x') }) });
  for (const args of [['env', '--shell', 'bash'], ['exec']]) {
    const cmd = [...args, '--token-code', w.code(), ...(args[0] === 'exec' ? ['--', 'true'] : [])];
    const r = await cli(cmd, { env: w.env });
    assert.notEqual(r.code, 0, `${args[0]}: refused`);
    assert.equal(r.stdout, '');
    const said = lines(r);
    assert.equal(said.length, 1, `${args[0]}: one line:\n${r.stderr}`);
    assert.match(said[0]!, /AWS_SESSION_TOKEN/);
    assert.match(said[0]!, /too long|131072|128 KiB/);
    assert.deepEqual(sessionFiles(w.cacheDir), [], `${args[0]}: nothing cached: ${filesIn(w.cacheDir).join(', ')}`);
  }
});
