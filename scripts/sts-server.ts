// A local STS for the tests, `npm run demo` and `npm run bench`; never real AWS.
// It listens on 127.0.0.1 only, and the real AWS SDK talks to it over HTTP
// (endpoint option or AWS_ENDPOINT_URL_STS), so nothing in the SDK is mocked.
//
// It speaks the STS Query protocol (form-encoded POST, XML answers shaped like
// AWS's), verifies SigV4 by re-signing each request with @smithy/signature-v4,
// knows users, roles and one-shot MFA codes, issues temporary credentials that
// authenticate later calls (role chaining, GetCallerIdentity), records every
// call and can be told to misbehave (throttle, 5xx, hang, garbage, drop).
//
// It remembers, per issued access key, who it belongs to, whether it is
// MFA-authenticated and when it expires, as AWS does: a GetSessionToken session
// bought with an MFA code assumes roles that require MFA without a code, and
// expired keys are refused. roleSessionSeconds / sessionTokenSeconds shorten
// issued sessions to a few seconds, so that runs longer than a session are
// tested in seconds.
//
// Run it by hand:  node --import tsx scripts/sts-server.ts [--port 4566] [--role-session-seconds 30]
// It prints one JSON line (url, keys, role, serial) and then a fresh MFA code
// for every line read on stdin; calls are logged on stderr.

