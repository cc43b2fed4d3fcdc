// exec and a [default] profile that holds credentials of its own. Every SDK
// resolves [default] before the container provider, so with an MFA session
// the command gets AWS files of its own in which no profile has a credential
// source. Proven with three real consumers in the command: the AWS CLI,
// boto3 and the Go SDK v2 (config.LoadDefaultConfig, as kops), each asking
// the local STS server who signed. Without an MFA session the exported keys
// win over [default] by themselves; that is proven too.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT, DEFAULT_CREDENTIALS, mfaProfile, USER, world, type World } from './support/world.ts';
import { hasTool, ok, ROOT, runCli, tempDir } from './support/helpers.ts';

const ROLE = `arn:aws:sts::${ACCOUNT}:assumed-role/kops-state/kops-access`;
const BOTO3 = join(ROOT, 'test', 'fixtures', 'boto3-caller.py');
const GO_SOURCE = join(ROOT, 'test', 'fixtures', 'go-caller');

/** A Python with boto3: Debian's python3-boto3 first, then whatever python3 is on PATH. */
function findBoto3Python(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) if (spawnSync(py, ['-c', 'import boto3']).status === 0) return py;
  return undefined;
}

/** The Go caller, compiled once for this file in GOPATH mode against Debian's aws-sdk-go-v2. */
let goCaller: string | undefined;
let goProblem = '';
const buildDir = mkdtempSync(join(tmpdir(), 'kops-mfa-go-'));
before(() => {
  if (!hasTool('go')) {
    goProblem = 'go is not installed (apt-get install -y golang-go golang-github-aws-aws-sdk-go-v2-dev)';
    return;
  }
  const out = join(buildDir, 'go-caller');
  const r = spawnSync('go', ['build', '-o', out, '.'], {
    cwd: GO_SOURCE,
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '' },
    encoding: 'utf8',
  });
  if (r.status === 0) goCaller = out;
  else goProblem = `the Go caller did not build (apt-get install -y golang-github-aws-aws-sdk-go-v2-dev): ${r.stderr.slice(0, 400)}`;
});
after(() => rmSync(buildDir, { recursive: true, force: true }));

const python = findBoto3Python();

/** Every consumer is there; in CI a missing one fails the test, elsewhere it is skipped with the reason. */
function consumersReady(t: TestContext): boolean {
  const missing = [
    !hasTool('aws') && 'the AWS CLI (apt-get install -y awscli)',
    !python && 'boto3 (apt-get install -y python3-boto3)',
    !goCaller && goProblem,
  ].filter(Boolean);
  if (missing.length === 0) return true;
  const why = missing.join('; ');
  if (process.env.CI) throw new Error(`required tool missing in CI: ${why}`);
  t.skip(why);
  return false;
}

interface Seen {
  sdk: string;
  accessKeyId?: string;
  arn?: string;
  error?: string;
}

/**
 * Run the three consumers inside `kops-mfa exec`; each reports the ARN STS
 * answered it (the CLI's key is read from the server's log, in order).
 */
async function consumersUnder(t: TestContext, w: World, execArgs: string[]): Promise<{ seen: Seen[]; stderr: string; childDir: string }> {
  const dir = tempDir(t);
  const script = [
    'aws sts get-caller-identity --endpoint-url "$AWS_ENDPOINT_URL_STS" --output json > "$D/cli.out" 2> "$D/cli.err" < /dev/null',
    '"$PY" "$BOTO3" > "$D/boto3.out" 2> "$D/boto3.err" < /dev/null',
    '"$GO_CALLER" > "$D/go.out" 2> "$D/go.err" < /dev/null',
    'printf %s "${AWS_CONFIG_FILE:-}" > "$D/config-file"',
  ].join('\n');
  const env = { ...w.env, D: dir, PY: python, BOTO3, GO_CALLER: goCaller, AWS_EC2_METADATA_DISABLED: 'true' };
  const before = w.server.calls.length;
  const r = ok(await runCli(['exec', ...execArgs, '--', 'sh', '-c', script], { env, cwd: ROOT }));
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const cli: Seen = { sdk: 'cli' };
  try {
    const answer = JSON.parse(read('cli.out')) as { Arn: string };
    cli.arn = answer.Arn;
    // The CLI ran first: the first GetCallerIdentity of the run is its.
    cli.accessKeyId = w.server.calls.slice(before).find((c) => c.action === 'GetCallerIdentity')?.accessKeyId;
  } catch {
    cli.error = read('cli.err').trim();
  }
  const json = (f: string, sdk: string): Seen => {
    try {
      return JSON.parse(read(f)) as Seen;
    } catch {
      return { sdk, error: read(f.replace('.out', '.err')).trim() || 'no output' };
    }
  };
  return { seen: [cli, json('boto3.out', 'boto3'), json('go.out', 'go')], stderr: r.stderr, childDir: read('config-file') };
}

