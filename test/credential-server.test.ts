// The loopback credential endpoint for exec, driven by real clients: the JS
// SDK's container providers in this process, a node child on the SDK's default
// chain, and the aws CLI. Credentials come from the local STS server.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { fromContainerMetadata, fromHttp } from '@aws-sdk/credential-providers';
import { build } from 'esbuild';
import {
  CREDENTIALS_PATH,
  SHADOWING_VARIABLES,
  startCredentialServer,
  type CredentialServer,
  type CredentialServerOptions,
} from '../src/exec/credential-server.ts';
import type { SessionCredentials } from '../src/session/credentials.ts';
import { KopsMfaError } from '../src/errors.ts';
import { startStsServer, type StsServer } from '../scripts/sts-server.ts';
import { ACCOUNT, ROLE_ARN, USER } from './support/world.ts';
import { needTool, ok, ROOT, run, tempDir } from './support/helpers.ts';

const FIXED: SessionCredentials = {
  accessKeyId: 'ASIAFIXEDTESTKEY0001',
  secretAccessKey: 'fixedSecret/For+The/Endpoint0123456789ab',
  sessionToken: 'IQoJb3JpZ2luX2VjFixedToken/+==',
  expiration: '2030-05-06T07:08:09.000Z',
};

async function serve(
  t: TestContext,
  provide: () => Promise<SessionCredentials> = async () => FIXED,
  opts: CredentialServerOptions = {},
): Promise<CredentialServer> {
  const server = await startCredentialServer(provide, opts);
  t.after(() => server.close());
  return server;
}

interface Answer {
  status: number;
  body: string;
}

/** A raw GET with exactly these headers (node:http, no agent reuse). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A counting provider. */
function counted(provide: () => Promise<SessionCredentials>) {
  const p = Object.assign(
    async () => {
      p.calls++;
      return provide();
    },
    { calls: 0 },
  );
  return p;
}

/** The local STS with an MFA session, and a provide() that assumes the role from it each time. */
async function stsWorld(t: TestContext, roleSessionSeconds?: number) {
  const sts = await startStsServer({
    users: [{ ...USER }],
    roles: [{ arn: ROLE_ARN, requireMfa: true, maxSessionDuration: 43200 }],
    ...(roleSessionSeconds !== undefined ? { roleSessionSeconds } : {}),
  });
  t.after(() => sts.close());
  const client = (credentials: STSClientConfig['credentials']) => {
    const c = new STSClient({ endpoint: sts.url, region: 'eu-west-1', credentials, maxAttempts: 1 });
    t.after(() => c.destroy());
    return c;
  };
  const mfa = (await client(USER).send(new GetSessionTokenCommand({ SerialNumber: USER.mfaSerial, TokenCode: sts.nextCode(USER.mfaSerial) })))
    .Credentials!;
  const fromMfaSession = client({ accessKeyId: mfa.AccessKeyId!, secretAccessKey: mfa.SecretAccessKey!, sessionToken: mfa.SessionToken! });
  const provide = counted(async () => {
    const c = (await fromMfaSession.send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'kops-exec' }))).Credentials!;
    return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken!, expiration: c.Expiration!.toISOString() };
  });
  return { sts, client, provide };
}

