// The OS keyring (macOS Keychain, Windows Credential Manager, the Secret
// Service on Linux) through @napi-rs/keyring: one entry per profile, service
// `kops-mfa`, account = the profile name, the value a small JSON object.
//
// Every call runs in a child Node process that loads the addon, answers one
// request over its stdin/stdout pipes (never argv: the secret passes there)
// and exits. A keyring can hang: no D-Bus session that answers, a locked
// collection waiting for a prompt nobody sees. A child can be killed at its
// deadline; a native call blocked in a worker thread cannot. The cached path
// never comes here: the addon is loaded only when keys are read or written.
import { configError, ExitCode, KopsMfaError } from '../errors.js';
import { secondsSetting } from '../settings/config.js';
import { printable } from '../printable.js';
import { childOutput } from '../child-output.js';

export const SERVICE = 'kops-mfa';
/** The `v` of an entry's JSON: a later format can tell itself apart. */
const FORMAT = 1;

interface StoredKeys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What the alternatives are, in every "the keyring cannot be used" line. */
const ALTERNATIVES = 'or use credential_process or ~/.aws/credentials';

/** The keyring could not be used at all (exit 3): no Secret Service, locked, timed out, refused. */
export class KeyringUnavailable extends KopsMfaError {
  override name = 'KeyringUnavailable';
  constructor(
    readonly problem: string,
    fix: string,
  ) {
    super(`keyring: ${problem}; ${fix}`, ExitCode.config);
  }
}

/** Per call, in ms: KOPS_MFA_KEYRING_TIMEOUT seconds, default 4 (a login must not wait long on a dead keyring). */
function keyringTimeoutMs(env: NodeJS.ProcessEnv): number {
  return secondsSetting(env, 'KOPS_MFA_KEYRING_TIMEOUT', { min: 0.5, max: 300, default: 4 }) * 1000;
}

/**
 * The child's program. It loads the addon from the path the parent found,
 * pins Linux to the Secret Service (the kernel keyring does not outlive a
 * reboot, and its silent fallback hid a missing D-Bus as "no entry"), and
 * never sends a secret back except for `get`.
 */
const CHILD = `
const addon = require(process.env.KOPS_MFA_KEYRING_ADDON);
const opts = { linux: { store: 'secret-service' } };
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const out = (o) => process.stdout.write(JSON.stringify(o));
  try {
    const r = JSON.parse(input);
    if (r.op === 'list') {
      // Only the key id leaves the child: a list shows no secret.
      out({ ok: addon.findCredentials(r.service).map((c) => {
        let id = null;
        try { const d = JSON.parse(c.password); if (d && typeof d.accessKeyId === 'string' && d.v === 1) id = d.accessKeyId; } catch {}
        return { account: c.account, accessKeyId: id };
      }) });
      return;
    }
    const e = new addon.Entry(r.service, r.account || 'kops-mfa-probe', opts);
    if (r.op === 'get') out({ ok: e.getPassword() });
    else if (r.op === 'set') { e.setPassword(r.value); out({ ok: true }); }
    else if (r.op === 'delete') out({ ok: e.deleteCredential() });
    else if (r.op === 'probe') { e.getPassword(); out({ ok: true }); }
    else out({ error: 'unknown op' });
  } catch (e) {
    out({ error: String((e && e.message) || e), cause: String((e && e.cause && e.cause.message) || '') });
  }
});
`;

type Request =
  | { op: 'get' | 'delete' | 'probe'; account?: string }
  | { op: 'set'; account: string; value: string }
  | { op: 'list' };

/** Where the addon is: resolved here, loaded only in the child. */
function addonPath(): string {
  const { createRequire } = process.getBuiltinModule('node:module');
  // dist/main.cjs is CommonJS (__filename); under tsx the source is an ES module.
  const from = typeof __filename === 'string' ? __filename : import.meta.url;
  try {
    return createRequire(from).resolve('@napi-rs/keyring');
  } catch {
    throw new KeyringUnavailable('the @napi-rs/keyring module is not installed', `reinstall kops-mfa, ${ALTERNATIVES}`);
  }
}

/** One request to the keyring, in a child process that is killed at the deadline. */
async function call<T>(req: Request, env: NodeJS.ProcessEnv): Promise<T> {
  const { spawn } = process.getBuiltinModule('node:child_process');
  const timeoutMs = keyringTimeoutMs(env);
  const child = spawn(process.execPath, ['-e', CHILD], {
    env: { ...env, KOPS_MFA_KEYRING_ADDON: addonPath(), NODE_OPTIONS: '' },
    stdio: ['pipe', 'pipe', 'ignore'],
    windowsHide: true,
  });
  child.stdin.on('error', () => {});
  child.stdin.end(JSON.stringify({ service: SERVICE, ...req }));
  const result = await childOutput(child, timeoutMs);
  if (result === 'timeout') {
    throw new KeyringUnavailable(`no answer within ${timeoutMs / 1000} s (locked, or waiting for a prompt)`, `unlock it, ${ALTERNATIVES}`);
  }
  if (result instanceof Error) throw new KeyringUnavailable(`cannot start node for it (${printable(result.message)})`, ALTERNATIVES);
  const out = result.out;
  let answer: { ok?: T; error?: string; cause?: string };
  try {
    answer = JSON.parse(out) as typeof answer;
  } catch {
    throw new KeyringUnavailable('the keyring module crashed', `reinstall kops-mfa, ${ALTERNATIVES}`);
  }
  if (answer.error !== undefined) throw unavailable(`${answer.error} ${answer.cause ?? ''}`, env);
  return answer.ok as T;
}