import { createHash, createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { SignatureV4 } from '@smithy/signature-v4';
import { createIam, IAM_ACTIONS, IAM_NAMESPACE, IamError, signingService, type Iam, type IamOptions } from './iam-server.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const STS_VERSION = '2011-06-15';
export const DEFAULT_ACCOUNT = '123456789012';

/** The messages AWS sends, word for word (the trailing space of badCode included). */
export const MESSAGES = {
  invalidToken: 'The security token included in the request is invalid.',
  signatureMismatch:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  expiredToken: 'The security token included in the request is expired',
  missingAuth: 'Request is missing Authentication Token',
  badSerial:
    'MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.',
  badCode: 'MultiFactorAuthentication failed with invalid MFA one time pass code. ',
  durationExceedsRoleMax: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
  roleChainingLimit: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
  sessionTokenWithSession: 'Cannot call GetSessionToken with session credentials',
  throttling: 'Rate exceeded',
  internalFailure: 'The request processing has failed because of an unknown error, exception or failure.',
  serviceUnavailable: 'The request has failed due to a temporary failure of the server.',
  notAuthorized: (callerArn: string, roleArn: string) =>
    `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
} as const;

// ---------------------------------------------------------------------------
// Public types

export interface StsUser {
  accessKeyId: string;
  secretAccessKey: string;
  /** arn:aws:iam::ACCOUNT:user/NAME */
  arn: string;
  /** The user's MFA device, e.g. arn:aws:iam::ACCOUNT:mfa/NAME. */
  mfaSerial?: string;
  /** AIDA…; made up when absent. */
  userId?: string;
  /** A deactivated, deleted or expired key: every call gets InvalidClientTokenId. */
  disabled?: boolean;
}

export interface StsRole {
  /** arn:aws:iam::ACCOUNT:role/[PATH/]NAME */
  arn: string;
  /** Whether AssumeRole needs SerialNumber and TokenCode (default true). */
  requireMfa?: boolean;
  /** Seconds, 3600 (the default) to 43200. */
  maxSessionDuration?: number;
  /**
   * Principal ARNs allowed to assume it: user ARNs, role ARNs (any session of
   * that role) or assumed-role session ARNs. Default: any known principal.
   */
  trust?: string[];
  /** When set, AssumeRole must carry exactly this ExternalId. */
  externalId?: string;
}

export type StsAction = 'AssumeRole' | 'GetSessionToken' | 'GetCallerIdentity';

/** What issue() is told about the credentials about to be handed out. */
export interface IssueContext {
  action: 'AssumeRole' | 'GetSessionToken';
  /** The ARN of whoever signed the call. */
  callerArn: string;
  /** The access key that signed the call. */
  callerAccessKeyId: string;
  roleArn?: string;
  roleSessionName?: string;
  durationSeconds: number;
  /** Whether the new credentials count as MFA-authenticated. */
  mfa: boolean;
  now: Date;
  params: Record<string, string>;
  /** The values the server would hand out without the hook. */
  defaults: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: Date };
}

export interface IssueOverrides {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** A Date is written as YYYY-MM-DDTHH:MM:SSZ; a string is sent as it is (XML-escaped). */
  expiration: Date | string;
}

export interface IssuedCredentials {
  action: 'AssumeRole' | 'GetSessionToken';
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** When the server stops accepting them. */
  expiration: Date;
  /** The Expiration text that went out in the XML. */
  expirationText: string;
  /** The identity they carry: an assumed-role ARN, or the user's ARN for GetSessionToken. */
  arn: string;
  /** The long-term user at the start of the chain. */
  sourceUserArn: string;
  mfa: boolean;
}

export interface StsFaults {
  /** The next n requests get 400 Throttling "Rate exceeded". */
  throttle: number;
  /** The next n requests get a server error (see serverErrorCode). */
  serverError: number;
  /** InternalFailure → 500 (default), ServiceUnavailable → 503. */
  serverErrorCode: 'InternalFailure' | 'ServiceUnavailable';
  /** Read every request and never answer it (close() still finishes at once). */
  hang: boolean;
  /** Answer every request 200 with truncated XML, without acting on it. */
  malformed: boolean;
  /** The next n requests: destroy the socket without an answer. */
  dropConnection: number;
  /** Wait this long before answering (0: no delay). */
  delayMs: number;
}

export interface StsGate {
  /** Resolves once n requests (default 1) are waiting at the gate. */
  arrived(n?: number): Promise<void>;
  /** Let the held requests go on, and hold no more. */
  release(): void;
}

export interface StsCall {
  /** The Action parameter ('' when missing). */
  action: string;
  /** The access key from the Authorization header, when there is one. */
  accessKeyId?: string;
  /** Whether the request carried X-Amz-Security-Token. */
  sessionToken: boolean;
  /** Whether the request carried a TokenCode (an MFA code), right or wrong. */
  tokenCode: boolean;
  /** The access key of the credentials this call handed out, when it did. */
  issuedAccessKeyId?: string;
  /** The decoded form (and query string) parameters. */
  params: Record<string, string>;
  /** The HTTP status sent; 0 when none was (hang, dropConnection). */
  status: number;
  errorCode?: string;
  errorMessage?: string;
  /** Set when a fault answered instead of STS. */
  fault?: 'throttle' | 'serverError' | 'hang' | 'malformed' | 'dropConnection';
  /** The authenticated caller's ARN. */
  callerArn?: string;
  requestId: string;
  /** Server clock (options.now) when the request came in. */
  at: Date;
}

/** A console sign-in token the federation endpoint handed out. */
export interface SigninToken {
  token: string;
  /** The role session it signs in as. */
  accessKeyId: string;
  arn: string;
  /** Whether Action=login took it (once). */
  used: boolean;
}

export interface StsServerOptions {
  /** 0 (the default) picks a free port. Always binds 127.0.0.1. */
  port?: number;
  /** The server's clock: token expiry, Expiration, the optional skew check. */
  now?: () => Date;
  /** Change what the next issued credentials look like (hostile values welcome). */
  issue?: (ctx: IssueContext) => Partial<IssueOverrides> | undefined | void;
  /** Account for principals whose ARN names none (default 123456789012). */
  account?: string;
  /** When set, a request signed further than this from now() is refused as AWS does. */
  maxClockSkewSeconds?: number;
  users?: StsUser[];
  roles?: StsRole[];
  /** Called after every request (the CLI entry uses it to log). */
  onCall?: (call: StsCall) => void;
  /**
   * Role sessions (AssumeRole) last at most this many seconds, whatever
   * DurationSeconds asked for; Expiration says so. For tests of runs that
   * outlive a role session. Default: no cap.
   */
  roleSessionSeconds?: number;
  /** The same for GetSessionToken sessions. */
  sessionTokenSeconds?: number;
  /** The IAM access-key actions (scripts/iam-server.ts): when a new key starts to work. */
  iam?: IamOptions;
}

/** What the server remembers about one issued access key. */
export interface SessionInfo {
  action: 'AssumeRole' | 'GetSessionToken';
  /** The identity: an assumed-role ARN, or the user's ARN for GetSessionToken. */
  arn: string;
  /** The long-term user at the start of the chain. */
  userArn: string;
  /** Whether the session is MFA-authenticated (it can assume roles that require MFA without a code). */
  mfa: boolean;
  /** When the server stops accepting it (expireCredentials moves it). */
  expiration: Date;
}

export interface StsServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** Every request, in order (faulted ones included). */
  readonly calls: StsCall[];
  /** How many HTTP requests arrived. */
  readonly requests: number;
  /** Every set of temporary credentials handed out, in order. */
  readonly issued: IssuedCredentials[];
  /** Every console sign-in token handed out by /federation (getSigninToken), in order. */
  readonly signinTokens: SigninToken[];
  /** Mutable at any time. */
  readonly faults: StsFaults;
  addUser(user: StsUser): StsUser;
  addRole(role: StsRole): StsRole;
  /** A fresh one-shot 6-digit code for this serial, now valid. */
  nextCode(serial: string): string;
  /** Make this code valid (once) for this serial. */
  setCode(serial: string, code: string): void;
  /** Deactivate a long-term key (InvalidClientTokenId from now on). */
  disableUser(accessKeyId: string): void;
  /** Make issued credentials expired (all of them when no key is given). */
  expireCredentials(accessKeyId?: string): void;
  /** What the server knows about an issued access key (undefined for long-term or unknown keys). */
  session(accessKeyId: string): SessionInfo | undefined;
  /** Cap role sessions issued from now on (undefined: no cap). */
  setRoleSessionSeconds(seconds: number | undefined): void;
  /** Cap GetSessionToken sessions issued from now on (undefined: no cap). */
  setSessionTokenSeconds(seconds: number | undefined): void;
  /** IAM's access keys (scripts/iam-server.ts). */
  readonly iam: Iam;
  /**
   * Hold every request that arrives from now on until the gate's release():
   * the test decides when STS answers, instead of a delay that hopes to be
   * long enough. 'request' (the default): once it is read and recorded in
   * calls, before it is acted on. 'answer': after it was acted on (a code
   * spent, a session issued) and before its 200 answer is sent, as an answer
   * lost on the way.
   */
  hold(at?: 'request' | 'answer'): StsGate;
  /** Forget calls, issued credentials' history and faults (not users, roles, codes). */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Helpers

/** XML text with every value escaped so the SDK's parser gives it back as sent. */
export function xmlEscape(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    // CR must be a reference: raw CR (and CRLF) is turned into LF by any XML parser.
    // Other C0 controls are not XML 1.0 characters at all; the SDK decodes the references anyway.
    else if ((c < 0x20 && ch !== '\n' && ch !== '\t') || c === 0x7f) out += `&#${c};`;
    else out += ch;
  }
  return out;
}