const ASSUMED_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/kops-state/kops-exec`;

test('the JS SDK container providers (fromHttp, fromContainerMetadata) get the credentials', async (t) => {
  const server = await serve(t);
  const { AWS_CONTAINER_CREDENTIALS_FULL_URI: uri, AWS_CONTAINER_AUTHORIZATION_TOKEN: token } = server.env;
  assert.equal(uri, `http://127.0.0.1:${server.address.port}${CREDENTIALS_PATH}`);
  const want = { ...FIXED, expiration: new Date('2030-05-06T07:08:09Z') };

  const viaHttp = await fromHttp({ awsContainerCredentialsFullUri: uri, awsContainerAuthorizationToken: token, maxRetries: 0 })();
  assert.deepEqual({ ...viaHttp, $source: undefined }, { ...want, $source: undefined });

  // fromContainerMetadata reads only the environment.
  const saved = { uri: process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, token: process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN };
  t.after(() => {
    for (const [k, v] of [['AWS_CONTAINER_CREDENTIALS_FULL_URI', saved.uri], ['AWS_CONTAINER_AUTHORIZATION_TOKEN', saved.token]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  Object.assign(process.env, server.env);
  const viaMetadata = await fromContainerMetadata({ maxRetries: 0 })();
  assert.deepEqual({ ...viaMetadata, $source: undefined }, { ...want, $source: undefined });

  // The raw answer: exactly the four fields, Expiration in AWS's RFC 3339 form.
  const raw = await get(uri, { Authorization: token });
  assert.equal(raw.status, 200);
  assert.deepEqual(JSON.parse(raw.body), {
    AccessKeyId: FIXED.accessKeyId,
    SecretAccessKey: FIXED.secretAccessKey,
    Token: FIXED.sessionToken,
    Expiration: '2030-05-06T07:08:09Z',
  });
});

test('127.0.0.1 only; a fresh 256-bit token for each server', async (t) => {
  const a = await serve(t);
  const b = await serve(t);
  assert.deepEqual({ address: a.address.address, family: a.address.family }, { address: '127.0.0.1', family: 'IPv4' });
  assert.match(a.env.AWS_CONTAINER_AUTHORIZATION_TOKEN, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(a.env.AWS_CONTAINER_AUTHORIZATION_TOKEN, 'base64url').length, 32);
  assert.notEqual(a.env.AWS_CONTAINER_AUTHORIZATION_TOKEN, b.env.AWS_CONTAINER_AUTHORIZATION_TOKEN);
  assert.notEqual(a.address.port, b.address.port);

  // Nothing answers on the same port at any other address of this machine.
  const others = Object.values(networkInterfaces())
    .flat()
    .filter((i) => i && i.address !== '127.0.0.1')
    .map((i) => i!.address);
  assert.ok(others.includes('::1') || others.length > 0, 'this machine has another address to try');
  for (const host of others) {
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ host: host.includes(':') ? host.split('%')[0]! : host, port: a.address.port, timeout: 2000 });
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('timeout', () => {
        s.destroy();
        resolve('timeout');
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    assert.notEqual(refused, 'connected', `port ${a.address.port} answered on ${host}`);
  }
});

test('no credentials without the token: missing, wrong, wrong length, Bearer, wrong host, path or method', async (t) => {
  const refused: Array<[number, string]> = [];
  const provide = counted(async () => FIXED);
  const server = await serve(t, provide, { onRefused: (status, reason) => refused.push([status, reason]) });
  const { AWS_CONTAINER_CREDENTIALS_FULL_URI: uri, AWS_CONTAINER_AUTHORIZATION_TOKEN: token } = server.env;
  const other = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');

  const cases: Array<[string, Record<string, string>, number, string?]> = [
    ['no header', {}, 401],
    ['empty', { Authorization: '' }, 403],
    ['one character changed', { Authorization: other }, 403],
    ['too short', { Authorization: token.slice(1) }, 403],
    ['too long', { Authorization: token + 'x' }, 403],
    ['Bearer', { Authorization: `Bearer ${token}` }, 403],
    ['multi-byte, same length in characters', { Authorization: 'é'.repeat(token.length) }, 403],
    ['DNS rebinding', { Authorization: token, Host: `evil.example:${server.address.port}` }, 403],
  ];
  for (const [label, headers, status] of cases) {
    const r = await get(uri, headers);
    assert.equal(r.status, status, label);
    assert.ok(r.body.length < 80, `${label}: a tiny body`);
    assert.doesNotMatch(r.body, /ASIA|Secret|Token"/, label);
    assert.deepEqual(Object.keys(JSON.parse(r.body)), ['Code', 'Message'], label);
  }
  assert.equal((await get(uri.replace(CREDENTIALS_PATH, '/'), { Authorization: token })).status, 404);
  assert.equal((await get(`${uri}x`, { Authorization: token })).status, 404);
  assert.equal((await get(uri, { Authorization: token }, 'POST')).status, 405);
  assert.equal(provide.calls, 0, 'provide() never ran');
  assert.equal(refused.length, cases.length + 3);
  assert.deepEqual(refused[0], [401, 'no authorization token']);

  // The SDK reports the refusal, and gets nothing.
  await assert.rejects(fromHttp({ awsContainerCredentialsFullUri: uri, awsContainerAuthorizationToken: other, maxRetries: 0 })(), {
    name: 'CredentialsProviderError',
    message: 'Server responded with status: 403',
  });
  // Still serving the right token afterwards.
  assert.equal((await get(uri, { Authorization: token })).status, 200);
  assert.equal(provide.calls, 1);
});

test('one provide() at a time: concurrent requests share it; the next request calls it again', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let n = 0;
  const provide = counted(async () => {
    await gate;
    n++;
    return { ...FIXED, accessKeyId: `ASIAROUND${n}` };
  });
  const server = await serve(t, provide);
  const auth = { Authorization: server.env.AWS_CONTAINER_AUTHORIZATION_TOKEN };
  const uri = server.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const pending = Array.from({ length: 5 }, () => get(uri, auth));
  // All five are in: each connection has shown the token, and one provide() is under way.
  const arrived = () => provide.calls === 1 && server.connections().open === 5 && server.connections().unproven === 0;
  while (!arrived()) await new Promise((r) => setTimeout(r, 5));
  release();
  const answers = await Promise.all(pending);
  assert.deepEqual(
    answers.map((a) => [a.status, JSON.parse(a.body).AccessKeyId]),
    Array.from({ length: 5 }, () => [200, 'ASIAROUND1']),
  );
  assert.equal(provide.calls, 1);
  assert.equal(JSON.parse((await get(uri, auth)).body).AccessKeyId, 'ASIAROUND2');
  assert.equal(provide.calls, 2);
});

test('a provide() failure answers 500 with a short message and no secret; the next request tries again', async (t) => {
  const errors: unknown[] = [];
  let next: () => Promise<SessionCredentials> = async () => {
    throw new KopsMfaError('the MFA session ended; an MFA code is needed (run kops-login)', 6);
  };
  const server = await serve(t, () => next(), { onError: (e) => errors.push(e) });
  const auth = { Authorization: server.env.AWS_CONTAINER_AUTHORIZATION_TOKEN };
  const uri = server.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;

  const ours = await get(uri, auth);
  assert.equal(ours.status, 500);
  assert.deepEqual(JSON.parse(ours.body), {
    Code: 'CredentialsUnavailable',
    Message: 'kops-mfa could not renew the session: the MFA session ended; an MFA code is needed (run kops-login)',
  });

  next = async () => {
    throw new Error(`signing failed for ${FIXED.secretAccessKey}`);
  };
  const foreign = await get(uri, auth);
  assert.equal(foreign.status, 500);
  assert.doesNotMatch(foreign.body, /fixedSecret/);
  assert.equal(JSON.parse(foreign.body).Message, 'kops-mfa could not renew the session: internal error');

  next = async () => ({ ...FIXED, expiration: 'soon' });
  const broken = await get(uri, auth);
  assert.equal(broken.status, 500);
  assert.doesNotMatch(broken.body, /fixedSecret|ASIA/);
  assert.equal(errors.length, 3);

  // The SDK sees the failure as a failure, not as credentials.
  await assert.rejects(
    fromHttp({ awsContainerCredentialsFullUri: uri, awsContainerAuthorizationToken: auth.Authorization, maxRetries: 0 })(),
    { name: 'CredentialsProviderError', message: 'Server responded with status: 500' },
  );
  next = async () => FIXED;
  assert.equal((await get(uri, auth)).status, 200);
});

test('close() stops it at once, open keep-alive connections included', async (t) => {
  // Idle connections would live for ten minutes: close() returns only because it drops them.
  const server = await serve(t, undefined, { limits: { idleMs: 600_000 } });
  const uri = server.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  // A keep-alive connection left open, as an SDK's agent does.
  const socket = connect({ host: '127.0.0.1', port: server.address.port });
  await new Promise((r) => socket.once('connect', r));
  socket.write(`GET ${CREDENTIALS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${server.address.port}\r\nAuthorization: ${server.env.AWS_CONTAINER_AUTHORIZATION_TOKEN}\r\nConnection: keep-alive\r\n\r\n`);
  await new Promise((r) => socket.once('data', r));
  const ended = new Promise((r) => socket.once('close', r));
  await server.close();
  await ended;
  await server.close(); // twice is fine
  await assert.rejects(get(uri, { Authorization: server.env.AWS_CONTAINER_AUTHORIZATION_TOKEN }), { code: 'ECONNREFUSED' });
});

/** A raw connection to the server, and a promise of its end (closed by the server). */
async function rawConnection(server: CredentialServer) {
  const socket = connect({ host: '127.0.0.1', port: server.address.port });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  return { socket, closed };
}

test('a connection that sends nothing, trickles its headers, or sits idle after a response is closed by the server', async (t) => {
  const server = await serve(t, undefined, { limits: { idleMs: 300, headersMs: 400, requestMs: 600 } });
  const auth = server.env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  const host = `127.0.0.1:${server.address.port}`;

  const silent = await rawConnection(server);
  // A byte every 100 ms keeps the socket busy, but the headers never end.
  const trickle = await rawConnection(server);
  trickle.socket.write('GET /kops-mfa/credentials HTTP/1.1\r\n');
  const dribble = setInterval(() => trickle.socket.writable && trickle.socket.write('X'), 100);
  t.after(() => clearInterval(dribble));
  // Served once, then left open: the keep-alive idle time ends it.
  const kept = await rawConnection(server);
  kept.socket.write(`GET ${CREDENTIALS_PATH} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${auth}\r\nConnection: keep-alive\r\n\r\n`);
  const answer = await new Promise<string>((r) => kept.socket.once('data', (d: Buffer) => r(d.toString())));
  assert.match(answer, /^HTTP\/1.1 200/);

  // Each ends because the server closed it: the test never closes them.
  await Promise.all([silent.closed, trickle.closed, kept.closed]);
  clearInterval(dribble);
});

test('a refused request closes its connection', async (t) => {
  const server = await serve(t);
  const c = await rawConnection(server);
  c.socket.write(`GET ${CREDENTIALS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${server.address.port}\r\nAuthorization: wrong\r\nConnection: keep-alive\r\n\r\n`);
  const answer = await new Promise<string>((r) => c.socket.once('data', (d: Buffer) => r(d.toString())));
  assert.match(answer, /^HTTP\/1.1 403/);
  assert.match(answer, /\r\nConnection: close\r\n/i);
  await c.closed;
});

test('connections that have not shown the token are capped: the oldest goes, the newest (the command) is served', async (t) => {
  const server = await serve(t, undefined, { limits: { unproven: 4 } });
  const idle = [];
  for (let i = 0; i < 6; i++) idle.push(await rawConnection(server));
  // The first two were closed to make room; the last four wait.
  await Promise.all([idle[0]!.closed, idle[1]!.closed]);
  assert.deepEqual(server.connections(), { open: 4, unproven: 4 });
  const r = await get(server.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, { Authorization: server.env.AWS_CONTAINER_AUTHORIZATION_TOKEN });
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).AccessKeyId, FIXED.accessKeyId);
  for (const c of idle) c.socket.destroy();
});

