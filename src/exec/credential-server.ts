// The loopback credential endpoint for `kops-mfa exec`: the child
// gets AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN
// instead of static keys, and every AWS SDK (Go v2, JS v3, botocore, the AWS
// CLI) asks this endpoint again whenever its credentials near their end, so a
// long run outlives any one role session.
//
// - It listens on 127.0.0.1 only, on a port the system picks.
// - A fresh 256-bit token per run; the SDKs send it verbatim as the
//   Authorization header. It is compared in constant time. Without it the
//   answer is 401/403 with a tiny JSON body, never credentials.
// - GET on the path answers what the SDKs' container providers read:
//   {"AccessKeyId","SecretAccessKey","Token","Expiration"} (Expiration RFC 3339).
// - provide() runs for each request, but only one at a time: requests that
//   arrive while it runs share its answer.
// - Any local user can connect, so no one can starve it: a connection must
//   bring its request within seconds and is closed when idle; connections
//   that have not shown the token are capped, the oldest dropped first, so
//   the child's fresh connection always gets in; a refused request closes
//   its connection. docs/long-runs.md has the threat model.
//
// Nothing is imported at module level but types, errors.ts and credentials.ts: node:http and
// node:crypto load only when a server starts (process.getBuiltinModule, as in
// exec.ts), so importing this module costs the cached path nothing.
import { KopsMfaError } from '../errors.js';
import { rfc3339, type SessionCredentials } from '../session/credentials.js';

/** What the child's environment gets. */
export interface CredentialServerEnv {
  AWS_CONTAINER_CREDENTIALS_FULL_URI: string;
  AWS_CONTAINER_AUTHORIZATION_TOKEN: string;
}

/**
 * Variables the child must not inherit, because the SDKs would use them
 * instead of the endpoint: static keys win over everything; a profile
 * (config/credentials, SSO, credential_process, role_arn) and web identity come
 * before the container provider in every default chain; RELATIVE_URI wins over
 * FULL_URI, and TOKEN_FILE over TOKEN.
 */
export const SHADOWING_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
] as const;

export interface CredentialServerOptions {
  /** Told about every request that got no credentials (status and why); never a secret. */
  onRefused?: (status: number, reason: string) => void;
  /** Told when provide() failed (the child only gets a short message). */
  onError?: (error: unknown) => void;
  /** Tighter or looser limits than DEFAULT_LIMITS (tests). */
  limits?: Partial<ServerLimits>;
}

export interface ServerLimits {
  /** A connection that sends nothing (before its first request or between requests) is closed after this long. */
  idleMs: number;
  /** The request's headers must be complete this long after it starts… */
  headersMs: number;
  /** …and the whole request this long after. */
  requestMs: number;
  /** Connections that have not yet shown the token; past this the oldest is closed. */
  unproven: number;
  /** All connections; past this new ones are closed at once. */
  connections: number;
}

/** An SDK sends its request within milliseconds of connecting; anything slower is not one. */
export const DEFAULT_LIMITS: ServerLimits = { idleMs: 5000, headersMs: 3000, requestMs: 5000, unproven: 128, connections: 512 };

export interface CredentialServer {
  env: CredentialServerEnv;
  /** Where it listens: always 127.0.0.1. */
  address: { address: string; family: string; port: number };
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
  /** Connections open now, and those not yet shown the token. */
  connections(): { open: number; unproven: number };
}

export const CREDENTIALS_PATH = '/kops-mfa/credentials';

