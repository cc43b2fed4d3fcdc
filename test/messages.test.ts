// What kops-mfa says: every failure is one line that names the cause and the
// next thing to type; notes on success are one short line; one formatter for
// the time left. In-process (run-main.ts) against the local STS server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runMain, type MainResult } from './support/run-main.ts';
import { spawnPty } from './support/pty.ts';
import { BIN } from './support/helpers.ts';
import { mfaProfile, ROLE_ARN, USER, world, type World } from './support/world.ts';
import { cancelled } from '../src/errors.ts';
import { formatLeft, formatSeconds, until } from '../src/session/credentials.ts';
import { distance, nearest } from '../src/cli/suggest.ts';

/** Longest line, "kops-mfa: " included, with each quoted ARN, key id and URL counted as five characters. */
const MAX = 100;

/** The length a line would have with short values: the words are what must stay short; a value is as long as it is. */
function ownLength(line: string): number {
  return line.replace(/arn:aws[\w:/.+=,@-]*|\bA[KS]IA[A-Z0-9]{16}\b|https?:\/\/[^\s;]*?(?=:? |;|$)/g, 'VALUE').length;
}

/** The rules every line on stderr keeps. A first word in capitals is a name (AWS, STS, MFA), not a capital letter. */
function keepsTheRules(r: MainResult, label: string): void {
  for (const line of r.stderr.split('\n').filter((l) => l !== '')) {
    const said = `${label}: ${JSON.stringify(line)}`;
    assert.match(line, /^kops-mfa: /, `prefix: ${said}`);
    const words = line.slice('kops-mfa: '.length);
    assert.match(words, /^([^A-Z]|[A-Z]{2,}\b)/, `lower case after the prefix: ${said}`);
    assert.doesNotMatch(words, /\.$/, `no trailing period: ${said}`);
    assert.ok(ownLength(line) <= MAX, `at most ${MAX} characters with short values (${ownLength(line)}): ${said}`);
  }
}

function without(env: NodeJS.ProcessEnv, ...names: string[]): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const n of names) delete out[n];
  return out;
}

interface Case {
  name: string;
  args: (w: World) => string[];
  env?: (w: World) => NodeJS.ProcessEnv;
  prompt?: (w: World) => readonly string[] | ((m: string) => Promise<string>);
  setup?: (w: World) => void | Promise<void>;
  code: number;
  says: RegExp;
  /** A line quoting AWS's own words may be longer than MAX. */
  quotesAws?: true;
}