test('refresh: an SDK client keeps working over several role sessions; provide() runs each time it asks', async (t) => {
  const { sts, client, provide } = await stsWorld(t, 2);
  const server = await serve(t, provide);
  const sdk = client(
    fromHttp({
      awsContainerCredentialsFullUri: server.env.AWS_CONTAINER_CREDENTIALS_FULL_URI,
      awsContainerAuthorizationToken: server.env.AWS_CONTAINER_AUTHORIZATION_TOKEN,
    }),
  );
  const started = Date.now();
  let calls = 0;
  while (Date.now() - started < 4500) {
    const me = await sdk.send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, ASSUMED_ARN);
    calls++;
    await new Promise((r) => setTimeout(r, 200));
  }
  const identity = sts.calls.filter((c) => c.action === 'GetCallerIdentity');
  assert.equal(identity.length, calls);
  assert.ok(identity.every((c) => c.status === 200));
  const keys = new Set(identity.map((c) => c.accessKeyId));
  assert.ok(keys.size >= 3, `${keys.size} role sessions over 4.5 s of 2 s sessions`);
  // Credentials that end within 5 minutes (the JS SDK's window) are fetched again for every call
  // (SDK 3.1173 asks twice per call); each time, provide() ran and a new role session was assumed.
  assert.ok(provide.calls >= calls, `${provide.calls} provide() calls for ${calls} SDK calls`);
  assert.equal(sts.issued.filter((c) => c.action === 'AssumeRole').length, provide.calls);
  assert.equal(sts.calls.filter((c) => c.tokenCode).length, 1, 'one MFA code for the whole run');
});

