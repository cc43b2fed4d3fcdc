// One ordered list of environment operations serves env, exec and logout, so
// every shell gets the same statements in the same order.
//
// A login owns the variables it sets. It remembers, in KOPS_MFA_SAVED, what
// each of them held before the first login of this shell (null: unset), so
// a re-login signs with the long-term keys that were there, a region
// exported for one profile does not stick to the next, and logout gives
// every value back byte for byte.
import type { SessionCredentials } from '../session/credentials.js';

export type EnvOp = { op: 'set'; name: string; value: string } | { op: 'unset'; name: string };

/** Names the profile of the session; a re-login finds the profile through it. */
export const MARKER = 'KOPS_MFA_SESSION';
/** The session's expiry in epoch seconds: the snippets compare it with no date parsing. */
export const EXPIRES = 'KOPS_MFA_EXPIRES';
/** The access key id kops-mfa exported: while AWS_ACCESS_KEY_ID equals it, the session is kops-mfa's. */
export const KEY_ID = 'KOPS_MFA_KEY_ID';
/** JSON: what the variables a login changed held before it ({name: value or null}). */
export const SAVED = 'KOPS_MFA_SAVED';
/** 0.1's record of AWS_PROFILE; read for a shell logged in by 0.1, never written. */
const LEGACY_PREV_PROFILE = 'KOPS_MFA_PREV_PROFILE';

const SESSION_VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION'] as const;
const REGION_VARS = ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const;
const OWN_VARS = [MARKER, EXPIRES, KEY_ID, SAVED, LEGACY_PREV_PROFILE] as const;

type Saved = Record<string, string | null>;

/** Whether the AWS keys in this environment are the session kops-mfa exported. */
export function holdsOwnSession(env: NodeJS.ProcessEnv): boolean {
  return !!env[MARKER] && !!env[KEY_ID] && env[KEY_ID] === env.AWS_ACCESS_KEY_ID;
}

function savedOf(env: NodeJS.ProcessEnv): Saved {
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
  if (env[MARKER] !== undefined && env[KEY_ID] === undefined) {
    // A shell logged in by kops-mfa 0.1: its keys are that session's; AWS_PROFILE was kept aside.
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

interface LoginContext {
  profile: string;
  /** Region to export (flag, AWS_REGION, or the profile's); undefined when only the default applied. */
  region?: string | undefined;
  /** The environment of the shell the statements are for. */
  env: NodeJS.ProcessEnv;
}

export function loginOps(creds: SessionCredentials, ctx: LoginContext): EnvOp[] {
  const before = baseEnv(ctx.env);
  const saved = savedOf(ctx.env);
  const sets: Array<[string, string]> = [
    ['AWS_ACCESS_KEY_ID', creds.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', creds.secretAccessKey],
    ['AWS_SESSION_TOKEN', creds.sessionToken],
    ['AWS_CREDENTIAL_EXPIRATION', creds.expiration],
  ];
  if (ctx.region) for (const name of REGION_VARS) sets.push([name, ctx.region]);
  const ops: EnvOp[] = [];
  const touched = new Set<string>();
  for (const [name, value] of sets) {
    if (!(name in saved)) saved[name] = before[name] ?? null;
    touched.add(name);
    ops.push({ op: 'set', name, value });
  }
  // What an earlier login of this shell set and this one does not: its value from before.
  for (const [name, value] of Object.entries(saved)) {
    if (touched.has(name) || name === 'AWS_PROFILE') continue;
    ops.push(value === null ? { op: 'unset', name } : { op: 'set', name, value });
  }
  if (!('AWS_PROFILE' in saved)) saved.AWS_PROFILE = before.AWS_PROFILE ?? null;
  ops.push(
    { op: 'set', name: MARKER, value: ctx.profile },
    { op: 'set', name: EXPIRES, value: String(Math.floor(Date.parse(creds.expiration) / 1000)) },
    { op: 'set', name: KEY_ID, value: creds.accessKeyId },
    { op: 'set', name: SAVED, value: JSON.stringify(saved) },
    { op: 'unset', name: 'AWS_PROFILE' },
  );
  return ops;
}

/**
 * Undo a login: every variable it changed gets its value from before back.
 * A shell that holds no session of kops-mfa's gets nothing but the removal
 * of stale markers; its own AWS_* values are not kops-mfa's to touch.
 */
export function logoutOps(env: NodeJS.ProcessEnv): EnvOp[] {
  const ops: EnvOp[] = [];
  if (holdsOwnSession(env)) {
    const saved = savedOf(env);
    for (const name of SESSION_VARS) if (!(name in saved)) saved[name] = null;
    for (const [name, value] of Object.entries(saved)) {
      ops.push(value === null ? { op: 'unset', name } : { op: 'set', name, value });
    }
  } else if (env[MARKER] !== undefined && env[KEY_ID] === undefined) {
    // A shell logged in by kops-mfa 0.1: its keys are the session; AWS_PROFILE was kept aside.
    for (const name of SESSION_VARS) ops.push({ op: 'unset', name });
    const previous = env[LEGACY_PREV_PROFILE];
    if (previous) ops.push({ op: 'set', name: 'AWS_PROFILE', value: previous });
  }
  for (const name of OWN_VARS) if (env[name] !== undefined) ops.push({ op: 'unset', name });
  return ops;
}

/** Apply operations to an environment object (exec's child environment). */
function applyOps(env: NodeJS.ProcessEnv, ops: readonly EnvOp[]): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const o of ops) {
    if (o.op === 'set') out[o.name] = o.value;
    else delete out[o.name];
  }
  return out;
}

/** exec's child: the session, but not the long-term keys kept aside for a re-login of the shell. */
export function childEnv(env: NodeJS.ProcessEnv, ops: readonly EnvOp[]): NodeJS.ProcessEnv {
  const out = applyOps(env, ops);
  delete out[SAVED];
  return out;
}

/** Linux passes no single NAME=value string over 128 KiB (MAX_ARG_STRLEN) to a child. */
const MAX_ENV_STRING_BYTES = 128 * 1024;

/** Why a value cannot live in the environment of a child process, or undefined when it can. */
export function envValueProblem(name: string, value: string): string | undefined {
  // No environment variable can hold a NUL byte (C strings end there).
  if (value.includes('\0')) return 'the value contains a NUL byte';
  const bytes = Buffer.byteLength(name) + 1 + Buffer.byteLength(value) + 1;
  if (bytes > MAX_ENV_STRING_BYTES) {
    return `the value is ${bytes} bytes, over the ${MAX_ENV_STRING_BYTES} that the OS passes to a command; every command in that shell would fail with "Argument list too long"`;
  }
  return undefined;
}
