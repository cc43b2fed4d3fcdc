// Settings: flags over environment over the AWS profile over defaults, each
// layer filling only what the one above left empty; a profile named with
// --profile is the user's choice and beats the KOPS_MFA_* variables (as the
// AWS CLI lets a named profile beat the environment). Pure: the AWS files and
// the environment come in as data, so tests can drive every branch. The
// environment is the one from before kops-mfa's login in this shell
// (baseEnv), so the session kops-mfa exported never counts as the user's.
import { configError, quoted, shortened } from '../errors.js';
import { baseEnv, MARKER } from '../shell/saved-state.js';
import { profileNames, type AwsFiles, type Profile } from './aws-files.js';
import { didYouMean } from '../cli/suggest.js';
import { LOGIN_OPTIONS, type Flags } from '../cli/options.js';
import { readKnown, type Known } from '../keys/known.js';

/**
 * Where the long-term (or at least not kops-mfa's own) keys that sign the STS
 * call come from. Nothing secret is fetched to make this: the keyring and
 * credential_process are asked only when an STS call is due
 * (src/keys/source.ts), so the cached path loads no native addon and runs
 * no command.
 */
export interface SourceKeys {
  kind: 'keyring' | 'file' | 'process' | 'environment';
  /** In words: "the keyring entry alice", "credential_process of profile alice", "profile alice", "the environment". */
  origin: string;
  /** The profile the keys belong to (the keyring entry's name; the end of the source_profile chain). */
  profile?: string | undefined;
  /** The access key id when it is known without a secret: file, environment, a keyring entry kops-mfa recorded. */
  accessKeyId?: string | undefined;
  /** file and environment only: those keys are in hand already. */
  secretAccessKey?: string | undefined;
  sessionToken?: string | undefined;
  /** credential_process: the command line. */
  command?: string | undefined;
  /**
   * Not secret: which keys sign, for the cache key. The access key id when
   * known (so caches made with keys in ~/.aws/credentials still hit after
   * `keys import`), else `keyring:NAME` or `process:PROFILE:COMMAND`.
   */
  cacheId: string;
  /** A keyring entry looked for last (not recorded): what to say when it is not there either. */
  missing?: string | undefined;
}

/** Keys in hand, for one STS call. */
export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** A role to assume, without MFA, on the way from the source keys to the MFA call. */
interface RoleHop {
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
  /** What the flag, variable or profile asked for, before AWS's one-hour cap for sessions from an MFA session. */
  requestedDurationSeconds: number;
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
  /** Length of the MFA session to buy with the code; 0: none, the code goes to the role call. */
  mfaSessionSeconds: number;
  refresh: boolean;
  useCache: boolean;
  /** --no-prompt: fail instead of asking for a code. */
  noPrompt: boolean;
  /** How long one STS attempt may take (KOPS_MFA_STS_TIMEOUT), in seconds. */
  stsTimeoutSeconds: number;
  /** KOPS_MFA_* variables that were set but lost to the profile named with --profile. */
  ignoredVariables: string[];
  /** KOPS_STATE_STORE and KOPS_CLUSTER_NAME to export, from kops_state_store and kops_cluster_name. */
  kops: KopsContext;
}

const DEFAULT_REGION = 'us-east-1';
const DEFAULT_SESSION_NAME = 'kops-access';
const DEFAULT_DURATION = 3600;
const DEFAULT_MIN_REMAINING_MINUTES = 5;
/** AWS caps a role session assumed with session credentials at one hour. */
const CHAINED_ROLE_MAX_SECONDS = 3600;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const MFA_ARN = /^arn:aws[a-z-]*:iam::\d{12}:mfa\/[\w+=,.@/-]{1,512}$/;
const HARDWARE_SERIAL = /^[\w+=/:,.@-]{9,256}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const REGION = /^[a-z]{2,}(-[a-z0-9]+)+$/;
export const TOKEN_CODE = /^\d{6}$/;
/** KOPS_MFA_STS_TIMEOUT's range, in seconds: below it no STS answers in time, above it the timers overflow. */
const STS_TIMEOUT_RANGE = { min: 0.5, max: 300, default: 8 } as const;

/**
 * A number of seconds from the environment, checked against its range: a
 * value out of it (1e9 overflows Node's timers to 1 ms) is a config error
 * that names the variable, never a silent default.
 */
export function secondsSetting(env: NodeJS.ProcessEnv, name: string, range: { min: number; max: number; default: number }): number {
  const text = nonEmpty(env[name]);
  const seconds = text === undefined ? range.default : Number(text);
  if (!(seconds >= range.min && seconds <= range.max)) {
    throw configError(`${name} ${quoted(text ?? '')} must be a number of seconds from ${range.min} to ${range.max}`);
  }
  return seconds;
}