export async function startCredentialServer(
  provide: () => Promise<SessionCredentials>,
  opts: CredentialServerOptions = {},
): Promise<CredentialServer> {
  const { createServer } = process.getBuiltinModule('node:http');
  const { randomBytes, timingSafeEqual } = process.getBuiltinModule('node:crypto');

  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const token = randomBytes(32).toString('base64url');
  const expected = Buffer.from(token, 'utf8');
  let host = '';
  let inFlight: Promise<SessionCredentials> | undefined;

  /** One provide() at a time; whoever asks meanwhile gets the same answer. */
  const credentials = (): Promise<SessionCredentials> =>
    (inFlight ??= Promise.resolve()
      .then(provide)
      .finally(() => (inFlight = undefined)));

  const authorized = (header: string | undefined): boolean => {
    if (header === undefined) return false;
    const given = Buffer.from(header, 'utf8');
    // Different lengths cannot match, and timingSafeEqual would throw; the length is no secret.
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  // Insertion order is age: the first is the oldest.
  const unproven = new Set<import('node:net').Socket>();
  let open = 0;

  const server = createServer(
    {
      headersTimeout: limits.headersMs,
      requestTimeout: limits.requestMs,
      keepAliveTimeout: limits.idleMs,
      // How often the two timeouts above are checked (Node's default is 30 s).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headersMs / 4)),
    },
    (req, res) => {
      const answer = (status: number, body: object) => {
        const bytes = Buffer.from(JSON.stringify(body), 'utf8');
        res.writeHead(status, {
          'Content-Type': 'application/json',
          'Content-Length': bytes.length,
          'Cache-Control': 'no-store',
        });
        res.end(bytes);
      };
      const refuse = (status: number, code: string, reason: string) => {
        opts.onRefused?.(status, reason);
        // Whoever was refused gets no second try on this connection.
        res.setHeader('Connection', 'close');
        answer(status, { Code: code, Message: reason });
      };
      // The body, if any, is never read: drain it so the connection stays usable.
      req.resume();

      if (req.headers.authorization === undefined) return refuse(401, 'Unauthorized', 'no authorization token');
      if (!authorized(req.headers.authorization)) return refuse(403, 'Forbidden', 'wrong authorization token');
      // The child: it keeps its connection, and a slow renewal below is no idle time.
      unproven.delete(req.socket);
      req.socket.setTimeout(0);
      // A page the browser reached through a DNS name bound to 127.0.0.1 names another host.
      if (req.headers.host !== host) return refuse(403, 'Forbidden', 'wrong host');
      const path = (req.url ?? '').split('?')[0];
      if (path !== CREDENTIALS_PATH) return refuse(404, 'NotFound', 'no such path');
      if (req.method !== 'GET') return refuse(405, 'MethodNotAllowed', 'only GET');

      credentials().then(
        (c) => {
          const expiration = rfc3339(c.expiration);
          if (!c.accessKeyId || !c.secretAccessKey || !c.sessionToken || expiration === undefined) {
            opts.onError?.(new Error('provide() returned incomplete credentials'));
            answer(500, { Code: 'CredentialsUnavailable', Message: 'kops-mfa has no valid credentials' });
            return;
          }
          answer(200, {
            AccessKeyId: c.accessKeyId,
            SecretAccessKey: c.secretAccessKey,
            Token: c.sessionToken,
            Expiration: expiration,
          });
        },
        (e: unknown) => {
          opts.onError?.(e);
          // kops-mfa's own errors are written for the user and carry no secret; others may say anything.
          const why = e instanceof KopsMfaError ? e.message.slice(0, 200) : 'internal error';
          answer(500, { Code: 'CredentialsUnavailable', Message: `kops-mfa could not renew the session: ${why}` });
        },
      );
    },
  );
  server.on('clientError', (_e, socket) => socket.destroy());
  server.maxConnections = limits.connections;
  server.on('connection', (socket: import('node:net').Socket) => {
    open++;
    unproven.add(socket);
    socket.once('close', () => {
      open--;
      unproven.delete(socket);
    });
    // Silence before the first request, or between requests, closes it.
    socket.setTimeout(limits.idleMs, () => socket.destroy());
    if (unproven.size > limits.unproven) {
      const oldest = unproven.values().next().value as import('node:net').Socket;
      unproven.delete(oldest);
      oldest.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the credential server has no TCP address');
  host = `127.0.0.1:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    env: {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://${host}${CREDENTIALS_PATH}`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
    },
    address: { address: address.address, family: address.family, port: address.port },
    connections: () => ({ open, unproven: unproven.size }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