/** The role session the server issued last: what the endpoint serves. */
const servedKeys = (w: World) => new Set(w.server.calls.filter((c) => c.action === 'AssumeRole' && c.status === 200).map((c) => c.issuedAccessKeyId));

function assertRole(w: World, seen: Seen[]): void {
  const keys = servedKeys(w);
  for (const s of seen) {
    assert.equal(s.error, undefined, `${s.sdk} failed: ${s.error}`);
    assert.equal(s.arn, ROLE, `${s.sdk} ran as the role, not as [default]`);
    assert.ok(s.accessKeyId && keys.has(s.accessKeyId), `${s.sdk} signed with a key kops-mfa served (${s.accessKeyId})`);
  }
}

const KEYS = `aws_access_key_id = ${USER.accessKeyId}\naws_secret_access_key = ${USER.secretAccessKey}\n`;
const KOPS = mfaProfile('kops', { region: 'eu-west-1', mfa_session_duration: '3600' });

interface Layout {
  name: string;
  /** ~/.aws/config and ~/.aws/credentials, given a folder for the credential_process script. */
  files(dir: string): { config: string; credentials: string };
  /** exec's own options: which profile kops-mfa takes. */
  args: string[];
}

/** A credential_process that would hand out alice's keys, and leaves a mark when it runs. */
function credentialProcess(dir: string): string {
  const path = join(dir, 'creds.sh');
  writeFileSync(
    path,
    `#!/bin/sh\ntouch "${dir}/credential-process-ran"\nprintf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s"}' '${USER.accessKeyId}' '${USER.secretAccessKey}'\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

const LAYOUTS: Layout[] = [
  { name: 'keys in ~/.aws/credentials', files: () => ({ config: KOPS, credentials: `${DEFAULT_CREDENTIALS}\n[default]\n${KEYS}` }), args: ['--profile', 'kops'] },
  { name: 'keys in ~/.aws/config', files: () => ({ config: `[default]\n${KEYS}region = us-west-2\n\n${KOPS}`, credentials: DEFAULT_CREDENTIALS }), args: ['--profile', 'kops'] },
  {
    name: 'credential_process',
    files: (dir) => ({ config: `[default]\ncredential_process = ${credentialProcess(dir)}\n\n${KOPS}`, credentials: DEFAULT_CREDENTIALS }),
    args: ['--profile', 'kops'],
  },
  {
    // The most common layout: kops-mfa itself uses [default] (no --profile, no AWS_PROFILE).
    name: 'the MFA role itself (role_arn, mfa_serial, source_profile)',
    files: () => ({ config: mfaProfile('default', { region: 'eu-west-1', mfa_session_duration: '3600' }).replace('[profile default]', '[default]'), credentials: DEFAULT_CREDENTIALS }),
    args: [],
  },
  {
    name: 'sso_session',
    files: () => ({
      config: `[default]\nsso_session = corp\nsso_account_id = ${ACCOUNT}\nsso_role_name = Admin\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n\n${KOPS}`,
      credentials: DEFAULT_CREDENTIALS,
    }),
    args: ['--profile', 'kops'],
  },
];

describe('exec with an MFA session: whatever [default] holds, the command takes the endpoint', { concurrency: 3 }, () => {
  for (const layout of LAYOUTS) {
    test(`[default] with ${layout.name}: the AWS CLI, boto3 and the Go SDK run as the role`, async (t) => {
      if (!consumersReady(t)) return;
      const w = await world(t);
      delete w.env.AWS_PROFILE;
      const dir = tempDir(t);
      const { config, credentials } = layout.files(dir);
      w.writeAws(config, credentials);
      const { seen, childDir } = await consumersUnder(t, w, [...layout.args, '--token-code', w.code()]);
      assertRole(w, seen);
      assert.equal(existsSync(join(dir, 'credential-process-ran')), false, 'the credential_process of [default] never ran');
      assert.ok(w.server.calls.every((c) => c.accessKeyId !== USER.accessKeyId || c.action === 'GetSessionToken'), "alice's keys signed nothing but kops-mfa's one GetSessionToken");
      assert.match(childDir, /kops-mfa-exec-[^/]+\/config$/, 'the command had a config file of its own');
      assert.equal(existsSync(childDir), false, 'removed when exec ended');
    });
  }

  test('the files of the command: private, no credential source left, regions kept, gone after SIGTERM', async (t) => {
    const w = await world(t);
    delete w.env.AWS_PROFILE;
    const dir = tempDir(t);
    w.writeAws(
      `[default]\n${KEYS}credential_process = ${credentialProcess(dir)}\nregion = us-west-2\n\n[sso-session corp]\nsso_start_url = https://x\n\n${KOPS}\n[profile other]\nregion = ap-south-1\noutput = text\n`,
    );
    const script = `trap 'exit 0' TERM; cp "$AWS_CONFIG_FILE" "${dir}/seen-config"; stat -c %a "$AWS_CONFIG_FILE" "$AWS_SHARED_CREDENTIALS_FILE" "$(dirname "$AWS_CONFIG_FILE")" > "${dir}/modes"; wc -c < "$AWS_SHARED_CREDENTIALS_FILE" > "${dir}/size"; dirname "$AWS_CONFIG_FILE" > "${dir}/where"; echo ready > "${dir}/ready"; while :; do sleep 0.05; done`;
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('./support/helpers.ts');
    const child = spawn(process.execPath, [BIN, 'exec', '--profile', 'kops', '--token-code', w.code(), '--', 'sh', '-c', script], {
      env: w.env,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    t.after(() => {
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    });
    const { watch } = await import('node:fs');
    await new Promise<void>((resolve, reject) => {
      const watcher = watch(dir, () => existsSync(join(dir, 'ready')) && (watcher.close(), resolve()));
      closed.then(() => reject(new Error(`exec ended first: ${stderr}`)));
      if (existsSync(join(dir, 'ready'))) (watcher.close(), resolve());
    });
    const where = readFileSync(join(dir, 'where'), 'utf8').trim();
    assert.deepEqual(readFileSync(join(dir, 'modes'), 'utf8').trim().split('\n'), ['600', '600', '700']);
    assert.equal(readFileSync(join(dir, 'size'), 'utf8').trim(), '0');
    const seen = readFileSync(join(dir, 'seen-config'), 'utf8');
    assert.equal(
      seen,
      `[default]\nregion = us-west-2\n\n[profile kops]\nregion = eu-west-1\nmfa_session_duration = 3600\n\n[profile other]\nregion = ap-south-1\noutput = text\n`,
    );
    assert.ok(statSync(where).isDirectory());
    child.kill('SIGTERM');
    assert.equal(await closed, 0, stderr);
    assert.equal(existsSync(where), false, 'the folder is removed when exec ends on a signal');
    assert.deepEqual(
      readdirSync(tmpdir()).filter((n) => n === where.split('/').pop()),
      [],
    );
  });
});

test('env mode (no MFA session): the exported keys beat a [default] credential_process in the AWS CLI, boto3 and the Go SDK', async (t) => {
  if (!consumersReady(t)) return;
  const w = await world(t);
  const dir = tempDir(t);
  w.writeAws(`[default]\ncredential_process = ${credentialProcess(dir)}\n\n${mfaProfile('kops', { region: 'eu-west-1' })}`);
  const { seen, childDir } = await consumersUnder(t, w, ['--profile', 'kops', '--token-code', w.code()]);
  assert.equal(childDir, '', 'static keys need no files of their own');
  const issued = w.server.issued.at(-1);
  assert.ok(issued);
  for (const s of seen) {
    assert.equal(s.error, undefined, `${s.sdk} failed: ${s.error}`);
    assert.equal(s.arn, ROLE, `${s.sdk} ran as the role`);
    assert.equal(s.accessKeyId, issued.accessKeyId, `${s.sdk} signed with the exported key`);
  }
  assert.equal(existsSync(join(dir, 'credential-process-ran')), false, 'the credential_process of [default] never ran');
});
