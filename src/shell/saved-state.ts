// What the shell held before kops-mfa's login, and the variables that mark a
// login. A login remembers, in KOPS_MFA_SAVED, what each variable it changed
// held before the first login of this shell (null: unset), so a re-login
// signs with the long-term keys that were there, a value exported for one
// profile does not stick to the next, and logout gives every value back byte
// for byte. Settings read the environment through baseEnv; the operations
// that change a shell (env-ops.ts) write it.

/** Names the profile of the session; a re-login finds the profile through it. */
export const MARKER = 'KOPS_MFA_SESSION';
/** The session's expiry in epoch seconds: the snippets compare it with no date parsing. */
export const EXPIRES = 'KOPS_MFA_EXPIRES';
/** The access key id kops-mfa exported: while AWS_ACCESS_KEY_ID equals it, the session is kops-mfa's. */
export const KEY_ID = 'KOPS_MFA_KEY_ID';
/** JSON: what the variables a login changed held before it ({name: value or null}). */
export const SAVED = 'KOPS_MFA_SAVED';
/** 0.1's record of AWS_PROFILE; read for a shell logged in by 0.1, never written. */
export const LEGACY_PREV_PROFILE = 'KOPS_MFA_PREV_PROFILE';

export const SESSION_VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION'] as const;
export const OWN_VARS = [MARKER, EXPIRES, KEY_ID, SAVED, LEGACY_PREV_PROFILE] as const;

type Saved = Record<string, string | null>;

/** Whether the AWS keys in this environment are the session kops-mfa exported. */
export function holdsOwnSession(env: NodeJS.ProcessEnv): boolean {
  return !!env[MARKER] && !!env[KEY_ID] && env[KEY_ID] === env.AWS_ACCESS_KEY_ID;
}

/** A shell logged in by kops-mfa 0.1: its keys are that session's; AWS_PROFILE was kept aside. */
export function isLegacyLogin(env: NodeJS.ProcessEnv): boolean {
  return env[MARKER] !== undefined && env[KEY_ID] === undefined;
}

/** The saved values of this shell's login; {} when the shell holds no session of kops-mfa's. */
export function savedOf(env: NodeJS.ProcessEnv): Saved {
  if (!holdsOwnSession(env)) return {};
  try {
    const data: unknown = JSON.parse(env[SAVED] ?? '{}');
    if (!data || typeof data !== 'object' || Array.isArray(data)) return {};
    const out: Saved = {};
    for (const [k, v] of Object.entries(data)) if (typeof v === 'string' || v === null) out[k] = v;
    return out;
  } catch {
    return {};
  }
}

/**
 * The environment as it was before kops-mfa's login in this shell: the saved
 * values put back, kops-mfa's own variables gone. Settings are resolved from
 * it, so the session kops-mfa exported never counts as the user's.
 */
export function baseEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  if (isLegacyLogin(env)) {
    for (const name of SESSION_VARS) delete out[name];
    if (env[LEGACY_PREV_PROFILE]) out.AWS_PROFILE = env[LEGACY_PREV_PROFILE];
  }
  for (const [name, value] of Object.entries(savedOf(env))) {
    if (value === null) delete out[name];
    else out[name] = value;
  }
  for (const name of OWN_VARS) delete out[name];
  return out;
}
