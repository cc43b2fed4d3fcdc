// `kops-mfa keys add|import|list|remove|rotate`: long-term keys in the OS
// keyring (names as aws-vault and granted use them). Results go to stdout
// (the list); what happened goes to stderr as notes.
import type { Context, Outcome } from '../../context.js';
import type { Flags } from '../options.js';
import { configError, ExitCode, KopsMfaError, usageError } from '../../errors.js';
import { printable } from '../../printable.js';
import { loadAwsFiles, type AwsFiles } from '../../settings/aws-files.js';
import { baseEnv } from '../../shell/saved-state.js';
import type { Keys } from '../../settings/config.js';
import { ACCESS_KEY_ID, deleteEntry, KeyringUnavailable, listKeys, readKeys, SECRET, SERVICE, writeKeys } from '../../keys/keyring.js';
import { readKnown, recordKnown } from '../../keys/known.js';
import { callerIdentity } from '../../keys/identity.js';
import { readIfThere, removeKeys, writeAtomic } from '../../settings/ini-edit.js';
import { rotateCommand } from '../../keys/rotate.js';

const KEY_LINES = ['aws_access_key_id', 'aws_secret_access_key'] as const;

export async function keysCommand(flags: Flags, args: string[], ctx: Context): Promise<Outcome> {
  const [sub, name, ...rest] = args;
  if (rest.length > 0) throw usageError(`keys ${sub} takes one profile name`);
  const need = () => {
    if (!name) throw usageError(`keys ${sub} needs a profile name: kops-mfa keys ${sub} PROFILE`);
    return name;
  };
  switch (sub) {
    case 'add':
      return add(need(), flags, ctx);
    case 'import':
      if (flags.all === true && name) throw usageError('keys import takes a profile name or --all, not both');
      return importKeys(flags.all === true ? undefined : need(), ctx);
    case 'list':
      if (name) throw usageError('keys list takes no profile name');
      return list(ctx);
    case 'remove':
      return remove(need(), ctx);
    case 'rotate':
      return rotateCommand(need(), flags, ctx);
    default:
      throw usageError(`keys needs one of add, import, list, remove, rotate${sub ? ` (not ${printable(sub)})` : ''}`);
  }
}

/** The key pair to store: from the environment (--env) or asked on the terminal, the secret with echo off. */
export async function keysToStore(flags: Flags, ctx: Context, profile: string): Promise<Keys> {
  let id: string;
  let secret: string;
  if (flags.env === true) {
    const env = baseEnv(ctx.env);
    id = env.AWS_ACCESS_KEY_ID ?? '';
    secret = env.AWS_SECRET_ACCESS_KEY ?? '';
    if (!id || !secret) throw configError('--env takes the key from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and they are not both set');
    if (env.AWS_SESSION_TOKEN) throw configError('AWS_SESSION_TOKEN is set: those are temporary keys; the keyring is for an IAM user\'s long-term key');
  } else {
    const ask = async (what: string) => {
      try {
        return await ctx.prompt(what);
      } catch (e) {
        if (e instanceof KopsMfaError && e.exitCode === ExitCode.mfa) {
          throw configError('no terminal to ask for the key: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY and pass --env');
        }
        throw e;
      }
    };
    id = await ask(`Access key id for ${profile}:`);
    secret = await ask(`Secret access key for ${profile} (not shown):`);
  }
  if (!ACCESS_KEY_ID.test(id)) throw configError('that is not an access key id (16 or more capital letters and digits, such as AKIA…)');
  if (!SECRET.test(secret)) throw configError('that is not a secret access key (16 or more printable characters, no spaces)');
  return { accessKeyId: id, secretAccessKey: secret };
}

async function add(profile: string, flags: Flags, ctx: Context): Promise<Outcome> {
  const keys = await keysToStore(flags, ctx, profile);
  const who = flags['no-verify'] === true ? undefined : await callerIdentity(keys, ctx.env);
  await writeKeys(profile, keys, ctx.env, flags.force === true);
  recordKnown(ctx.env, profile, keys.accessKeyId);
  const user = who ? `, IAM user ${printable(who.user ?? who.arn)} in account ${printable(who.account)}` : ' (not verified)';
  ctx.note(`stored key ${keys.accessKeyId} in the keyring entry ${printable(profile)}${user}`);
  return {};
}

async function importKeys(only: string | undefined, ctx: Context): Promise<Outcome> {
  const files = loadAwsFiles(ctx.env);
  const names = only !== undefined ? [only] : Object.keys(files.credentials).filter((n) => hasPair(files, n));
  if (names.length === 0) throw configError(`no profile in ${files.credentialsPath} has aws_access_key_id and aws_secret_access_key`);
  for (const n of names) {
    if (!hasPair(files, n)) {
      throw configError(`profile ${printable(n)} has no aws_access_key_id and aws_secret_access_key in ${files.credentialsPath}`);
    }
  }
  for (const n of names) await importOne(n, files, ctx);
  return {};
}

