// The MFA prompt on a real terminal: a pseudo-terminal from script(1), with a
// shell in it that captures kops-mfa's stdout with $(…) as a user's
// eval "$(kops-mfa env)" does. The prompt must appear on the terminal (not on
// stdout), keep the code off the screen, and leave the terminal as it found
// it however the prompt ends: Enter, Ctrl-C, Ctrl-D or a signal.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { USER, world, type World } from './fixture.ts';
import { BIN, needTool, runCli } from './helpers.ts';
import { spawnPty, type Pty } from './pty.ts';

const PROMPT = `MFA code for ${USER.mfaSerial}:`;
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * sh in the pty: name the terminal, run kops-mfa with stdout captured, then
 * show its status, what it printed, and the terminal settings after it.
 */
function session(w: World, args: string[] = ['env', '--shell', 'sh']): Pty {
  const script = [
    'echo "TTY=$(tty)"',
    `out=$(${[process.execPath, BIN, ...args].map(q).join(' ')}); rc=$?`,
    `printf '\\nRC=%s\\n' "$rc"`,
    `printf 'OUT<%s>\\n' "$out"`,
    'echo STTY-BEGIN; stty -a; echo STTY-END',
  ].join('\n');
  return spawnPty(['sh', '-c', script], { env: w.env });
}

interface Screen {
  /** The terminal's output with CR LF turned into LF. */
  text: string;
  rc: string | undefined;
  out: string | undefined;
  /** Words of `stty -a` after kops-mfa ended. */
  sttyAfter: string[];
}

async function finish(p: Pty): Promise<Screen> {
  await p.waitFor('STTY-END');
  const exit = await p.exited;
  const text = p.output.replace(/\r\n/g, '\n');
  assert.equal(exit.code, 0, `the shell in the pty failed:\n${text}`);
  const stty = /STTY-BEGIN\n([\s\S]*?)STTY-END/.exec(text)?.[1] ?? '';
  return {
    text,
    rc: /\nRC=(\d+)\n/.exec(text)?.[1],
    out: /OUT<([\s\S]*?)>\nSTTY-BEGIN/.exec(text)?.[1],
    sttyAfter: stty.split(/[\s;]+/).filter(Boolean),
  };
}

/** The pty's device, from the `tty` line the script prints first. */
async function ttyOf(p: Pty): Promise<string> {
  await p.waitFor(/TTY=\/dev\/\S+\r?\n/);
  return /TTY=(\/dev\/\S+?)\r?\n/.exec(p.output)![1]!;
}