const FAILURES: Case[] = [
  {
    name: 'no profile chosen on a machine with no AWS files',
    args: () => ['env'],
    env: (w) => ({ ...without(w.env, 'AWS_PROFILE'), HOME: join(w.home, 'empty') }),
    code: 3,
    says: /^kops-mfa: no profile with MFA is set up: run kops-mfa setup \(or pass --serial-number\)$/,
  },
  {
    name: 'no profile chosen: the profiles with MFA or a role, and kops-login --profile NAME',
    args: () => ['env'],
    env: (w) => without(w.env, 'AWS_PROFILE'),
    setup: (w) => w.writeAws([mfaProfile('kops'), mfaProfile('prod'), '[profile plain]\nregion = eu-west-1\n'].join('\n')),
    code: 3,
    says: /^kops-mfa: no profile chosen: kops-login --profile NAME, NAME one of kops, prod$/,
  },
  {
    name: 'no profile chosen: at most five named',
    args: () => ['env'],
    env: (w) => without(w.env, 'AWS_PROFILE'),
    setup: (w) => w.writeAws(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => mfaProfile(n)).join('\n')),
    code: 3,
    says: /NAME one of a, b, c, d, e, …$/,
  },
  {
    name: 'a mistyped --profile: did you mean',
    args: () => ['env', '--profile', 'kpos'],
    code: 3,
    says: /^kops-mfa: profile kpos is not in ~\/\.aws\/config: did you mean --profile kops\?$/,
  },
  {
    name: 'an unknown profile with nothing near: setup writes it',
    args: () => ['env', '--profile', 'staging'],
    code: 3,
    says: /^kops-mfa: profile staging is not in ~\/\.aws\/config; kops-mfa setup staging writes it$/,
  },
  {
    name: 'a chosen profile without mfa_serial',
    args: () => ['env', '--profile', 'alice'],
    code: 3,
    says: /^kops-mfa: profile alice has no mfa_serial: add it in ~\/\.aws\/config, or run kops-mfa setup alice$/,
  },
  { name: 'a mistyped command', args: () => ['statsu'], code: 2, says: /^kops-mfa: unknown command statsu: did you mean kops-mfa status\?$/ },
  { name: 'an unknown command with nothing near', args: () => ['frobnicate'], code: 2, says: /^kops-mfa: unknown command frobnicate; kops-mfa help lists the commands$/ },
  { name: 'help for a mistyped command', args: () => ['help', 'enb'], code: 2, says: /unknown command enb: did you mean kops-mfa env\?$/ },
  { name: 'a mistyped option', args: () => ['env', '--profle', 'kops'], code: 2, says: /^kops-mfa: unknown option --profle: did you mean --profile\?$/ },
  { name: 'a mistyped --no- switch', args: () => ['env', '--no-cahce'], code: 2, says: /unknown option --no-cahce: did you mean --no-cache\?$/ },
  { name: 'an unknown option with nothing near', args: () => ['status', '--zzzzzz'], code: 2, says: /^kops-mfa: unknown option --zzzzzz \(see kops-mfa help status\)$/ },
  {
    name: 'three answers that are not 6 digits: a wrong code, exit 4',
    args: () => ['env'],
    prompt: () => ['12345', 'abc', '1234567'],
    code: 4,
    says: /no valid MFA code after 3 tries; a code is the 6 digits your device shows$/,
  },
  {
    name: 'a code AWS refused three times: exit 4',
    args: () => ['env', '--no-cache'],
    prompt: () => ['000000', '000000', '000000'],
    code: 4,
    says: /^kops-mfa: AWS rejected the MFA code \(mistyped, or already used\): wait for the next code and retry$/,
  },
  {
    name: 'a code just used, typed three times: exit 4, as a code AWS refused',
    args: () => ['env', '--refresh'],
    setup: async (w) => {
      const code = w.code();
      const first = await runMain(['env', '--token-code', code], { env: w.env });
      assert.equal(first.code, 0, first.stderr);
      (w as World & { used?: string }).used = code;
    },
    prompt: (w) => Array(3).fill((w as World & { used?: string }).used),
    code: 4,
    says: /this code was just used; wait for the next one on your device and try again$/,
  },
  {
    name: '--token-code just used: exit 4',
    args: (w) => ['env', '--refresh', '--token-code', (w as World & { used?: string }).used as string],
    setup: async (w) => {
      const code = w.code();
      assert.equal((await runMain(['env', '--token-code', code], { env: w.env })).code, 0);
      (w as World & { used?: string }).used = code;
    },
    code: 4,
    says: /^kops-mfa: this code was just used; wait for the next one on your device and try again$/,
  },
  { name: 'Ctrl-C at the prompt', args: () => ['env'], prompt: () => () => Promise.reject(cancelled()), code: 130, says: /^kops-mfa: cancelled$/ },
  { name: 'no terminal', args: () => ['env'], code: 6, says: /--token-code/ },
  { name: '--no-prompt', args: () => ['env', '--no-prompt'], code: 6, says: /--no-prompt/ },
  {
    name: 'the wrong MFA device',
    args: (w) => ['env', '--no-cache', '--token-code', w.code(), '--serial-number', 'arn:aws:iam::123456789012:mfa/bob'],
    code: 4,
    says: /^kops-mfa: wrong MFA device \S+mfa\/bob for keys AKIA\w+: check mfa_serial, KOPS_MFA_ARN or --serial-number$/,
  },
  {
    name: 'disabled keys',
    args: (w) => ['env', '--no-cache', '--token-code', w.code()],
    setup: (w) => w.server.disableUser(USER.accessKeyId),
    code: 4,
    says: /^kops-mfa: AWS rejected the keys AKIA\w+ from profile alice; renew them: aws configure --profile alice$/,
  },
  {
    name: 'a role the user may not assume (AWS says why)',
    args: (w) => ['env', '--no-cache', '--token-code', w.code(), '--role-arn', 'arn:aws:iam::123456789012:role/nope'],
    code: 4,
    says: /^kops-mfa: AWS refused: .*\(check role_arn and the role's trust policy\)$/,
    quotesAws: true,
  },
  {
    name: 'STS unreachable',
    args: () => ['env', '--no-cache', '--token-code', '123456'],
    env: (w) => ({ ...w.env, AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' }),
    code: 5,
    says: /connection refused; check your network or AWS_ENDPOINT_URL_STS$/,
  },
  { name: 'a role ARN of the wrong form', args: () => ['env', '--role-arn', 'kops-admin'], code: 3, says: /is not of the form arn:aws:iam::123456789012:role\/NAME$/ },
  { name: 'a duration out of range', args: () => ['env', '--duration-seconds', '60'], code: 3, says: /900 to 43200$/ },
  { name: 'a region that is none', args: () => ['env', '--region', 'Europe'], code: 3, says: /not a region name such as eu-west-1$/ },
  { name: 'a token code of 5 digits', args: () => ['env', '--token-code', '12345'], code: 3, says: /6 digits/ },
  {
    name: 'a source_profile that is not there',
    args: () => ['env'],
    setup: (w) => w.writeAws(mfaProfile('kops', { source_profile: 'alcie' })),
    code: 3,
    says: /^kops-mfa: profile kops names source_profile alcie, which is not in ~\/\.aws\/config$/,
  },
  {
    name: 'no long-term keys',
    args: () => ['env'],
    setup: (w) => w.writeAws(`[profile kops]\nrole_arn = ${ROLE_ARN}\nmfa_serial = ${USER.mfaSerial}\n`, ''),
    code: 3,
    says: /^kops-mfa: no long-term AWS keys for profile kops: add a source_profile, or run kops-mfa setup kops$/,
  },
  {
    name: 'an MFA session over a role hop',
    args: () => ['env'],
    setup: (w) =>
      w.writeAws(`${mfaProfile('kops', { source_profile: 'hop', mfa_session_duration: '3600' })}\n[profile hop]\nrole_arn = ${ROLE_ARN}\nsource_profile = alice\n`),
    code: 3,
    says: /^kops-mfa: mfa_session_duration needs a user's keys, and profile kops signs with a role: remove it$/,
  },
  { name: 'exec without --', args: () => ['exec', 'kops', 'get'], code: 2, says: /put -- before the command/ },
  { name: 'init with an unknown shell', args: () => ['init', 'tcsh'], code: 2, says: /unknown shell "tcsh"/ },
];

for (const c of FAILURES) {
  test(`failure, one line that says what to do: ${c.name}`, async (t) => {
    const w = await world(t);
    mkdirSync(join(w.home, 'empty'), { recursive: true });
    await c.setup?.(w);
    const r = await runMain(c.args(w), { env: c.env?.(w) ?? w.env, ...(c.prompt ? { prompt: c.prompt(w) } : {}) });
    assert.equal(r.code, c.code, r.stderr);
    assert.equal(r.stdout, '');
    const last = r.stderr.trimEnd().split('\n').at(-1) ?? '';
    assert.match(last, c.says);
    if (c.quotesAws) {
      // AWS's own words are quoted whole: the rest keeps the rules.
      assert.match(last, /^kops-mfa: AWS refused: /);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    } else keepsTheRules(r, c.name);
  });
}

test('the lines said between tries keep the rules too, and the failure is the last line', async (t) => {
  const w = await world(t);
  const r = await runMain(['env', '--no-cache'], { env: w.env, prompt: ['12345', '000000', '000000'] });
  assert.equal(r.code, 4, r.stderr);
  assert.deepEqual(r.notes, [
    'an MFA code is 6 digits; try again',
    'AWS rejected the MFA code (mistyped, or already used): wait for the next code and retry',
    'AWS rejected the MFA code (mistyped, or already used): wait for the next code and retry',
  ]);
  keepsTheRules(r, 'tries');
});

test('a note on success is one short line: the role name, the end time and the time left; the ARN is in --debug', async (t) => {
  const w = await world(t);
  const first = await runMain(['env', '--token-code', w.code()], { env: w.env });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^kops-mfa: kops-state session until \d\d:\d\d \((59 min|1 h 00 min)\)\n$/);
  keepsTheRules(first, 'new');
  const again = await runMain(['env', '--debug'], { env: w.env });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /^kops-mfa: kops-state session until \d\d:\d\d \((5\d min|1 h 00 min)\), from the cache$/m);
  assert.match(again.stderr, /debug: session \(cache\): arn:aws:sts::123456789012:assumed-role\/kops-state\/kops-access, until /);
});

