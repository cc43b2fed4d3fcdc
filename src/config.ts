// Settings: flags over environment over the AWS profile over defaults, each
// layer filling only what the one above left empty. Pure: the AWS files and
// the environment come in as data, so tests can drive every branch.
import { configError } from './errors.js';
import { MARKER, PREV_PROFILE } from './env-ops.js';
import type { AwsFiles, Profile } from './aws-files.js';

export interface Flags {
  profile?: string | undefined;
  roleArn?: string | undefined;
  serialNumber?: string | undefined;
  tokenCode?: string | undefined;
  durationSeconds?: string | undefined;
  roleSessionName?: string | undefined;
  externalId?: string | undefined;
  region?: string | undefined;
  minRemaining?: string | undefined;
  refresh?: boolean | undefined;
  /** false with --no-cache */
  cache?: boolean | undefined;
}

/** Long-term (or at least not kops-mfa's own) keys that sign the STS call. */
export interface SourceKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  /** Where they came from, for messages: "profile dev" or "the environment". */
  origin: string;
}

/** A role to assume, without MFA, on the way from the source keys to the MFA call. */
export interface RoleHop {
  profile: string;
  roleArn: string;
  externalId?: string | undefined;
  roleSessionName: string;
}

export interface Settings {
  profile: string;
  /** Absent: GetSessionToken with MFA instead of AssumeRole. */
  roleArn?: string | undefined;
  serialNumber: string;
  durationSeconds: number;
  roleSessionName: string;
  externalId?: string | undefined;
  /** Region for the STS client (us-east-1 when nothing else says). */
  region: string;
  /** Region to export: only when one was configured. */
  exportRegion?: string | undefined;
  /** STS endpoint override from the environment, part of the cache key. */
  endpoint?: string | undefined;
  source: SourceKeys;
  hops: RoleHop[];
  tokenCode?: string | undefined;
  mfaProcess?: string | undefined;
  minRemainingSeconds: number;
  refresh: boolean;
  useCache: boolean;
  /** AWS_PROFILE before the first login, for logout to give back. */
  previousProfile?: string | undefined;
}

export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_SESSION_NAME = 'kops-access';
export const DEFAULT_DURATION = 3600;
export const DEFAULT_MIN_REMAINING_MINUTES = 5;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const MFA_ARN = /^arn:aws[a-z-]*:iam::\d{12}:mfa\/[\w+=,.@/-]{1,512}$/;
const HARDWARE_SERIAL = /^[\w+=/:,.@-]{9,256}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const REGION = /^[a-z]{2,}(-[a-z0-9]+)+$/;
export const TOKEN_CODE = /^\d{6}$/;

/** The profile this command works on: --profile, AWS_PROFILE, the profile of
 * the session this shell is logged into (AWS_PROFILE was unset then), default. */
export function profileName(flags: Pick<Flags, 'profile'>, env: NodeJS.ProcessEnv): string {
  return flags.profile || env.AWS_PROFILE || env[MARKER] || 'default';
}

/** Resolve everything a login needs. Throws a config error that says what to set. */
export function resolveSettings(flags: Flags, env: NodeJS.ProcessEnv, files: AwsFiles): Settings {
  const profile = profileName(flags, env);
  const p = mergedProfile(files, profile);
  if (!p && (flags.profile || env.AWS_PROFILE)) {
    throw configError(`profile ${profile} is not in ${files.configPath} or ${files.credentialsPath}`);
  }
  const prof: Profile = p ?? {};
  const pick = (flag: string | undefined, envName: string, key: string) =>
    nonEmpty(flag) ?? nonEmpty(env[envName]) ?? nonEmpty(prof[key]);

  const roleArn = pick(flags.roleArn, 'KOPS_MFA_ROLE_ARN', 'role_arn');
  const serialNumber = pick(flags.serialNumber, 'KOPS_MFA_ARN', 'mfa_serial');
  const where = p ? `profile ${profile}` : 'the environment';
  if (!serialNumber) {
    throw configError(
      `no MFA device for ${where}: pass --serial-number, set KOPS_MFA_ARN, or add mfa_serial to [profile ${profile}] in ${files.configPath}`,
    );
  }
  if (roleArn !== undefined && !ROLE_ARN.test(roleArn)) {
    throw configError(`role ARN ${JSON.stringify(roleArn)} is not of the form arn:aws:iam::123456789012:role/NAME`);
  }
  if (serialNumber.startsWith('arn:') ? !MFA_ARN.test(serialNumber) : !HARDWARE_SERIAL.test(serialNumber)) {
    throw configError(
      `MFA serial ${JSON.stringify(serialNumber)} is not of the form arn:aws:iam::123456789012:mfa/DEVICE (or a hardware token's serial)`,
    );
  }

  const maxDuration = roleArn ? 43200 : 129600;
  const durationText = pick(flags.durationSeconds, 'KOPS_MFA_DURATION', 'duration_seconds');
  const durationSeconds = durationText === undefined ? DEFAULT_DURATION : Number(durationText);
  if (durationText !== undefined && (!/^\d+$/.test(durationText) || durationSeconds < 900 || durationSeconds > maxDuration)) {
    throw configError(`duration ${JSON.stringify(durationText)} must be a whole number of seconds from 900 to ${maxDuration}`);
  }

  const roleSessionName = pick(flags.roleSessionName, 'KOPS_MFA_SESSION_NAME', 'role_session_name') ?? DEFAULT_SESSION_NAME;
  if (!SESSION_NAME.test(roleSessionName)) {
    throw configError(`session name ${JSON.stringify(roleSessionName)} must be 2 to 64 of the characters A-Z a-z 0-9 + = , . @ _ -`);
  }
  const externalId = nonEmpty(flags.externalId) ?? nonEmpty(prof.external_id);
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    throw configError(`external id ${JSON.stringify(externalId)} must be 2 to 1224 of the characters A-Z a-z 0-9 + = , . @ : / _ -`);
  }

  const exportRegion = nonEmpty(flags.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? nonEmpty(prof.region);
  if (exportRegion !== undefined && !REGION.test(exportRegion)) {
    throw configError(`region ${JSON.stringify(exportRegion)} is not a region name such as eu-west-1`);
  }

  const tokenCode = flags.tokenCode;
  if (tokenCode !== undefined && !TOKEN_CODE.test(tokenCode)) {
    throw configError('--token-code must be the 6 digits your MFA device shows');
  }

  const minText = nonEmpty(flags.minRemaining) ?? nonEmpty(env.KOPS_MFA_MIN_REMAINING);
  const minRemaining = minText === undefined ? DEFAULT_MIN_REMAINING_MINUTES : Number(minText);
  if (minText !== undefined && (!/^\d+$/.test(minText) || minRemaining > 720)) {
    throw configError(`minimum remaining time ${JSON.stringify(minText)} must be a whole number of minutes from 0 to 720`);
  }

  const { source, hops } = resolveSource(files, profile, env);
  const previousProfile = nonEmpty(env.AWS_PROFILE) ?? nonEmpty(env[PREV_PROFILE]);

  return {
    profile,
    roleArn,
    serialNumber,
    durationSeconds,
    roleSessionName,
    externalId,
    region: exportRegion ?? DEFAULT_REGION,
    exportRegion,
    endpoint: nonEmpty(env.AWS_ENDPOINT_URL_STS) ?? nonEmpty(env.AWS_ENDPOINT_URL),
    source,
    hops,
    tokenCode,
    mfaProcess: nonEmpty(prof.mfa_process),
    minRemainingSeconds: minRemaining * 60,
    refresh: flags.refresh === true,
    useCache: flags.cache !== false,
    previousProfile,
  };
}