/** 2024-01-02T03:04:05Z, as AWS writes times. */
export function awsTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function randomId(prefix: string, length: number): string {
  let s = prefix;
  while (s.length < length) s += UPPER_ALNUM[randomInt(UPPER_ALNUM.length)];
  return s;
}

function randomSecret(): string {
  // 40 characters of base64 with + and /, like a real secret key.
  const s = randomBytes(30).toString('base64');
  return s.slice(0, 17) + '/' + s.slice(18, 27) + '+' + s.slice(28);
}

function randomSessionToken(): string {
  // Real tokens start IQoJb3JpZ2luX2Vj ("\x21\n\x09origin_ec") and run to ~1 KB.
  const body = randomBytes(598).toString('base64'); // 598 % 3 == 1: ends with ==
  return 'IQoJb3JpZ2luX2Vj' + body.slice(0, 20) + '/+' + body.slice(22);
}

function accountOf(arn: string, fallback: string): string {
  const parts = arn.split(':');
  return parts[4] && /^\d{12}$/.test(parts[4]) ? parts[4] : fallback;
}

/** role/path/Name → Name */
function roleNameOf(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  return resource.split('/').pop() ?? resource;
}

class Sha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

const accessDenied = (m: string) => new StsError(403, 'AccessDenied', m);
const validation = (m: string) => new StsError(400, 'ValidationError', m);

/** Collects constraint violations and words them as AWS's Coral validation does. */
class Violations {
  private readonly list: string[] = [];
  add(value: string | undefined, member: string, constraint: string): void {
    const shown = value === undefined ? 'null' : `'${value}'`;
    this.list.push(`Value ${shown} at '${member}' failed to satisfy constraint: Member must ${constraint}`);
  }
  string(value: string | undefined, member: string, c: { required?: boolean; min?: number; max?: number; pattern?: [RegExp, string] }): void {
    if (value === undefined) {
      if (c.required) this.add(value, member, 'not be null');
      return;
    }
    const len = [...value].length;
    if (c.min !== undefined && len < c.min) this.add(value, member, `have length greater than or equal to ${c.min}`);
    if (c.max !== undefined && len > c.max) this.add(value, member, `have length less than or equal to ${c.max}`);
    if (c.pattern && !c.pattern[0].test(value)) this.add(value, member, `satisfy regular expression pattern: ${c.pattern[1]}`);
  }
  integer(value: string | undefined, member: string, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    if (!/^-?\d{1,15}$/.test(value)) {
      this.add(value, member, 'be an integer');
      return undefined;
    }
    const n = Number(value);
    if (n < min) this.add(value, member, `have value greater than or equal to ${min}`);
    if (n > max) this.add(value, member, `have value less than or equal to ${max}`);
    return n;
  }
  throwIfAny(): void {
    const n = this.list.length;
    if (n === 0) return;
    throw validation(`${n} validation error${n === 1 ? '' : 's'} detected: ${this.list.join('; ')}`);
  }
}

const SESSION_NAME: [RegExp, string] = [/^[\w+=,.@-]*$/, '[\\w+=,.@-]*'];
const SERIAL: [RegExp, string] = [/^[\w+=/:,.@-]*$/, '[\\w+=/:,.@-]*'];
const TOKEN_CODE: [RegExp, string] = [/^\d*$/, '[\\d]*'];
const EXTERNAL_ID: [RegExp, string] = [/^[\w+=,.@:/-]*$/, '[\\w+=,.@:\\/-]*'];

// ---------------------------------------------------------------------------
// The server

interface Principal {
  kind: 'user' | 'session';
  accessKeyId: string;
  secretAccessKey: string;
  /** For issued credentials. */
  sessionToken?: string;
  expiration?: Date;
  arn: string;
  userId: string;
  account: string;
  /** The role ARN (iam) for an assumed-role session. */
  roleArn?: string;
  sourceUser: UserEntry;
  mfa: boolean;
  /** Issued by AssumeRole (so a further AssumeRole is role chaining). */
  assumedRole: boolean;
}

interface UserEntry extends StsUser {
  userId: string;
}

interface RoleEntry {
  arn: string;
  requireMfa: boolean;
  maxSessionDuration: number;
  trust?: string[];
  externalId?: string;
  roleId: string;
}

const AUTH_RE = /^AWS4-HMAC-SHA256\s+(.*)$/s;

