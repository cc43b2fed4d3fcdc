// One ordered list of environment operations serves env, exec and logout, so
// every shell gets the same statements in the same order. A login owns the
// variables it sets and records what they held before (saved-state.ts).
import type { SessionCredentials } from '../session/credentials.js';
import { baseEnv, EXPIRES, holdsOwnSession, isLegacyLogin, KEY_ID, LEGACY_PREV_PROFILE, MARKER, OWN_VARS, SAVED, savedOf, SESSION_VARS } from './saved-state.js';

export type EnvOp = { op: 'set'; name: string; value: string } | { op: 'unset'; name: string };

const REGION_VARS = ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const;

/** What kops reads for --state and --name, set from the profile's kops_state_store and kops_cluster_name. */
export const KOPS_VARS = { stateStore: 'KOPS_STATE_STORE', clusterName: 'KOPS_CLUSTER_NAME' } as const;

/** The kops context of a profile; a field left out is not exported. */
interface KopsContext {
  stateStore?: string | undefined;
  clusterName?: string | undefined;
}

interface LoginContext {
  profile: string;
  /** Region to export (flag, AWS_REGION, or the profile's); undefined when only the default applied. */
  region?: string | undefined;
  /** The kops state store and cluster of the profile, exported for kops. */
  kops?: KopsContext | undefined;
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
  if (ctx.kops?.stateStore) sets.push([KOPS_VARS.stateStore, ctx.kops.stateStore]);
  if (ctx.kops?.clusterName) sets.push([KOPS_VARS.clusterName, ctx.kops.clusterName]);
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
  } else if (isLegacyLogin(env)) {
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
