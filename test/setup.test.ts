// `kops-mfa setup`: from an empty HOME to a profile that logs in, with the
// key in a real keyring (test/keyring.ts), the local STS server, the AWS CLI
// as the oracle of what was written, and a real bash in a pseudo-terminal
// answering the questions as a person does.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failsCleanly, kopsMfaShim, needTool, ok, run, runCli, tempDir } from './support/helpers.ts';
import { world, ROLE_ARN, USER, ACCOUNT, type World } from './support/world.ts';
import { haveKeyringTools, startKeyring, type Keyring } from './support/keyring.ts';
import { interactiveShellArgv, ScreenSession } from './support/pty.ts';

async function emptyHome(t: TestContext): Promise<{ w: World; k: Keyring; env: NodeJS.ProcessEnv } | undefined> {
  if (!haveKeyringTools(t)) return undefined;
  const w = await world(t);
  rmSync(join(w.home, '.aws'), { recursive: true, force: true });
  const k = await startKeyring(t, w.home);
  const env = { ...w.env, ...k.env };
  delete env.AWS_PROFILE;
  return { w, k, env };
}

const FLAGS = [
  '--role-arn',
  ROLE_ARN,
  '--region',
  'eu-west-1',
  '--mfa-session-duration',
  '3600',
  '--kops-state-store',
  's3://kops-state-store',
  '--kops-cluster-name',
  'dev.k8s.local',
];

const WRITTEN = `[profile kops]
role_arn = ${ROLE_ARN}
mfa_serial = ${USER.mfaSerial}
region = eu-west-1
mfa_session_duration = 3600
kops_state_store = s3://kops-state-store
kops_cluster_name = dev.k8s.local
`;

/** What the AWS CLI reads for one key of a profile. */
async function awsGet(w: World, key: string, profile = 'kops'): Promise<string> {
  const env = { PATH: w.env.PATH, HOME: w.home, LANG: 'C.UTF-8', PYTHONWARNINGS: 'ignore', AWS_CONFIG_FILE: join(w.home, '.aws', 'config') };
  const r = await run('aws', ['configure', 'get', key, '--profile', profile], { env });
  return r.code === 0 ? r.stdout.replace(/\n$/, '') : `(exit ${r.code}: ${r.stderr.trim()})`;
}

test('setup with flags from an empty HOME: the key in the keyring, the profile the AWS CLI reads, and a login with it', async (t) => {
  const s = await emptyHome(t);
  if (!s) return;
  const { w, k, env } = s;
  const keys = { ...env, AWS_ACCESS_KEY_ID: USER.accessKeyId, AWS_SECRET_ACCESS_KEY: USER.secretAccessKey };
  const r = ok(await runCli(['setup', 'kops', '--env', ...FLAGS, '--yes'], { env: keys }));
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /the key belongs to IAM user alice in account 123456789012/);
  assert.match(r.stderr, /add this line to .*\.bashrc.*: eval "\$\(kops-mfa init bash\)"/);
  assert.match(r.stderr, /then try: kops-login --profile kops/);
  assert.equal(readFileSync(join(w.home, '.aws', 'config'), 'utf8'), WRITTEN, 'the proposed MFA device, no inline comments');
  assert.ok(!existsSync(join(w.home, '.aws', 'credentials')), 'no key in a file');
  assert.equal(JSON.parse(k.secretTool(['lookup', 'service', 'kops-mfa', 'username', 'kops']).stdout).accessKeyId, USER.accessKeyId);

  if (needTool(t, 'aws')) {
    for (const line of WRITTEN.split('\n').slice(1, -1)) {
      const [key, value] = line.split(' = ') as [string, string];
      assert.equal(await awsGet(w, key), value, `aws configure get ${key}`);
    }
  }

  const login = ok(await runCli(['env', '--profile', 'kops', '--token-code', w.code(), '--shell', 'bash', '--debug'], { env }));
  assert.match(login.stderr, /from the keyring entry kops/);
  assert.equal(w.server.calls.find((c) => c.action === 'GetSessionToken')?.accessKeyId, USER.accessKeyId);
  assert.match(login.stdout, /export AWS_SESSION_TOKEN=/);
});

test('setup keeps every other byte of ~/.aws/config, and replaces an existing section only when asked to', async (t) => {
  const s = await emptyHome(t);
  if (!s) return;
  const { w, env } = s;
  const before = '# my settings\n[default]\nregion = us-east-2\n\n[profile other] ; mine\noutput = json';
  const aws = join(w.home, '.aws');
  mkdirSync(aws, { recursive: true });
  writeFileSync(join(aws, 'config'), before);
  const keys = { ...env, AWS_ACCESS_KEY_ID: USER.accessKeyId, AWS_SECRET_ACCESS_KEY: USER.secretAccessKey };
  ok(await runCli(['setup', 'kops', '--env', ...FLAGS, '--yes'], { env: keys }));
  const after = readFileSync(join(aws, 'config'), 'utf8');
  assert.equal(after, `${before}\n\n${WRITTEN}`, 'the old bytes, then the new section');

  // Again, without --yes and with no terminal to ask on: nothing changes.
  const again = await runCli(['setup', 'kops', '--env', ...FLAGS], { env: keys });
  failsCleanly(again, 3, /no terminal to ask on/);
  assert.equal(readFileSync(join(aws, 'config'), 'utf8'), after);

  // With --yes: replaced in place, the other sections as they were.
  ok(await runCli(['setup', 'kops', '--env', ...FLAGS.slice(0, 4), '--yes'], { env: keys }));
  assert.equal(readFileSync(join(aws, 'config'), 'utf8'), `${before}\n\n[profile kops]\nrole_arn = ${ROLE_ARN}\nmfa_serial = ${USER.mfaSerial}\nregion = eu-west-1\n`);
});

