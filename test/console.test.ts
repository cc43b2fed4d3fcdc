// `kops-mfa console`: the sign-in URL from the test server's federation
// endpoint for the role session; a browser reached through a one-time
// redirect, never an argv; a session without a role refused in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, runCli, tempDir } from './support/helpers.ts';
import { USER, world, type World } from './support/world.ts';
import { runMain } from './support/run-main.ts';
import { defaultDestination, federationUrl, partitionOf } from '../src/console/federation.ts';

/** A file's text once it exists (the stand-in browser writes it after kops-mfa has exited). */
async function fileWhenWritten(path: string): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      if (i > 2000) throw new Error(`${path} was never written`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

function signinEnv(w: World): NodeJS.ProcessEnv {
  return { ...w.env, AWS_ENDPOINT_URL_SIGNIN: w.server.url };
}

test('console --stdout: the login URL carries the token the server issued for this role session', async (t) => {
  const w = await world(t);
  const env = signinEnv(w);
  const r = ok(await runMain(['console', '--stdout', '--token-code', w.code()], { env }), 'console');
  const role = w.server.issued.at(-1)!;
  assert.equal(role.action, 'AssumeRole');
  assert.equal(w.server.signinTokens.length, 1);
  const issued = w.server.signinTokens[0]!;
  assert.equal(issued.accessKeyId, role.accessKeyId, 'the token is for the role session kops-mfa got');
  const url = new URL(r.stdout.trim());
  assert.equal(`${url.origin}${url.pathname}`, `${w.server.url}/federation`);
  assert.equal(url.searchParams.get('Action'), 'login');
  assert.equal(url.searchParams.get('SigninToken'), issued.token);
  assert.equal(url.searchParams.get('Destination'), 'https://console.aws.amazon.com/console/home?region=eu-west-1');
  assert.equal(url.searchParams.get('Issuer'), 'kops-mfa');
  assert.ok(!r.stderr.includes(issued.token), 'the token is on stdout only');
  // The server takes the URL: a browser following it lands on the destination.
  const landed = await fetch(url, { redirect: 'manual' });
  assert.equal(landed.status, 302);
  assert.equal(landed.headers.get('location'), url.searchParams.get('Destination'));

  // A second console reuses the cached session: no code, a new token.
  const again = ok(await runMain(['console', '--stdout', '--destination', 'https://console.aws.amazon.com/ec2/home'], { env }), 'console again');
  assert.equal(new URL(again.stdout.trim()).searchParams.get('Destination'), 'https://console.aws.amazon.com/ec2/home');
  assert.equal(w.server.signinTokens.length, 2);
  assert.equal(w.server.signinTokens[1]!.accessKeyId, role.accessKeyId);
});

test('console for a profile without a role says so in one line, asks for no code and calls nothing', async (t) => {
  const w = await world(t);
  w.writeAws(`[profile plain]\nmfa_serial = ${USER.mfaSerial}\nsource_profile = alice\n`);
  const r = await runMain(['console', '--stdout', '--profile', 'plain', '--token-code', w.code()], { env: signinEnv(w) });
  assert.equal(r.code, 3);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.notes, ['profile plain has no role_arn: the console needs a role session; add one or pass --role-arn']);
  assert.equal(w.server.calls.length, 0);
});

test('the federation endpoint refuses a GetSessionToken session, as AWS does', async (t) => {
  const w = await world(t);
  w.writeAws(`[profile plain]\nmfa_serial = ${USER.mfaSerial}\nsource_profile = alice\n`);
  const env = { ...w.env, AWS_PROFILE: 'plain' };
  ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env }));
  const s = w.server.issued.at(-1)!;
  assert.equal(s.action, 'GetSessionToken');
  const session = JSON.stringify({ sessionId: s.accessKeyId, sessionKey: s.secretAccessKey, sessionToken: s.sessionToken });
  const res = await fetch(`${w.server.url}/federation?Action=getSigninToken&Session=${encodeURIComponent(session)}`);
  assert.equal(res.status, 400);
  assert.equal(w.server.signinTokens.length, 0);
});

test('a bad --destination is refused before any code is spent', async (t) => {
  const w = await world(t);
  const r = await runMain(['console', '--stdout', '--destination', 'http://example.com', '--token-code', w.code()], { env: signinEnv(w) });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /--destination "http:\/\/example.com" must be an https URL/);
  assert.equal(w.server.calls.length, 0);
});