export async function startStsServer(options: StsServerOptions = {}): Promise<StsServer> {
  const now = options.now ?? (() => new Date());
  const defaultAccount = options.account ?? DEFAULT_ACCOUNT;
  const users = new Map<string, UserEntry>();
  const sessions = new Map<string, Principal>();
  const roles = new Map<string, RoleEntry>();
  const validCodes = new Map<string, Set<string>>();
  const usedCodes = new Map<string, Set<string>>();
  const calls: StsCall[] = [];
  const issued: IssuedCredentials[] = [];
  const sockets = new Set<Socket>();
  let requests = 0;
  const noFaults = (): StsFaults => ({
    throttle: 0,
    serverError: 0,
    serverErrorCode: 'InternalFailure',
    hang: false,
    malformed: false,
    dropConnection: 0,
    delayMs: 0,
  });
  const faults: StsFaults = noFaults();
  /** While a gate holds: what a request waits on, before it is acted on or before it is answered. */
  const held: { request?: (() => Promise<void>) | undefined; answer?: (() => Promise<void>) | undefined } = {};
  /** Every gate's release, for close(). */
  const gates = new Set<() => void>();
  function hold(at: 'request' | 'answer' = 'request'): StsGate {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    let waiting = 0;
    let watchers: Array<{ n: number; resolve: () => void }> = [];
    const notify = () => {
      for (const w of watchers) if (waiting >= w.n) w.resolve();
      watchers = watchers.filter((w) => waiting < w.n);
    };
    const gate = async () => {
      waiting++;
      notify();
      await opened;
    };
    held[at] = gate;
    const release = () => {
      if (held[at] === gate) held[at] = undefined;
      gates.delete(release);
      open();
    };
    gates.add(release);
    return {
      arrived: (n = 1) =>
        new Promise<void>((resolve) => {
          watchers.push({ n, resolve });
          notify();
        }),
      release,
    };
  }
  const caps: { AssumeRole?: number; GetSessionToken?: number } = {};
  function setCap(action: 'AssumeRole' | 'GetSessionToken', seconds: number | undefined): void {
    if (seconds !== undefined && !(Number.isInteger(seconds) && seconds > 0)) {
      throw new RangeError(`a session cap must be a whole number of seconds > 0, not ${seconds}`);
    }
    if (seconds === undefined) delete caps[action];
    else caps[action] = seconds;
  }
  setCap('AssumeRole', options.roleSessionSeconds);
  setCap('GetSessionToken', options.sessionTokenSeconds);

  function addUser(user: StsUser): StsUser {
    const entry: UserEntry = { ...user, userId: user.userId ?? randomId('AIDA', 21) };
    users.set(user.accessKeyId, entry);
    return entry;
  }

  function addRole(role: StsRole): StsRole {
    const max = role.maxSessionDuration ?? 3600;
    if (!Number.isInteger(max) || max < 3600 || max > 43200) {
      throw new RangeError(`maxSessionDuration must be 3600..43200, not ${max}`);
    }
    roles.set(role.arn, {
      arn: role.arn,
      requireMfa: role.requireMfa ?? true,
      maxSessionDuration: max,
      roleId: randomId('AROA', 21),
      ...(role.trust ? { trust: [...role.trust] } : {}),
      ...(role.externalId !== undefined ? { externalId: role.externalId } : {}),
    });
    return role;
  }

  function codesFor(map: Map<string, Set<string>>, serial: string): Set<string> {
    let s = map.get(serial);
    if (!s) map.set(serial, (s = new Set()));
    return s;
  }

  function setCode(serial: string, code: string): void {
    codesFor(usedCodes, serial).delete(code);
    codesFor(validCodes, serial).add(code);
  }

  function nextCode(serial: string): string {
    const valid = codesFor(validCodes, serial);
    const used = codesFor(usedCodes, serial);
    for (;;) {
      const code = String(randomInt(1_000_000)).padStart(6, '0');
      if (!valid.has(code) && !used.has(code)) {
        valid.add(code);
        return code;
      }
    }
  }

  for (const u of options.users ?? []) addUser(u);
  const iam = createIam(
    { users, addUser, requests: () => requests, now, randomKeyId: () => randomId('AKIA', 20), randomSecret },
    options.iam,
  );
  for (const r of options.roles ?? []) addRole(r);

  // -- authentication -------------------------------------------------------

  function principalOfUser(u: UserEntry): Principal {
    return {
      kind: 'user',
      accessKeyId: u.accessKeyId,
      secretAccessKey: u.secretAccessKey,
      arn: u.arn,
      userId: u.userId,
      account: accountOf(u.arn, defaultAccount),
      sourceUser: u,
      mfa: false,
      assumedRole: false,
    };
  }

  async function authenticate(
    req: IncomingMessage,
    body: Buffer,
    url: URL,
    call: StsCall,
  ): Promise<Principal> {
    const auth = req.headers.authorization;
    if (auth === undefined) throw new StsError(403, 'MissingAuthenticationToken', MESSAGES.missingAuth);
    const m = AUTH_RE.exec(auth);
    const fields = new Map<string, string>();
    for (const part of (m?.[1] ?? '').split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const credential = fields.get('Credential');
    const signedHeaders = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    const scope = credential?.split('/') ?? [];
    if (scope[0]) call.accessKeyId = scope[0];
    if (!m || !credential || !signedHeaders || !signature || scope.length !== 5) {
      const missing = [
        !credential || scope.length !== 5 ? "Authorization header requires 'Credential' parameter." : '',
        !signature ? "Authorization header requires 'Signature' parameter." : '',
        !signedHeaders ? "Authorization header requires 'SignedHeaders' parameter." : '',
      ].filter(Boolean);
      throw new StsError(400, 'IncompleteSignature', `${missing.join(' ') || 'Unsupported Authorization Type.'} Authorization=${auth}`);
    }
    const [accessKeyId, shortDate, region, service, terminator] = scope as [string, string, string, string, string];
    const amzDate = req.headers['x-amz-date'];
    if (typeof amzDate !== 'string' || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
      throw new StsError(400, 'IncompleteSignature', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + auth);
    }
    const signingDate = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );

    // Who is it?
    const token = req.headers['x-amz-security-token'];
    let principal: Principal;
    const session = sessions.get(accessKeyId);
    const user = users.get(accessKeyId);
    if (session) {
      if (typeof token !== 'string' || token !== session.sessionToken) {
        throw new StsError(403, 'InvalidClientTokenId', MESSAGES.invalidToken);
      }
      if (session.expiration && session.expiration.getTime() <= now().getTime()) {
        throw new StsError(403, 'ExpiredToken', MESSAGES.expiredToken);
      }
      principal = session;
    } else if (user) {
      if (user.disabled || token !== undefined) throw new StsError(403, 'InvalidClientTokenId', MESSAGES.invalidToken);
      principal = principalOfUser(user);
    } else {
      throw new StsError(403, 'InvalidClientTokenId', MESSAGES.invalidToken);
    }

    if (options.maxClockSkewSeconds !== undefined) {
      const skewMs = options.maxClockSkewSeconds * 1000;
      const t = now().getTime();
      const fmt = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
      const minutes = `${Math.round(options.maxClockSkewSeconds / 60)} min.`;
      if (signingDate.getTime() < t - skewMs) {
        throw new StsError(403, 'SignatureDoesNotMatch', `Signature expired: ${amzDate} is now earlier than ${fmt(t - skewMs)} (${fmt(t)} - ${minutes})`);
      }
      if (signingDate.getTime() > t + skewMs) {
        throw new StsError(403, 'SignatureDoesNotMatch', `Signature not yet current: ${amzDate} is still later than ${fmt(t + skewMs)} (${fmt(t)} + ${minutes})`);
      }
    }

    // Re-sign the same request with the secret we know and compare.
    const signed = new Set(signedHeaders.split(';').map((h) => h.trim().toLowerCase()));
    const headers: Record<string, string> = {};
    for (const name of signed) {
      const v = req.headers[name];
      if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(',') : v;
    }
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const signer = new SignatureV4({
      credentials: {
        accessKeyId,
        secretAccessKey: principal.secretAccessKey,
        ...(principal.sessionToken !== undefined ? { sessionToken: principal.sessionToken } : {}),
      },
      region,
      service: signingService(call.action),
      sha256: Sha256,
      applyChecksum: false,
      uriEscapePath: true,
    });
    const expected = await signer.sign(
      {
        method: req.method ?? 'POST',
        protocol: 'http:',
        hostname: (req.headers.host ?? '127.0.0.1').replace(/:\d+$/, ''),
        path: decodeURIComponent(url.pathname),
        query,
        headers,
        body: new Uint8Array(body),
      },
      { signingDate, signingRegion: region, signingService: signingService(call.action), signableHeaders: signed },
    );
    const expectedSignature = /Signature=([0-9a-f]+)/.exec(String(expected.headers.authorization ?? ''))?.[1];
    const sameScope = shortDate === amzDate.slice(0, 8) && service === signingService(call.action) && terminator === 'aws4_request';
    if (!sameScope || expectedSignature !== signature) {
      throw new StsError(403, 'SignatureDoesNotMatch', MESSAGES.signatureMismatch);
    }
    return principal;
  }

  // -- actions ----------------------------------------------------------------

  /** Checks SerialNumber/TokenCode; returns the code to consume on success, or undefined when none was sent. */
  function checkMfa(caller: Principal, serial: string | undefined, code: string | undefined): (() => void) | undefined {
    if (serial === undefined || code === undefined) return undefined;
    if (!caller.sourceUser.mfaSerial || caller.sourceUser.mfaSerial !== serial) throw accessDenied(MESSAGES.badSerial);
    if (!validCodes.get(serial)?.has(code)) throw accessDenied(MESSAGES.badCode);
    return () => {
      validCodes.get(serial)?.delete(code);
      codesFor(usedCodes, serial).add(code);
    };
  }

  function trusted(role: RoleEntry, caller: Principal): boolean {
    if (!role.trust) return true;
    // A role session is trusted as itself or as its role, never as the user behind it.
    const names = [caller.arn];
    if (caller.roleArn) names.push(caller.roleArn);
    return role.trust.some((t) => t === '*' || names.includes(t));
  }

  function issue(
    ctx: Omit<IssueContext, 'defaults' | 'now'> & { call: StsCall },
    identity: { arn: string; userId: string; account: string; roleArn?: string },
    caller: Principal,
  ): IssuedCredentials {
    const t = now();
    const lifetime = Math.min(ctx.durationSeconds, caps[ctx.action] ?? Infinity);
    const defaults = {
      accessKeyId: randomId('ASIA', 20),
      secretAccessKey: randomSecret(),
      sessionToken: randomSessionToken(),
      expiration: new Date(Math.floor(t.getTime() / 1000) * 1000 + lifetime * 1000),
    };
    const { call: _call, ...hookCtx } = ctx;
    const o = options.issue?.({ ...hookCtx, now: t, defaults: { ...defaults } }) ?? {};
    const accessKeyId = o.accessKeyId ?? defaults.accessKeyId;
    const secretAccessKey = o.secretAccessKey ?? defaults.secretAccessKey;
    const sessionToken = o.sessionToken ?? defaults.sessionToken;
    let expiration = defaults.expiration;
    let expirationText = awsTime(expiration);
    if (o.expiration instanceof Date) {
      expiration = o.expiration;
      expirationText = awsTime(o.expiration);
    } else if (typeof o.expiration === 'string') {
      expirationText = o.expiration;
      const parsed = new Date(o.expiration);
      if (!Number.isNaN(parsed.getTime())) expiration = parsed;
    }
    const creds: IssuedCredentials = {
      action: ctx.action,
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiration,
      expirationText,
      arn: identity.arn,
      sourceUserArn: caller.sourceUser.arn,
      mfa: ctx.mfa,
    };
    issued.push(creds);
    ctx.call.issuedAccessKeyId = accessKeyId;
    sessions.set(accessKeyId, {
      kind: 'session',
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiration,
      arn: identity.arn,
      userId: identity.userId,
      account: identity.account,
      ...(identity.roleArn !== undefined ? { roleArn: identity.roleArn } : {}),
      sourceUser: caller.sourceUser,
      mfa: ctx.mfa,
      assumedRole: ctx.action === 'AssumeRole',
    });
    return creds;
  }

  function credentialsXml(c: IssuedCredentials, indent: string): string {
    return (
      `${indent}<Credentials>\n` +
      `${indent}  <AccessKeyId>${xmlEscape(c.accessKeyId)}</AccessKeyId>\n` +
      `${indent}  <SecretAccessKey>${xmlEscape(c.secretAccessKey)}</SecretAccessKey>\n` +
      `${indent}  <SessionToken>${xmlEscape(c.sessionToken)}</SessionToken>\n` +
      `${indent}  <Expiration>${xmlEscape(c.expirationText)}</Expiration>\n` +
      `${indent}</Credentials>\n`
    );
  }

  function assumeRole(caller: Principal, p: Record<string, string>, call: StsCall): string {
    const v = new Violations();
    v.string(p.RoleArn, 'roleArn', { required: true, min: 20, max: 2048 });
    v.string(p.RoleSessionName, 'roleSessionName', { required: true, min: 2, max: 64, pattern: SESSION_NAME });
    const duration = v.integer(p.DurationSeconds, 'durationSeconds', 900, 43200);
    v.string(p.SerialNumber, 'serialNumber', { min: 9, max: 256, pattern: SERIAL });
    v.string(p.TokenCode, 'tokenCode', { min: 6, max: 6, pattern: TOKEN_CODE });
    v.string(p.ExternalId, 'externalId', { min: 2, max: 1224, pattern: EXTERNAL_ID });
    v.throwIfAny();
    const roleArn = p.RoleArn!;
    const sessionName = p.RoleSessionName!;
    const denied = () => accessDenied(MESSAGES.notAuthorized(caller.arn, roleArn));

    const role = roles.get(roleArn);
    if (!role || !trusted(role, caller)) throw denied();
    if (role.externalId !== undefined && p.ExternalId !== role.externalId) throw denied();
    const durationSeconds = duration ?? 3600;
    // Any temporary credentials count as role chaining here, GetSessionToken sessions
    // included: AWS refuses DurationSeconds > 3600 for them with this ValidationError.
    // AWS knowledge center "iam-role-chaining-limit" ("Users that use MFA with the AWS CLI
    // use temporary credentials [from GetSessionToken] to assume another role ... limited
    // to 1 hour"); the exact error as seen through aws-vault's session → AssumeRole path:
    // github.com/99designs/aws-vault/issues/263 and /pull/369 ("the maximum duration for
    // AssumeRole is 1h when the request is made with a Session Token").
    if (caller.kind === 'session' && durationSeconds > 3600) throw validation(MESSAGES.roleChainingLimit);
    if (durationSeconds > role.maxSessionDuration) throw validation(MESSAGES.durationExceedsRoleMax);
    const consume = checkMfa(caller, p.SerialNumber, p.TokenCode);
    // A session bought with an MFA code (GetSessionToken, or a role assumed with one)
    // carries the MFA context: aws:MultiFactorAuthPresent holds without a new code.
    if (role.requireMfa && !consume && !caller.mfa) throw denied();
    consume?.();

    const account = accountOf(roleArn, defaultAccount);
    const arn = `arn:aws:sts::${account}:assumed-role/${roleNameOf(roleArn)}/${sessionName}`;
    const userId = `${role.roleId}:${sessionName}`;
    const creds = issue(
      {
        action: 'AssumeRole',
        callerArn: caller.arn,
        callerAccessKeyId: caller.accessKeyId,
        roleArn,
        roleSessionName: sessionName,
        durationSeconds,
        mfa: !!consume || caller.mfa,
        params: p,
        call,
      },
      { arn, userId, account, roleArn },
      caller,
    );
    return (
      `  <AssumeRoleResult>\n` +
      `    <AssumedRoleUser>\n` +
      `      <AssumedRoleId>${xmlEscape(userId)}</AssumedRoleId>\n` +
      `      <Arn>${xmlEscape(arn)}</Arn>\n` +
      `    </AssumedRoleUser>\n` +
      credentialsXml(creds, '    ') +
      `  </AssumeRoleResult>\n`
    );
  }

  function getSessionToken(caller: Principal, p: Record<string, string>, call: StsCall): string {
    const v = new Violations();
    const duration = v.integer(p.DurationSeconds, 'durationSeconds', 900, 129600);
    v.string(p.SerialNumber, 'serialNumber', { min: 9, max: 256, pattern: SERIAL });
    v.string(p.TokenCode, 'tokenCode', { min: 6, max: 6, pattern: TOKEN_CODE });
    v.throwIfAny();
    if (caller.kind === 'session') throw accessDenied(MESSAGES.sessionTokenWithSession);
    const consume = checkMfa(caller, p.SerialNumber, p.TokenCode);
    consume?.();
    const creds = issue(
      {
        action: 'GetSessionToken',
        callerArn: caller.arn,
        callerAccessKeyId: caller.accessKeyId,
        durationSeconds: duration ?? 43200,
        mfa: !!consume,
        params: p,
        call,
      },
      { arn: caller.arn, userId: caller.userId, account: caller.account },
      caller,
    );
    return `  <GetSessionTokenResult>\n${credentialsXml(creds, '    ')}  </GetSessionTokenResult>\n`;
  }

  function getCallerIdentity(caller: Principal): string {
    return (
      `  <GetCallerIdentityResult>\n` +
      `    <Arn>${xmlEscape(caller.arn)}</Arn>\n` +
      `    <UserId>${xmlEscape(caller.userId)}</UserId>\n` +
      `    <Account>${xmlEscape(caller.account)}</Account>\n` +
      `  </GetCallerIdentityResult>\n`
    );
  }

  // -- Federation (the console's sign-in endpoint) ------------------------------
  // GET /federation?Action=getSigninToken&Session={"sessionId","sessionKey","sessionToken"}
  // answers {"SigninToken": …} for a valid ROLE session it issued; a
  // GetSessionToken session, a wrong secret or an expired one gets 400, as
  // AWS refuses them. Action=login with a token it issued redirects to the
  // Destination. Calls are recorded with the action getSigninToken / login.

  const signinTokens: SigninToken[] = [];

  function federation(url: URL, call: StsCall, res: ServerResponse): void {
    const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    const refuse = (why: string) => {
      call.errorMessage = why;
      answer(400, JSON.stringify({ message: why }));
    };
    const action = url.searchParams.get('Action');
    if (action === 'getSigninToken') {
      let session: { sessionId?: unknown; sessionKey?: unknown; sessionToken?: unknown };
      try {
        session = JSON.parse(url.searchParams.get('Session') ?? '') as typeof session;
      } catch {
        return refuse('Session is not JSON');
      }
      const known = typeof session.sessionId === 'string' ? sessions.get(session.sessionId) : undefined;
      if (!known || known.secretAccessKey !== session.sessionKey || known.sessionToken !== session.sessionToken) return refuse('invalid session');
      if (known.expiration && known.expiration.getTime() <= now().getTime()) return refuse('expired session');
      if (!known.assumedRole) return refuse('a GetSessionToken session cannot be federated');
      const token = randomBytes(48).toString('base64url');
      signinTokens.push({ token, accessKeyId: known.accessKeyId, arn: known.arn, used: false });
      return answer(200, JSON.stringify({ SigninToken: token }));
    }
    if (action === 'login') {
      const entry = signinTokens.find((t) => t.token === url.searchParams.get('SigninToken'));
      const destination = url.searchParams.get('Destination') ?? '';
      if (!entry || entry.used || !/^https:\/\//.test(destination)) return refuse('invalid sign-in token or destination');
      entry.used = true;
      return answer(302, '', { Location: destination });
    }
    return refuse(`unknown federation action ${action ?? ''}`);
  }

  // -- HTTP -------------------------------------------------------------------

  function send(res: ServerResponse, status: number, body: string, requestId: string): void {
    const bytes = Buffer.from(body, 'utf8');
    res.writeHead(status, {
      'Content-Type': 'text/xml',
      'Content-Length': bytes.length,
      'x-amzn-RequestId': requestId,
    });
    res.end(bytes);
  }

  function errorXml(e: StsError, requestId: string): string {
    return (
      `<ErrorResponse xmlns="${STS_NAMESPACE}">\n` +
      `  <Error>\n` +
      `    <Type>${e.type}</Type>\n` +
      `    <Code>${xmlEscape(e.code)}</Code>\n` +
      `    <Message>${xmlEscape(e.message)}</Message>\n` +
      `  </Error>\n` +
      `  <RequestId>${requestId}</RequestId>\n` +
      `</ErrorResponse>\n`
    );
  }

  function sendError(res: ServerResponse, call: StsCall, e: StsError): void {
    call.status = e.status;
    call.errorCode = e.code;
    call.errorMessage = e.message;
    send(res, e.status, errorXml(e, call.requestId), call.requestId);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requests++;
    iam.tick();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 1 << 20) {
        req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const params: Record<string, string> = {};
    for (const [k, v] of url.searchParams) params[k] = v;
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = v;
    const call: StsCall = {
      action: params.Action ?? '',
      sessionToken: req.headers['x-amz-security-token'] !== undefined,
      tokenCode: params.TokenCode !== undefined,
      params,
      status: 0,
      requestId: randomUUID(),
      at: now(),
    };
    const credential = /Credential=([^/,\s]+)/.exec(req.headers.authorization ?? '')?.[1];
    if (credential) call.accessKeyId = credential;
    calls.push(call);
    try {
      if (held.request) await held.request();
      if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
      if (faults.dropConnection > 0) {
        faults.dropConnection--;
        call.fault = 'dropConnection';
        req.socket.destroy();
        return;
      }
      if (faults.hang) {
        call.fault = 'hang';
        return; // never answered; close() destroys the socket
      }
      if (faults.throttle > 0) {
        faults.throttle--;
        call.fault = 'throttle';
        sendError(res, call, new StsError(400, 'Throttling', MESSAGES.throttling));
        return;
      }
      if (faults.serverError > 0) {
        faults.serverError--;
        call.fault = 'serverError';
        const unavailable = faults.serverErrorCode === 'ServiceUnavailable';
        sendError(
          res,
          call,
          unavailable
            ? new StsError(503, 'ServiceUnavailable', MESSAGES.serviceUnavailable)
            : new StsError(500, 'InternalFailure', MESSAGES.internalFailure),
        );
        return;
      }
      if (faults.malformed) {
        call.fault = 'malformed';
        call.status = 200;
        const action = /^\w+$/.test(call.action) ? call.action : 'AssumeRole';
        send(
          res,
          200,
          `<${action}Response xmlns="${STS_NAMESPACE}">\n  <${action}Result>\n    <Credentials>\n      <AccessKeyId>ASIA`,
          call.requestId,
        );
        return;
      }

      if (url.pathname === '/federation') return federation(url, call, res);
      const caller = await authenticate(req, body, url, call);
      call.callerArn = caller.arn;
      if (!params.Action) throw new StsError(400, 'MissingAction', 'The request is missing an action or a required parameter.');
      if (IAM_ACTIONS.has(params.Action)) {
        let iamResult: string;
        try {
          iamResult = iam.handle(caller, params);
        } catch (e) {
          throw e instanceof IamError ? new StsError(e.status, e.code, e.message) : e;
        }
        call.status = 200;
        send(
          res,
          200,
          `<${params.Action}Response xmlns="${IAM_NAMESPACE}">\n${iamResult}  <ResponseMetadata>\n    <RequestId>${call.requestId}</RequestId>\n  </ResponseMetadata>\n</${params.Action}Response>\n`,
          call.requestId,
        );
        return;
      }
      let result: string;
      switch (params.Action as StsAction) {
        case 'AssumeRole':
          result = assumeRole(caller, params, call);
          break;
        case 'GetSessionToken':
          result = getSessionToken(caller, params, call);
          break;
        case 'GetCallerIdentity':
          result = getCallerIdentity(caller);
          break;
        default:
          throw new StsError(400, 'InvalidAction', `Could not find operation ${params.Action} for version ${params.Version ?? STS_VERSION}`);
      }
      call.status = 200;
      if (held.answer) await held.answer();
      send(
        res,
        200,
        `<${params.Action}Response xmlns="${STS_NAMESPACE}">\n` +
          result +
          `  <ResponseMetadata>\n    <RequestId>${call.requestId}</RequestId>\n  </ResponseMetadata>\n` +
          `</${params.Action}Response>\n`,
        call.requestId,
      );
    } catch (e) {
      if (e instanceof StsError) sendError(res, call, e);
      else {
        sendError(res, call, new StsError(500, 'InternalFailure', MESSAGES.internalFailure));
        console.error('sts-server: internal error', e);
      }
    } finally {
      options.onCall?.(call);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      console.error('sts-server:', e);
      req.socket.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    get requests() {
      return requests;
    },
    issued,
    signinTokens,
    faults,
    iam,
    hold,
    addUser,
    addRole,
    nextCode,
    setCode,
    disableUser(accessKeyId: string) {
      const u = users.get(accessKeyId);
      if (!u) throw new Error(`no user with access key ${accessKeyId}`);
      u.disabled = true;
    },
    expireCredentials(accessKeyId?: string) {
      const past = new Date(now().getTime() - 1000);
      for (const s of sessions.values()) {
        if (accessKeyId === undefined || s.accessKeyId === accessKeyId) s.expiration = past;
      }
    },
    session(accessKeyId: string): SessionInfo | undefined {
      const s = sessions.get(accessKeyId);
      if (!s?.expiration) return undefined;
      return {
        action: s.assumedRole ? 'AssumeRole' : 'GetSessionToken',
        arn: s.arn,
        userArn: s.sourceUser.arn,
        mfa: s.mfa,
        expiration: new Date(s.expiration.getTime()),
      };
    },
    setRoleSessionSeconds: (seconds) => setCap('AssumeRole', seconds),
    setSessionTokenSeconds: (seconds) => setCap('GetSessionToken', seconds),
    reset() {
      calls.length = 0;
      issued.length = 0;
      signinTokens.length = 0;
      requests = 0;
      Object.assign(faults, noFaults());
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const release of [...gates]) release();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------
// Run by hand: a server with one user, one role, and codes on demand.

export const DEMO = {
  user: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    arn: `arn:aws:iam::${DEFAULT_ACCOUNT}:user/demo`,
    mfaSerial: `arn:aws:iam::${DEFAULT_ACCOUNT}:mfa/demo`,
  },
  role: { arn: `arn:aws:iam::${DEFAULT_ACCOUNT}:role/kops-admin`, requireMfa: true, maxSessionDuration: 43200 },
} as const;

async function main(argv: string[]): Promise<void> {
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const server = await startStsServer({
    port: flag('--port') ?? 0,
    roleSessionSeconds: flag('--role-session-seconds'),
    sessionTokenSeconds: flag('--session-token-seconds'),
    users: [{ ...DEMO.user }],
    roles: [{ ...DEMO.role }],
    onCall: (c) =>
      process.stderr.write(
        `${c.at.toISOString()} ${c.action || '-'} key=${c.accessKeyId ?? '-'}${c.tokenCode ? ' +code' : ''} -> ${c.status}${c.errorCode ? ` ${c.errorCode}` : ''}${c.issuedAccessKeyId ? ` issued=${c.issuedAccessKeyId}` : ''}\n`,
      ),
  });
  process.stdout.write(
    JSON.stringify({
      url: server.url,
      accessKeyId: DEMO.user.accessKeyId,
      secretAccessKey: DEMO.user.secretAccessKey,
      mfaSerial: DEMO.user.mfaSerial,
      roleArn: DEMO.role.arn,
      code: server.nextCode(DEMO.user.mfaSerial),
    }) + '\n',
  );
  const rl = createInterface({ input: process.stdin });
  rl.on('line', () => process.stdout.write(server.nextCode(DEMO.user.mfaSerial) + '\n'));
  const stop = () => {
    rl.close();
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// Run as a script (node --import tsx scripts/sts-server.ts), not when a test
// bundle (.test-build/*.test.mjs) holds this module: there import.meta.url is
// the bundle's, which is also argv[1].
const script = process.argv[1];
if (script && /sts-server\.ts$/.test(script) && import.meta.url === pathToFileURL(script).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