/** Where the SDKs would look first, plus the endpoint: what exec will hand its child. */
function childEnv(t: TestContext, server: CredentialServer, sts: StsServer, shadow: boolean): NodeJS.ProcessEnv {
  const home = tempDir(t, 'kops-mfa-endpoint-home-');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '127.0.0.1',
    PYTHONWARNINGS: 'ignore',
    // The parent's own long-term keys, as in the wrapper setup of the README.
    AWS_ACCESS_KEY_ID: USER.accessKeyId,
    AWS_SECRET_ACCESS_KEY: USER.secretAccessKey,
    ...server.env,
  };
  if (!shadow) for (const name of SHADOWING_VARIABLES) delete env[name];
  return env;
}

const NODE_CHILD = `
const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
new STSClient({}).send(new GetCallerIdentityCommand({})).then(
  (r) => console.log(r.Arn),
  (e) => { console.error(e.name + ': ' + e.message); process.exit(1); },
);`;

test('a node child on the SDK default chain uses the endpoint once the shadowing variables are gone', async (t) => {
  const { sts, provide } = await stsWorld(t);
  const server = await serve(t, provide);
  // With the parent's static keys left in, they win: the child is alice, not the role.
  const shadowed = ok(await run(process.execPath, ['-e', NODE_CHILD], { env: childEnv(t, server, sts, true), cwd: ROOT }), 'node child');
  assert.equal(shadowed.stdout.trim(), USER.arn);
  assert.equal(provide.calls, 0);

  const r = ok(await run(process.execPath, ['-e', NODE_CHILD], { env: childEnv(t, server, sts, false), cwd: ROOT }), 'node child');
  assert.equal(r.stdout.trim(), ASSUMED_ARN);
  assert.equal(provide.calls, 1);
  assert.equal(sts.calls.at(-1)?.accessKeyId, sts.calls.at(-2)?.issuedAccessKeyId, 'signed with what the endpoint served');
});

