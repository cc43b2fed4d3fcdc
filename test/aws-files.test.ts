// Our AWS config reader against the AWS SDK's own (@smithy/shared-ini-file-loader)
// over the same files: profiles must mean the same to both where the SDK and
// the AWS CLI agree. Where they differ (empty sections, names with white
// space), src/aws-files.ts follows the AWS CLI, and the real `aws` is the
// oracle for a table of section headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { loadAwsFiles, profileNames } from '../src/settings/aws-files.ts';
import { KopsMfaError } from '../src/errors.ts';
import { needTool, run, tempDir } from './support/helpers.ts';

const CASES: Array<[string, string, string]> = [
  [
    'profiles, default, comments',
    `# a comment\n[default]\nregion = eu-west-1 ; inline comment\n\n[profile kops]\nrole_arn = arn:aws:iam::123456789012:role/kops # trailing\nmfa_serial=arn:aws:iam::123456789012:mfa/alice\nsource_profile = alice\n;role_session_name = off\n`,
    `[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = se/cr+et==\n# [bob]\n`,
  ],
  [
    'sub-sections, sso sessions, services, CRLF',
    `[profile a]\r\ns3 =\r\n  max_concurrent_requests = 20\r\n  addressing_style = path\r\nregion = us-west-2\r\n[sso-session corp]\r\nsso_region = us-east-1\r\n[services local]\r\nsts =\r\n  endpoint_url = http://127.0.0.1:1\r\n`,
    '',
  ],
  [
    'odd names and values',
    `[profile "quoted"]\nregion = ap-south-1\n[profile 'single']\nregion = eu-north-1\n[profile with space]\nregion = x-1\n[profile user@corp.example]\nmfa_process = ykman oath accounts code --single "AWS: alice"\n[default]\nkey=a=b=c\n  =novalue\nnovalue\n[profile default]\nregion = from-profile-default\n`,
    `[default]\naws_access_key_id=AKIADEF\naws_secret_access_key=x\n[with space]\naws_access_key_id = AKIASPACE\n`,
  ],
  ['keys before any section, empty sections', `orphan = 1\n[profile empty]\n[profile b]\n`, `[c]\n`],
  ['a value with # and ; not after white space', `[profile x]\nexternal_id = a#b;c\nrole_session_name = n\t# tab comment\n`, ''],
];

/** The SDK's view: its config map also holds sso-session.* and services.*; only profiles count here. */
function sdkProfiles(config: Record<string, Record<string, string | undefined>>) {
  return Object.fromEntries(Object.entries(config).filter(([name]) => !/^(sso-session|services)\./.test(name)));
}

/** Ours are null-prototype maps (no __proto__ surprises); compare plain data. */
const plain = (o: unknown) => JSON.parse(JSON.stringify(o)) as unknown;

/**
 * Where the SDK and the AWS CLI disagree, leave the profile out of the
 * SDK comparison (the CLI table below covers it): an empty section is a
 * profile to the CLI, not to the SDK; a credentials section with white
 * space in its name is a profile to the CLI, not to the SDK.
 */
const agreed = (profiles: Record<string, Record<string, string | undefined>>) =>
  Object.fromEntries(Object.entries(profiles).filter(([name, values]) => Object.keys(values).length > 0 && !/\s/.test(name)));

for (const [name, config, credentials] of CASES) {
  test(`same profiles as the AWS SDK: ${name}`, async (t) => {
    const home = tempDir(t);
    mkdirSync(join(home, '.aws'));
    const configPath = join(home, '.aws', 'config');
    const credentialsPath = join(home, '.aws', 'credentials');
    writeFileSync(configPath, config);
    writeFileSync(credentialsPath, credentials);
    const ours = loadAwsFiles({ HOME: home });
    const sdk = await loadSharedConfigFiles({ configFilepath: configPath, filepath: credentialsPath, ignoreCache: true });
    assert.deepEqual(plain(agreed(ours.config)), plain(agreed(sdkProfiles(sdk.configFile))));
    assert.deepEqual(plain(agreed(ours.credentials)), plain(agreed(sdk.credentialsFile)));
  });
}

