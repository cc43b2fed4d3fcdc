// The MFA prompt on a real terminal: a pseudo-terminal from script(1), with a
// shell in it that captures kops-mfa's stdout with $(…) as a user's
// eval "$(kops-mfa env)" does. The prompt must appear on the terminal (not on
// stdout), keep the code off the screen, and leave the terminal as it found
// it however the prompt ends: Enter, Ctrl-C, Ctrl-D or a signal.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test, type TestContext } from 'node:test';
import { currentTerminalPlatform, terminalPlatform } from '../src/session/tty.ts';
import { HEADER } from '../src/shell/render/validate.ts';
import { GUARD } from '../src/shell/render/posix.ts';
import { USER, world, type World } from './support/world.ts';
import { BIN, needTool, posixQuote, ROOT, runCli, tempDir } from './support/helpers.ts';
import { spawnPty, type Pty } from './support/pty.ts';

const PROMPT = `MFA code for ${USER.mfaSerial}:`;

/**
 * sh in the pty: name the terminal, run kops-mfa with stdout captured, then
 * show its status, what it printed, what the terminal still held for the next
 * reader (with `readNext`), and the terminal settings after it.
 */
function session(t: TestContext, w: World, args: string[] = ['env', '--shell', 'sh'], opts: { readNext?: boolean } = {}): Pty {
  const script = [
    'ulimit -c 0', // the signals that dump core by default must not leave core files
    'echo "TTY=$(tty)"',
    `out=$(${[process.execPath, BIN, ...args].map(posixQuote).join(' ')}); rc=$?`,
    `printf '\\nRC=%s\\n' "$rc"`,
    `printf 'OUT<%s>\\n' "$out"`,
    ...(opts.readNext ? [`IFS= read -r next; printf 'NEXT<%s>\\n' "$next"`] : []),
    'echo STTY-BEGIN; stty -a; echo STTY-END',
  ].join('\n');
  const p = spawnPty(['sh', '-c', script], { env: w.env });
  t.after(() => stop(w, p));
  return p;
}

/** A failed test leaves no kops-mfa prompting and no terminal behind. */
function stop(w: World, p: Pty): void {
  const pid = kopsMfaPid(w);
  if (pid) process.kill(pid, 'SIGKILL');
  p.kill('SIGKILL');
}