test('the aws CLI (botocore container provider) gets its credentials from the endpoint', async (t) => {
  if (!needTool(t, 'aws')) return;
  const { sts, provide } = await stsWorld(t);
  const server = await serve(t, provide);
  const r = ok(await run('aws', ['sts', 'get-caller-identity', '--output', 'json'], { env: childEnv(t, server, sts, false) }), 'aws sts get-caller-identity');
  const id = JSON.parse(r.stdout) as { Arn: string; Account: string };
  assert.equal(id.Arn, ASSUMED_ARN);
  assert.equal(id.Account, ACCOUNT);
  assert.equal(provide.calls, 1);
  const last = sts.calls.at(-1)!;
  assert.equal(last.action, 'GetCallerIdentity');
  assert.equal(last.accessKeyId, sts.calls.at(-2)?.issuedAccessKeyId, 'signed with what the endpoint served');
  assert.equal(last.sessionToken, true);
});

test('importing the module loads neither node:http nor node:crypto; starting a server does', async (t) => {
  // Bundled to CommonJS as dist/main.cjs would carry it, then required in a fresh node.
  const dir = tempDir(t);
  await build({
    entryPoints: [join(ROOT, 'src', 'exec', 'credential-server.ts')],
    outfile: `${dir}/credential-server.cjs`,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
  });
  const script = `
const loaded = () => process.moduleLoadList.filter((m) => /^NativeModule (http|crypto|_http_server|net)$/.test(m));
const before = loaded();
const m = require(${JSON.stringify(`${dir}/credential-server.cjs`)});
const afterImport = loaded();
m.startCredentialServer(async () => { throw new Error('unused'); }).then(async (s) => {
  const afterStart = loaded();
  await s.close();
  console.log(JSON.stringify({ before, afterImport, afterStart }));
});`;
  const r = ok(await run(process.execPath, ['-e', script]), 'node');
  const { before, afterImport, afterStart } = JSON.parse(r.stdout) as Record<string, string[]>;
  assert.deepEqual(afterImport, before, 'the import alone loaded no network or crypto module');
  assert.ok(afterStart!.includes('NativeModule http') && afterStart!.includes('NativeModule crypto'), afterStart!.join());
});