/**
 * The profile every command works on (env, exec, status, logout, …):
 * --profile, AWS_PROFILE, the profile of the session this shell is logged
 * into (AWS_PROFILE was unset then), default.
 */
export function profileName(flags: Flags, env: NodeJS.ProcessEnv): string {
  return str(flags.profile) || env.AWS_PROFILE || env[MARKER] || 'default';
}

const str = (v: string | true | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** Resolve everything a login needs. Throws a config error that says what to set. */
export function resolveSettings(flags: Flags, shellEnv: NodeJS.ProcessEnv, files: AwsFiles, known: Known = readKnown(shellEnv)): Settings {
  const profile = profileName(flags, shellEnv);
  const env = baseEnv(shellEnv);
  const p = mergedProfile(files, profile);
  if (!p && (flags.profile || shellEnv.AWS_PROFILE)) {
    const hint = didYouMean(profile, profileNames(files), (n) => `--profile ${n}`);
    throw configError(`profile ${shortened(profile)}${flags.profile ? '' : ' (AWS_PROFILE)'} is not in ${home(files.configPath, shellEnv)}${hint || `; kops-mfa setup ${shortened(profile)} writes it`}`);
  }
  const prof: Profile = p ?? {};
  const ignoredVariables: string[] = [];
  const pick = (name: string) => layered(name, flags, env, prof, ignoredVariables);

  const roleArn = pick('role-arn');
  const serialNumber = pick('serial-number');
  if (!serialNumber) throw noDevice(files, profile, !!(flags.profile || shellEnv.AWS_PROFILE || shellEnv[MARKER]), shellEnv);
  if (roleArn !== undefined && !ROLE_ARN.test(roleArn)) {
    throw configError(`role ARN ${quoted(roleArn)} is not of the form arn:aws:iam::123456789012:role/NAME`);
  }
  if (serialNumber.startsWith('arn:') ? !MFA_ARN.test(serialNumber) : !HARDWARE_SERIAL.test(serialNumber)) {
    throw configError(
      `MFA serial ${quoted(serialNumber)} is not of the form arn:aws:iam::123456789012:mfa/DEVICE (or a token's serial)`,
    );
  }

  const mfaText = pick('mfa-session-duration');
  const mfaSessionSeconds = mfaText === undefined ? 0 : Number(mfaText);
  if (mfaText !== undefined && (!/^\d+$/.test(mfaText) || (mfaSessionSeconds !== 0 && (mfaSessionSeconds < 900 || mfaSessionSeconds > 129600)))) {
    throw configError(`MFA session duration ${quoted(mfaText)} must be 0 (off) or a whole number of seconds from 900 to 129600`);
  }

  const maxDuration = roleArn ? 43200 : 129600;
  const durationText = pick('duration-seconds');
  let durationSeconds = durationText === undefined ? DEFAULT_DURATION : Number(durationText);
  if (durationText !== undefined && (!/^\d+$/.test(durationText) || durationSeconds < 900 || durationSeconds > maxDuration)) {
    throw configError(`duration ${quoted(durationText)} must be a whole number of seconds from 900 to ${maxDuration}`);
  }
  // AWS caps it; the login says so when it makes such a session (not at every cache hit).
  const requestedDurationSeconds = durationSeconds;
  if (roleArn && mfaSessionSeconds > 0 && durationSeconds > CHAINED_ROLE_MAX_SECONDS) durationSeconds = CHAINED_ROLE_MAX_SECONDS;

  const roleSessionName = pick('role-session-name') ?? DEFAULT_SESSION_NAME;
  if (!SESSION_NAME.test(roleSessionName)) {
    throw configError(`session name ${quoted(roleSessionName)} must be 2 to 64 of the characters A-Z a-z 0-9 + = , . @ _ -`);
  }
  const externalId = pick('external-id');
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    throw configError(`external id ${quoted(externalId)} must be 2 to 1224 of the characters A-Z a-z 0-9 + = , . @ : / _ -`);
  }

  const exportRegion = nonEmpty(str(flags.region)) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? nonEmpty(prof.region);
  if (exportRegion !== undefined && !REGION.test(exportRegion)) {
    throw configError(`region ${quoted(exportRegion)} is not a region name such as eu-west-1`);
  }

  const tokenCode = str(flags['token-code']);
  if (tokenCode !== undefined && !TOKEN_CODE.test(tokenCode)) {
    throw configError('--token-code must be the 6 digits your MFA device shows');
  }

  const minText = pick('min-remaining');
  const minRemaining = minText === undefined ? DEFAULT_MIN_REMAINING_MINUTES : Number(minText);
  if (minText !== undefined && (!/^\d+$/.test(minText) || minRemaining > 720)) {
    throw configError(`minimum remaining time ${quoted(minText)} must be a whole number of minutes from 0 to 720`);
  }

  const stsTimeoutSeconds = secondsSetting(env, 'KOPS_MFA_STS_TIMEOUT', STS_TIMEOUT_RANGE);

  const { source, hops } = resolveSource(files, profile, env, known);
  if (mfaSessionSeconds > 0 && (hops.length > 0 || source.sessionToken)) {
    throw configError(
      `mfa_session_duration needs a user's keys, and profile ${profile} signs with ${hops.length > 0 ? 'a role' : 'temporary keys'}: remove it`,
    );
  }

  return {
    profile,
    roleArn,
    serialNumber,
    durationSeconds,
    requestedDurationSeconds,
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
    mfaSessionSeconds,
    refresh: flags.refresh === true,
    useCache: flags['no-cache'] !== true,
    noPrompt: flags['no-prompt'] === true,
    stsTimeoutSeconds,
    ignoredVariables,
    kops: checkedKops(pick('kops-state-store'), pick('kops-cluster-name')),
  };
}