interface Screen {
  /** The terminal's output with CR LF turned into LF. */
  text: string;
  rc: string | undefined;
  out: string | undefined;
  /** The line the shell read after kops-mfa (session with readNext). */
  next: string | undefined;
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
    out: /OUT<([\s\S]*?)>\n(?:NEXT<|STTY-BEGIN)/.exec(text)?.[1],
    next: /NEXT<(.*)>\n/.exec(text)?.[1],
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

/** A literal string as a regular expression. */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------

test('the prompt is on the terminal and names the device; the code is not echoed; stdout gets the statements', async (t) => {
  if (!needPty(t)) return;
  const w = await world(t);
  const p = session(t, w);
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
  assert.match(shown, /kops-mfa: \S+ session until /, 'the note is on the terminal (stderr)');
  // stdout, as $(…) captured it: the statements and nothing else.
  assert.ok(s.out !== undefined, s.text);
  assert.match(s.out, new RegExp(`^${HEADER}\n${escape(GUARD)}\nexport AWS_ACCESS_KEY_ID='${issued.accessKeyId}'\n`));
  assert.ok(s.out.includes(`export AWS_SESSION_TOKEN='${issued.sessionToken}'\n`), 'the session token');
  assert.ok(s.out.includes(`export AWS_SECRET_ACCESS_KEY='${issued.secretAccessKey}'\n`), 'the secret key');
  assert.doesNotMatch(s.out, /MFA code|kops-mfa:/, 'neither the prompt nor a note is on stdout');
  assert.match(s.out, /\nunset AWS_PROFILE$/);
  assertEchoOn(s.sttyAfter, 'after the login');
});

test('a mistyped code is asked for again, without an STS call', async (t) => {
  if (!needPty(t)) return;
  const w = await world(t);
  const p = session(t, w);
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

test('Ctrl-C at the prompt: exit 130, the shell is not interrupted, the line typed after stays, echo back on', async (t) => {
  if (!needPty(t)) return;
  const w = await world(t);
  const p = session(t, w, undefined, { readNext: true });
  await p.waitFor(PROMPT);
  // The next command typed right after Ctrl-C, in the same write.
  p.type('12\x03echo AFTER-$((6*7))\r');
  const s = await finish(p);
  // sh runs kops-mfa in $(…): had Ctrl-C been a SIGINT to the foreground group, sh would have died with it.
  assert.equal(s.rc, '130', s.text);
  assert.equal(s.out, '', 'stdout must be empty');
  assert.equal(s.next, 'echo AFTER-$((6*7))', 'the line typed after Ctrl-C is left for the next reader');
  assert.doesNotMatch(s.text, /^\s+at /m, 'no stack trace');
  assertEchoOn(s.sttyAfter, 'after Ctrl-C');
  assert.ok(s.sttyAfter.includes('intr') && s.sttyAfter[s.sttyAfter.indexOf('intr') + 2] === '^C', `intr is ^C again: ${s.sttyAfter.join(' ')}`);
  assert.equal(w.server.requests, 0, 'no STS call');
});

test('Ctrl-D at the prompt: "no code entered" at once, exit 6, the line typed after stays, echo back on', async (t) => {
  if (!needPty(t)) return;
  const w = await world(t);
  const p = session(t, w, undefined, { readNext: true });
  await p.waitFor(PROMPT);
  p.type('\x04echo AFTER-EOF\r');
  await p.waitFor('RC=', { timeoutMs: 5_000 });
  const s = await finish(p);
  assert.equal(s.rc, '6', s.text);
  assert.match(s.text, /kops-mfa: no code entered \(end of input at the MFA prompt\)/);
  assert.equal(s.out, '');
  assert.equal(s.next, 'echo AFTER-EOF', 'the line typed after Ctrl-D is left for the next reader');
  assert.doesNotMatch(s.text, /^\s+at /m, 'no stack trace');
  assertEchoOn(s.sttyAfter, 'after Ctrl-D');
});

// Every signal that ends a process by default and can be caught: kops-mfa
// restores the terminal, then dies by that very signal (sh shows 128+n).
// Node itself resets a raw terminal only when SIGINT or SIGTERM kill it;
// SIGPIPE and SIGXFSZ it ignores, so without a listener they would leave it
// prompting. SIGUSR1 has its own test below.
describe('fatal signals at the prompt', { concurrency: 4 }, () => {
  for (const signal of currentTerminalPlatform().fatalSignals) {
    const status = 128 + (constants.signals[signal] ?? 0);
    test(`${signal} to kops-mfa while it prompts: it dies of ${signal} (${status}) and the terminal has echo and icanon back`, async (t) => {
      if (!needPty(t)) return;
      const w = await world(t);
      const p = session(t, w);
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
});

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

test('SIGUSR1 at the prompt: no inspector on 127.0.0.1:9229; kops-mfa dies of SIGUSR1 with the terminal restored', async (t) => {
  if (!needPty(t)) return;
  const w = await world(t);
  const before = await listening(9229);
  const p = session(t, w);
  await p.waitFor(PROMPT);
  const pid = kopsMfaPid(w);
  assert.ok(pid, 'kops-mfa is running');
  process.kill(pid, 'SIGUSR1');
  await p.waitFor(/RC=|Debugger listening|Starting inspector/, { timeoutMs: 5_000 });
  assert.doesNotMatch(p.output, /Debugger listening|Starting inspector/, 'Node started its inspector');
  if (!before) assert.equal(await listening(9229), false, 'something listens on 127.0.0.1:9229 now');
  const s = await finish(p);
  assert.equal(s.rc, String(128 + constants.signals.SIGUSR1), s.text);
  assertEchoOn(s.sttyAfter, 'after SIGUSR1');
});

test('SIGUSR1 with no prompt open (waiting for STS): no inspector; kops-mfa dies of SIGUSR1', async (t) => {
  const w = await world(t);
  w.server.faults.hang = true;
  const running = runCli(['env', '--token-code', w.code()], { env: w.env, timeoutMs: 8_000 });
  while (w.server.requests === 0) await new Promise((r) => setTimeout(r, 10));
  const pid = kopsMfaPid(w);
  assert.ok(pid, 'kops-mfa is running');
  process.kill(pid, 'SIGUSR1');
  const r = await running;
  assert.doesNotMatch(r.stderr, /Debugger listening|Starting inspector/);
  assert.equal(r.signal, 'SIGUSR1', `kops-mfa should die of SIGUSR1; it ended with ${r.code ?? r.signal}: ${r.stderr}`);
  assert.equal(r.stdout, '');
});

test('SIGUSR1 during exec still goes to the command (the start-up listener leaves it to exec)', async (t) => {
  const w = await world(t);
  const dir = tempDir(t);
  const ready = join(dir, 'ready');
  const running = runCli(
    ['exec', '--token-code', w.code(), '--', 'sh', '-c', 'trap "exit 7" USR1; : > "$1"; while :; do sleep 0.02; done', 'sh', ready],
    { env: w.env, timeoutMs: 10_000 },
  );
  while (!existsSync(ready)) await new Promise((r) => setTimeout(r, 10));
  const pid = kopsMfaPid(w);
  assert.ok(pid, 'kops-mfa is running');
  process.kill(pid, 'SIGUSR1');
  const r = await running;
  assert.equal(r.code, 7, `the command's trap ran and its status came back: ${r.code ?? r.signal} ${r.stderr}`);
});

test('no terminal and no code: fails at once naming --token-code, exit 6, empty stdout', async (t) => {
  const w = await world(t);
  // runCli starts kops-mfa detached: a new session with no controlling
  // terminal, stdin and stderr pipes. A code on stdin must not be read.
  const r = await runCli(['env'], { env: w.env, input: `${w.code()}\n` });
  assert.equal(r.code, 6, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^kops-mfa: [^\n]*--token-code[^\n]*\n$/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.equal(w.server.requests, 0);
});

// ---------------------------------------------------------------------------
// In an interactive bash, as a person types.

const PS1 = 'PS1-READY> ';

interface Bash {
  pty: Pty;
  device: string;
  /** Type a command line and wait until bash printed `done` after it and is back at its prompt. */
  run(line: string, done: RegExp): Promise<RegExpExecArray>;
}

async function interactiveBash(t: TestContext, w: World): Promise<Bash | undefined> {
  if (!needPty(t) || !needTool(t, 'bash')) return undefined;
  const pty = spawnPty(['bash', '--norc', '--noprofile', '-i'], { env: { ...w.env, PS1 } });
  t.after(() => stop(w, pty));
  await pty.waitFor(PS1);
  const run = async (line: string, done: RegExp) => {
    const from = pty.output.length;
    pty.type(`${line}\r`);
    await pty.waitFor(new RegExp(`${done.source}[\\s\\S]*${PS1}$`, 'm'), { from });
    return done.exec(pty.output.slice(from).replace(/\r\n/g, '\n'))!;
  };
  const device = (await run('echo "TTY=$(tty)"', /^TTY=(\/dev\/\S+)$/m))[1]!;
  return { pty, device, run };
}

const kopsMfa = (...args: string[]) => [process.execPath, BIN, ...args].map(posixQuote).join(' ');

test('typed ahead: the command typed after the code and its Enter runs in the shell; the code is never shown', async (t) => {
  const w = await world(t);
  const sh = await interactiveBash(t, w);
  if (!sh) return;
  const from = sh.pty.output.length;
  sh.pty.type(`out=$(${kopsMfa('env', '--shell', 'bash')}); echo "RC=$?"\r`);
  await sh.pty.waitFor(PROMPT, { from });
  const code = w.code();
  const typedAt = sh.pty.output.length;
  // One write, as a fast typist or a script would: the code, Enter, the next command, Enter.
  sh.pty.type(`${code}\recho TYPEAHEAD-$((6*7))\r`);
  await sh.pty.waitFor(/RC=\d+/, { from: typedAt });
  // A last command, so the test knows when the shell has read all there was.
  await sh.run('echo END-$((1+1))', /^END-2$/m);
  const screen = sh.pty.output.slice(typedAt).replace(/\r\n/g, '\n');
  assert.match(screen, /^RC=0$/m, screen);
  assert.equal(w.server.calls[0]?.params.TokenCode, code, 'the code reached STS');
  assert.match(screen, /^TYPEAHEAD-42$/m, `the shell did not run the command typed ahead; the terminal showed:\n${screen}`);
  assert.ok(screen.indexOf('TYPEAHEAD-42') < screen.indexOf('END-2'), 'in the order typed');
  assert.equal(screen.includes(code), false, `the code was shown: ${JSON.stringify(screen)}`);
});

test('Ctrl-Z at the prompt, then fg: echo is off again and the prompt is shown again; the code typed after fg is not shown', async (t) => {
  const w = await world(t);
  const sh = await interactiveBash(t, w);
  if (!sh) return;
  const out = join(tempDir(t), 'statements');
  let from = sh.pty.output.length;
  sh.pty.type(`${kopsMfa('env', '--shell', 'bash')} > ${posixQuote(out)}\r`);
  await sh.pty.waitFor(PROMPT, { from });
  assert.ok(sttyOf(sh.device).includes('-echo'), 'echo is off while asking');
  from = sh.pty.output.length;
  sh.pty.type('\x1a');
  await sh.pty.waitFor(new RegExp(`Stopped[\\s\\S]*${PS1}$`), { from });
  from = sh.pty.output.length;
  sh.pty.type('fg\r');
  await sh.pty.waitFor(PROMPT, { from });
  const during = sttyOf(sh.device);
  assert.ok(during.includes('-echo'), `echo must be off again after fg; stty -a said: ${during.join(' ')}`);
  const code = w.code();
  const typedAt = sh.pty.output.length;
  sh.pty.type(`${code}\r`);
  await sh.pty.waitFor(new RegExp(`${PS1}$`), { from: typedAt });
  const shown = sh.pty.output.slice(typedAt);
  assert.equal(shown.includes(code), false, `the code was shown after fg: ${JSON.stringify(shown)}`);
  const rc = await sh.run('echo "RC=$?"', /^RC=(\d+)$/m);
  assert.equal(rc[1], '0', 'the login after fg succeeded');
  assert.match(readFileSync(out, 'utf8'), new RegExp(`^${HEADER}\n${escape(GUARD)}\nexport AWS_ACCESS_KEY_ID=`));
  const stty = await sh.run('echo "STTY=$(stty -a | tr "\\n" " ")"', /^STTY=(.*)$/m);
  assertEchoOn(stty[1]!.split(/[\s;]+/), 'in the shell after the login');
});

// ---------------------------------------------------------------------------
// The platform, injected: the prompt module itself, run in a real terminal
// with the POSIX or the Windows platform.

const DRIVER = `
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
const { createPrompt } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src', 'session', 'prompt.ts')).href)});
const { terminalPlatform } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src', 'session', 'tty.ts')).href)});
const [os, message, result] = process.argv.slice(1);
// Once the test saw the prompt, it sends SIGWINCH: then say which signals are
// listened to (but SIGWINCH, Node's own for a terminal on stdout or stderr),
// and how many descriptors are open on /dev/tty.
process.on('SIGWINCH', () => {
  const devTty = readdirSync('/proc/self/fd').filter((fd) => {
    try { return readlinkSync('/proc/self/fd/' + fd) === '/dev/tty'; } catch { return false; }
  });
  const signals = process.eventNames().filter((n) => typeof n === 'string' && n.startsWith('SIG') && n !== 'SIGWINCH').sort();
  writeFileSync(result + '.during', JSON.stringify({ signals, devTtyFds: devTty.length }));
});
writeFileSync(result + '.pid', String(process.pid));
const asking = createPrompt(terminalPlatform(os))(message);
try {
  writeFileSync(result, JSON.stringify({ answer: await asking }));
  process.exit(0);
} catch (e) {
  writeFileSync(result, JSON.stringify({ error: e.message, exitCode: e.exitCode }));
  process.exit(1);
}
`;

interface Driven {
  pty: Pty;
  during: { signals: string[]; devTtyFds: number };
  end(): Promise<{ answer?: string; error?: string; exitCode?: number }>;
}

async function drivePrompt(t: TestContext, os: NodeJS.Platform, message: string): Promise<Driven> {
  const result = join(tempDir(t), 'result');
  const pty = spawnPty([process.execPath, '--import', 'tsx', '--input-type=module', '-e', DRIVER, os, message, result], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' },
    cwd: ROOT,
  });
  t.after(() => pty.kill('SIGKILL'));
  await pty.waitFor('code for');
  process.kill(Number(readFileSync(`${result}.pid`, 'utf8')), 'SIGWINCH');
  while (!existsSync(`${result}.during`)) await new Promise((r) => setTimeout(r, 10));
  return {
    pty,
    during: JSON.parse(readFileSync(`${result}.during`, 'utf8')),
    async end() {
      await pty.exited;
      return JSON.parse(readFileSync(result, 'utf8'));
    },
  };
}

const HOSTILE = 'MFA code for arn:aws:iam::123456789012:mfa/\x1b[2J\x1b]0;pwned\x07x\u009b1m\r\nkops-mfa: forged:';

test('injected Windows platform: the console through stdin and stderr (no /dev/tty), only the signals Windows has; Ctrl-C cancels, Ctrl-Z ends the input', async (t) => {
  if (!needPty(t)) return;
  const a = await drivePrompt(t, 'win32', HOSTILE);
  assert.equal(a.during.devTtyFds, 0, '/dev/tty is not opened');
  assert.deepEqual(a.during.signals, ['SIGBREAK', 'SIGHUP', 'SIGINT']);
  const typedAt = a.pty.output.length;
  a.pty.type('123456\r');
  assert.deepEqual(await a.end(), { answer: '123456' });
  assert.equal(a.pty.output.slice(typedAt).includes('123456'), false, 'the code was echoed');
  assert.ok(a.pty.output.includes('mfa/[2J]0;pwnedx1mkops-mfa: forged:'), JSON.stringify(a.pty.output));
  assert.doesNotMatch(a.pty.output, /[\x07\x1b\u009b]/, 'no escape sequence from the message reached the terminal');

  const c = await drivePrompt(t, 'win32', 'MFA code for x:');
  c.pty.type('12\x03');
  assert.deepEqual(await c.end(), { error: 'cancelled', exitCode: 130 });

  const z = await drivePrompt(t, 'win32', 'MFA code for x:');
  z.pty.type('\x1a');
  assert.deepEqual(await z.end(), { error: 'no code entered (end of input at the MFA prompt)', exitCode: 6 });
});

test('injected POSIX platform, the same driver: /dev/tty opened, job control and the fatal signals listened to; the message shown printable', async (t) => {
  if (!needPty(t) || process.platform === 'win32') return;
  const a = await drivePrompt(t, process.platform, HOSTILE);
  // The control for the Windows test above: the descriptor count does see /dev/tty.
  assert.equal(a.during.devTtyFds, 2, '/dev/tty opened for reading and for writing');
  const platform = terminalPlatform(process.platform);
  assert.deepEqual(
    a.during.signals,
    [...new Set(['SIGINT', 'SIGTSTP', 'SIGCONT', ...platform.fatalSignals])].sort(),
  );
  a.pty.type('654321\r');
  assert.deepEqual(await a.end(), { answer: '654321' });
  assert.ok(a.pty.output.includes('mfa/[2J]0;pwnedx1mkops-mfa: forged:'), JSON.stringify(a.pty.output));
  assert.doesNotMatch(a.pty.output, /[\x07\x1b\u009b]/, 'no escape sequence from the message reached the terminal');
});

test('terminal platform: what differs on Windows', () => {
  const win = terminalPlatform('win32');
  assert.equal(win.openTerminal(), undefined, 'Windows has no /dev/tty');
  assert.equal(win.jobControl, undefined, 'no Ctrl-Z job control');
  assert.deepEqual([...win.fatalSignals].sort(), ['SIGBREAK', 'SIGHUP'], 'only signals Windows delivers (others throw ENOSYS)');
  assert.deepEqual(win.ignoredByNode, []);
  assert.ok(win.endOfInputKeys.includes('\x1a'), "Ctrl-Z is Windows' end of input");
  for (const os of ['linux', 'darwin', 'freebsd'] as const) {
    const p = terminalPlatform(os);
    assert.deepEqual(p.jobControl, { stop: 'SIGTSTP', resume: 'SIGCONT' }, os);
    assert.ok(p.fatalSignals.includes('SIGQUIT') && p.fatalSignals.includes('SIGUSR1') && !p.fatalSignals.includes('SIGINT'), os);
    assert.deepEqual(p.endOfInputKeys, ['\x04'], os);
  }
});

test('platform: on Linux every signal is accounted for: listened to as fatal, or one the prompt must leave alone', { skip: process.platform !== 'linux' }, () => {
  const fatal = new Set<string>(terminalPlatform('linux').fatalSignals);
  const leftAlone = new Set([
    'SIGINT', // cancels the prompt
    'SIGKILL', 'SIGSTOP', // cannot be caught
    'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', // synchronous faults
    'SIGCHLD', 'SIGCONT', 'SIGURG', 'SIGWINCH', // ignored or continue by default
    'SIGTSTP', 'SIGTTIN', 'SIGTTOU', // stops: SIGTSTP has its own handler
    'SIGIOT', 'SIGPOLL', // aliases of SIGABRT and SIGIO
  ]);
  for (const name of Object.keys(constants.signals)) {
    assert.ok(fatal.has(name) !== leftAlone.has(name), `${name} must be either fatal-listed or left alone, not both or neither`);
  }
  const numbers = [...fatal].map((s) => constants.signals[s as NodeJS.Signals]);
  assert.equal(new Set(numbers).size, numbers.length, 'one listener per signal number');
});
