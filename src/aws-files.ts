// ~/.aws/config and ~/.aws/credentials, read the way the AWS SDK for
// JavaScript reads them (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE
// honoured; [profile x] in the config file, [x] in the credentials file).
//
// This is a small parser of our own, not @smithy/shared-ini-file-loader:
// bundled, the loader brought 40 KB of SDK config code onto the cached path
// and cost about a tenth of the start-up budget. test/aws-files.test.ts keeps
// the two in step: it runs both over the same files and wants equal results.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { configError } from './errors.js';

export type Profile = Record<string, string | undefined>;

export interface AwsFiles {
  config: Record<string, Profile>;
  credentials: Record<string, Profile>;
  configPath: string;
  credentialsPath: string;
}

export function loadAwsFiles(env: NodeJS.ProcessEnv): AwsFiles {
  const home = env.HOME || homedir();
  const configPath = expandHome(env.AWS_CONFIG_FILE || join(home, '.aws', 'config'), home);
  const credentialsPath = expandHome(env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'), home);
  const config = readText(configPath);
  const credentials = readText(credentialsPath);
  return {
    config: configProfiles(parseIni(config, configPath)),
    credentials: parseIni(credentials, credentialsPath),
    configPath,
    credentialsPath,
  };
}

/** A file that is not there is empty, as for the SDKs. Read synchronously:
 * node:fs/promises would add its own module loads to every start. */
function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    throw configError(`cannot read ${path}: ${code ?? (e as Error).message}`);
  }
}

/** [prefix name] sections of the config file: "profile x", "sso-session x", "services x". */
const PREFIXED = /^([\w-]+)\s(["'])?([\w-@+.%:/]+)\2$/;
const PREFIXES = new Set(['profile', 'sso-session', 'services']);

/**
 * Sections to key/value maps. As in the SDK: `;` or `#` at the start or after
 * white space starts a comment; `key =` with an empty value opens a
 * sub-section whose indented keys are stored as `key.sub`.
 */
export function parseIni(text: string, path = 'the AWS config'): Record<string, Profile> {
  const out: Record<string, Profile> = Object.create(null);
  let section: string | undefined;
  let sub: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = (raw.split(/(?:^|\s)[;#]/)[0] ?? '').trim();
    if (line.startsWith('[') && line.endsWith(']')) {
      const name = line.slice(1, -1);
      if (name === '__proto__' || name === 'profile __proto__') throw configError(`${path}: invalid profile name "${name}"`);
      const m = PREFIXED.exec(name);
      section = m ? (PREFIXES.has(m[1] as string) ? `${m[1]}.${m[3]}` : undefined) : name;
      sub = undefined;
      continue;
    }
    if (section === undefined) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (value === '') {
      sub = key;
      continue;
    }
    if (sub !== undefined && raw.trimStart() === raw) sub = undefined;
    (out[section] ??= Object.create(null) as Profile)[sub === undefined ? key : `${sub}.${key}`] = value;
  }
  return out;
}

/** The config file's profiles by name: [profile x] is x, [default] is default; other sections are not profiles. */
function configProfiles(ini: Record<string, Profile>): Record<string, Profile> {
  const out: Record<string, Profile> = Object.create(null);
  if (ini.default) out.default = ini.default;
  for (const [section, values] of Object.entries(ini)) {
    if (section.startsWith('profile.')) out[section.slice('profile.'.length)] = values;
  }
  return out;
}

function expandHome(path: string, home: string): string {
  return path.startsWith('~/') ? join(home, path.slice(2)) : path;
}