/**
 * One option by the precedence every command uses: the flag, its variable
 * (from the environment before kops-mfa's login), the profile's key; with
 * --profile, the profile's key comes before a KOPS_MFA_* variable, which is
 * then named in `ignored`. Empty counts as unset.
 */
function layered(name: string, flags: Flags, env: NodeJS.ProcessEnv, prof: Profile, ignored: string[] = []): string | undefined {
  const o = LOGIN_OPTIONS.find((x) => x.name === name);
  if (!o) throw new Error(`no option ${name} in the option table`);
  const flag = nonEmpty(str(flags[name]));
  const fromEnv = o.env ? nonEmpty(env[o.env]) : undefined;
  const fromProfile = o.profileKey ? nonEmpty(prof[o.profileKey]) : undefined;
  if (flag !== undefined) return flag;
  if (str(flags.profile) !== undefined && fromProfile !== undefined && fromEnv !== undefined && o.env?.startsWith('KOPS_MFA_')) {
    if (fromEnv !== fromProfile) ignored.push(o.env);
    return fromProfile;
  }
  return fromEnv ?? fromProfile;
}

/** No MFA device: which profile to choose, or what to add, or `setup` on a machine with no MFA profile at all. */
function noDevice(files: AwsFiles, profile: string, chosen: boolean, env: NodeJS.ProcessEnv): Error {
  if (chosen && mergedProfile(files, profile)) {
    return configError(`profile ${profile} has no mfa_serial: add it in ${home(files.configPath, env)}, or run kops-mfa setup ${profile}`);
  }
  const mfa = profileNames(files).filter((n) => {
    const q = mergedProfile(files, n);
    return nonEmpty(q?.mfa_serial) !== undefined || nonEmpty(q?.role_arn) !== undefined;
  });
  if (mfa.length === 0) return configError('no profile with MFA is set up: run kops-mfa setup (or pass --serial-number)');
  const some = mfa.length > 5 ? `${mfa.slice(0, 5).join(', ')}, …` : mfa.join(', ');
  return configError(`no profile chosen: kops-login --profile NAME, NAME one of ${some}`);
}

/** A path as a person writes it: ~/.aws/config. */
function home(path: string, env: NodeJS.ProcessEnv): string {
  const h = env.HOME || env.USERPROFILE;
  return h && path.startsWith(`${h}/`) ? `~${path.slice(h.length)}` : path;
}

/** A profile as the AWS CLI sees it: keys from the credentials file win over the config file's. */
export function mergedProfile(files: AwsFiles, name: string): Profile | undefined {
  const c = files.config[name];
  const k = files.credentials[name];
  if (!c && !k) return undefined;
  return { ...c, ...k };
}

/**
 * Where the keys that sign the STS call come from. The profile's
 * source_profile is followed (a chain; a profile on the way that has a
 * role_arn is assumed, without MFA) to the profile that holds the keys; its
 * keys come from, in this order: the keyring entry named after it (one that
 * kops-mfa recorded), its own aws_access_key_id/aws_secret_access_key, its
 * credential_process, then (for the profile itself) AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY from the environment unless they are the temporary
 * keys kops-mfa exported, and last a keyring entry kops-mfa did not record
 * (one written by another tool).
 */
