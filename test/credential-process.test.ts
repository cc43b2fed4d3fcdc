// credential-process: the JSON that credential_process consumers read, read
// here by real consumers (the AWS SDK for JavaScript's fromProcess, and the
// aws CLI where installed), all against the local STS server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, needTool, ok, run, runCli } from './support/helpers.ts';
import { world, ROLE_ARN, USER, type World } from './support/world.ts';

const ASSUMED_ARN = 'arn:aws:sts::123456789012:assumed-role/kops-state/kops-access';


interface ProcessJson {
  Version: number;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

/** Double quotes for a path in credential_process: read the same by a POSIX shell (the JS SDK) and by shlex (the aws CLI). */
function dq(path: string): string {
  assert.doesNotMatch(path, /["$`\\]/, `path needs more than double quotes: ${path}`);
  return `"${path}"`;
}

/**
 * A `consumer` profile whose credentials come from kops-mfa. kops-mfa is
 * reached through a folder with a space in its name, so the quoting counts.
 */
function addConsumerProfile(w: World): void {
  const dir = join(w.home, 'tools dir');
  mkdirSync(dir);
  const bin = join(dir, 'kops-mfa.cjs');
  symlinkSync(BIN, bin);
  appendFileSync(
    join(w.home, '.aws', 'config'),
    `\n[profile consumer]\ncredential_process = ${dq(process.execPath)} ${dq(bin)} credential-process --profile kops\nregion = eu-west-1\n`,
  );
}

/** A login with a code, so that the cache holds the session a consumer then gets. */
async function loginOnce(w: World): Promise<ProcessJson> {
  const r = ok(await runCli(['credential-process', '--profile', 'kops', '--token-code', w.code()], { env: w.env }));
  assert.equal(r.stderr, '', 'credential-process is quiet on success');
  return JSON.parse(r.stdout) as ProcessJson;
}

test('credential-process prints Version 1 JSON with the session, from the cache without a call', async (t) => {
  const w = await world(t);
  const login = ok(await runCli(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env }));
  assert.equal(w.server.calls.length, 1);

  const r = ok(await runCli(['credential-process', '--profile', 'kops'], { env: w.env }));
  assert.equal(w.server.calls.length, 1, 'a cache hit');
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^\{.*\}\n$/, 'one line of JSON');
  const data = JSON.parse(r.stdout) as ProcessJson;
  assert.deepEqual(Object.keys(data), ['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
  assert.equal(data.Version, 1);
  const issued = w.server.issued[0]!;
  assert.equal(data.AccessKeyId, issued.accessKeyId);
  assert.equal(data.SecretAccessKey, issued.secretAccessKey);
  assert.equal(data.SessionToken, issued.sessionToken);
  assert.equal(data.Expiration, issued.expirationText);
  assert.match(data.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(login.stdout, new RegExp(`^export AWS_CREDENTIAL_EXPIRATION='${data.Expiration}'$`, 'm'));
});

test("the AWS SDK's fromProcess runs it from ~/.aws/config, and its credentials call STS as the role", async (t) => {
  const w = await world(t);
  addConsumerProfile(w);
  const session = await loginOnce(w);
  assert.equal(w.server.calls.length, 1);

  // A separate process, as any application would be, with the user's environment.
  const consumer = `
    import { fromProcess } from '@aws-sdk/credential-providers';
    import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
    const credentials = await fromProcess({ profile: 'consumer' })();
    const client = new STSClient({ region: 'eu-west-1', endpoint: process.env.STS_URL, credentials, maxAttempts: 1 });
    const id = await client.send(new GetCallerIdentityCommand({}));
    console.log(JSON.stringify({ arn: id.Arn, accessKeyId: credentials.accessKeyId, expiration: credentials.expiration.toISOString() }));
  `;
  const env = {
    ...w.env,
    AWS_PROFILE: 'consumer',
    STS_URL: w.server.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const r = ok(await run(process.execPath, ['--input-type=module', '-e', consumer], { env, cwd: ROOT }), 'consumer');
  const out = JSON.parse(r.stdout) as { arn: string; accessKeyId: string; expiration: string };
  assert.equal(out.arn, ASSUMED_ARN);
  assert.equal(out.accessKeyId, session.AccessKeyId);
  assert.equal(Date.parse(out.expiration), Date.parse(session.Expiration));
  const calls = w.server.calls.map((c) => [c.action, c.accessKeyId, c.status]);
  assert.deepEqual(calls, [
    ['AssumeRole', USER.accessKeyId, 200],
    ['GetCallerIdentity', session.AccessKeyId, 200],
  ]);
  assert.equal(w.server.calls[0]!.params.RoleArn, ROLE_ARN);
});

test('the aws CLI runs it as credential_process (sts get-caller-identity)', async (t) => {
  if (!needTool(t, 'aws')) {
    return;
  }
  const w = await world(t);
  addConsumerProfile(w);
  const session = await loginOnce(w);
  // Nothing but the local server: no keys or profile in the environment, no
  // instance metadata, and a dead proxy for anything that is not 127.0.0.1.
  const env: NodeJS.ProcessEnv = {
    PATH: w.env.PATH,
    HOME: w.home,
    LANG: 'C.UTF-8',
    AWS_CONFIG_FILE: join(w.home, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(w.home, '.aws', 'credentials'),
    AWS_ENDPOINT_URL_STS: w.server.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '127.0.0.1',
    PYTHONWARNINGS: 'ignore',
  };
  const r = ok(
    await run('aws', ['sts', 'get-caller-identity', '--profile', 'consumer', '--endpoint-url', w.server.url, '--output', 'json'], { env }),
    'aws sts get-caller-identity',
  );
  const id = JSON.parse(r.stdout) as { Arn: string; Account: string; UserId: string };
  assert.equal(id.Arn, ASSUMED_ARN);
  assert.equal(id.Account, '123456789012');
  const last = w.server.calls.at(-1)!;
  assert.equal(last.action, 'GetCallerIdentity');
  assert.equal(last.accessKeyId, session.AccessKeyId, 'signed with the session kops-mfa handed over');
  assert.equal(last.sessionToken, true);
  assert.equal(w.server.calls.filter((c) => c.action === 'AssumeRole').length, 1, 'the aws CLI got the cached session');
});

test('credential-process with no cache, no terminal and no code fails with exit 6 and an empty stdout', async (t) => {
  const w = await world(t);
  const r = await runCli(['credential-process', '--profile', 'kops'], { env: w.env });
  assert.equal(r.code, 6, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'kops-mfa: no terminal to ask for the MFA code: pass --token-code CODE, or set mfa_process\n');
  assert.equal(w.server.calls.length, 0);
});
