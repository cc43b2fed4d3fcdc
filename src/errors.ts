// Typed errors, each with its exit code. One place (main.ts) turns them into
// one line on stderr and an exit status; nothing else prints errors.
//
// One meaning per exit code: the code says what went wrong, not which part
// of kops-mfa noticed it. A code kops-mfa refuses because it was just used
// is the code AWS would refuse, so it exits 4 as AWS's refusal does; 6 is
// only for "no code could be had at all". The line on stderr says what to do:
// lower case after "kops-mfa: " (names such as AWS keep their case), no
// trailing period, about 100 characters at most (test/messages.test.ts).

export const ExitCode = {
  /** Success; status: the session this shell uses is valid. */
  ok: 0,
  /** status: no valid session; also a failed write to stdout (a full disk) and unexpected errors. */
  general: 1,
  /** Usage: a bad flag, argument, command or shell name. */
  usage: 2,
  /** Configuration: a missing or invalid role, serial, duration, profile or source keys. */
  config: 3,
  /** AWS refused: a wrong or just-used code (by AWS, or by kops-mfa before AWS saw it), a wrong serial, bad keys, not authorized. */
  aws: 4,
  /** Network: STS unreachable or silent, TLS, throttling or 5xx after retries, an invalid answer. */
  network: 5,
  /** No MFA code: no terminal, end of input, mfa_process failed or printed no code, --no-prompt. */
  mfa: 6,
  /** exec: the command was found but could not be run (permission, E2BIG). */
  notRunnable: 126,
  /** exec: the command was not found. */
  notFound: 127,
  /** Ctrl-C at the prompt (128 + SIGINT); says "cancelled". */
  cancelled: 130,
} as const;

export class KopsMfaError extends Error {
  override name = 'KopsMfaError';
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An AWS refusal of the code itself: the prompt may ask again. */
export class RejectedCodeError extends KopsMfaError {
  override name = 'RejectedCodeError';
}

/** The session cache cannot be used (folder, file or lock): the login goes on without it. */
export class CacheError extends Error {
  override name = 'CacheError';
}

export const usageError = (message: string) => new KopsMfaError(message, ExitCode.usage);
export const configError = (message: string) => new KopsMfaError(message, ExitCode.config);
export const awsError = (message: string, cause?: unknown) => new KopsMfaError(message, ExitCode.aws, { cause });
export const networkError = (message: string, cause?: unknown) =>
  new KopsMfaError(message, ExitCode.network, { cause });
export const mfaError = (message: string) => new KopsMfaError(message, ExitCode.mfa);
export const cancelled = () => new KopsMfaError('cancelled', ExitCode.cancelled);

/** How much of a value a message quotes: enough to recognise it, never a screenful. */
const QUOTED_MAX = 100;

/**
 * A value from outside (a flag, a variable, a config file) as a message
 * quotes it: JSON-quoted, and cut to about 100 characters with "…".
 */
export function quoted(value: string): string {
  const cut = [...value];
  return cut.length > QUOTED_MAX ? `${JSON.stringify(cut.slice(0, QUOTED_MAX).join(''))}…` : JSON.stringify(value);
}

/** A value shown unquoted (a profile name), cut the same way; `max` for longer text such as AWS's own messages. */
export function shortened(value: string, max: number = QUOTED_MAX): string {
  const cut = [...value];
  return cut.length > max ? `${cut.slice(0, max).join('')}…` : value;
}

/** A URL without the user and password it may carry (http://user:pass@host/), for messages and --debug. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1***@');
}
