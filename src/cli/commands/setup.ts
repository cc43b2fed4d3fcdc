// `kops-mfa setup [PROFILE]`: a guided first run that writes a working
// profile. The long-term key goes into the keyring (or, where none works and
// the user agrees, ~/.aws/credentials); GetCallerIdentity finds the user and
// account, so the usual MFA device can be proposed; the section is written
// into ~/.aws/config atomically, keeping every other byte, with no inline
// comments (the AWS CLI would keep them as part of a value). Every question
// is also a flag, for scripts (--yes asks nothing).
import type { Context, Outcome } from '../../context.js';
import type { Flags } from '../options.js';
import { configError, usageError } from '../../errors.js';
import { printable } from '../../printable.js';
import { loadAwsFiles, type AwsFiles } from '../../settings/aws-files.js';
import { resolveSettings, resolveSource, type Keys } from '../../settings/config.js';
import { baseEnv } from '../../shell/saved-state.js';
import { keysToStore } from './keys.js';
import { keyringStatus, writeKeys } from '../../keys/keyring.js';
import { readKnown, recordKnown } from '../../keys/known.js';
import { callerIdentity } from '../../keys/identity.js';
import { loadKeys } from '../../keys/source.js';
import { hasSection, putSection, readIfThere, writeAtomic } from '../../settings/ini-edit.js';
import { homeDir } from '../../platform.js';
import { join } from 'node:path';

const NAME = /^[A-Za-z0-9_.@+-]{1,64}$/;

export async function setupCommand(flags: Flags, args: string[], ctx: Context): Promise<Outcome> {
  if (args.length > 1) throw usageError('setup takes one profile name: kops-mfa setup [PROFILE]');
  const yes = flags.yes === true;
  const str = (n: string) => (typeof flags[n] === 'string' ? (flags[n] as string) : undefined);
  const ask = async (question: string, fallback?: string): Promise<string> => {
    if (yes) return fallback ?? '';
    const a = (await askVisible(`${question}${fallback ? ` [${fallback}]` : ''}: `)).trim();
    return a === '' ? (fallback ?? '') : a;
  };

  const name = args[0] ?? (await ask('Profile name', 'kops'));
  if (!NAME.test(name)) throw usageError(`profile name ${JSON.stringify(printable(name))} must be letters, digits and . _ @ + -`);
  let files = loadAwsFiles(ctx.env);
  const header = name === 'default' ? 'default' : `profile ${name}`;
  const configText = readIfThere(files.configPath);
  if (hasSection(configText, header)) {
    const replace = yes || /^y(es)?$/i.test(await ask(`[${header}] exists in ${files.configPath}; replace it? (y/N)`, 'N'));
    if (!replace) throw configError(`kept [${header}] as it is; run kops-mfa setup with another name, or answer y to replace it`);
  }

  // The key: a profile that has one, the environment, or asked now.
  const sourceProfile = str('source-profile');
  let keys: Keys;
  let keyProfile: string | undefined;
  let store: 'keyring' | 'file' | undefined;
  if (sourceProfile !== undefined) {
    if (!NAME.test(sourceProfile)) throw usageError('--source-profile must be a profile name');
    const { source } = resolveSource(files, sourceProfile, baseEnv(ctx.env), readKnown(ctx.env));
    keys = await loadKeys(source, ctx.env);
    keyProfile = sourceProfile;
  } else {
    keys = await keysToStore(flags, ctx, name);
    store = flags['credentials-file'] === true ? 'file' : 'keyring';
  }
  const who = await callerIdentity(keys, ctx.env);
  if (!who.user) throw configError(`key ${keys.accessKeyId} is not an IAM user's (${printable(who.arn)}); setup needs a user's long-term key`);
  const whose = `the key belongs to IAM user ${printable(who.user)} in account ${who.account}`;
  // Asked: now, before the questions it informs. With --yes: at the end, after everything worked.
  if (!yes) ctx.note(whose);
  const proposed = `arn:aws:iam::${who.account}:mfa/${who.user}`;
  const serial = str('serial-number') ?? (await ask('MFA device (mfa_serial)', proposed));
  const roleArn = str('role-arn') ?? (await ask('Role to assume (role_arn; empty: none)'));
  const region = str('region') ?? (await ask('Region', 'us-east-1'));
  const mfaSession = str('mfa-session-duration') ?? (await ask('MFA session in seconds (mfa_session_duration; empty: off)'));
  const stateStore = str('kops-state-store') ?? (await ask('kops state store (kops_state_store, such as s3://bucket; empty: none)'));
  const clusterName = str('kops-cluster-name') ?? (await ask('kops cluster name (kops_cluster_name; empty: none)'));

  const entries: Array<[string, string]> = [];
  if (roleArn) entries.push(['role_arn', roleArn]);
  entries.push(['mfa_serial', serial]);
  if (keyProfile !== undefined && keyProfile !== name) entries.push(['source_profile', keyProfile]);
  if (region) entries.push(['region', region]);
  if (mfaSession) entries.push(['mfa_session_duration', mfaSession]);
  if (stateStore) entries.push(['kops_state_store', stateStore]);
  if (clusterName) entries.push(['kops_cluster_name', clusterName]);

  // Check what would be written as a login would read it, before writing anything.
  const newConfig = putSection(configText, header, entries);
  const trial: AwsFiles = { ...files, config: { ...files.config, [name]: Object.fromEntries(entries) } };
  const trialKnown = store ? { ...readKnown(ctx.env), [name]: { accessKeyId: keys.accessKeyId } } : readKnown(ctx.env);
  resolveSettings({ profile: name }, { ...baseEnv(ctx.env), AWS_PROFILE: '', AWS_REGION: '', AWS_DEFAULT_REGION: '' }, trial, trialKnown);

  // The key first: a profile without its key would not work.
  if (store === 'keyring') {
    const status = await keyringStatus(ctx.env);
    if (!status.ok) {
      const fallback = !yes && /^y(es)?$/i.test(await ask(`${status.problem}\nkeep the key in ${files.credentialsPath} instead? (y/N)`, 'N'));
      if (!fallback) throw configError(`${status.problem.replace(/^keyring: /, 'no keyring: ')}`.slice(0, 200));
      store = 'file';
    }
  }
  if (store === 'keyring') {
    await writeKeys(name, keys, ctx.env);
    recordKnown(ctx.env, name, keys.accessKeyId);
    ctx.note(`stored key ${keys.accessKeyId} in the keyring entry ${name}`);
  } else if (store === 'file') {
    const credText = readIfThere(files.credentialsPath);
    if (hasSection(credText, name) && !yes && !/^y(es)?$/i.test(await ask(`[${name}] exists in ${files.credentialsPath}; replace it? (y/N)`, 'N'))) {
      throw configError(`kept [${name}] in ${files.credentialsPath} as it is; nothing was written`);
    }
    writeAtomic(files.credentialsPath, putSection(credText, name, [['aws_access_key_id', keys.accessKeyId], ['aws_secret_access_key', keys.secretAccessKey]]));
    ctx.note(`wrote the key into [${name}] of ${files.credentialsPath}`);
  }
  writeAtomic(files.configPath, newConfig);
  files = loadAwsFiles(ctx.env);
  ctx.note(`${yes ? `${whose}; ` : ''}wrote [${header}] into ${files.configPath}`);
  const shell = shellName(ctx.env);
  ctx.note(`add this line to ${rcFile(shell, ctx.env)}, if it is not there yet: ${rcLine(shell)}`);
  ctx.note(`then try: kops-login --profile ${name}`);
  return {};
}

