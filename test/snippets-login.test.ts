// The shell snippets in front of the REAL kops-mfa and the local STS server,
// in real bash, zsh and fish: AWS_PROFILE and region.
//
// Each shell loads the snippet the README way (the file stands in for
// `kops-mfa init`), finds kops-mfa on PATH through a shim that records its
// argv and then runs the built CLI, and logs in with --token-code (no
// terminal). The environment a child of the shell sees is dumped with
// `env -0` at each step and compared as bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { kopsMfaShim, ROOT, needTool, posixQuote, run, ShimLog, tempDir, type RunResult } from './support/helpers.ts';
import { fishQuote } from './support/shells.ts';
import { mfaProfile, ROLE_ARN, USER, world, type World } from './support/world.ts';
import { VERSION } from '../src/version.ts';

type Shell = 'bash' | 'zsh' | 'fish';
const SHELLS: Shell[] = ['bash', 'zsh', 'fish'];

const quote = (sh: Shell) => (sh === 'fish' ? fishQuote : posixQuote);

const SNIPPET = (sh: Shell) => join(ROOT, 'shells', `kops-mfa.${sh}`);

/** The rc line, with the file standing in for `kops-mfa init`. */
function load(sh: Shell): string {
  return sh === 'fish' ? `cat ${fishQuote(SNIPPET(sh))} | source` : `eval "$(cat ${posixQuote(SNIPPET(sh))})"`;
}

/** A command's exit status as a line "rc LABEL N", whatever the shell. */
function rc(sh: Shell, label: string, cmd: string): string {
  return sh === 'fish' ? `${cmd}\necho "rc ${label} $status"` : `if ${cmd}; then echo "rc ${label} 0"; else echo "rc ${label} $?"; fi`;
}

/** The environment a child sees, NUL-separated, into $T/env-LABEL. */
const dump = (sh: Shell, label: string) => (sh === 'fish' ? `env -0 >$T/env-${label}` : `env -0 >"$T/env-${label}"`);

function runShell(sh: Shell, script: string, env: NodeJS.ProcessEnv, cwd?: string): Promise<RunResult> {
  const argv = sh === 'bash' ? ['--noprofile', '--norc', '-c'] : sh === 'zsh' ? ['--no-rcs', '-c'] : ['--no-config', '-c'];
  // The trailing `:` keeps zsh from exec-ing the last command (which lowers SHLVL in a dump).
  return run(sh, [...argv, `${script}\n:`], { env, cwd, timeoutMs: 60_000 });
}

interface Rig {
  w: World;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** The argv of every kops-mfa start, in order. */
  argvs(): string[][];
  /** The environment dumped as LABEL. */
  envAt(label: string): Map<string, string>;
}