test('a renewal from the MFA session is one short line', async (t) => {
  const w = await world(t, { roles: [{ arn: ROLE_ARN, requireMfa: true, maxSessionDuration: 3600 }, { arn: 'arn:aws:iam::123456789012:role/kops-admin', requireMfa: true }] });
  w.writeAws(
    [
      mfaProfile('kops', { mfa_session_duration: '43200' }),
      mfaProfile('admin', { role_arn: 'arn:aws:iam::123456789012:role/kops-admin', mfa_session_duration: '43200' }),
    ].join('\n'),
  );
  const first = await runMain(['env', '--token-code', w.code()], { env: w.env });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^kops-mfa: kops-state session until \d\d:\d\d \([^)]+\); MFA session (11 h 59 min|12 h 00 min) left\n$/);
  const second = await runMain(['env', '--profile', 'admin'], { env: w.env });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /^kops-mfa: kops-admin session until \d\d:\d\d \([^)]+\), no code needed; MFA session \d+ h \d\d min left\n$/);
  keepsTheRules(first, 'first');
  keepsTheRules(second, 'renewal');
});

test('help [command] prints the command’s --help on stdout; help alone the overview', async () => {
  for (const name of ['env', 'exec', 'credential-process', 'init', 'status', 'logout']) {
    const viaHelp = await runMain(['help', name]);
    const viaFlag = await runMain([name, '--help']);
    assert.equal(viaHelp.code, 0, viaHelp.stderr);
    assert.equal(viaHelp.stderr, '');
    assert.equal(viaHelp.stdout, viaFlag.stdout, name);
    assert.match(viaHelp.stdout, new RegExp(`\\$ kops-mfa ${name}`));
  }
  const all = await runMain(['help']);
  assert.equal(all.code, 0);
  assert.equal(all.stdout, (await runMain(['--help'])).stdout);
  assert.match(all.stdout, /^ {2}help \[command\] /m);
  assert.match(all.stdout, /^ {2}\$ kops-mfa help env$/m);
  assert.doesNotMatch(all.stdout, /help --help/);
  assert.equal((await runMain(['help', 'help'])).stdout, all.stdout, 'help help is the overview');
});

