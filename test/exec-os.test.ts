// exec at the edges of the OS: a session too large for execve
// (E2BIG) and Ctrl-C typed while stdin is a pipe. Through the built CLI and
// the local STS server; the Ctrl-C in a real pseudo-terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tempDir } from './support/helpers.ts';
import { world } from './support/world.ts';
import { spawnPty } from './support/pty.ts';
import { BIN, lines } from './support/kops-mfa.ts';

test('exec that hits E2BIG exits 126 with a line that says so, not "unexpected error"', async (t) => {
  // Each value fits the 128 KiB a single variable may have, but together
  // they pass what execve takes under a 1 MiB stack limit (a quarter: 256 KiB).
  const w = await world(t, {
    issue: () => ({ secretAccessKey: 's'.repeat(128_000), sessionToken: 'IQoJ'.padEnd(128_000, 't'), accessKeyId: 'ASIA'.padEnd(10_000, 'K') }),
  });
  const r = await run('bash', ['-c', 'ulimit -s 1024 && exec "$@"', 'bash', process.execPath, BIN, 'exec', '--no-cache', '--token-code', w.code(), '--', 'true'], {
    env: w.env,
  });
  assert.equal(r.code, 126, r.stderr);
  assert.doesNotMatch(r.stderr, /unexpected error/);
  const last = lines(r).at(-1) ?? '';
  assert.match(last, /^kops-mfa: true: .*too large.*E2BIG/);
});

test('one Ctrl-C reaches the command once when stdin is not a terminal (echo | kops-mfa exec)', async (t) => {
  const w = await world(t);
  const dir = tempDir(t);
  const child = join(dir, 'count-sigint.cjs');
  writeFileSync(
    child,
    `let n = 0;
process.on('SIGINT', () => {
  if (++n === 1) setTimeout(() => { console.log('SIGINTS=' + n); process.exit(0); }, 700);
});
console.log('READY');
setInterval(() => {}, 1000);
`,
  );
  // A script's pipeline: kops-mfa and the command share the terminal's foreground group with the shell.
  const script = 'trap : INT; echo | "$0" "$1" exec --token-code "$2" -- "$0" "$3"; echo "EXIT=$?"';
  const pty = spawnPty(['bash', '-c', script, process.execPath, BIN, w.code(), child], { env: w.env });
  t.after(() => pty.kill('SIGKILL'));
  await pty.waitFor('READY');
  pty.type('\x03');
  await pty.waitFor(/EXIT=\d+/);
  assert.match(pty.output, /SIGINTS=1\b/, `the command saw Ctrl-C more than once:\n${pty.output}`);
  assert.match(pty.output, /EXIT=0/);
});