test('with a browser: the opener gets a one-time loopback address, never the token, and the browser lands signed in', async (t) => {
  const w = await world(t);
  const bin = tempDir(t);
  const log = join(bin, 'opened');
  // A stand-in for xdg-open: records its argv, then follows the redirect as a browser would.
  writeFileSync(
    join(bin, 'xdg-open'),
    `#!/bin/sh\nprintf '%s\\n' "$@" > ${JSON.stringify(`${log}.argv`)}\nexec ${JSON.stringify(process.execPath)} -e 'fetch(process.argv[1], { redirect: "manual" }).then((r) => require("fs").writeFileSync(process.argv[2], r.headers.get("location") ?? "none"))' "$1" ${JSON.stringify(log)}\n`,
  );
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const env = { ...signinEnv(w), DISPLAY: ':99', PATH: `${bin}:${w.env.PATH}` };
  const r = await runCli(['console', '--token-code', w.code()], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '', 'nothing on stdout when the browser opened it');
  assert.match(r.stderr, /opened the AWS console as arn:aws:sts::\d+:assumed-role\/kops-state\/kops-access/);
  const token = w.server.signinTokens[0]!.token;
  const argv = await fileWhenWritten(`${log}.argv`);
  assert.match(argv, /^http:\/\/127\.0\.0\.1:\d+\/[\w-]{32}\n$/, 'the opener got a loopback address');
  assert.ok(!argv.includes(token), 'and not the token');
  assert.equal(new URL(await fileWhenWritten(log)).searchParams.get('SigninToken'), token, 'the browser was sent on with the token');
});

test('with no display the URL is printed, with a note that says why', async (t) => {
  const w = await world(t);
  const env = { ...signinEnv(w) };
  delete env.DISPLAY;
  const r = await runCli(['console', '--token-code', w.code()], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^http:\/\/127\.0\.0\.1:\d+\/federation\?Action=login&/);
  assert.match(r.stderr, /no browser here \(no DISPLAY\)/);
});

test('partitions: the sign-in host and the console follow the region; AWS_ENDPOINT_URL_SIGNIN wins', () => {
  assert.equal(partitionOf('cn-north-1'), 'aws-cn');
  assert.equal(partitionOf('us-gov-west-1'), 'aws-us-gov');
  assert.equal(partitionOf('eu-west-1'), 'aws');
  assert.equal(federationUrl('cn-north-1', {}), 'https://signin.amazonaws.cn/federation');
  assert.equal(federationUrl('us-gov-east-1', {}), 'https://signin.amazonaws-us-gov.com/federation');
  assert.equal(federationUrl('eu-west-1', {}), 'https://signin.aws.amazon.com/federation');
  assert.equal(federationUrl('eu-west-1', { AWS_ENDPOINT_URL_SIGNIN: 'http://127.0.0.1:9/' }), 'http://127.0.0.1:9/federation');
  assert.equal(defaultDestination('cn-north-1'), 'https://console.amazonaws.cn/console/home?region=cn-north-1');
  assert.equal(defaultDestination('us-gov-west-1'), 'https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1');
});

test('a session the sign-in endpoint refuses: exit 4, one line that says what to do, nothing on stdout', async (t) => {
  const w = await world(t);
  const env = signinEnv(w);
  ok(await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env }));
  w.server.expireCredentials(); // AWS forgot it; the cache still holds it
  const r = await runMain(['console', '--stdout'], { env });
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.notes.slice(-1), [`the sign-in endpoint 127.0.0.1:${w.server.port} refused the session (HTTP 400): try kops-mfa console --refresh`]);
});

test('a sign-in endpoint that cannot be reached: exit 5, one line', async (t) => {
  const w = await world(t);
  const env = { ...w.env, AWS_ENDPOINT_URL_SIGNIN: 'http://127.0.0.1:9' };
  const r = await runMain(['console', '--stdout', '--token-code', w.code()], { env });
  assert.equal(r.code, 5, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /cannot reach the sign-in endpoint 127\.0\.0\.1:9: check the network or AWS_ENDPOINT_URL_SIGNIN\n$/);
});
