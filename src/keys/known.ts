// Which profiles keep their long-term keys in the keyring, and each one's
// access key id: a small file with nothing secret in it
// ($XDG_CONFIG_HOME/kops-mfa/keyring.json, else ~/.config/kops-mfa/, else
// %APPDATA%\kops-mfa on Windows). The cached path reads it instead of the
// keyring: the keyring wins over the files (so settings must know an entry
// is there) and the access key id goes into the cache key (so a key moved
// from ~/.aws/credentials into the keyring keeps its cached sessions, and a
// rotated key does not), all without loading the native addon.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { homeDir } from '../platform.js';
import { writePrivate } from '../store/private-files.js';
import { configError } from '../errors.js';
import { fsProblem } from '../fs-words.js';

export type Known = Record<string, { accessKeyId: string }>;

function knownFile(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'kops-mfa', 'keyring.json');
  if (platform === 'win32' && env.APPDATA && isAbsolute(env.APPDATA)) return join(env.APPDATA, 'kops-mfa', 'keyring.json');
  return join(homeDir(env), '.config', 'kops-mfa', 'keyring.json');
}

/** The profiles with keys in the keyring; a missing or unreadable file is none (the keyring is then the last resort). */
export function readKnown(env: NodeJS.ProcessEnv): Known {
  const file = knownFile(env);
  let text: string;
  // Most setups have no such file: asked first, since a failed read's error costs more than the stat.
  if (!statSync(file, { throwIfNoEntry: false })) return {};
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const d = JSON.parse(text) as { v?: unknown; profiles?: unknown };
    if (d.v !== 1 || typeof d.profiles !== 'object' || d.profiles === null) return {};
    const out: Known = {};
    for (const [name, v] of Object.entries(d.profiles as Record<string, unknown>)) {
      const id = (v as { accessKeyId?: unknown })?.accessKeyId;
      if (typeof id === 'string' && id !== '') out[name] = { accessKeyId: id };
    }
    return out;
  } catch {
    return {};
  }
}

/** Record (or, with undefined, forget) the key id of a profile's keyring entry. */
export function recordKnown(env: NodeJS.ProcessEnv, profile: string, accessKeyId: string | undefined): void {
  const file = knownFile(env);
  const known = readKnown(env);
  if (accessKeyId === undefined) delete known[profile];
  else known[profile] = { accessKeyId };
  try {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writePrivate(file, `${JSON.stringify({ v: 1, profiles: known }, null, 2)}\n`);
  } catch (e) {
    throw configError(`cannot write ${file}: ${e instanceof Error && 'code' in e ? fsProblem(e) : (e as Error).message}`);
  }
}