test('AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE are honoured; missing files are empty', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'c'), '[profile x]\nregion = eu-west-3\n');
  writeFileSync(join(dir, 'k'), '[y]\naws_access_key_id = AKIAY\n');
  const files = loadAwsFiles({ HOME: '/nonexistent', AWS_CONFIG_FILE: join(dir, 'c'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'k') });
  assert.equal(files.config.x?.region, 'eu-west-3');
  assert.equal(files.credentials.y?.aws_access_key_id, 'AKIAY');
  const none = loadAwsFiles({ HOME: dir });
  assert.deepEqual([{ ...none.config }, { ...none.credentials }], [{}, {}]);
});

test('an unreadable config file is a clear error, not silently empty (where the SDK says nothing)', async (t) => {
  if (process.getuid?.() === 0) {
    // root reads any file; make the path a folder instead, which nobody can read as a file.
    const home = tempDir(t);
    mkdirSync(join(home, '.aws', 'config'), { recursive: true });
    assert.throws(() => loadAwsFiles({ HOME: home }), (e: unknown) => e instanceof KopsMfaError && /cannot read .*config: EISDIR/.test(e.message));
    return;
  }
  const home = tempDir(t);
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(home, '.aws', 'config'), '[default]\n');
  chmodSync(join(home, '.aws', 'config'), 0o000);
  assert.throws(() => loadAwsFiles({ HOME: home }), (e: unknown) => e instanceof KopsMfaError && /cannot read .*config: EACCES/.test(e.message));
});

test('a __proto__ profile is refused, as by the SDK', async (t) => {
  const home = tempDir(t);
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(home, '.aws', 'config'), '[profile __proto__]\nregion = x\n');
  assert.throws(() => loadAwsFiles({ HOME: home }), /invalid profile name/);
});

// ---------------------------------------------------------------------------
// Profile names: the AWS CLI is the oracle.

/** One section header, in the config or the credentials file, and a name to ask for. */
const HEADERS: Array<{ file: 'config' | 'credentials'; header: string; ask: string }> = [
  { file: 'config', header: '[default]', ask: 'default' },
  { file: 'config', header: '[profile dev]', ask: 'dev' },
  { file: 'config', header: '[dev]', ask: 'dev' },
  { file: 'config', header: '[profile "sp ace"]', ask: 'sp ace' },
  { file: 'config', header: '[profile "sp ace"]', ask: '"sp ace"' },
  { file: 'config', header: '[profile sp ace]', ask: 'sp ace' },
  { file: 'config', header: '[profile sp ace]', ask: 'sp' },
  { file: 'config', header: '[ profile dev ]', ask: 'dev' },
  { file: 'config', header: '[profile  dev]', ask: 'dev' },
  { file: 'config', header: "[profile 'q']", ask: 'q' },
  { file: 'config', header: '[profile "a\\"b"]', ask: 'a"b' },
  { file: 'config', header: '[profile "open]', ask: 'open' },
  { file: 'config', header: '[profiledev]', ask: 'dev' },
  { file: 'credentials', header: '[sp ace]', ask: 'sp ace' },
  { file: 'credentials', header: '[profile dev]', ask: 'profile dev' },
  { file: 'credentials', header: '[profile dev]', ask: 'dev' },
];

interface CliAnswer {
  /** Whether the CLI found a profile by that name (exit 0 or 1; 255 is "could not be found"). */
  found: boolean;
  /** The region it printed (config rows only hold one). */
  region: string;
}

/**
 * `aws configure get region --profile NAME` for every row. Each `aws` start
 * costs about a second of CPU, so when the CLI is a Python script whose
 * package python3 can import (apt's awscli, pip's), one python3 runs the same
 * entry point (awscli.clidriver, what the `aws` script calls) once per row;
 * else `aws` itself runs per row.
 */
