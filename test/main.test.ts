// What kops-mfa says, and where: flags after a command,
// a failed write to stdout, text from outside with control characters, a
// read-only cache, an mfa_process that does not answer. Through the built CLI
// and the local STS server, except the mfa_process timeout (in-process, with
// a short timeout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT, run, type RunResult } from './support/helpers.ts';
import { ACCOUNT, ROLE_ARN, USER, world } from './support/world.ts';
import { xmlEscape } from '../scripts/sts-server.ts';
import { BIN, cli, lines, tinyTmpfs } from './support/kops-mfa.ts';
import { runMfaProcess } from '../src/session/mfa.ts';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** ESC[2J clears the screen; CR and a newline start a line that forges one of kops-mfa's. */
const HOSTILE = '\x1b[2J\x1b]0;owned\x07\rkops-mfa: \x1b[32mall good\x1b[0m\nkops-mfa: fake line';

function oneCleanLine(r: RunResult): string {
  const said = lines(r);
  assert.equal(said.length, 1, `one line on stderr, got:\n${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(r.stderr, /[\x00-\x09\x0b-\x1f\x7f]/, `no control character: ${JSON.stringify(r.stderr)}`);
  return said[0]!;
}

test('env --version prints the version', async () => {
  for (const args of [['env', '--version'], ['env', '-v'], ['exec', '--version']]) {
    const r = await cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, `${VERSION}\n`, args.join(' '));
  }
});

test('exec without -- asks for it instead of reading the command’s options as its own', async () => {
  const r = await cli(['exec', 'ls', '-la']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  const line = oneCleanLine(r);
  assert.match(line, /put -- before the command: kops-mfa exec \[options\] -- ls -la/);
  assert.doesNotMatch(line, /unknown option/);
});

test('--min-remaining -1 says the value is wrong, not "unknown option -1"', async (t) => {
  const w = await world(t);
  const r = await cli(['env', '--shell', 'bash', '--min-remaining', '-1', '--token-code', w.code()], { env: w.env });
  assert.notEqual(r.code, 0);
  assert.equal(r.stdout, '');
  const line = oneCleanLine(r);
  assert.match(line, /"-1".*minutes/);
  assert.doesNotMatch(line, /unknown option/);
  assert.equal(w.server.calls.length, 0, 'no AWS call');
});

test('a failed write to stdout (a full device) exits non-zero with one line', async (t) => {
  const w = await world(t);
  const r = await run('sh', ['-c', 'exec "$@" > /dev/full', 'sh', process.execPath, BIN, 'env', '--shell', 'bash', '--quiet', '--token-code', w.code()], { env: w.env });
  assert.notEqual(r.code, 0);
  assert.match(oneCleanLine(r), /^kops-mfa: cannot write the output: no space left on the device$/);
});

test('an AWS error message with escape sequences, CR and newlines reaches stderr as one stripped line', async (t) => {
  const mallory = { accessKeyId: 'AKIAKOPSMFAMALLORY01', secretAccessKey: 'malloryTestSecretKey/0123456789+abcdefghi', arn: `arn:aws:iam::${ACCOUNT}:user/x${HOSTILE}`, mfaSerial: `arn:aws:iam::${ACCOUNT}:mfa/mallory` };
  // The role trusts alice only: AWS answers "User: <mallory's arn> is not authorized …".
  const w = await world(t, { users: [{ ...USER }, mallory], roles: [{ arn: ROLE_ARN, trust: [USER.arn] }] });
  const env: NodeJS.ProcessEnv = { ...w.env, AWS_ACCESS_KEY_ID: mallory.accessKeyId, AWS_SECRET_ACCESS_KEY: mallory.secretAccessKey, KOPS_MFA_ROLE_ARN: ROLE_ARN, KOPS_MFA_ARN: mallory.mfaSerial };
  delete env.AWS_PROFILE;
  const r = await cli(['env', '--shell', 'bash', '--token-code', w.server.nextCode(mallory.mfaSerial)], { env: { ...env, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' } });
  assert.equal(r.code, 4, r.stderr);
  assert.equal(w.server.calls.at(-1)?.errorCode, 'AccessDenied', 'the hostile text came from AWS');
  const line = oneCleanLine(r);
  assert.match(line, /^kops-mfa: AWS refused: User: arn:aws:iam::123456789012:user\/x\[2J.*not authorized/);
});

test('an assumed-role ARN from STS with escape sequences, CR and newlines is shown as one stripped line', async (t) => {
  const w = await world(t);
  // Between kops-mfa and the STS server: the answer's <Arn> is replaced (the signature still checks out).
  const target = new URL(w.server.url);
  const proxy = createServer((req, res) => {
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.from(Buffer.concat(chunks).toString('utf8').replace(/<Arn>[^<]*<\/Arn>/, `<Arn>${xmlEscape(`arn:aws:sts::${ACCOUNT}:assumed-role/kops-state${HOSTILE}/kops-access`)}</Arn>`));
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'content-length': String(body.length) });
        res.end(body);
      });
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  t.after(() => proxy.close());
  const env = { ...w.env, AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
  const r = await cli(['env', '--shell', 'bash', '--token-code', w.code()], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(oneCleanLine(r), /^kops-mfa: kops-state\[2J.*kops-mfa: .*fake line session until \d\d:\d\d /);
});

test('a profile name from the environment and a role_arn from the AWS config with control characters are shown stripped', async (t) => {
  const w = await world(t);
  const r = await cli(['env', '--shell', 'bash', '--token-code', w.code()], { env: { ...w.env, AWS_PROFILE: `x${HOSTILE}` } });
  assert.equal(r.code, 3, r.stderr);
  assert.match(oneCleanLine(r), /^kops-mfa: profile x\[2J.*kops-mfa: .*fake line \(AWS_PROFILE\) is not in /);

  w.writeAws(`[profile kops]\nrole_arn = arn:aws:iam::${ACCOUNT}:role/x${HOSTILE.replace(/\n/g, '')}\nmfa_serial = ${USER.mfaSerial}\nsource_profile = alice\n`);
  const bad = await cli(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env });
  assert.equal(bad.code, 3, bad.stderr);
  assert.match(oneCleanLine(bad), /role ARN/);
});

test('a read-only cache folder is reported in words, not as ENOENT, and the login goes on', async (t) => {
  const w = await world(t);
  let xdg: string;
  if (process.getuid?.() === 0) {
    // root writes through any mode: make the file system itself read-only.
    const mnt = tinyTmpfs(t, 'size=64k,mode=0700');
    if (!mnt) return;
    mkdirSync(join(mnt, 'kops-mfa'), { mode: 0o700 });
    const ro = spawnSync('mount', ['-o', 'remount,ro', mnt], { encoding: 'utf8' });
    assert.equal(ro.status, 0, ro.stderr);
    xdg = mnt;
  } else {
    const base = join(w.home, 'xdg');
    mkdirSync(join(base, 'kops-mfa'), { recursive: true, mode: 0o500 });
    xdg = base;
  }
  const r = await cli(['env', '--shell', 'bash', '--quiet', '--token-code', w.code()], { env: { ...w.env, XDG_CACHE_HOME: xdg } });
  assert.equal(r.code, 0, r.stderr);
  const line = oneCleanLine(r);
  assert.match(line, /read-only|permission denied/);
  assert.doesNotMatch(line, /ENOENT|EROFS|EACCES|unexpected/);
});

test('an mfa_process that does not answer in time: "did not answer within … s"', async () => {
  await assert.rejects(runMfaProcess('sleep 5', { PATH: process.env.PATH }, 1_000), (e: Error) => {
    assert.match(e.message, /^mfa_process sleep did not answer within 1 s$/);
    return true;
  });
});
