// The secret half of a key source, fetched only when an STS call is due:
// the keyring entry (through the bounded child of keyring.ts), the output of
// a credential_process, or the keys settings already hold (file, environment).
import { secondsSetting, type Keys, type SourceKeys } from '../settings/config.js';
import { configError } from '../errors.js';
import { printable } from '../printable.js';
import { childOutput } from '../child-output.js';
import { KeyringUnavailable, readKeys } from './keyring.js';

const loaded = new WeakMap<SourceKeys, Promise<Keys>>();

/** The keys of a source, fetched once per run. */
export function loadKeys(source: SourceKeys, env: NodeJS.ProcessEnv): Promise<Keys> {
  let p = loaded.get(source);
  if (!p) {
    p = fetchKeys(source, env);
    loaded.set(source, p);
  }
  return p;
}

async function fetchKeys(source: SourceKeys, env: NodeJS.ProcessEnv): Promise<Keys> {
  if (source.kind === 'file' || source.kind === 'environment') {
    return { accessKeyId: source.accessKeyId as string, secretAccessKey: source.secretAccessKey as string, sessionToken: source.sessionToken };
  }
  if (source.kind === 'process') return runCredentialProcess(source.command as string, source.profile as string, env);
  const name = source.profile as string;
  let keys;
  try {
    keys = await readKeys(name, env);
  } catch (e) {
    // An entry nobody recorded was only a guess: with no keyring, the profile simply has no keys.
    if (e instanceof KeyringUnavailable && source.accessKeyId === undefined) throw configError(source.missing ?? noKeys(name));
    throw e;
  }
  if (!keys) {
    if (source.accessKeyId === undefined) throw configError(source.missing ?? noKeys(name));
    // A locked Secret Service answers a lookup with nothing, as if the entry were gone.
    throw configError(`keyring entry ${printable(name)} not found: unlock the keyring, or run kops-mfa keys add ${printable(name)}`);
  }
  return keys;
}

function noKeys(name: string): string {
  return `no long-term AWS keys for profile ${printable(name)}: run kops-mfa keys add ${printable(name)}, add source_profile, or set AWS_ACCESS_KEY_ID`;
}

/** credential_process gets this long: a password manager may ask its user first. */
function credentialProcessTimeoutMs(env: NodeJS.ProcessEnv): number {
  return secondsSetting(env, 'KOPS_MFA_CREDENTIAL_PROCESS_TIMEOUT', { min: 0.5, max: 3600, default: 60 }) * 1000;
}

/**
 * Run a profile's credential_process as the AWS CLI does, but without a
 * shell (split like mfa_process), with a time limit, and read its
 * `{"Version": 1, "AccessKeyId", "SecretAccessKey"[, "SessionToken", "Expiration"]}`
 * strictly. Its stderr goes to the terminal (it may ask for a password).
 */
async function runCredentialProcess(command: string, profile: string, env: NodeJS.ProcessEnv): Promise<Keys> {
  const { spawn } = process.getBuiltinModule('node:child_process');
  const { parse: parseCommand } = await import('shell-quote');
  const where = `credential_process of profile ${printable(profile)}`;
  const words = parseCommand(command, (name) => env[name] ?? '');
  if (words.length === 0 || words.some((w) => typeof w !== 'string')) {
    throw configError(`${where} must be one plain command (no pipes, redirections or globs)`);
  }
  const [file, ...args] = words as string[];
  const timeoutMs = credentialProcessTimeoutMs(env);
  const child = spawn(file as string, args, { env, stdio: ['ignore', 'pipe', 'inherit'], windowsHide: true });
  const end = await childOutput(child, timeoutMs, 64 * 1024);
  if (end === 'timeout') throw configError(`${where} did not answer within ${timeoutMs / 1000} s; run it by hand to see why`);
  if (end instanceof Error) {
    const code = (end as NodeJS.ErrnoException).code;
    throw configError(`${where} could not run: ${code === 'ENOENT' ? 'command not found' : printable(end.message)}`);
  }
  if (end.tooMuch) throw configError(`${where} printed more than 64 KB; it must print one JSON object`);
  if (end.code !== 0) {
    throw configError(`${where} failed (${end.signal ? `killed by ${end.signal}` : `exit status ${end.code}`}); run it by hand to see why`);
  }
  return parseProcessOutput(end.out, where);
}

/** The strict reading of credential_process output: Version 1, string keys, nothing odd. */
function parseProcessOutput(text: string, where: string): Keys {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw configError(`${where} did not print JSON; it must print {"Version": 1, "AccessKeyId": …, "SecretAccessKey": …}`);
  }
  if (typeof d !== 'object' || d === null || Array.isArray(d)) throw configError(`${where} did not print a JSON object`);
  if (d.Version !== 1) throw configError(`${where} printed Version ${printable(JSON.stringify(d.Version ?? null))}; only Version 1 is known`);
  const id = d.AccessKeyId;
  const secret = d.SecretAccessKey;
  const token = d.SessionToken;
  const ok = (v: unknown) => typeof v === 'string' && v !== '' && !/[\0\r\n]/.test(v);
  if (!ok(id) || !ok(secret)) throw configError(`${where} printed no AccessKeyId and SecretAccessKey strings`);
  if (token !== undefined && token !== null && !ok(token)) throw configError(`${where} printed a SessionToken that is not a string`);
  if (d.Expiration !== undefined && d.Expiration !== null) {
    const t = typeof d.Expiration === 'string' ? Date.parse(d.Expiration) : NaN;
    if (Number.isNaN(t)) throw configError(`${where} printed an Expiration that is not a time`);
    if (t <= Date.now()) throw configError(`${where} printed credentials that expired at ${printable(d.Expiration as string)}`);
  }
  return { accessKeyId: id as string, secretAccessKey: secret as string, sessionToken: typeof token === 'string' ? token : undefined };
}