/** Terminal settings of the pty, read from outside while kops-mfa holds it. */
function sttyOf(device: string): string[] {
  const r = spawnSync('stty', ['-a', '-F', device], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split(/[\s;]+/).filter(Boolean);
}

function assertEchoOn(words: string[], where: string): void {
  assert.ok(words.includes('echo') && !words.includes('-echo'), `${where}: echo should be on; stty -a said: ${words.join(' ')}`);
  assert.ok(words.includes('icanon') && !words.includes('-icanon'), `${where}: canonical mode should be on`);
}

function needPty(t: TestContext): boolean {
  return needTool(t, 'script') && needTool(t, 'stty');
}

/** The pid of the kops-mfa of this world (its HOME is unique), found in /proc. */
function kopsMfaPid(w: World): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv[1] !== BIN) continue;
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (env.includes(`HOME=${w.home}`)) return Number(name);
    } catch {
      // gone, or not ours
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------

test('the prompt is on the terminal and names the device; the code is not echoed; stdout gets the statements', async (t) => {
  if (!needPty(t)) return;
  const w = await world(t);
  const p = session(w);
  const device = await ttyOf(p);
  await p.waitFor(PROMPT);
  const during = sttyOf(device);
  assert.ok(during.includes('-echo'), `echo must be off while asking; stty -a said: ${during.join(' ')}`);
  const code = w.code();
  const typedAt = p.output.length;
  p.type(`${code}\r`);
  const s = await finish(p);

  assert.equal(s.rc, '0', s.text);
  const issued = w.server.issued[0];
  assert.ok(issued, 'STS issued a session');
  assert.equal(w.server.calls[0]?.params.TokenCode, code, 'the typed code reached STS');
  // What the terminal showed from the moment the code was typed until the statements were printed.
  const afterTyping = p.output.slice(typedAt).replace(/\r\n/g, '\n');
  const shown = afterTyping.slice(0, afterTyping.indexOf('OUT<'));
  assert.equal(shown.includes(code), false, `the code was echoed: ${JSON.stringify(shown)}`);
  assert.match(shown, /kops-mfa: new session for /, 'the note is on the terminal (stderr)');
  // stdout, as $(…) captured it: the statements and nothing else.
  assert.ok(s.out !== undefined, s.text);
  assert.match(s.out, new RegExp(`^export AWS_ACCESS_KEY_ID='${issued.accessKeyId}'\n`));
  assert.ok(s.out.includes(`export AWS_SESSION_TOKEN='${issued.sessionToken}'\n`), 'the session token');
  assert.ok(s.out.includes(`export AWS_SECRET_ACCESS_KEY='${issued.secretAccessKey}'\n`), 'the secret key');
  assert.doesNotMatch(s.out, /MFA code|kops-mfa:/, 'neither the prompt nor a note is on stdout');
  assert.match(s.out, /\nunset AWS_PROFILE$/);
  assertEchoOn(s.sttyAfter, 'after the login');
});

test('a mistyped code is asked for again, without an STS call', async (t) => {
  if (!needPty(t)) return;
  const w = await world(t);
  const p = session(w);
  await p.waitFor(PROMPT);
  const from = p.output.length;
  p.type('12ab\r');
  await p.waitFor('6 digits', { from });
  await p.waitFor(PROMPT, { from });
  assert.equal(w.server.requests, 0);
  p.type(`${w.code()}\r`);
  const s = await finish(p);
  assert.equal(s.rc, '0', s.text);
  assert.equal(w.server.requests, 1);
});

test('Ctrl-C at the prompt: exit 130, nothing on stdout, echo back on', async (t) => {
  if (!needPty(t)) return;
  const w = await world(t);
  const p = session(w);
  await p.waitFor(PROMPT);
  p.type('12\x03');
  const s = await finish(p);
  assert.equal(s.rc, '130', s.text);
  assert.equal(s.out, '', 'stdout must be empty');
  assert.doesNotMatch(s.text, /^\s+at /m, 'no stack trace');
  assertEchoOn(s.sttyAfter, 'after Ctrl-C');
  assert.equal(w.server.requests, 0, 'no STS call');
});

test('Ctrl-D at the prompt: "no code entered" at once, exit 6, echo back on', async (t) => {
  if (!needPty(t)) return;
  const w = await world(t);
  const p = session(w);
  await p.waitFor(PROMPT);
  const t0 = performance.now();
  p.type('\x04');
  await p.waitFor('RC=', { timeoutMs: 5_000 });
  const ms = performance.now() - t0;
  const s = await finish(p);
  assert.equal(s.rc, '6', s.text);
  assert.match(s.text, /kops-mfa: no code entered/);
  assert.equal(s.out, '');
  assert.doesNotMatch(s.text, /^\s+at /m, 'no stack trace');
  assertEchoOn(s.sttyAfter, 'after Ctrl-D');
  assert.ok(ms < 3_000, `took ${Math.round(ms)} ms to give up`);
});

// Node resets a terminal that libuv made raw when SIGINT or SIGTERM kills it;
// for SIGHUP only prompt.ts's own handler does (without it this test sees -echo).
for (const [signal, status] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  test(`${signal} to kops-mfa while it prompts: it dies of ${signal} and the terminal has echo back`, async (t) => {
    if (!needPty(t)) return;
    const w = await world(t);
    const p = session(w);
    const device = await ttyOf(p);
    await p.waitFor(PROMPT);
    assert.ok(sttyOf(device).includes('-echo'), 'echo is off while asking');
    const pid = kopsMfaPid(w);
    assert.ok(pid, 'kops-mfa is running');
    process.kill(pid, signal);
    const s = await finish(p);
    assert.equal(s.rc, String(status), `status ${status} (killed by ${signal}):\n${s.text}`);
    assert.equal(s.out, '');
    assert.doesNotMatch(s.text, /^\s+at /m, 'no stack trace');
    assertEchoOn(s.sttyAfter, `after ${signal}`);
  });
}

test('no terminal and no code: fails at once naming --token-code, exit 6, empty stdout', async (t) => {
  const w = await world(t);
  // runCli starts kops-mfa detached: a new session with no controlling
  // terminal, stdin and stderr pipes. A code on stdin must not be read.
  const t0 = performance.now();
  const r = await runCli(['env'], { env: w.env, input: `${w.code()}\n` });
  const ms = performance.now() - t0;
  assert.equal(r.code, 6, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^kops-mfa: [^\n]*--token-code[^\n]*\n$/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.equal(w.server.requests, 0);
  assert.ok(ms < 3_000, `took ${Math.round(ms)} ms`);
});
