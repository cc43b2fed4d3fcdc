// The one table of options. The parser (argv.ts), every command's --help and
// the shell completions (`kops-mfa complete`) read it; config.ts takes each
// option's environment variable and profile key from it.

export interface OptionSpec {
  /** Long name without dashes: `role-arn`. */
  readonly name: string;
  readonly short?: string;
  /** The placeholder of the value (`<arn>`); absent for a switch. */
  readonly value?: string;
  /** The environment variable that sets it when the flag is absent. */
  readonly env?: string;
  /** The key of an AWS profile that sets it when flag and variable are absent. */
  readonly profileKey?: string;
  readonly help: string;
  /** Shown after the help text: `default 3600`. */
  readonly fallback?: string;
  /** Completion offers profile names for its value. */
  readonly profiles?: true;
}

const PROFILE: OptionSpec = {
  name: 'profile',
  value: '<name>',
  env: 'AWS_PROFILE',
  help: 'AWS profile',
  fallback: 'the logged-in profile, then default',
  profiles: true,
};

/** env, exec and credential-process: everything a login reads. */
export const LOGIN_OPTIONS: readonly OptionSpec[] = [
  PROFILE,
  { name: 'role-arn', value: '<arn>', env: 'KOPS_MFA_ROLE_ARN', profileKey: 'role_arn', help: 'Role to assume', fallback: 'none: GetSessionToken' },
  { name: 'serial-number', value: '<arn>', env: 'KOPS_MFA_ARN', profileKey: 'mfa_serial', help: 'MFA device ARN' },
  {
    name: 'token-code',
    value: '<code>',
    help: 'The 6-digit MFA code; it stays in argv, which every local user can see, while kops-mfa runs: mfa_process or the prompt are better',
    fallback: 'asked on the terminal',
  },
  { name: 'duration-seconds', value: '<seconds>', env: 'KOPS_MFA_DURATION', profileKey: 'duration_seconds', help: 'Session length, 900-43200', fallback: 'default 3600' },
  {
    name: 'mfa-session-duration',
    value: '<seconds>',
    env: 'KOPS_MFA_MFA_SESSION_DURATION',
    profileKey: 'mfa_session_duration',
    help: 'Keep an MFA session this long (900-129600) and renew role sessions from it without a code',
    fallback: 'default 0: off',
  },
  { name: 'role-session-name', value: '<name>', env: 'KOPS_MFA_SESSION_NAME', profileKey: 'role_session_name', help: 'Session name', fallback: 'default kops-access' },
  { name: 'external-id', value: '<id>', profileKey: 'external_id', help: 'External ID for the role' },
  { name: 'region', value: '<region>', env: 'AWS_REGION', profileKey: 'region', help: 'Region to export and to call STS in', fallback: 'default us-east-1' },
  {
    name: 'min-remaining',
    value: '<minutes>',
    env: 'KOPS_MFA_MIN_REMAINING',
    help: 'Reuse a session only while it has more minutes left',
    fallback: 'default 5',
  },
  {
    name: 'kops-state-store',
    value: '<url>',
    env: 'KOPS_MFA_KOPS_STATE_STORE',
    profileKey: 'kops_state_store',
    help: 'Export KOPS_STATE_STORE (kops --state), e.g. s3://my-kops-state',
  },
  {
    name: 'kops-cluster-name',
    value: '<name>',
    env: 'KOPS_MFA_KOPS_CLUSTER_NAME',
    profileKey: 'kops_cluster_name',
    help: 'Export KOPS_CLUSTER_NAME (kops --name), e.g. k8s.example.com',
  },
  { name: 'refresh', help: 'Ask for a new code (and a new MFA session) even if a cached session is valid' },
  { name: 'no-cache', help: 'Neither read nor write the session cache' },
  { name: 'no-prompt', help: 'Never ask for a code: fail (exit 6) when one is needed' },
  { name: 'quiet', short: 'q', help: 'No note on stderr about the session' },
];

export const SHELL_OPTION: OptionSpec = { name: 'shell', value: '<shell>', help: 'bash, zsh, sh, fish or powershell', fallback: 'from $SHELL' };

/** env and logout: statements even when stdout is a terminal. */
export const PRINT_OPTION: OptionSpec = { name: 'print', help: 'Print the statements even when stdout is a terminal' };