test('the time left: one rule for notes, status and the prompt', () => {
  // seconds left, long (notes, status), short (the prompt segment)
  const table: Array<[number, string, string]> = [
    [-30, 'expired', 'expired'],
    [0, 'expired', 'expired'],
    [1, 'under 1 min', '<1m'],
    [59, 'under 1 min', '<1m'],
    [60, '1 min', '1m'],
    [119, '1 min', '1m'],
    [3599, '59 min', '59m'],
    [3600, '1 h 00 min', '1h00m'],
    [3900, '1 h 05 min', '1h05m'],
    [43200, '12 h 00 min', '12h00m'],
    [129600, '36 h 00 min', '36h00m'],
  ];
  for (const [s, long, short] of table) {
    assert.equal(formatSeconds(s), long, `${s} s`);
    assert.equal(formatSeconds(s, 'short'), short, `${s} s, short`);
  }
  // Whole seconds are the expiration's second minus the clock's, as a shell's
  // $EPOCHSECONDS gives them: a session of one hour read 0.4 s after it was
  // issued is 1 h 00 min in the note and 1h00m in the prompt, not 59 min.
  const issued = Date.parse('2026-12-01T12:00:00Z');
  const expiration = new Date(issued + 3600_000).toISOString();
  const now = new Date(issued + 400);
  assert.equal(formatLeft(expiration, now), '1 h 00 min');
  assert.equal(formatLeft(expiration, now, 'short'), '1h00m');
  assert.equal(formatLeft(expiration, new Date(issued + 1000)), '59 min');
  // Under a minute: the seconds of the end, never "0m".
  assert.match(until(expiration, new Date(issued + 3600_000 - 30_500)), /^until \d\d:\d\d:\d\d \(under 1 min\)$/);
  assert.match(until(expiration, new Date(issued + 3600_000)), /^expired at \d\d:\d\d$/);
});

test('did you mean: the nearest known name, or none when nothing is near or two are as near', () => {
  assert.equal(distance('kpos', 'kops'), 1, 'a swap is one edit');
  assert.equal(distance('', 'env'), 3);
  assert.equal(nearest('kpos', ['kops', 'prod']), 'kops');
  assert.equal(nearest('statsu', ['env', 'status']), 'status');
  assert.equal(nearest('cred', ['credential-process', 'env']), 'credential-process', 'a unique prefix');
  assert.equal(nearest('staging', ['kops', 'prod']), undefined);
  assert.equal(nearest('ab', ['aa', 'bb']), undefined, 'a tie names neither');
  assert.equal(nearest('', ['env']), undefined);
});

test('in a terminal, Ctrl-C at the prompt says "cancelled" on a line of its own, exit 130', async (t) => {
  const w = await world(t);
  const pty = spawnPty([process.execPath, BIN, 'env', '--print', '--shell', 'bash'], { env: w.env });
  t.after(() => pty.kill('SIGKILL'));
  await pty.waitFor(`MFA code for ${USER.mfaSerial}:`);
  const from = pty.output.length;
  pty.type('\x03');
  const { code } = await pty.exited;
  assert.equal(code, 130, pty.output);
  assert.match(pty.output.slice(from), /(^|\n)kops-mfa: cancelled\r?\n/);
  assert.equal(w.server.calls.length, 0);
});