function shellName(env: NodeJS.ProcessEnv): 'bash' | 'zsh' | 'fish' | 'powershell' {
  const sh = (env.SHELL ?? '').split('/').pop() ?? '';
  if (sh === 'zsh' || sh === 'fish') return sh;
  if (process.platform === 'win32' || env.PSModulePath && !env.SHELL) return 'powershell';
  return 'bash';
}

function rcLine(shell: ReturnType<typeof shellName>): string {
  switch (shell) {
    case 'fish':
      return 'kops-mfa init fish | source';
    case 'powershell':
      return 'kops-mfa init powershell | Out-String | Invoke-Expression';
    default:
      return `eval "$(kops-mfa init ${shell})"`;
  }
}

function rcFile(shell: ReturnType<typeof shellName>, env: NodeJS.ProcessEnv): string {
  const home = homeDir(env);
  switch (shell) {
    case 'zsh':
      return join(env.ZDOTDIR || home, '.zshrc');
    case 'fish':
      return join(home, '.config', 'fish', 'config.fish');
    case 'powershell':
      return '$PROFILE';
    default:
      return join(home, '.bashrc');
  }
}

/** A question on the terminal with echo on (nothing secret is asked this way). */
async function askVisible(question: string): Promise<string> {
  const fs = process.getBuiltinModule('node:fs');
  const { createInterface } = process.getBuiltinModule('node:readline');
  const { ReadStream, WriteStream } = process.getBuiltinModule('node:tty');
  let fd: number;
  try {
    fd = fs.openSync(process.platform === 'win32' ? 'CONIN$' : '/dev/tty', 'r+');
  } catch {
    throw configError('no terminal to ask on: pass every answer as a flag and --yes (see kops-mfa setup --help)');
  }
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  const rl = createInterface({ input, output, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.question(question, resolve);
      rl.on('close', () => reject(configError('setup was cancelled; nothing more was written')));
      rl.on('SIGINT', () => {
        output.write('\n');
        rl.close();
      });
    });
  } finally {
    rl.close();
    input.destroy();
  }
}
