// `kops-mfa status`: the session of this shell, the newest cached one of the
// profile, and the MFA session of its device; `--all`: every cached session
// in one table. Cheap enough for a prompt: no AWS SDK, no AWS call, a few
// small files.
import { loadAwsFiles, profileNames, type AwsFiles } from '../../settings/aws-files.js';
import { listEntries, openCache, type CacheEntry } from '../../store/cache.js';
import { mergedProfile, optionValue, profileName } from '../../settings/config.js';
import type { Context, Outcome } from '../../context.js';
import { credibleExpiry, describeExpiry, formatLeft, secondsLeft } from '../../session/credentials.js';
import { holdsOwnSession, MARKER } from '../../shell/saved-state.js';
import { KOPS_VARS } from '../../shell/env-ops.js';
import { ExitCode } from '../../errors.js';
import type { Flags } from '../options.js';
import { printable } from '../../printable.js';

interface Seen {
  profile: string;
  /** null when unknown, so the JSON always has the same keys. For the MFA session: its device. */
  arn: string | null;
  expiration: string;
  secondsLeft: number;
  valid: boolean;
}

type Listed = Array<{ file: string; entry: CacheEntry }>;

export function statusCommand(flags: Flags, ctx: Context): Outcome {
  const now = ctx.now();
  // Read-only and quiet, as a prompt needs: a damaged file is the next login's to report and replace.
  const entries = listEntries(cacheFolder(ctx.env), () => {}, false).filter((e) => credibleExpiry(e.entry.credentials.expiration, now));
  const files = readFiles(ctx.env);
  if (flags.all === true) return allSessions(flags, ctx, entries, files, now);

  const profile = profileName(flags, ctx.env);
  const seen = (p: string, arn: string | undefined, expiration: string): Seen => {
    const left = Math.floor(secondsLeft({ expiration }, now));
    return { profile: p, arn: arn ?? null, expiration, secondsLeft: left, valid: left > 0 };
  };

  let shell: Seen | null = null;
  const marker = ctx.env[MARKER];
  const expiration = ctx.env.AWS_CREDENTIAL_EXPIRATION;
  const loggedIn = !!marker && holdsOwnSession(ctx.env);
  if (marker && loggedIn && expiration && !Number.isNaN(Date.parse(expiration)) && credibleExpiry(expiration, now)) {
    const own = entries.find((e) => e.entry.credentials.accessKeyId === ctx.env.AWS_ACCESS_KEY_ID);
    shell = seen(marker, own?.entry.arn, expiration);
  }
  const role = newest(entries.filter((e) => e.entry.kind === undefined && e.entry.profile === profile));
  const cache = role ? seen(profile, role.entry.arn ?? role.entry.roleArn, role.entry.credentials.expiration) : null;
  // The MFA session of the profile's device (flag, KOPS_MFA_ARN or mfa_serial, as a login reads it), else the one its newest role session names.
  const serial = deviceOf(flags, ctx.env, files) ?? role?.entry.serialNumber;
  const mfaEntry = newest(entries.filter((e) => e.entry.kind === 'mfa' && (e.entry.serialNumber === serial || e.entry.profile === profile)));
  // It serves the profile asked about: labelled with that profile, its device as the ARN.
  const mfaSession = mfaEntry ? seen(profile, mfaEntry.entry.serialNumber, mfaEntry.entry.credentials.expiration) : null;
  const kops = loggedIn ? kopsOf(ctx.env) : null;
  const valid = shell ? shell.valid : (cache?.valid ?? mfaSession?.valid ?? false);
  const code = valid ? ExitCode.ok : ExitCode.general;

  if (flags.json === true) return { stdout: `${JSON.stringify({ valid, shell, cache, mfaSession, ...(kops ? { kops } : {}) })}\n`, code };
  const line = (s: Seen | null, none: string) =>
    s ? `${printable(s.arn ? `${s.arn} (profile ${s.profile})` : `profile ${s.profile}`)}, ${describeExpiry(s.expiration, now)}` : none;
  const rows: Array<[string, string]> = [
    ['this shell', line(shell, 'not logged in')],
    ['cache', line(cache, noSession(flags, ctx.env, profile, entries, role ?? mfaEntry))],
  ];
  if (mfaSession) rows.push(['MFA session', `${printable(mfaSession.arn ?? '')}, ${describeExpiry(mfaSession.expiration, now)}`]);
  if (kops) rows.push(['kops', [kops.stateStore && `state ${kops.stateStore}`, kops.clusterName && `cluster ${kops.clusterName}`].filter(Boolean).map((s) => printable(s as string)).join(', ')]);
  return { stdout: labelled(rows), code };
}

/** `label: value` lines, the values in one column. */
function labelled(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, v]) => `${`${l}:`.padEnd(width)}${v}\n`).join('');
}

const newest = (list: Listed) =>
  [...list].sort((a, b) => Date.parse(b.entry.credentials.expiration) - Date.parse(a.entry.credentials.expiration))[0];

/**
 * The cache line when the profile has no session. With no profile chosen
 * (no --profile, AWS_PROFILE or login: `default` only by fallback), it
 * names what is cached instead of a profile nobody asked about.
 */