async function askAwsCli(rows: ReadonlyArray<{ env: NodeJS.ProcessEnv; name: string }>): Promise<CliAnswer[]> {
  const read = (code: number | null, stdout: string, stderr: string, name: string): CliAnswer => {
    if (code === 255 && /could not be found/.test(stderr)) return { found: false, region: '' };
    if (code === 0 || code === 1) return { found: true, region: stdout.trim() };
    throw new Error(`aws configure get region --profile ${name}: exit ${code}: ${stderr}`);
  };
  const driver = `
import contextlib, io, json, os, sys
import awscli.clidriver
out = []
for env, name in json.load(sys.stdin):
    os.environ.update(env)
    so, se = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        code = awscli.clidriver.create_clidriver().main(['configure', 'get', 'region', '--profile', name])
    out.append([code, so.getvalue(), se.getvalue()])
json.dump(out, sys.stdout)
`;
  const files = (e: NodeJS.ProcessEnv) => ({ AWS_CONFIG_FILE: e.AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE: e.AWS_SHARED_CREDENTIALS_FILE });
  const py = await run('python3', ['-c', driver], { input: JSON.stringify(rows.map((r) => [files(r.env), r.name])) }).catch(() => undefined);
  if (py?.code === 0) {
    const answers = JSON.parse(py.stdout) as Array<[number, string, string]>;
    return answers.map(([code, out, err], i) => read(code, out, err, rows[i]?.name ?? ''));
  }
  const out: CliAnswer[] = [];
  for (const r of rows) {
    const a = await run('aws', ['configure', 'get', 'region', '--profile', r.name], { env: r.env });
    out.push(read(a.code, a.stdout, a.stderr, r.name));
  }
  return out;
}

test('profile names as the AWS CLI reads them, for a table of section headers', async (t) => {
  if (!needTool(t, 'aws')) return;
  const rows = HEADERS.map((h, i) => {
    const dir = join(tempDir(t), String(i));
    mkdirSync(dir);
    const region = `r${i}-test-1`;
    const env = { PATH: process.env.PATH, HOME: dir, AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
    writeFileSync(env.AWS_CONFIG_FILE, h.file === 'config' ? `${h.header}\nregion = ${region}\n` : '');
    writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE, h.file === 'credentials' ? `${h.header}\naws_access_key_id = AKIAX\n` : '');
    return { ...h, env, name: h.ask, region };
  });
  const cli = await askAwsCli(rows);
  // The shortcut through python3 must answer as `aws` itself does: check one row where a name is found.
  const probe = rows.findIndex((r, i) => cli[i]?.found && r.file === 'config');
  assert.notEqual(probe, -1, 'the AWS CLI found none of the profiles: the table checks nothing');
  const real = await run('aws', ['configure', 'get', 'region', '--profile', rows[probe]!.name], { env: rows[probe]!.env });
  assert.equal(real.stdout.trim(), cli[probe]?.region, `aws itself disagrees with the python3 driver: ${real.stderr}`);

  const wrong: string[] = [];
  rows.forEach((r, i) => {
    const files = loadAwsFiles(r.env);
    const ours = { found: profileNames(files).includes(r.name), region: (r.file === 'config' && files.config[r.name]?.region) || '' };
    const theirs = cli[i] as CliAnswer;
    if (ours.found !== theirs.found || ours.region !== theirs.region) {
      wrong.push(`${r.file} ${r.header}, --profile ${JSON.stringify(r.name)}: aws ${JSON.stringify(theirs)}, ours ${JSON.stringify(ours)}`);
    }
  });
  assert.deepEqual(wrong, []);
  // Both answers occur, so the table tells names from non-names.
  assert.ok(cli.some((a) => a.found) && cli.some((a) => !a.found));
});