/** A world, a folder T, and a kops-mfa shim on PATH that records argv (length-prefixed) and execs the CLI. */
async function rig(t: TestContext, opts: Parameters<typeof world>[1] = {}): Promise<Rig> {
  const w = await world(t, opts);
  const dir = tempDir(t, 'kops-mfa-snip-');
  mkdirSync(join(dir, 'bin'));
  kopsMfaShim(join(dir, 'bin'), `{ printf 'argv %s\\n' "$#"; for a in "$@"; do printf '%s:%s\\n' "\${#a}" "$a"; done; } >>"$KMFA_T/argv"\n`);
  const env: NodeJS.ProcessEnv = {
    ...w.env,
    PATH: `${join(dir, 'bin')}:${w.env.PATH}`,
    T: dir,
    KMFA_T: dir,
    LC_ALL: 'C',
    XDG_CONFIG_HOME: join(w.home, '.config'),
    XDG_DATA_HOME: join(w.home, '.local', 'share'),
  };
  return {
    w,
    dir,
    env,
    argvs() {
      const log = new ShimLog(join(dir, 'argv'));
      const out: string[][] = [];
      while (!log.done) {
        const n = Number(/^argv (\d+)$/.exec(log.line())?.[1]);
        out.push(Array.from({ length: n }, () => log.field()));
      }
      return out;
    },
    envAt(label) {
      const out = new Map<string, string>();
      for (const pair of readFileSync(join(dir, `env-${label}`), 'utf8').split('\0')) {
        const eq = pair.indexOf('=');
        if (eq > 0) out.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      return out;
    },
  };
}

const rcs = (r: RunResult) => Object.fromEntries([...r.stdout.matchAll(/^rc (\S+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));

// ---------------------------------------------------------------------------
// Item 1: help and version are shown, never evaluated.

for (const sh of SHELLS) {
  test(`${sh}: kops-login and kops-logout with --help, -h, --version, -v show the text, return 0 and run nothing (./kops-mfa/VERSION in the folder)`, async (t) => {
    if (!needTool(t, sh)) return;
    const r0 = await rig(t);
    // The first word of cac's help is "kops-mfa/VERSION": a file of that path in the
    // working folder is what an evaluated help text runs first.
    const cwd = join(r0.dir, 'cwd');
    mkdirSync(join(cwd, 'kops-mfa'), { recursive: true });
    writeFileSync(join(cwd, 'kops-mfa', VERSION), `#!/bin/sh\ntouch ${posixQuote(join(r0.dir, 'MARKER'))}\n`, { mode: 0o755 });
    const lines = [load(sh), dump(sh, 'before')];
    const cases: [string, string][] = [];
    for (const fn of ['kops-login', 'kops-logout']) {
      for (const flag of ['--help', '-h', '--version', '-v']) {
        const label = `${fn}${flag}`;
        cases.push([label, `${fn} ${flag}`]);
        lines.push(`echo "== ${label}"`, rc(sh, label, `${fn} ${flag}`));
      }
    }
    lines.push(dump(sh, 'after'));
    const r = await runShell(sh, lines.join('\n'), r0.env, cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(r0.dir, 'MARKER')), false, `the help text was evaluated: ./kops-mfa/${VERSION} ran`);
    assert.equal(r.stderr, '');
    const blocks = new Map([...r.stdout.matchAll(/^== (\S+)\n([\s\S]*?)^rc \1 (\d+)$/gm)].map((m) => [m[1], { text: m[2] ?? '', rc: Number(m[3]) }]));
    for (const [label] of cases) {
      const b = blocks.get(label);
      assert.ok(b, `${label}: no output block in\n${r.stdout}`);
      assert.equal(b.rc, 0, label);
      if (/-(-help|h)$/.test(label)) {
        // The help of the function itself: its name, and no --shell (the function sets that).
        const fn = label.startsWith('kops-login') ? 'kops-login' : 'kops-logout';
        assert.match(b.text, new RegExp(`^${fn}: .*\n\nUsage:\n  \\$ ${fn} \\[options\\]\n`), `${label} shows the help`);
        assert.match(b.text, /--profile/);
        assert.doesNotMatch(b.text, /--shell/);
      } else {
        assert.match(b.text, /^\d+\.\d+\.\d+\n$/, `${label} shows the version`);
      }
    }
    assert.deepEqual(r0.envAt('after'), r0.envAt('before'), 'the environment changed');
  });
}

// ---------------------------------------------------------------------------
// Item 3: long-term keys in the environment survive; nothing secret in argv.

/** Every byte a shell could misread: quotes, $, backquotes, a backslash, a newline, a glob. */
const HOSTILE_SECRET = `wJal'rX "$(touch /tmp/kops-mfa-pwned)" \`id\` \\ $HOME;\nline2 *`;

for (const sh of SHELLS) {
  test(`${sh}: long-term keys in the environment sign the login and the --refresh, come back byte for byte after kops-logout, and never reach argv`, async (t) => {
    if (!needTool(t, sh)) return;
    const user = { ...USER, accessKeyId: 'AKIAKOPSMFAHOSTILE01', secretAccessKey: HOSTILE_SECRET };
    const r0 = await rig(t, { users: [user] });
    // No AWS files at all: the original wrapper's setup.
    rmSync(join(r0.w.home, '.aws'), { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...r0.env,
      AWS_ACCESS_KEY_ID: user.accessKeyId,
      AWS_SECRET_ACCESS_KEY: HOSTILE_SECRET,
      KOPS_MFA_ROLE_ARN: ROLE_ARN,
      KOPS_MFA_ARN: user.mfaSerial,
      AWS_PROFILE: '', // set and empty: must come back set and empty
    };
    const code1 = r0.w.server.nextCode(user.mfaSerial);
    const code2 = r0.w.server.nextCode(user.mfaSerial);
    const q = quote(sh);
    const profileState = sh === 'fish' ? 'if set -q AWS_PROFILE; echo "profile set [$AWS_PROFILE]"; else; echo "profile unset"; end' : 'if [ "${AWS_PROFILE+set}" ]; then echo "profile set [$AWS_PROFILE]"; else echo "profile unset"; fi';
    const script = [
      load(sh),
      dump(sh, 'start'),
      // A logout in a shell that never logged in changes nothing.
      rc(sh, 'logout-first', 'kops-logout'),
      dump(sh, 'after-first-logout'),
      rc(sh, 'login', `kops-login --token-code ${q(code1)}`),
      dump(sh, 'login'),
      rc(sh, 'refresh', `kops-login --refresh --token-code ${q(code2)}`),
      dump(sh, 'refresh'),
      rc(sh, 'logout', 'kops-logout'),
      dump(sh, 'logout'),
      profileState,
    ].join('\n');
    const r = await runShell(sh, script, env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rcs(r), { 'logout-first': 0, login: 0, refresh: 0, logout: 0 }, r.stderr);
    assert.equal(existsSync('/tmp/kops-mfa-pwned'), false);

    const start = r0.envAt('start');
    assert.equal(start.get('AWS_SECRET_ACCESS_KEY'), HOSTILE_SECRET, 'the test itself: the shell got the secret');
    assert.deepEqual(r0.envAt('after-first-logout'), start, 'kops-logout in a shell that never logged in changed the environment');

    // Both logins were signed with the long-term key, never with the session's.
    const assumes = r0.w.server.calls.filter((c) => c.action === 'AssumeRole');
    assert.deepEqual(
      assumes.map((c) => [c.status, c.accessKeyId, c.sessionToken]),
      [
        [200, user.accessKeyId, false],
        [200, user.accessKeyId, false],
      ],
    );
    const [first, second] = r0.w.server.issued;
    assert.ok(first && second);
    assert.equal(r0.envAt('login').get('AWS_ACCESS_KEY_ID'), first.accessKeyId);
    assert.equal(r0.envAt('login').get('AWS_SECRET_ACCESS_KEY'), first.secretAccessKey);
    assert.equal(r0.envAt('login').has('AWS_PROFILE'), false, 'a login unsets AWS_PROFILE');
    assert.equal(r0.envAt('refresh').get('AWS_ACCESS_KEY_ID'), second.accessKeyId);

    // Logout: the whole environment as before the login, the secret byte for byte, AWS_PROFILE set and empty.
    assert.deepEqual(r0.envAt('logout'), start, 'kops-logout did not give the environment back');
    assert.equal(r0.envAt('logout').get('AWS_SECRET_ACCESS_KEY'), HOSTILE_SECRET);
    assert.equal(r0.envAt('logout').get('AWS_PROFILE'), '');
    assert.match(r.stdout, /^profile set \[\]$/m, 'the shell variable AWS_PROFILE is set and empty again');

    // No secret in any kops-mfa argv: not the long-term secret, not a session's.
    const secrets = [HOSTILE_SECRET, ...r0.w.server.issued.flatMap((c) => [c.secretAccessKey, c.sessionToken])];
    const argvs = r0.argvs();
    assert.equal(argvs.length, 4, 'kops-mfa ran once per command');
    for (const argv of argvs) {
      for (const secret of secrets) assert.ok(!argv.some((a) => a.includes(secret)), `a secret in argv: ${JSON.stringify(argv)}`);
    }
  });
}

// ---------------------------------------------------------------------------
// AWS_PROFILE and region: a region kops-mfa exported does not stick to the next profile.

const TWO_PROFILES = [mfaProfile('A', { region: 'eu-west-1' }), mfaProfile('B', { region: 'us-west-2' })].join('\n');

for (const sh of SHELLS) {
  test(`${sh}: kops-login --profile A (eu-west-1), kops-logout, kops-login --profile B exports us-west-2; so does A then B without the logout`, async (t) => {
    if (!needTool(t, sh)) return;
    const r0 = await rig(t);
    r0.w.writeAws(TWO_PROFILES);
    const env = { ...r0.env };
    delete env.AWS_PROFILE;
    const q = quote(sh);
    const code = () => q(r0.w.code());
    const script = [
      load(sh),
      dump(sh, 'start'),
      rc(sh, 'a', `kops-login --profile A --token-code ${code()}`),
      dump(sh, 'a'),
      rc(sh, 'logout-a', 'kops-logout'),
      dump(sh, 'logout-a'),
      rc(sh, 'b', `kops-login --profile B --token-code ${code()}`),
      dump(sh, 'b'),
      rc(sh, 'a2', `kops-login --profile A --token-code ${code()}`),
      dump(sh, 'a2'),
      rc(sh, 'b2', `kops-login --profile B --token-code ${code()}`),
      dump(sh, 'b2'),
      rc(sh, 'logout', 'kops-logout'),
      dump(sh, 'logout'),
    ].join('\n');
    const r = await runShell(sh, script, env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rcs(r), { a: 0, 'logout-a': 0, b: 0, a2: 0, b2: 0, logout: 0 }, r.stderr);
    const region = (label: string) => [r0.envAt(label).get('AWS_REGION'), r0.envAt(label).get('AWS_DEFAULT_REGION'), r0.envAt(label).get('KOPS_MFA_SESSION')];
    assert.deepEqual(region('a'), ['eu-west-1', 'eu-west-1', 'A']);
    assert.deepEqual(region('b'), ['us-west-2', 'us-west-2', 'B'], 'the region A exported stuck to B');
    assert.deepEqual(region('a2'), ['eu-west-1', 'eu-west-1', 'A']);
    assert.deepEqual(region('b2'), ['us-west-2', 'us-west-2', 'B'], 'the region A exported stuck to B (no logout between)');
    // The STS calls went to each profile's region (the SDK signs for it).
    assert.deepEqual(r0.envAt('logout'), r0.envAt('start'), 'after the last logout the environment is as before the first login');
  });
}
