// An MFA code goes to AWS once. A call that carries one is never retried:
// when its answer is lost (held at the STS server's gate past the attempt's time),
// AWS has already taken the code, so kops-mfa says the code may have been
// used and remembers it as spent, from before the call went out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { world } from './support/world.ts';
import { spawn } from 'node:child_process';
import { BIN, failsCleanly, ok } from './support/helpers.ts';
import { runMain } from './support/run-main.ts';

const spentRecords = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('used-codes-')) : []);

test('an answer lost after AWS took the code: one attempt, "the code may have been used", and the code is spent', async (t) => {
  const w = await world(t);
  const code = w.code();
  const gate = w.server.hold('answer');
  const env = { ...w.env, KOPS_MFA_STS_TIMEOUT: '0.5' };
  const running = runMain(['env', '--shell', 'bash', '--token-code', code], { env });
  // The server took the code and holds its answer: the code is on record as spent already.
  await gate.arrived();
  assert.equal(spentRecords(w.cacheDir).length, 1, 'the code was remembered before it was sent');
  const r = await running;
  failsCleanly(r, 5, /no answer from STS .* within 0\.5 s; the code may have been used: wait for the next one/);
  gate.release();
  const withCode = w.server.calls.filter((c) => c.tokenCode);
  assert.equal(withCode.length, 1, `the code went out once (${w.server.calls.length} calls)`);
  assert.equal(w.server.issued.length, 1, 'AWS did issue a session for it');

  // The same code again: refused here, before AWS sees it.
  const again = await runMain(['env', '--shell', 'bash', '--token-code', code], { env: w.env });
  failsCleanly(again, 4, /this code was just used; wait for the next one/);
  assert.equal(w.server.calls.length, 1, 'no second call with that code');
  // The next code works.
  ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env }));
});

test('a code AWS answered is spent too; a failure before the coded call (a role hop refused) leaves the code unspent', async (t) => {
  const w = await world(t);
  const code = w.code();
  ok(await runMain(['env', '--shell', 'bash', '--token-code', code], { env: w.env }));
  failsCleanly(await runMain(['env', '--shell', 'bash', '--refresh', '--token-code', code], { env: w.env }), 4, /just used/);

  // A source_profile hop that AWS refuses: the code never left, so it stays usable.
  const hop = 'arn:aws:iam::123456789012:role/hop';
  w.server.addRole({ arn: hop, requireMfa: false, trust: ['arn:aws:iam::123456789012:user/bob'] });
  const config = `[profile hop]\nrole_arn = ${hop}\nsource_profile = alice\n\n[profile kops]\nrole_arn = arn:aws:iam::123456789012:role/kops-state\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nsource_profile = hop\n`;
  w.writeAws(config);
  const fresh = w.code();
  failsCleanly(await runMain(['env', '--shell', 'bash', '--token-code', fresh], { env: w.env }), 4, /role\/hop/);
  assert.equal(w.server.calls.filter((c) => c.tokenCode).length, 1, 'only the first login sent a code');
  w.server.addRole({ arn: hop, requireMfa: false });
  const r = ok(await runMain(['env', '--shell', 'bash', '--token-code', fresh], { env: w.env }));
  assert.match(r.stderr, /kops-state session until /);
});

test('SIGTERM while the code is out at STS: the answer is still saved before kops-mfa ends', async (t) => {
  const w = await world(t);
  const gate = w.server.hold('answer');
  const child = spawn(process.execPath, [BIN, 'env', '--shell', 'bash', '--token-code', w.code()], { env: w.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  t.after(() => child.kill('SIGKILL'));
  await gate.arrived();
  child.kill('SIGTERM');
  gate.release();
  const end = await ended;
  // Usually it dies of the signal once the session is saved. When the OS hands the signal to
  // one of node's threads late, the run may finish first: then it ends as a login does.
  const finished = end.code === 0 && /AWS_SESSION_TOKEN/.test(stdout);
  assert.ok(end.signal === 'SIGTERM' || finished, `ended with ${end.code ?? end.signal}: ${stderr}`);
  // Either way the session AWS issued for the spent code is in the cache.
  const r = ok(await runMain(['env', '--shell', 'bash', '--no-prompt'], { env: w.env }));
  assert.match(r.stderr, /, from the cache/);
  assert.match(r.stdout, new RegExp(`AWS_ACCESS_KEY_ID='${w.server.issued[0]!.accessKeyId}'`));
});