test('setup refuses values the AWS CLI would read differently, before writing anything', async (t) => {
  const s = await emptyHome(t);
  if (!s) return;
  const { w, env } = s;
  const keys = { ...env, AWS_ACCESS_KEY_ID: USER.accessKeyId, AWS_SECRET_ACCESS_KEY: USER.secretAccessKey };
  failsCleanly(await runCli(['setup', 'kops', '--env', '--role-arn', 'not-an-arn', '--yes'], { env: keys }), 3, /role ARN "not-an-arn"/);
  assert.ok(!existsSync(join(w.home, '.aws', 'config')));
});

/** How each shell is started, loads the rc line and shows the session. */
const SETUP_SHELLS = [
  { name: 'bash', argv: (p: string) => interactiveShellArgv('bash', p, ['bash', '--norc', '--noprofile', '-i']), init: `eval "$(kops-mfa init bash)"; printf 'LOADED-%s\\n' OK`, show: `printf 'SESSION=%s=%s\\n' "$KOPS_MFA_SESSION" "\${AWS_SESSION_TOKEN:+token}"` },
  { name: 'zsh', argv: (p: string) => interactiveShellArgv('zsh', p, ['zsh', '-f', '-i']), init: `eval "$(kops-mfa init zsh)"; printf 'LOADED-%s\\n' OK`, show: `printf 'SESSION=%s=%s\\n' "$KOPS_MFA_SESSION" "\${AWS_SESSION_TOKEN:+token}"` },
  {
    name: 'fish',
    argv: (p: string) => ['fish', '--no-config', '--private', '-i', '-C', `function fish_prompt; printf '%s' '${p}'; end`],
    init: `kops-mfa init fish | source; printf 'LOADED-%s\\n' OK`,
    show: `printf 'SESSION=%s=%s\\n' "$KOPS_MFA_SESSION" (set -q AWS_SESSION_TOKEN; and echo token)`,
  },
];

for (const shell of SETUP_SHELLS) {
  test(`setup on a terminal in ${shell.name} from an empty HOME, then kops-login with the profile it wrote`, async (t) => {
    if (!needTool(t, shell.name)) return;
    const s = await emptyHome(t);
    if (!s) return;
    const { w, env } = s;
    const bin = tempDir(t, 'kops-mfa-bin-');
    kopsMfaShim(bin);
    const PROMPT = 'KMFA-SETUP> ';
    const sh = new ScreenSession(t, shell.name, shell.argv(PROMPT), {
      env: { ...env, PATH: `${bin}:${env.PATH}`, SHELL: '/bin/sh' },
      stepMs: 15_000,
      prompt: PROMPT,
    });
    try {
      await sh.prompt(0);
      let from = sh.mark();
      sh.type(`env SHELL=/bin/${shell.name} kops-mfa setup\r`);
      const answer = async (question: string, text: string) => {
        await sh.asking(question, from);
        from = sh.mark();
        sh.type(`${text}\r`);
      };
      await answer('Profile name [kops]:', '');
      await answer('Access key id for kops:', USER.accessKeyId);
      await answer('Secret access key for kops (not shown):', USER.secretAccessKey);
      await answer(`MFA device (mfa_serial) [arn:aws:iam::${ACCOUNT}:mfa/alice]:`, '');
      await answer('Role to assume (role_arn; empty: none):', ROLE_ARN);
      await answer('Region [us-east-1]:', 'eu-west-1');
      await answer('MFA session in seconds (mfa_session_duration; empty: off):', '');
      await answer('kops state store (kops_state_store, such as s3://bucket; empty: none):', 's3://kops-state-store');
      await answer('kops cluster name (kops_cluster_name; empty: none):', 'dev.k8s.local');
      await sh.prompt(from);
      assert.doesNotMatch(sh.screen(), new RegExp(USER.secretAccessKey.replace(/[+/]/g, '\\$&')), 'the secret was not echoed');
      assert.match(sh.screen(from), new RegExp(`kops-mfa init ${shell.name}`), 'the rc line of this shell');
      assert.match(sh.screen(from), /then try: kops-login --profile kops/);
      const config = readFileSync(join(w.home, '.aws', 'config'), 'utf8');
      assert.equal(config, `[profile kops]\nrole_arn = ${ROLE_ARN}\nmfa_serial = ${USER.mfaSerial}\nregion = eu-west-1\nkops_state_store = s3://kops-state-store\nkops_cluster_name = dev.k8s.local\n`);

      await sh.run(shell.init, /^LOADED-OK$/m);
      from = sh.mark();
      sh.type('kops-login --profile kops\r');
      await sh.asking(`MFA code for ${USER.mfaSerial}:`, from);
      from = sh.mark();
      sh.type(`${w.code()}\r`);
      await sh.prompt(from);
      await sh.run(shell.show, /^SESSION=kops=token$/m);
      assert.equal(w.server.calls.find((c) => c.action === 'AssumeRole')?.accessKeyId, USER.accessKeyId, 'signed with the key setup stored');
    } catch (e) {
      if (e instanceof Error) e.message += `\n--- terminal ---\n${sh.screen()}\n---`;
      throw e;
    }
  });
}