function hasPair(files: AwsFiles, name: string): boolean {
  const p = files.credentials[name];
  return !!p?.aws_access_key_id && !!p.aws_secret_access_key;
}

/** Keyring first (written, read back, compared), the file after: at every moment the key is in at least one place. */
async function importOne(name: string, files: AwsFiles, ctx: Context): Promise<void> {
  const p = files.credentials[name] as Record<string, string>;
  const keys = { accessKeyId: p.aws_access_key_id as string, secretAccessKey: p.aws_secret_access_key as string };
  const file = files.credentialsPath;
  if (p.aws_session_token) throw configError(`profile ${printable(name)} in ${file} holds temporary keys (aws_session_token); only long-term keys go into the keyring`);
  try {
    await writeKeys(name, keys, ctx.env);
  } catch (e) {
    if (e instanceof KopsMfaError) throw new KopsMfaError(`${e.message} (the key stays live in ${file})`, e.exitCode, { cause: e });
    throw e;
  }
  recordKnown(ctx.env, name, keys.accessKeyId);
  const live = `the keyring entry ${printable(name)} holds key ${keys.accessKeyId} and is the one used`;
  try {
    const before = readIfThere(file);
    const mode = statMode(file);
    if (mode !== undefined && (mode & 0o200) === 0) throw configError(`${file} is read-only`);
    const { text, removed } = removeKeys(before, name, KEY_LINES);
    if (removed > 0) writeAtomic(file, text);
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^cannot write [^:]*: /, '') : String(e);
    throw configError(`${live}; ${file} still holds a copy (${why}): remove its two key lines by hand`);
  }
  ctx.note(`moved key ${keys.accessKeyId} of profile ${printable(name)} from ${file} into the keyring`);
}

function statMode(path: string): number | undefined {
  try {
    return process.getBuiltinModule('node:fs').statSync(path).mode;
  } catch {
    return undefined;
  }
}

async function list(ctx: Context): Promise<Outcome> {
  const files = loadAwsFiles(ctx.env);
  const known = readKnown(ctx.env);
  const rows: Array<[string, string, string]> = [];
  let entries: Array<{ account: string; accessKeyId: string | null }> = [];
  try {
    entries = await listKeys(ctx.env);
  } catch (e) {
    if (!(e instanceof KeyringUnavailable)) throw e;
    ctx.note(`${e.message}; showing the files only`);
    for (const [account, k] of Object.entries(known)) entries.push({ account, accessKeyId: k.accessKeyId });
  }
  const inKeyring = new Map(entries.map((e) => [e.account, e]));
  const names = [...new Set([...Object.keys(files.config), ...Object.keys(files.credentials), ...inKeyring.keys()])].sort();
  for (const n of names) {
    const k = inKeyring.get(n);
    const p = { ...files.config[n], ...files.credentials[n] };
    const fileId = p.aws_access_key_id && p.aws_secret_access_key ? p.aws_access_key_id : undefined;
    if (k) {
      const also = fileId ? ` (${files.credentialsPath} also holds ${fileId})` : '';
      rows.push([n, k.accessKeyId ?? '?', k.accessKeyId ? `keyring${known[n] ? '' : ' (not recorded: used only when nothing else is)'}${also}` : 'keyring: not kops-mfa\'s entry']);
    } else if (fileId) rows.push([n, fileId, 'file']);
    else if (p.credential_process) rows.push([n, '-', 'credential_process']);
  }
  const env = baseEnv(ctx.env);
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) rows.push(['(environment)', env.AWS_ACCESS_KEY_ID, 'environment']);
  if (rows.length === 0) return { stdout: `no long-term keys found (kops-mfa keys add PROFILE stores one in the keyring, service ${SERVICE})\n` };
  const head: [string, string, string] = ['PROFILE', 'KEY ID', 'SOURCE'];
  const all = [head, ...rows].map((r) => r.map(printable) as [string, string, string]);
  const w0 = Math.max(...all.map((r) => r[0].length));
  const w1 = Math.max(...all.map((r) => r[1].length));
  return { stdout: all.map((r) => `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`.trimEnd()).join('\n') + '\n' };
}

async function remove(name: string, ctx: Context): Promise<Outcome> {
  let id: string | undefined = readKnown(ctx.env)[name]?.accessKeyId;
  try {
    id = (await readKeys(name, ctx.env))?.accessKeyId ?? id;
  } catch (e) {
    if (e instanceof KeyringUnavailable) throw e;
    // A damaged entry: still removable.
  }
  const was = await deleteEntry(name, ctx.env);
  recordKnown(ctx.env, name, undefined);
  if (!was) throw configError(`there is no keyring entry ${printable(name)} (service ${SERVICE})`);
  ctx.note(
    `removed the keyring entry ${printable(name)}; the IAM key ${id ?? ''} still exists in AWS: delete it there if it is not needed (aws iam delete-access-key)`.replace('  ', ' '),
  );
  return {};
}
