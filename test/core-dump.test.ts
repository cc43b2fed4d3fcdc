// Ctrl-\ (SIGQUIT) dumps core by default, and a core file of kops-mfa holds
// the long-term secret it read. At the prompt, and while it waits for STS,
// kops-mfa exits with 131 (128 + SIGQUIT) and leaves no core file, even
// under `ulimit -c unlimited`. A real terminal from script(1).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { BIN, needTool, posixQuote, tempDir } from './support/helpers.ts';
import { USER, world } from './support/world.ts';
import { spawnPty } from './support/pty.ts';

const PROMPT = `MFA code for ${USER.mfaSerial}:`;
const QUIT = 128 + constants.signals.SIGQUIT;

/** sh in a pty, in `cwd`, cores allowed: runs kops-mfa with stdout captured, then prints its status. */
function quitSession(t: TestContext, env: NodeJS.ProcessEnv, cwd: string, args: string[]) {
  const script = [
    'ulimit -c unlimited || exit 99',
    // Ctrl-\ goes to the whole foreground group: the shell catches it (as an
    // interactive one ignores it) and lives on; kops-mfa starts with the default action.
    "trap ':' QUIT",
    'echo "CORE-LIMIT=$(ulimit -c)"',
    `out=$(${[process.execPath, BIN, ...args].map(posixQuote).join(' ')}); rc=$?`,
    `printf '\\nRC=%s\\n' "$rc"`,
  ].join('\n');
  const p = spawnPty(['sh', '-c', script], { env, cwd });
  t.after(() => p.kill('SIGKILL'));
  return p;
}

function cores(dir: string): string[] {
  return readdirSync(dir).filter((n) => /^core/.test(n));
}

/** Whether core files land in the working folder, where these checks look (else a skip with the reason). */
function coresVisible(t: TestContext): boolean {
  if (!needTool(t, 'script')) return false;
  const pattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
  if (!pattern.startsWith('|') && !pattern.includes('/')) return true;
  t.skip(`core files go to ${pattern}, not the working folder: this check cannot see them`);
  return false;
}

/** Ctrl-\ ends kops-mfa with 131, and no core file appears. */
async function quitLeavesNoCore(p: ReturnType<typeof spawnPty>, cwd: string): Promise<void> {
  p.type('\x1c');
  await p.waitFor(/RC=\d+/);
  assert.equal(/RC=(\d+)/.exec(p.output)?.[1], String(QUIT), p.output);
  assert.deepEqual(cores(cwd), [], 'no core file');
}

test('Ctrl-\\ at the prompt: exit 131 and no core file, under ulimit -c unlimited', async (t) => {
  if (!coresVisible(t)) return;
  const w = await world(t);
  const cwd = tempDir(t);
  const p = quitSession(t, w.env, cwd, ['env', '--shell', 'sh']);
  await p.waitFor('CORE-LIMIT=unlimited');
  await p.waitFor(PROMPT);
  await quitLeavesNoCore(p, cwd);
  assert.equal(w.server.requests, 0);
});

test('SIGQUIT while waiting for STS: exit 131 and no core file', async (t) => {
  if (!coresVisible(t)) return;
  const w = await world(t);
  w.server.faults.hang = true;
  const cwd = tempDir(t);
  const p = quitSession(t, w.env, cwd, ['env', '--shell', 'sh', '--token-code', w.code()]);
  await p.waitFor('CORE-LIMIT=unlimited');
  while (w.server.requests === 0) await new Promise((r) => setTimeout(r, 10));
  await quitLeavesNoCore(p, cwd);
});