/** env's options (the cached env reads the same). */
export const ENV_OPTIONS: readonly OptionSpec[] = [SHELL_OPTION, PRINT_OPTION, ...LOGIN_OPTIONS];

export const LOGOUT_OPTIONS: readonly OptionSpec[] = [
  { ...PROFILE, help: 'Forget the sessions of this profile', fallback: 'the logged-in one' },
  { name: 'all', help: 'Forget every cached session, MFA sessions included' },
];

export const STATUS_OPTIONS: readonly OptionSpec[] = [
  PROFILE,
  { name: 'json', help: 'Print JSON' },
  { name: 'all', help: 'Every cached role session and MFA session, in one table' },
];

export const CONSOLE_OPTIONS: readonly OptionSpec[] = [
  ...LOGIN_OPTIONS,
  { name: 'stdout', help: 'Print the sign-in URL (a secret for 15 minutes) instead of opening a browser' },
  { name: 'destination', value: '<url>', help: 'The console page to open', fallback: "the console home of the profile's region" },
];

export const DOCTOR_OPTIONS: readonly OptionSpec[] = [{ ...PROFILE, help: 'The profile to check' }];

const loginOption = (name: string): OptionSpec => LOGIN_OPTIONS.find((o) => o.name === name) as OptionSpec;

/** keys add|import|list|remove|rotate. */
export const KEYS_OPTIONS: readonly OptionSpec[] = [
  { name: 'env', help: 'add: take the key from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' },
  { name: 'no-verify', help: 'add: store the key without checking it with GetCallerIdentity' },
  { name: 'force', help: "add, rotate: replace a keyring entry that is not kops-mfa's" },
  { name: 'all', help: 'import: every profile of ~/.aws/credentials with a key pair' },
  { ...loginOption('serial-number'), help: 'rotate: the MFA device (default: mfa_serial, else the user\'s usual device)' },
  loginOption('token-code'),
  loginOption('no-prompt'),
];

/** setup: every question as a flag, for scripts. */
export const SETUP_OPTIONS: readonly OptionSpec[] = [
  { name: 'role-arn', value: '<arn>', help: 'Role to assume (role_arn)' },
  { name: 'serial-number', value: '<arn>', help: 'MFA device (mfa_serial)', fallback: 'arn:aws:iam::ACCOUNT:mfa/USER' },
  { name: 'region', value: '<region>', help: 'Region (region)' },
  { name: 'source-profile', value: '<name>', help: 'Take the key from this profile (or its keyring entry) instead of asking', profiles: true },
  { name: 'env', help: 'Take the key from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' },
  { name: 'mfa-session-duration', value: '<seconds>', help: 'mfa_session_duration, 900-129600' },
  { name: 'kops-state-store', value: '<url>', help: 'kops_state_store, such as s3://bucket' },
  { name: 'kops-cluster-name', value: '<name>', help: 'kops_cluster_name' },
  { name: 'credentials-file', help: 'Keep the key in ~/.aws/credentials instead of the keyring' },
  { name: 'yes', short: 'y', help: 'Ask nothing: write with the flags given (replaces an existing section)' },
];

export const DEBUG_OPTION: OptionSpec = { name: 'debug', env: 'KOPS_MFA_DEBUG', help: 'Explain each step on stderr' };

/** What the shell functions pass on: kops-login is `env`, kops-logout is `logout`. */
export const SHELL_FUNCTIONS = {
  login: [...LOGIN_OPTIONS, DEBUG_OPTION],
  logout: [...LOGOUT_OPTIONS, DEBUG_OPTION],
} as const;

/** The text of an option in --help: what it does, then where else it can be set. */
export function helpText(o: OptionSpec): string {
  const from = [o.env, o.profileKey].filter(Boolean).join(', ');
  const tail = [from, o.fallback].filter(Boolean).join('; ');
  return tail ? `${o.help} (${tail})` : o.help;
}

/** `--role-arn <arn>` or `-q, --quiet`, as cac reads it. */
export function rawName(o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.value ? ` ${o.value}` : ''}`;
}

/** The parsed value of an option by its long name: a string as typed, true for a switch. */
export type Flags = Readonly<Record<string, string | true | undefined>>;
