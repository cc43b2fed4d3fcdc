// The bin entry: build the context, run main, exit with its code. Bundled as
// CommonJS (dist/cli.cjs): node starts it without its ES module loader, which
// costs about 25 ms at every start; the SDK bundle is an ES module loaded later.
import { main } from './main.js';
import { currentPlatform } from './platform.js';
import { terminalPrompt } from './prompt.js';

// SIGUSR1 would make Node open its inspector on 127.0.0.1:9229, where any
// local process could run code as this user; a listener takes that trigger
// away. Alone, it ends the process as the default action would. With another
// listener it leaves the signal to that one: an open prompt restores the
// terminal and then dies by it; exec passes it on to its command.
const platform = currentPlatform();
if (platform.fatalSignals.includes('SIGUSR1')) {
  process.on('SIGUSR1', () => {
    if (process.listenerCount('SIGUSR1') === 1) platform.dieBy('SIGUSR1');
  });
}

// The user's environment, as given: what exec hands to its child.
const env = { ...process.env };
// The AWS SDK prints a NodeVersionSupportWarning on Node 20 unless told not
// to; stderr belongs to kops-mfa's own messages. Set for this process only.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const argv = process.argv;
const dashes = argv.indexOf('--');
const debugOn = argv.slice(2, dashes === -1 ? undefined : dashes).includes('--debug') || !!env.KOPS_MFA_DEBUG;
const say = (message: string) => process.stderr.write(`kops-mfa: ${message}\n`);

void main(argv, {
  env,
  now: () => new Date(),
  prompt: terminalPrompt,
  note: say,
  debug: debugOn ? (m) => say(`debug: ${m}`) : () => {},
}).then((code) => process.exit(code));
