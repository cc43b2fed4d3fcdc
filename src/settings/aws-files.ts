// ~/.aws/config and ~/.aws/credentials, and the one place that decides what
// a profile name is: kops-mfa itself, `status`, `logout` and the shell
// completions (`kops-mfa complete`) all ask this module. The names follow
// the AWS CLI (botocore), measured with `aws configure get`: in the config
// file `[default]`, and `[profile NAME]` where the part after `profile`
// splits like a shell word into exactly one word (`[profile "sp ace"]` is
// `sp ace`; `[profile sp ace]` and `[ profile dev ]` are no profiles); in
// the credentials file a section's name as written (`[sp ace]` is `sp ace`).
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE are honoured.
//
// This is a small parser of our own, not @smithy/shared-ini-file-loader:
// bundled, the loader brought 40 KB of SDK config code onto the cached path
// and cost about a tenth of the start-up budget. test/aws-files.test.ts runs
// both over the same files, and the real aws CLI over the names.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { configError } from '../errors.js';
import { homeDir } from '../platform.js';

export type Profile = Record<string, string | undefined>;

export interface AwsFiles {
  config: Record<string, Profile>;
  credentials: Record<string, Profile>;
  configPath: string;
  credentialsPath: string;
}

export function loadAwsFiles(env: NodeJS.ProcessEnv): AwsFiles {
  const home = homeDir(env);
  const configPath = expandHome(env.AWS_CONFIG_FILE || join(home, '.aws', 'config'), home);
  const credentialsPath = expandHome(env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'), home);
  const config = readText(configPath);
  const credentials = readText(credentialsPath);
  return {
    config: configProfiles(parseIni(config, configPath), configPath),
    credentials: credentialProfiles(parseIni(credentials, credentialsPath), credentialsPath),
    configPath,
    credentialsPath,
  };
}

/** A file that is not there is empty, as for the SDKs. Read synchronously:
 * node:fs/promises would add its own module loads to every start. */
function readText(path: string): string {
  // A missing file is common (keys in the keyring, no config yet): asked
  // first, since the error a failed read throws costs more than the stat.
  if (!statSync(path, { throwIfNoEntry: false })) return '';
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    throw configError(`cannot read ${path}: ${code ?? (e as Error).message}; it must be a file you can read`);
  }
}

/**
 * Sections to key/value maps. As in the SDK: `;` or `#` at the start or after
 * white space starts a comment; `key =` with an empty value opens a
 * sub-section whose indented keys are stored as `key.sub`.
 */
function parseIni(text: string, path = 'the AWS config'): Record<string, Profile> {
  const out: Record<string, Profile> = Object.create(null);
  let section: string | undefined;
  let sub: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = (raw.split(/(?:^|\s)[;#]/)[0] ?? '').trim();
    if (line.startsWith('[') && line.endsWith(']')) {
      section = line.slice(1, -1);
      // An empty section is a profile too, for the AWS CLI.
      out[section] ??= Object.create(null) as Profile;
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

/** The config file's profiles by name, by the AWS CLI's rule; other sections are not profiles. */
function configProfiles(ini: Record<string, Profile>, path: string): Record<string, Profile> {
  const out: Record<string, Profile> = Object.create(null);
  for (const [section, values] of Object.entries(ini)) {
    const name = section === 'default' ? 'default' : section.startsWith('profile') ? profileWord(section) : undefined;
    if (name === undefined) continue;
    if (name === '__proto__') throw configError(`${path}: invalid profile name "${name}"; rename that section`);
    // [default] and [profile default] are one name: the later section wins whole, as in the AWS CLI.
    out[name] = values;
  }
  return out;
}

/** `profile NAME` split as Python's shlex.split does: the name when there are exactly two words. */
function profileWord(section: string): string | undefined {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < section.length; i++) {
    const c = section[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && (section[i + 1] === '"' || section[i + 1] === '\\')) word += section[++i] as string;
      else word += c;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\') {
      word = (word ?? '') + (section[++i] ?? '');
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) return undefined; // shlex: "No closing quotation"
  if (word !== undefined) words.push(word);
  return words.length === 2 ? words[1] : undefined;
}

/** The credentials file's profiles: each section by its name as written. */
function credentialProfiles(ini: Record<string, Profile>, path: string): Record<string, Profile> {
  if ('__proto__' in ini) throw configError(`${path}: invalid profile name "__proto__"; rename that section`);
  return ini;
}

/** Every profile name of both files, sorted, each once: what completion offers. */
export function profileNames(files: AwsFiles): string[] {
  return [...new Set([...Object.keys(files.config), ...Object.keys(files.credentials)])].filter((n) => !/[\r\n]/.test(n)).sort();
}

function expandHome(path: string, home: string): string {
  return path.startsWith('~/') ? join(home, path.slice(2)) : path;
}
