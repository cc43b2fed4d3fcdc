// The bin entry: build the context, run main, exit with its code. Bundled as
// CommonJS (dist/cli.cjs): node starts it without its ES module loader, which
// costs about 25 ms at every start; the SDK bundle is an ES module loaded later.
import { main } from './main.js';
import { terminalPrompt } from './prompt.js';

// The user's environment, as given: what exec hands to its child.
const env = { ...process.env };
// The AWS SDK prints a NodeVersionSupportWarning on Node 20 unless told not
// to; stderr belongs to kops-mfa's own messages. Set for this process only.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const argv = process.argv;
const dashes = argv.indexOf('--');
const debugOn = argv.slice(2, dashes === -1 ? undefined : dashes).includes('--debug') || !!env.KOPS_MFA_DEBUG;
const say = (message: string) => process.stderr.write(`kops-mfa: ${message}\n`);

/** The one write of the output; a failure (a full disk, a closed pipe) rejects with its errno. */
const stdout = (text: string) =>
  new Promise<void>((resolve, reject) => {
    process.stdout.once('error', reject);
    process.stdout.write(text, (e) => (e ? reject(e) : resolve()));
  });

void main(argv, {
  env,
  now: () => new Date(),
  prompt: terminalPrompt,
  note: say,
  debug: debugOn ? (m) => say(`debug: ${m}`) : () => {},
  stdout,
}).then((code) => process.exit(code));