/** A profile as the AWS CLI sees it: keys from the credentials file win over the config file's. */
export function mergedProfile(files: AwsFiles, name: string): Profile | undefined {
  const c = files.config[name];
  const k = files.credentials[name];
  if (!c && !k) return undefined;
  return { ...c, ...k };
}

/**
 * The keys that sign the STS call. Order: the profile's source_profile (a chain
 * is followed; a profile on the way that has a role_arn is assumed, without
 * MFA), else the profile's own keys, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
 * from the environment unless they are the temporary keys kops-mfa exported.
 */
export function resolveSource(files: AwsFiles, profile: string, env: NodeJS.ProcessEnv): { source: SourceKeys; hops: RoleHop[] } {
  const hops: RoleHop[] = [];
  const seen = [profile];
  let current = profile;
  let prof = mergedProfile(files, profile) ?? {};
  for (;;) {
    const next = nonEmpty(prof.source_profile);
    const credentialSource = nonEmpty(prof.credential_source);
    if (next && next !== current) {
      if (seen.includes(next)) throw configError(`source_profile loop: ${[...seen, next].join(' -> ')}`);
      seen.push(next);
      const nextProf = mergedProfile(files, next);
      if (!nextProf) throw configError(`profile ${current} names source_profile ${next}, which is not in ${files.configPath}`);
      const hopRole = nonEmpty(nextProf.role_arn);
      if (hopRole && (nonEmpty(nextProf.source_profile) || nonEmpty(nextProf.credential_source))) {
        if (nonEmpty(nextProf.mfa_serial)) {
          throw configError(
            `profile ${next} (the source_profile of ${current}) needs MFA too; one code cannot serve two roles: point source_profile at a profile with keys`,
          );
        }
        if (!ROLE_ARN.test(hopRole)) throw configError(`role_arn of profile ${next} is not a role ARN`);
        hops.unshift({
          profile: next,
          roleArn: hopRole,
          externalId: nonEmpty(nextProf.external_id),
          roleSessionName: nonEmpty(nextProf.role_session_name) ?? DEFAULT_SESSION_NAME,
        });
      }
      current = next;
      prof = nextProf;
      continue;
    }
    if (credentialSource) {
      if (credentialSource !== 'Environment') {
        throw configError(`profile ${current}: credential_source = ${credentialSource} is not supported; use Environment, source_profile or keys`);
      }
      const keys = envKeys(env);
      if (!keys) throw configError(`profile ${current} has credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set`);
      return { source: keys, hops };
    }
    const id = nonEmpty(prof.aws_access_key_id);
    const secret = nonEmpty(prof.aws_secret_access_key);
    if (id && secret) {
      return {
        source: { accessKeyId: id, secretAccessKey: secret, sessionToken: nonEmpty(prof.aws_session_token), origin: `profile ${current}` },
        hops,
      };
    }
    if (current !== profile) {
      throw configError(`source profile ${current} has no aws_access_key_id and aws_secret_access_key in ${files.credentialsPath}`);
    }
    const keys = envKeys(env);
    if (keys) return { source: keys, hops };
    throw configError(
      `no long-term AWS keys for profile ${profile}: add source_profile or aws_access_key_id/aws_secret_access_key to it, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
    );
  }
}

/** Keys from the environment, unless they are a session kops-mfa exported itself. */
function envKeys(env: NodeJS.ProcessEnv): SourceKeys | undefined {
  const id = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secret = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  if (!id || !secret) return undefined;
  if (env[MARKER] !== undefined) return undefined;
  return { accessKeyId: id, secretAccessKey: secret, sessionToken: nonEmpty(env.AWS_SESSION_TOKEN), origin: 'the environment' };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