export function resolveSource(
  files: AwsFiles,
  profile: string,
  env: NodeJS.ProcessEnv,
  known: Known = {},
): { source: SourceKeys; hops: RoleHop[] } {
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
      if (!nextProf && !known[next]) throw configError(`profile ${current} names source_profile ${next}, which is not in ${home(files.configPath, env)}`);
      const hopRole = nonEmpty(nextProf?.role_arn);
      if (nextProf && hopRole && (nonEmpty(nextProf.source_profile) || nonEmpty(nextProf.credential_source))) {
        if (nonEmpty(nextProf.mfa_serial)) {
          throw configError(
            `source_profile ${next} of profile ${current} needs MFA too (one code serves one role): point it at a profile with keys`,
          );
        }
        if (!ROLE_ARN.test(hopRole)) throw configError(`role_arn of profile ${next} is not of the form arn:aws:iam::123456789012:role/NAME`);
        hops.unshift({
          profile: next,
          roleArn: hopRole,
          externalId: nonEmpty(nextProf.external_id),
          roleSessionName: nonEmpty(nextProf.role_session_name) ?? DEFAULT_SESSION_NAME,
        });
      }
      current = next;
      prof = nextProf ?? {};
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
    const recorded = known[current];
    if (recorded) return { source: keyringSource(current, recorded.accessKeyId), hops };
    const id = nonEmpty(prof.aws_access_key_id);
    const secret = nonEmpty(prof.aws_secret_access_key);
    if (id && secret) {
      return {
        source: {
          kind: 'file',
          origin: `profile ${current}`,
          profile: current,
          accessKeyId: id,
          secretAccessKey: secret,
          sessionToken: nonEmpty(prof.aws_session_token),
          cacheId: id,
        },
        hops,
      };
    }
    const command = nonEmpty(prof.credential_process);
    if (command) {
      return {
        source: { kind: 'process', origin: `credential_process of profile ${current}`, profile: current, command, cacheId: `process:${current}:${command}` },
        hops,
      };
    }
    if (current === profile) {
      const keys = envKeys(env);
      if (keys) return { source: keys, hops };
    }
    // Last: an entry another tool wrote (secret-tool, Keychain Access). Read
    // when the STS call is due; none there is the "no keys" error then.
    const missing =
      current !== profile
        ? `source profile ${current} has no aws_access_key_id and aws_secret_access_key in ${home(files.credentialsPath, env)}`
        : `no long-term AWS keys for profile ${profile}: add a source_profile, or run kops-mfa setup ${profile}`;
    return { source: { ...keyringSource(current, undefined), missing }, hops };
  }
}

function keyringSource(name: string, accessKeyId: string | undefined): SourceKeys {
  return { kind: 'keyring', origin: `the keyring entry ${name}`, profile: name, accessKeyId, cacheId: accessKeyId ?? `keyring:${name}` };
}

/** Keys from the environment before kops-mfa's login (baseEnv): never the session it exported. */
function envKeys(env: NodeJS.ProcessEnv): SourceKeys | undefined {
  const id = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secret = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  if (!id || !secret) return undefined;
  return {
    kind: 'environment',
    origin: 'the environment',
    accessKeyId: id,
    secretAccessKey: secret,
    sessionToken: nonEmpty(env.AWS_SESSION_TOKEN),
    cacheId: id,
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/**
 * One login option by the precedence resolveSettings uses: the flag, its
 * variable (from the environment before kops-mfa's login), the key of the
 * profile this command works on. Empty counts as unset.
 */
export function optionValue(name: string, flags: Flags, shellEnv: NodeJS.ProcessEnv, files: AwsFiles): string | undefined {
  return layered(name, flags, baseEnv(shellEnv), mergedProfile(files, profileName(flags, shellEnv)) ?? {});
}

/** The schemes kops's virtual file system reads a state store from. */
const KOPS_STATE_STORE = /^(s3|gs|azureblob|do|swift|scw|oss|memfs|file):\/\/[^\s\0-\x1f\x7f]+$/;
/** A DNS-1123 subdomain, as kops requires of a cluster name. */
const KOPS_CLUSTER_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

interface KopsContext {
  stateStore?: string;
  clusterName?: string;
}

/** The kops state store and cluster name of the profile (kops_state_store, kops_cluster_name), checked. */
export function resolveKopsContext(flags: Flags, shellEnv: NodeJS.ProcessEnv, files: AwsFiles): KopsContext {
  return checkedKops(optionValue('kops-state-store', flags, shellEnv, files), optionValue('kops-cluster-name', flags, shellEnv, files));
}

function checkedKops(stateStore: string | undefined, clusterName: string | undefined): KopsContext {
  if (stateStore !== undefined && !KOPS_STATE_STORE.test(stateStore)) {
    throw configError(`kops state store ${JSON.stringify(stateStore)} is not a URL such as s3://my-kops-state (s3, gs, azureblob, do, swift, scw)`);
  }
  if (clusterName !== undefined && !KOPS_CLUSTER_NAME.test(clusterName)) {
    throw configError(`kops cluster name ${JSON.stringify(clusterName)} is not a lower-case DNS name such as k8s.example.com`);
  }
  return { ...(stateStore ? { stateStore } : {}), ...(clusterName ? { clusterName } : {}) };
}
