// The bin entry (dist/cli.cjs, which bin/kops-mfa.cjs runs): guard the
// process, answer `kops-mfa env` from the cache when it can, and otherwise
// load the rest of kops-mfa (dist/main.cjs) and run it. Both are CommonJS:
// node starts them without its ES module loader; the SDK bundle is an ES
// module loaded later. Nothing here loads more than the cached env needs.
import { currentTerminalPlatform, exitWithoutCore } from '../session/tty.js';
import type { BaseContext } from '../context.js';
import { finish, say, stdout, stdoutIsTerminal } from './output.js';
import { cachedEnv } from './cached-env.js';

/** bin/kops-mfa.cjs's loader: another bundle of dist/, run with its code cache. */
declare const __kml_: (file: string) => unknown;

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

const io: BaseContext = {
  env,
  now: () => new Date(),
  note: say,
  debug: debugOn ? (m) => say(`debug: ${m}`) : () => {},
  stdout,
  stdoutIsTerminal,
};

const cached = cachedEnv(argv, io);
const done = cached ? finish(cached, io) : (__kml_('main.cjs') as typeof import('./run.js')).runCli(argv, io);
void done.then((code) => process.exit(code));