function noSession(flags: Flags, env: NodeJS.ProcessEnv, profile: string, entries: Listed, found: unknown): string {
  const roles = entries.filter((e) => e.entry.kind === undefined);
  const mfas = entries.filter((e) => e.entry.kind === 'mfa');
  const chosen = typeof flags.profile === 'string' || !!env.AWS_PROFILE || !!env[MARKER];
  const none = chosen ? `no session for profile ${printable(profile)}` : 'no profile chosen';
  if (found || roles.length + mfas.length === 0) return chosen ? none : `no session for profile ${printable(profile)}`;
  const profiles = [...new Set(roles.map((e) => e.entry.profile))];
  const shown = profiles.slice(0, 3).map(printable).join(', ') + (profiles.length > 3 ? ', …' : '');
  const parts = [
    roles.length > 0 && `${roles.length}${chosen ? ' other' : ''} role session${roles.length === 1 ? '' : 's'} (${shown})`,
    mfas.length > 0 && `${mfas.length === 1 ? 'an' : mfas.length} MFA session${mfas.length === 1 ? '' : 's'}`,
  ].filter(Boolean);
  return `${none}; cached: ${parts.join(' and ')} (kops-mfa status --all)`;
}

/** The kops context this shell's login exported. */
function kopsOf(env: NodeJS.ProcessEnv): { stateStore: string | null; clusterName: string | null } | null {
  const stateStore = env[KOPS_VARS.stateStore] || null;
  const clusterName = env[KOPS_VARS.clusterName] || null;
  return stateStore || clusterName ? { stateStore, clusterName } : null;
}

/** The verified cache folder; none when it is missing or not kops-mfa's own (the next login says why). */
function cacheFolder(env: NodeJS.ProcessEnv) {
  try {
    return openCache(env, { create: false });
  } catch {
    return undefined;
  }
}

/** The AWS files, or none when they cannot be read: status only reads, an unreadable file is the next login's to report. */
function readFiles(env: NodeJS.ProcessEnv): AwsFiles | undefined {
  try {
    return loadAwsFiles(env);
  } catch {
    return undefined;
  }
}

/** The MFA device a login of this profile would use. */
function deviceOf(flags: Flags, env: NodeJS.ProcessEnv, files: AwsFiles | undefined): string | undefined {
  if (!files) return env.KOPS_MFA_ARN || undefined;
  return optionValue('serial-number', flags, env, files);
}

interface Row {
  kind: 'role' | 'mfa';
  /** The profile of a role session; for an MFA session, the profiles that use its device. */
  profile: string;
  /** The role ARN; null for a session without a role (GetSessionToken) and for an MFA session. */
  role: string | null;
  /** The MFA device the session was bought with. */
  serialNumber: string;
  expiration: string;
  secondsLeft: number;
  valid: boolean;
  /** Whether this shell holds it. */
  thisShell: boolean;
}

function allSessions(flags: Flags, ctx: Context, entries: Listed, files: AwsFiles | undefined, now: Date): Outcome {
  const shellKey = holdsOwnSession(ctx.env) ? ctx.env.AWS_ACCESS_KEY_ID : undefined;
  const users = (serial: string) => {
    if (!files) return [];
    return profileNames(files).filter((p) => mergedProfile(files, p)?.mfa_serial === serial);
  };
  const rows: Row[] = entries.map(({ entry }) => {
    const left = Math.floor(secondsLeft(entry.credentials, now));
    const mfa = entry.kind === 'mfa';
    const using = mfa ? users(entry.serialNumber) : [];
    return {
      kind: mfa ? 'mfa' : 'role',
      profile: mfa && using.length > 0 ? using.join(',') : entry.profile,
      role: mfa ? null : (entry.roleArn ?? null),
      serialNumber: entry.serialNumber,
      expiration: entry.credentials.expiration,
      secondsLeft: left,
      valid: left > 0,
      thisShell: shellKey !== undefined && entry.credentials.accessKeyId === shellKey,
    };
  });
  rows.sort((a, b) => a.kind.localeCompare(b.kind) * -1 || a.profile.localeCompare(b.profile) || b.secondsLeft - a.secondsLeft);
  const code = rows.some((r) => r.valid) ? ExitCode.ok : ExitCode.general;
  if (flags.json === true) return { stdout: `${JSON.stringify({ sessions: rows })}\n`, code };
  if (rows.length === 0) return { stdout: 'no cached sessions\n', code };
  const table = [
    ['PROFILE', 'ROLE', 'LEFT', 'SOURCE'],
    ...rows.map((r) => [
      `${r.profile}${r.thisShell ? ' *' : ''}`,
      r.kind === 'mfa' ? 'MFA session' : (r.role ?? 'no role (GetSessionToken)'),
      formatLeft(r.expiration, now),
      r.serialNumber,
    ]).map((cells) => cells.map(printable)),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => (row[i] as string).length)));
  const text = table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ')).join('\n');
  const note = rows.some((r) => r.thisShell) ? '\n* this shell' : '';
  return { stdout: `${text}${note}\n`, code };
}
