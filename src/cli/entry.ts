// The bin entry: build the context, run main, exit with its code. Bundled as
// CommonJS (dist/cli.cjs): node starts it without its ES module loader, which
// costs about 25 ms at every start; the SDK bundle is an ES module loaded later.
import { fstatSync, statSync, writeSync } from 'node:fs';
import { main } from './main.js';
import { currentTerminalPlatform, exitWithoutCore } from '../session/tty.js';
import { terminalPrompt } from '../session/prompt.js';

// SIGUSR1 would make Node open its inspector on 127.0.0.1:9229, where any
// local process could run code as this user; a listener takes that trigger
// away. Alone, it ends the process as the default action would. With another
// listener it leaves the signal to that one: an open prompt restores the
// terminal and then dies by it; exec passes it on to its command.
const platform = currentTerminalPlatform();
if (platform.fatalSignals.includes('SIGUSR1')) {
  process.on('SIGUSR1', () => {
    if (process.listenerCount('SIGUSR1') === 1) platform.dieBy('SIGUSR1');
  });
}
// No core dump (it would hold the secrets): Ctrl-\ ends the run with 131.
exitWithoutCore(platform);

// The user's environment, as given: what exec hands to its child.
const env = { ...process.env };
// The AWS SDK prints a NodeVersionSupportWarning on Node 20 unless told not
// to; stderr belongs to kops-mfa's own messages. Set for this process only.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const argv = process.argv;
const dashes = argv.indexOf('--');
const debugOn = argv.slice(2, dashes === -1 ? undefined : dashes).includes('--debug') || !!env.KOPS_MFA_DEBUG;

/**
 * Write all of `text` to a file descriptor. Straight to the descriptor, not
 * through process.stdout/stderr: creating those streams loads node:net and
 * node:stream, a few milliseconds of every start. A pipe left non-blocking
 * by someone else answers EAGAIN: wait a moment and go on.
 */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(fd, bytes, done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

const say = (message: string) => {
  try {
    writeAll(2, `kops-mfa: ${message}\n`);
  } catch {
    // stderr is gone: nothing left to tell
  }
};

/** The one write of the output; a failure (a full disk, a closed pipe) rejects with its errno. */
const stdout = async (text: string) => writeAll(1, text);

/**
 * A pipe or a file answers from one fstat, /dev/null from one stat more;
 * node:tty (which loads node:net) is asked only about another character
 * device.
 */
function stdoutIsTerminal(): boolean {
  try {
    const out = fstatSync(1);
    if (!out.isCharacterDevice()) return false;
    if (process.platform !== 'win32' && out.rdev === statSync('/dev/null').rdev) return false;
    return process.getBuiltinModule('node:tty').isatty(1);
  } catch {
    return false;
  }
}

void main(argv, {
  env,
  now: () => new Date(),
  prompt: terminalPrompt,
  note: say,
  debug: debugOn ? (m) => say(`debug: ${m}`) : () => {},
  stdout,
  stdoutIsTerminal,
}).then((code) => process.exit(code));
