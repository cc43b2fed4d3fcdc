// The AWS files exec's command reads while kops-mfa serves it credentials.
//
// Every SDK resolves a profile's credential source before the container
// provider, so whatever [default] holds (keys in either file,
// credential_process, a role with mfa_serial, SSO) would beat the endpoint.
// The command gets a config file of its own: the user's, byte for byte, less
// every line that names a credential source in any profile, and less the
// sso-session sections; and an empty credentials file. Regions, output,
// endpoints and every other setting stay. Both live in a private folder
// (0700, files 0600) that is removed when exec ends. They hold no secret: the
// lines that could hold one are the ones left out.
// docs/decisions/exec-child-aws-files.md says why every profile, not only
// [default].
import { loadAwsFiles } from '../settings/aws-files.js';
import { headerName, keyOf, lines, readIfThere } from '../settings/ini-edit.js';

/** Keys that make a profile get credentials by itself (any SDK, any version), compared in lower case. */
const CREDENTIAL_KEYS = new Set([
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'aws_security_token',
  'credential_process',
  'credential_source',
  'role_arn',
  'role_session_name',
  'source_profile',
  'external_id',
  'duration_seconds',
  'mfa_serial',
  'web_identity_token_file',
  'login_session',
]);

const isCredentialKey = (key: string): boolean => {
  const k = key.toLowerCase();
  return CREDENTIAL_KEYS.has(k) || k.startsWith('sso_');
};

/**
 * The config text without credential sources: each `key = value` (or
 * `key: value`) line whose key is one, with the indented lines that continue
 * it, and each `[sso-session …]` section whole. Every other byte stays.
 */
export function withoutCredentialSources(text: string): string {
  const out: string[] = [];
  let droppingSection = false;
  let droppingValue = false;
  for (const line of lines(text)) {
    const header = headerName(line);
    const indented = /^[ \t]/.test(line) && line.trim() !== '';
    if (header !== undefined) {
      droppingSection = /^sso-session(\s|$)/.test(header);
      droppingValue = false;
    } else if (droppingValue && indented) {
      continue;
    } else {
      droppingValue = false;
      // An indented key (a sub-section's, as `s3 =` has) is read as if it stood alone.
      const key = keyOf(line.trimStart());
      if (key !== undefined && isCredentialKey(key)) {
        droppingValue = !indented;
        continue;
      }
    }
    if (!droppingSection) out.push(line);
  }
  return out.join('');
}

interface ChildAwsFiles {
  /** AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE for the command. */
  env: { AWS_CONFIG_FILE: string; AWS_SHARED_CREDENTIALS_FILE: string };
  /** Where they are (a private folder of their own). */
  dir: string;
  /** Remove the folder; safe to call twice. */
  remove(): void;
}

export function writeChildAwsFiles(env: NodeJS.ProcessEnv): ChildAwsFiles {
  const { mkdtempSync, rmSync, writeFileSync } = process.getBuiltinModule('node:fs');
  const { join } = process.getBuiltinModule('node:path');
  const { tmpdir } = process.getBuiltinModule('node:os');
  const { configPath } = loadAwsFiles(env);
  const config = readIfThere(configPath);
  // mkdtemp makes a new folder with a name no one could guess, mode 0700;
  // in the user's runtime folder when there is a usable one.
  const make = (parent: string) => mkdtempSync(join(parent, 'kops-mfa-exec-'));
  let dir: string;
  try {
    dir = make(env.XDG_RUNTIME_DIR || tmpdir());
  } catch {
    dir = make(tmpdir());
  }
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const files = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
    writeFileSync(files.AWS_CONFIG_FILE, withoutCredentialSources(config), { mode: 0o600, flag: 'wx' });
    writeFileSync(files.AWS_SHARED_CREDENTIALS_FILE, '', { mode: 0o600, flag: 'wx' });
    return { env: files, dir, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
