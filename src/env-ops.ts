// One ordered list of environment operations serves env, exec and logout, so
// every shell gets the same statements in the same order.

export type EnvOp = { op: 'set'; name: string; value: string } | { op: 'unset'; name: string };

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO 8601 UTC, e.g. 2026-11-23T23:05:00.000Z */
  expiration: string;
}

/** Exported by env: names the profile of the session, so a re-login finds it
 * after AWS_PROFILE was unset, and tells kops-mfa that the AWS_* keys in the
 * environment are its own temporary ones, never long-term source keys. */
export const MARKER = 'KOPS_MFA_SESSION';
/** The AWS_PROFILE that was set before the first login; logout gives it back. */
export const PREV_PROFILE = 'KOPS_MFA_PREV_PROFILE';

export const SESSION_VARS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
] as const;

export interface LoginContext {
  profile: string;
  /** Region to export (flag, AWS_REGION, or the profile's); undefined when only the default applied. */
  region?: string | undefined;
  /** AWS_PROFILE before this login, to be given back by logout. */
  previousProfile?: string | undefined;
}

export function loginOps(creds: SessionCredentials, ctx: LoginContext): EnvOp[] {
  const ops: EnvOp[] = [
    { op: 'set', name: 'AWS_ACCESS_KEY_ID', value: creds.accessKeyId },
    { op: 'set', name: 'AWS_SECRET_ACCESS_KEY', value: creds.secretAccessKey },
    { op: 'set', name: 'AWS_SESSION_TOKEN', value: creds.sessionToken },
    { op: 'set', name: 'AWS_CREDENTIAL_EXPIRATION', value: creds.expiration },
  ];
  if (ctx.region) {
    ops.push({ op: 'set', name: 'AWS_REGION', value: ctx.region });
    ops.push({ op: 'set', name: 'AWS_DEFAULT_REGION', value: ctx.region });
  }
  ops.push({ op: 'set', name: MARKER, value: ctx.profile });
  if (ctx.previousProfile) ops.push({ op: 'set', name: PREV_PROFILE, value: ctx.previousProfile });
  ops.push({ op: 'unset', name: 'AWS_PROFILE' });
  return ops;
}

/** Undo a login: drop the session and the markers, give AWS_PROFILE back. */
export function logoutOps(env: NodeJS.ProcessEnv): EnvOp[] {
  const ops: EnvOp[] = [...SESSION_VARS, MARKER, PREV_PROFILE].map((name) => ({ op: 'unset' as const, name }));
  const previous = env[PREV_PROFILE];
  if (previous) ops.push({ op: 'set', name: 'AWS_PROFILE', value: previous });
  return ops;
}

/** Apply operations to an environment object (exec's child environment). */
export function applyOps(env: NodeJS.ProcessEnv, ops: readonly EnvOp[]): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const o of ops) {
    if (o.op === 'set') out[o.name] = o.value;
    else delete out[o.name];
  }
  return out;
}
