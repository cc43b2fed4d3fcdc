// npm run demo: the whole kops-mfa flow with no AWS account. A local STS
// server on 127.0.0.1 plays AWS (real SigV4 checks, one-shot MFA codes), a
// throw-away HOME holds a demo profile, and the real CLI logs in against it in
// your terminal. Nothing here talks to AWS.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { startStsServer, DEMO } from './sts-server.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const BIN = fileURLToPath(new URL('../bin/kops-mfa.cjs', import.meta.url));
const bold = (s: string) => (process.stderr.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s = '') => process.stderr.write(`${s}\n`);

const READONLY = { arn: DEMO.role.arn.replace('kops-admin', 'kops-readonly'), requireMfa: true, maxSessionDuration: 43200 };
const server = await startStsServer({ users: [{ ...DEMO.user }], roles: [{ ...DEMO.role }, READONLY] });
const home = mkdtempSync(join(tmpdir(), 'kops-mfa-demo-'));
mkdirSync(join(home, '.aws'), { mode: 0o700 });
writeFileSync(
  join(home, '.aws', 'config'),
  `[profile demo]\nrole_arn = ${DEMO.role.arn}\nmfa_serial = ${DEMO.user.mfaSerial}\nsource_profile = demo-keys\nregion = eu-west-1\nmfa_session_duration = 43200\n\n` +
    `[profile demo-readonly]\nrole_arn = ${READONLY.arn}\nmfa_serial = ${DEMO.user.mfaSerial}\nsource_profile = demo-keys\nregion = eu-west-1\nmfa_session_duration = 43200\n`,
);
writeFileSync(
  join(home, '.aws', 'credentials'),
  `[demo-keys]\naws_access_key_id = ${DEMO.user.accessKeyId}\naws_secret_access_key = ${DEMO.user.secretAccessKey}\n`,
  { mode: 0o600 },
);
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: home,
  TERM: process.env.TERM ?? 'dumb',
  SHELL: '/bin/bash',
  AWS_ENDPOINT_URL_STS: server.url,
  AWS_PROFILE: 'demo',
};

/** Run kops-mfa with the terminal for stdin and stderr, stdout captured, as `$(kops-mfa …)` does. */
function kopsMfa(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['inherit', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

const shorten = (text: string) => text.replace(/='([^']{24})[^']{8,}'/g, "='$1…'");

try {
  say(bold('kops-mfa demo'));
  say(`A local STS server at ${server.url} plays AWS. A throw-away HOME (${home}) has:`);
  say(`  [profile demo]  role_arn = ${DEMO.role.arn}`);
  say(`                  mfa_serial = ${DEMO.user.mfaSerial}, source_profile = demo-keys`);
  say(`                  mfa_session_duration = 43200 (one code serves every role of the device for 12 h)`);
  say(`  [profile demo-readonly]  the same, with role_arn = ${READONLY.arn}`);
  say();
  const code = server.nextCode(DEMO.user.mfaSerial);
  const interactive = process.stdin.isTTY === true;
  say(bold(`1. Log in: eval "$(kops-mfa env)"`));
  let first;
  if (interactive) {
    say(`   Your MFA device would show a code now. The demo device shows: ${bold(code)}`);
    say('   Type it at the prompt (it is not echoed):');
    first = await kopsMfa(['env', '--shell', 'bash']);
  } else {
    say(`   No terminal here, so the demo passes --token-code ${code} for you.`);
    first = await kopsMfa(['env', '--shell', 'bash', '--token-code', code]);
  }
  if (first.code !== 0) {
    say(`kops-mfa exited ${first.code}; stdout was ${first.stdout === '' ? 'empty, so eval would change nothing' : 'not empty (a bug)'}.`);
    process.exitCode = 1;
  } else {
    say('   What your shell would evaluate (values shortened here):');
    for (const line of shorten(first.stdout).trimEnd().split('\n')) say(`     ${line}`);

    const value = (name: string) => new RegExp(`^export ${name}='([^']*)'$`, 'm').exec(first.stdout)?.[1] ?? '';
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: server.url,
      credentials: { accessKeyId: value('AWS_ACCESS_KEY_ID'), secretAccessKey: value('AWS_SECRET_ACCESS_KEY'), sessionToken: value('AWS_SESSION_TOKEN') },
    });
    const who = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    say();
    say(bold('2. Any AWS tool now works with those variables:'));
    say(`   aws sts get-caller-identity → ${who.Arn}`);

    say();
    say(bold('3. Again: the cached session is reused, no code asked'));
    const t0 = process.hrtime.bigint();
    const again = await kopsMfa(['env', '--shell', 'bash']);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    say(`   same keys: ${again.stdout === first.stdout ? 'yes' : 'NO'}, in ${ms.toFixed(0)} ms, STS calls so far: ${server.calls.length}`);

    say();
    say(bold('4. Another role of the same device: no code, no prompt (the MFA session renews it)'));
    const other = await kopsMfa(['env', '--shell', 'bash', '--profile', 'demo-readonly']);
    say(`   exit ${other.code}; STS calls that carried a code so far: ${server.calls.filter((c) => c.tokenCode).length}`);

    say();
    say(bold("5. Or run a command with the session, like the old wrapper's exec kops:"));
    say("   $ kops-mfa exec -- sh -c 'echo …'   (with an MFA session: renewing credentials on loopback, no static keys)");
    await new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [BIN, 'exec', '-q', '--', 'sh', '-c', 'echo "   kops would ask $AWS_CONTAINER_CREDENTIALS_FULL_URI; static keys: ${AWS_ACCESS_KEY_ID:-none}"'],
        { env, stdio: ['inherit', 'inherit', 'inherit'] },
      );
      child.on('close', resolve);
    });

    say();
    say(bold('6. kops-mfa status'));
    const status = spawnSync(process.execPath, [BIN, 'status'], { env, encoding: 'utf8' });
    for (const line of status.stdout.trimEnd().split('\n')) say(`   ${line}`);
    say();
    say('Next: put `eval "$(kops-mfa init bash)"` (or zsh, fish, powershell) in your rc file and run kops-login.');
  }
} finally {
  await server.close();
  rmSync(home, { recursive: true, force: true });
}