/** The keyring's error in words: what is wrong and what to do. */
function unavailable(text: string, env: NodeJS.ProcessEnv): KeyringUnavailable {
  if (/locked|prompt|dismissed|denied|cancel/i.test(text)) {
    return new KeyringUnavailable('it is locked (or access was refused)', `unlock it, ${ALTERNATIVES}`);
  }
  if (/Failed to connect|DBUS|D-Bus|dbus|No such file or directory|Connection refused/i.test(text) && !/org\.freedesktop\.secrets/.test(text)) {
    const why = env.DBUS_SESSION_BUS_ADDRESS ? 'the D-Bus session does not answer' : 'no D-Bus session (DBUS_SESSION_BUS_ADDRESS)';
    return new KeyringUnavailable(why, `start a desktop session, ${ALTERNATIVES}`);
  }
  if (/secrets|ServiceUnknown|not provided by any|NoStorageAccess|platform storage/i.test(text)) {
    return new KeyringUnavailable('no Secret Service answers (gnome-keyring, KWallet, KeePassXC)', `start one, ${ALTERNATIVES}`);
  }
  return new KeyringUnavailable(printable(text.trim()).slice(0, 60), `unlock it, ${ALTERNATIVES}`);
}

/** Is there a keyring that answers? For `doctor` and `setup`; never throws, bounded in time. */
export async function keyringStatus(env: NodeJS.ProcessEnv = process.env): Promise<{ ok: true } | { ok: false; problem: string }> {
  try {
    await call<boolean>({ op: 'probe' }, env);
    return { ok: true };
  } catch (e) {
    return { ok: false, problem: e instanceof Error ? e.message : String(e) };
  }
}

/** The entry's text, or undefined when there is none. */
function getEntry(account: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  return call<string | null>({ op: 'get', account }, env);
}

async function setEntry(account: string, value: string, env: NodeJS.ProcessEnv): Promise<void> {
  await call<boolean>({ op: 'set', account, value }, env);
}

/** True when an entry was there to delete. */
export function deleteEntry(account: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return call<boolean>({ op: 'delete', account }, env);
}

/** The text of an entry for keys. */
function formatKeys(k: StoredKeys): string {
  return JSON.stringify({ v: FORMAT, accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey });
}

/** An entry's keys, or why it is not kops-mfa's (a damaged or foreign entry: never a secret in the reason). */
function parseKeys(text: string): StoredKeys | { problem: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { problem: 'it is not JSON (damaged, or written by another program)' };
  }
  const d = data as Record<string, unknown>;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return { problem: 'it is not a JSON object' };
  if (d.v !== FORMAT) return { problem: `its format ${printable(JSON.stringify(d.v ?? null))} is not ${FORMAT}` };
  const id = d.accessKeyId;
  const secret = d.secretAccessKey;
  if (typeof id !== 'string' || !ACCESS_KEY_ID.test(id)) return { problem: 'it holds no valid access key id' };
  if (typeof secret !== 'string' || !SECRET.test(secret)) return { problem: 'it holds no valid secret access key' };
  return { accessKeyId: id, secretAccessKey: secret };
}

export const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
export const SECRET = /^[\x21-\x7e]{16,128}$/;

/** The keys in the entry of `account`: undefined when there is none; a damaged entry is an error. */
export async function readKeys(account: string, env: NodeJS.ProcessEnv): Promise<StoredKeys | undefined> {
  const text = await getEntry(account, env);
  if (text === null) return undefined;
  const k = parseKeys(text);
  if ('problem' in k) {
    throw configError(`keyring entry ${printable(account)} of service ${SERVICE} is unusable: ${k.problem}; fix it with kops-mfa keys add --force`);
  }
  return k;
}

/**
 * Write keys into the entry of `account`, then read them back and compare.
 * An entry that is there and not kops-mfa's is kept unless `force`.
 */
export async function writeKeys(account: string, keys: StoredKeys, env: NodeJS.ProcessEnv, force = false): Promise<void> {
  if (!force) {
    const old = await getEntry(account, env);
    if (old !== null) {
      const k = parseKeys(old);
      if ('problem' in k) {
        throw configError(`keyring entry ${printable(account)} exists and is not kops-mfa's (${k.problem}); pass --force to replace it`);
      }
    }
  }
  await setEntry(account, formatKeys(keys), env);
  const back = await getEntry(account, env);
  const k = back === null ? undefined : parseKeys(back);
  if (!k || 'problem' in k || k.accessKeyId !== keys.accessKeyId || k.secretAccessKey !== keys.secretAccessKey) {
    throw configError(`keyring entry ${printable(account)} did not read back as written; the keyring may be misbehaving, ${ALTERNATIVES}`);
  }
}

/** Every entry of service kops-mfa: account and key id (null: not kops-mfa's format). No secret leaves the child. */
export async function listKeys(env: NodeJS.ProcessEnv): Promise<Array<{ account: string; accessKeyId: string | null }>> {
  const all = await call<Array<{ account: string; accessKeyId: string | null }>>({ op: 'list' }, env);
  return all.sort((a, b) => a.account.localeCompare(b.account));
}
