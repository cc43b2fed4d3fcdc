// kops-mfa when things go wrong: every fault the network, AWS, the user or a
// hostile STS can produce, against the local STS server (127.0.0.1 only;
// nothing here reaches AWS or any other address). kops-mfa runs in the test
// process (runMain) unless the process itself is the point: a DNS preload, the
// lock between processes, exec, and the real pipeline in real shells.
//
// The contract checked everywhere: a failure exits non-zero with EMPTY stdout
// and exactly one line on stderr that says what to do, with no stack trace; a
// success prints statements that hand the shell the issued values exactly;
// secrets never reach stderr, not even with --debug.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { ROLE_ARN, USER, world, type World } from './support/world.ts';
import { BIN, failsCleanly, needTool, readPowerShellStatements, runCli, runRaw, tempDir, type Outcome } from './support/helpers.ts';
import { runMain } from './support/run-main.ts';
import { exported, login } from './support/kops-mfa.ts';
import { readDump, UNIX_SHELLS } from './support/shells.ts';
import type { IssueOverrides, IssuedCredentials } from '../scripts/sts-server.ts';

// ---------------------------------------------------------------------------
// Helpers

const STACK_LINE = /^\s+at /m;

/** The failure contract (helpers.ts): this exit code, nothing on stdout, one line on stderr matching every pattern. */
const assertFails = failsCleanly;

function assertSucceeds(r: Outcome): void {
  const seen = `\nstderr: ${JSON.stringify(r.stderr)}`;
  assert.equal(r.code, 0, `exit code${seen}`);
  // The header, the guard line other shells refuse, then the statements.
  assert.match(r.stdout, /^# kops-mfa statements v1\n.*\nexport AWS_ACCESS_KEY_ID=/, `statements on stdout${seen}`);
  assert.doesNotMatch(r.stderr, STACK_LINE, `a stack trace on stderr${seen}`);
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A 127.0.0.1 port nothing listens on: bind one, note it, close it. */
/**
 * A port nothing listens on. Not a port freed a moment ago: test files run in
 * parallel, and another one's server may take it (listen(0) hands out such
 * ports again). Port 9 is below the ephemeral range listen(0) draws from;
 * check that it is really closed.
 */
async function closedPort(): Promise<number> {
  const port = 9;
  const open = await new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
  assert.equal(open, false, `something listens on 127.0.0.1:${port}; the dead-port test needs it closed`);
  return port;
}

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await p;
  return [r, performance.now() - t0];
}

function cacheFiles(w: World): string[] {
  return existsSync(w.cacheDir) ? readdirSync(w.cacheDir).filter((f) => f.endsWith('.json')) : [];
}

/** The three secrets of one bash rendering (the values are plain in these tests). */
function exportsOf(stdout: string): { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string } {
  const e = exported(stdout);
  return { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, sessionToken: e.AWS_SESSION_TOKEN };
}

// ---------------------------------------------------------------------------

// First and alone: with 1-second attempts, a busy event loop (the STS server
// shares it with the tests below) would blur what the attempts are.
test('a hanging endpoint: a call with a code is sent once; a renewal without one gives up after its attempts', async (t) => {
  const w = await world(t);
  w.server.faults.hang = true;
  const env = { ...w.env, KOPS_MFA_STS_TIMEOUT: '1' };
  const r = await login(w, [], env);
  assertFails(r, 5, new RegExp(esc(w.server.url)), /no answer/, /the code may have been used: wait for the next one/);
  assert.equal(w.server.calls.length, 1, 'the code went out once');
  // Without a code (a role renewed from the MFA session): retried, then the network is named.
  const renew = await renewal(w);
  w.server.faults.hang = true;
  const [again, ms] = await timed(renew({ KOPS_MFA_STS_TIMEOUT: '1' }));
  assertFails(again, 5, new RegExp(esc(w.server.url)), /no answer/, /AWS_ENDPOINT_URL_STS|network|proxy/);
  assert.ok(w.server.calls.length >= 2, `the request was retried (${w.server.calls.length} calls)`);
  assert.ok(w.server.calls.every((c) => !c.tokenCode), 'no code in a renewal');
  t.diagnostic(`gave up after ${Math.round(ms)} ms and ${w.server.calls.length} attempts`);
});

/**
 * A world whose profile keeps an MFA session, logged in once; then a
 * function that renews the role session from the MFA session: an STS call
 * without a code (the server's history is reset first).
 */
async function renewal(w: World): Promise<(env?: NodeJS.ProcessEnv) => Promise<Outcome>> {
  w.writeAws(`[profile kops]\nrole_arn = ${ROLE_ARN}\nmfa_serial = ${USER.mfaSerial}\nsource_profile = alice\nmfa_session_duration = 7200\n`);
  w.server.reset();
  Object.assign(w.server.faults, { hang: false });
  assertSucceeds(await login(w));
  w.server.reset();
  // The role session has just under 60 minutes left: a miss at --min-remaining 60, renewed without a code.
  return (env = {}) => runMain(['env', '--shell', 'bash', '--no-prompt', '--min-remaining', '60'], { env: { ...w.env, ...env } });
}

describe('faults', { concurrency: true }, () => {
  // Everything else: the network faults one at a time (their retries and
  // attempt timeouts share this event loop with the STS server), the rest
  // two at a time. Each test has its own server and HOME.
  describe('the rest', { concurrency: true }, () => {
    describe('network and server', { concurrency: 1 }, () => {
      test('throttled twice: a renewal without a code is retried and succeeds; a call with a code is sent once', async (t) => {
        const w = await world(t);
        w.server.faults.throttle = 2;
        assertFails(await login(w), 5, /throttling/i, /wait for the next code/);
        assert.equal(w.server.calls.length, 1, 'the code went out once');
        const renew = await renewal(w);
        w.server.faults.throttle = 2;
        const r = await renew();
        assertSucceeds(r);
        assert.deepEqual(
          w.server.calls.map((c) => c.fault ?? c.status),
          ['throttle', 'throttle', 200],
        );
        assert.equal(exportsOf(r.stdout).accessKeyId, w.server.issued[0]?.accessKeyId);
      });

      test('persistent throttling: a clear error, exit 5', async (t) => {
        const w = await world(t);
        const renew = await renewal(w);
        w.server.faults.throttle = 100;
        assertFails(await renew(), 5, /throttling/i, /try again/);
        assert.equal(w.server.calls.length, 3, 'three attempts');
      });

      for (const code of ['InternalFailure', 'ServiceUnavailable'] as const) {
        const status = code === 'InternalFailure' ? 500 : 503;
        test(`HTTP ${status} twice: a renewal is retried and succeeds; a call with a code is sent once`, async (t) => {
          const w = await world(t);
          Object.assign(w.server.faults, { serverError: 2, serverErrorCode: code });
          assertFails(await login(w), 5, new RegExp(`HTTP ${status}`), /the code may have been used/);
          assert.equal(w.server.calls.length, 1, 'the code went out once');
          assert.deepEqual(cacheFiles(w), [], 'nothing cached');
          const renew = await renewal(w);
          Object.assign(w.server.faults, { serverError: 2, serverErrorCode: code });
          assertSucceeds(await renew());
          assert.deepEqual(
            w.server.calls.map((c) => c.fault ?? c.status),
            ['serverError', 'serverError', 200],
          );
        });

        test(`persistent HTTP ${status}: a clear error, exit 5`, async (t) => {
          const w = await world(t);
          const renew = await renewal(w);
          Object.assign(w.server.faults, { serverError: 100, serverErrorCode: code });
          assertFails(await renew(), 5, new RegExp(`HTTP ${status}`), new RegExp(esc(w.server.url)), /try again later/);
          assert.equal(w.server.calls.length, 3, 'three attempts');
        });
      }

      test('a dead port (closed 127.0.0.1 port): fails, naming the endpoint', async (t) => {
        const w = await world(t);
        const url = `http://127.0.0.1:${await closedPort()}`;
        const r = await login(w, [], { ...w.env, AWS_ENDPOINT_URL_STS: url });
        assertFails(r, 5, new RegExp(esc(url)), /connection refused/, /AWS_ENDPOINT_URL_STS/);
      });

      test('a host name that does not resolve: one clear line', async (t) => {
        // The failure is injected at the OS boundary, never by asking a real
        // resolver: a preload (NODE_OPTIONS=--import) replaces dns.lookup, which
        // node:net calls for every host name. The STS host gets ENOTFOUND as from
        // getaddrinfo; any other name fails too, so this test cannot send a DNS
        // query anywhere whatever the CLI does. The preload logs what it was
        // asked, to prove the CLI's lookup went through it.
        const w = await world(t);
        const dir = tempDir(t);
        const host = 'sts.kops-mfa-test.invalid';
        const log = join(dir, 'lookups.log');
        const preload = join(dir, 'nxdomain.mjs');
        writeFileSync(
          preload,
          `import dns from 'node:dns';
  import { appendFileSync } from 'node:fs';
  dns.lookup = function lookup(hostname, options, callback) {
    const cb = typeof options === 'function' ? options : callback;
    appendFileSync(${JSON.stringify(log)}, hostname + '\\n');
    const code = hostname === ${JSON.stringify(host)} ? 'ENOTFOUND' : 'EAI_FAIL';
    const err = Object.assign(new Error('getaddrinfo ' + code + ' ' + hostname), { code, errno: -3008, syscall: 'getaddrinfo', hostname });
    process.nextTick(cb, err);
  };
  `,
        );
        const url = `http://${host}:${w.server.port}`;
        const env = { ...w.env, AWS_ENDPOINT_URL_STS: url, NODE_OPTIONS: `--import=${pathToFileURL(preload).href}` };
        const r = await login(w, [], env, { spawn: true });
        assertFails(r, 5, new RegExp(esc(url)), /does not resolve/, /DNS|AWS_ENDPOINT_URL_STS/);
        const asked = readFileSync(log, 'utf8').trim().split('\n');
        assert.ok(asked.length >= 1 && asked.every((h) => h === host), `lookups: ${asked.join(', ')}`);
        assert.equal(w.server.requests, 0);
      });

      test('TLS to a plain HTTP port (https:// endpoint): one clear line', async (t) => {
        const w = await world(t);
        const url = w.server.url.replace(/^http:/, 'https:');
        const r = await login(w, [], { ...w.env, AWS_ENDPOINT_URL_STS: url });
        assertFails(r, 5, /TLS/, new RegExp(esc(url)), /endpoint URL|proxy/);
      });

      test('a malformed XML answer: one clear line', async (t) => {
        const w = await world(t);
        w.server.faults.malformed = true;
        assertFails(await login(w), 5, /not a valid STS response/, new RegExp(esc(w.server.url)));
        assert.deepEqual(cacheFiles(w), []);
      });

      test('dropped connections: one clear line; the code is not sent again; a renewal retries one drop away', async (t) => {
        const w = await world(t);
        w.server.faults.dropConnection = 100;
        assertFails(await login(w), 5, /ECONNRESET|connection/, new RegExp(esc(w.server.url)), /the code may have been used/);
        assert.equal(w.server.calls.length, 1, 'the code went out once');
        const renew = await renewal(w);
        w.server.faults.dropConnection = 1;
        assertSucceeds(await renew());
        assert.deepEqual(w.server.calls.map((c) => c.fault ?? c.status), ['dropConnection', 200]);
      });
    });

    describe('refusals and mistakes', { concurrency: 2 }, () => {
      test('a wrong code: exit 4, says it was rejected and to wait for the next code', async (t) => {
        const w = await world(t);
        const r = await runMain(['env', '--token-code', '000000'], { env: w.env });
        assertFails(r, 4, /rejected/, /wait for the next code/);
        assert.equal(w.server.calls.length, 1, 'not retried: the code is one-shot');
      });

      test('a wrong MFA serial: names the serial used and where to fix it', async (t) => {
        const w = await world(t);
        const serial = 'arn:aws:iam::123456789012:mfa/not-alice';
        const r = await login(w, [], { ...w.env, KOPS_MFA_ARN: serial });
        assertFails(r, 4, new RegExp(esc(serial)), /KOPS_MFA_ARN/, /--serial-number/);
        const r2 = await login(w, ['--serial-number', serial]);
        assertFails(r2, 4, new RegExp(esc(serial)), /--serial-number/);
      });

      test('disabled source keys: names the source profile and how to renew them', async (t) => {
        const w = await world(t);
        w.server.disableUser(USER.accessKeyId);
        const r = await login(w);
        assertFails(r, 4, /profile alice/, new RegExp(USER.accessKeyId), /aws configure --profile alice\b/);
      });

      test('unknown (invalid) source keys: names the source profile', async (t) => {
        const w = await world(t);
        w.writeAws(
          readFileSync(join(w.home, '.aws', 'config'), 'utf8'),
          '[alice]\naws_access_key_id = AKIAUNKNOWNKEY000000\naws_secret_access_key = nope\n',
        );
        assertFails(await login(w), 4, /profile alice/, /AKIAUNKNOWNKEY000000/, /renew/);
      });

      test('a role the user may not assume: names the role', async (t) => {
        const w = await world(t);
        const role = 'arn:aws:iam::123456789012:role/not-for-alice';
        w.server.addRole({ arn: role, trust: ['arn:aws:iam::123456789012:user/bob'] });
        assertFails(await login(w, ['--role-arn', role]), 4, new RegExp(esc(role)), /trust policy|role_arn/);
      });

      test('a bad flag: exit 2, points to --help', async (t) => {
        const w = await world(t);
        assertFails(await runMain(['env', '--bogus'], { env: w.env }), 2, /--bogus\b/, /kops-mfa help env/);
        assertFails(await runMain(['status', '-z'], { env: w.env }), 2, /-z\b/, /kops-mfa help status/);
        assertFails(await runMain(['no-such-command'], { env: w.env }), 2, /no-such-command/, /kops-mfa help lists the commands/);
        assert.equal(w.server.requests, 0);
      });

      test('a bad flag with dashes or --no- is named as typed', async (t) => {
        const w = await world(t);
        assertFails(await runMain(['env', '--bogus-flag'], { env: w.env }), 2, /--bogus-flag\b/);
        assertFails(await runMain(['env', '--no-such-flag'], { env: w.env }), 2, /--no-such-flag\b/);
      });

      test('an unknown shell: exit 2, lists the shells', async (t) => {
        const w = await world(t);
        assertFails(await runMain(['env', '--shell', 'tcsh', '--token-code', w.code()], { env: w.env }), 2, /tcsh/, /bash/, /fish/);
        assertFails(await runMain(['init', 'tcsh'], { env: w.env }), 2, /tcsh/, /zsh/);
        assertFails(await runMain(['env', '--token-code', w.code()], { env: { ...w.env, SHELL: '/bin/tcsh' } }), 2, /--shell/);
        assert.equal(w.server.requests, 0, 'no STS call for a usage error');
      });

      test('an unusable cache folder (a file in its place): one warning naming it, and the login still works', async (t) => {
        const w = await world(t);
        mkdirSync(join(w.home, '.cache'), { recursive: true });
        writeFileSync(w.cacheDir, 'not a folder');
        const r = await login(w);
        assertSucceeds(r);
        const [warning, ...rest] = r.stderr.trimEnd().split('\n');
        assert.match(warning ?? '', new RegExp(`^kops-mfa: [^\n]*${esc(w.cacheDir)}[^\n]*not a folder[^\n]*XDG_CACHE_HOME`), r.stderr);
        assert.deepEqual(rest.filter((l) => !/ session until [^,]*$/.test(l)), [], 'one warning, then the usual note');
        assert.doesNotMatch(r.stderr, /unexpected error|EEXIST|ENOTDIR/);
      });
    });

    describe('hostile values from STS', { concurrency: 2 }, () => {
      hostileValueTests();
    });

    describe('secrets never on stderr', { concurrency: 2 }, () => {
      secretTests();
    });

    test('env runs during a refresh get the old session without waiting, those after it the new one, each complete', async (t) => {
      const w = await world(t);
      assertSucceeds(await login(w));
      const sessionOf = (r: Outcome) => {
        assertSucceeds(r);
        const got = exportsOf(r.stdout);
        const from = w.server.issued.find((c) => c.accessKeyId === got.accessKeyId);
        assert.ok(from, `unknown access key ${got.accessKeyId}; stderr: ${r.stderr}`);
        assert.equal(got.secretAccessKey, from.secretAccessKey, 'secret from another session');
        assert.equal(got.sessionToken, from.sessionToken, 'token from another session');
        return w.server.issued.indexOf(from);
      };
      // Readers run in this process: the writer is another process, and what
      // is checked is what a reader finds in the files.
      const read = async (n: number) => {
        const all = await Promise.all(Array.from({ length: n }, () => runMain(['env', '--shell', 'bash'], { env: w.env })));
        for (const r of all) assert.match(r.stderr, /, from the cache$/m);
        return all;
      };

      const gate = w.server.hold();
      const refresh = login(w, ['--refresh'], w.env, { spawn: true });
      await gate.arrived(); // the refresh holds the lock and waits for STS; the old file is in place
      assert.deepEqual((await read(10)).map(sessionOf), Array(10).fill(0), 'during the refresh: the old session, still valid');
      // Readers while the new file is renamed in: one session or the other, never a mix.
      const during = read(10);
      gate.release();
      const [fresh, racing] = await Promise.all([refresh, during]);
      assert.equal(sessionOf(fresh!), 1, 'the refresh got the second session');
      for (const seen of racing.map(sessionOf)) assert.ok(seen === 0 || seen === 1);
      assert.deepEqual((await read(5)).map(sessionOf), Array(5).fill(1), 'after the refresh: the new session');
      assert.equal(w.server.issued.length, 2, 'readers never called STS');
    });
  });
});

// ---------------------------------------------------------------------------
// Hostile values

/** A sentinel every injection attempt would create; its path is absolute. */
function attacks(sentinel: string): Record<string, Omit<IssueOverrides, 'expiration'>> {
  const s = sentinel;
  const chunk = `$(touch ${s})\`touch ${s}\`'"\\\n\u2019; touch ${s} #\u2018\u201A\u201B(touch ${s});`;
  return {
    'shell metacharacters': {
      accessKeyId: `ASIA$(touch ${s})\`touch ${s}\``,
      secretAccessKey: `'; touch ${s}; ' && touch ${s} | touch ${s} \\ $HOME \${HOME} !! * ? ~ # %`,
      sessionToken: `(touch ${s}); $(New-Item ${s}) "; touch ${s}; "' \\'\\`,
    },
    'newlines and control characters': {
      accessKeyId: `ASIA\ntouch ${s}\n`,
      secretAccessKey: `a\r\nb\rc\n\n\ttouch ${s}\x1b[31m\x07\x7f`,
      sessionToken: `\n\n'\ntouch ${s}\n'\n`,
    },
    'smart quotes': {
      accessKeyId: `ASIA\u2019; touch ${s} #`,
      secretAccessKey: `\u2018\u2019\u201A\u201B'\u201C\u201D x\u2019\u2019y x'\u2019y`,
      sessionToken: `\u2019; Remove-Item -Recurse -Force ~; New-Item ${s} #\u2018`,
    },
    '10 KB tokens': {
      accessKeyId: `ASIA${'Z'.repeat(10_236)}`,
      secretAccessKey: chunk.repeat(Math.ceil(10_240 / chunk.length)).slice(0, 10_240),
      sessionToken: `IQoJb3JpZ2luX2Vj${chunk.repeat(Math.ceil(10_240 / chunk.length))}`.slice(0, 10_240),
    },
  };
}

const VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

function hostileValueTests(): void {
  for (const name of Object.keys(attacks('SENTINEL'))) {
    test(`${name}: exact after eval in bash, zsh, dash, fish and PowerShell; nothing runs`, async (t) => {
      const dir = tempDir(t, 'kops-mfa-hostile-');
      const sentinel = join(dir, 'PWNED');
      const values = attacks(sentinel)[name]!;
      const w = await world(t, { issue: () => values });
      const first = await runMain(['env', '--shell', 'bash', '--token-code', w.code()], { env: w.env });
      assert.equal(first.code, 0, first.stderr);
      const issued = w.server.issued[0] as IssuedCredentials;
      assert.equal(issued.sessionToken, values.sessionToken, 'the server sent the hostile token');
      const want = { AWS_ACCESS_KEY_ID: values.accessKeyId, AWS_SECRET_ACCESS_KEY: values.secretAccessKey, AWS_SESSION_TOKEN: values.sessionToken };

      // credential-process: JSON, exact.
      const cp = await runMain(['credential-process'], { env: w.env });
      assert.equal(cp.code, 0, cp.stderr);
      const json = JSON.parse(cp.stdout) as Record<string, string>;
      assert.deepEqual(
        { AWS_ACCESS_KEY_ID: json.AccessKeyId, AWS_SECRET_ACCESS_KEY: json.SecretAccessKey, AWS_SESSION_TOKEN: json.SessionToken },
        want,
      );

      // PowerShell, decoded as its tokenizer reads verbatim strings.
      const ps = await runMain(['env', '--shell', 'powershell'], { env: w.env });
      assert.equal(ps.code, 0, ps.stderr);
      const decoded = new Map(readPowerShellStatements(ps.stdout).map((o) => [o.name, o.op === 'set' ? o.value : null]));
      for (const v of VARS) assert.equal(decoded.get(v), want[v], `PowerShell ${v}`);
      assert.equal(decoded.get('AWS_PROFILE'), null);

      // The real pipeline of the README in each real shell, reading the cached session.
      for (const sh of UNIX_SHELLS) {
        await t.test(sh.tool, async (st) => {
          if (!needTool(st, sh.tool)) return;
          const cwd = join(dir, `cwd-${sh.tool}`);
          mkdirSync(cwd);
          const kopsMfa = [process.execPath, BIN].map(sh.quote).join(' ');
          const script = [sh.applyOutput(`${kopsMfa} env --shell ${sh.kops}`), sh.printVars([...VARS, 'AWS_PROFILE']), sh.printEnv].join('\n');
          const [cmd, args] = sh.command(script);
          const r = await runRaw(cmd, args, { env: { ...w.env, HOME: w.home, LC_ALL: 'C.UTF-8' }, cwd });
          assert.equal(r.code, 0, `${sh.tool} exit status; stderr: ${r.stderr}`);
          const dump = readDump(r.stdout);
          for (const v of VARS) {
            assert.equal(dump.vars.get(v)?.toString('utf8'), want[v], `${sh.tool}: ${v} in the shell`);
            assert.equal(dump.env?.get(v)?.toString('utf8'), want[v], `${sh.tool}: ${v} in a child's environment`);
          }
          assert.equal(dump.vars.get('AWS_PROFILE'), null, `${sh.tool}: AWS_PROFILE unset`);
          assert.equal(dump.env?.has('AWS_PROFILE'), false, `${sh.tool}: AWS_PROFILE unset in the environment`);
          assert.deepEqual(readdirSync(cwd), [], `${sh.tool}: a value ran a command in the working directory`);
          assert.equal(existsSync(sentinel), false, `${sh.tool}: a value ran a command (${sentinel} exists)`);
        });
      }
      assert.equal(existsSync(sentinel), false, 'the sentinel was never created');
    });
  }

  test('a NUL byte in a credential: refused cleanly, nothing printed, nothing cached', async (t) => {
    const w = await world(t, { issue: () => ({ sessionToken: 'IQoJb3JpZ2luX2Vj\0touch PWNED' }) });
    for (const shell of ['bash', 'fish', 'powershell']) {
      const r = await runMain(['env', '--shell', shell, '--token-code', w.code()], { env: w.env });
      assertFails(r, 5, /NUL/);
    }
    const cp = await runMain(['credential-process', '--token-code', w.code()], { env: w.env });
    assertFails(cp, 5, /NUL/);
    assert.deepEqual(cacheFiles(w), [], 'nothing cached');
  });
}

// ---------------------------------------------------------------------------
// Secrets and stderr

function secretTests(): void {
  /** Every secret the world has seen: the long-term one and all issued secrets and tokens. */
  const secretsOf = (w: World) => [USER.secretAccessKey, ...w.server.issued.flatMap((c) => [c.secretAccessKey, c.sessionToken])];
  const assertNoSecret = (w: World, stderr: string, where: string) => {
    for (const s of secretsOf(w)) {
      assert.equal(stderr.includes(s), false, `${where}: a secret on stderr (${s.slice(0, 12)}…)`);
      // A token is long: no recognisable piece of it either.
      if (s.length > 40) assert.equal(stderr.includes(s.slice(16, 56)), false, `${where}: part of a token on stderr`);
    }
  };
  const debugModes: Array<[string, string[], NodeJS.ProcessEnv]> = [
    ['--debug', ['--debug'], {}],
    ['KOPS_MFA_DEBUG=1', [], { KOPS_MFA_DEBUG: '1' }],
  ];

  for (const [mode, flag, extraEnv] of debugModes) {
    test(`${mode}: success paths (fresh, cached, exec, credential-process, status)`, async (t) => {
      const w = await world(t);
      const env = { ...w.env, ...extraEnv };
      const runs: Array<[string, Outcome]> = [];
      runs.push(['fresh env', await runMain(['env', ...flag, '--token-code', w.code()], { env })]);
      runs.push(['cached env', await runMain(['env', ...flag], { env })]);
      runs.push(['exec', await runCli(['exec', ...flag, '--', 'true'], { env })]);
      runs.push(['credential-process', await runMain(['credential-process', ...flag], { env })]);
      runs.push(['refresh', await runMain(['env', ...flag, '--refresh', '--token-code', w.code()], { env })]);
      runs.push(['status', await runMain(['status', ...flag], { env })]);
      for (const [what, r] of runs) {
        assert.equal(r.code, 0, `${what}: ${r.stderr}`);
        if (what !== 'status') assert.match(r.stderr, /debug: /, `${what}: debug output is on`);
        assertNoSecret(w, r.stderr, `${mode} ${what}`);
      }
      assert.equal(w.server.issued.length, 2);
    });

    test(`${mode}: failure paths (wrong code, bad keys, 5xx, malformed, no terminal, exec not found, NUL, denied after a role hop)`, async (t) => {
      const w = await world(t);
      const env = { ...w.env, ...extraEnv };
      const runs: Array<[string, Outcome]> = [];
      // Issue something first, so there are session secrets that could leak.
      assert.equal((await runMain(['env', '--token-code', w.code()], { env: w.env })).code, 0);
      runs.push(['wrong code', await runMain(['env', ...flag, '--refresh', '--token-code', '000000'], { env })]);
      runs.push(['no terminal', await runMain(['env', ...flag, '--refresh'], { env })]);
      runs.push(['exec not found', await runCli(['exec', ...flag, '--', join(w.home, 'no-such-command')], { env })]);
      w.server.faults.serverError = 100;
      runs.push(['5xx', await runMain(['env', ...flag, '--refresh', '--token-code', w.code()], { env })]);
      w.server.reset();
      w.server.faults.malformed = true;
      runs.push(['malformed', await runMain(['env', ...flag, '--refresh', '--token-code', w.code()], { env })]);
      w.server.reset();

      // A role hop (no MFA) issues session keys, then the MFA role refuses them.
      const hop = 'arn:aws:iam::123456789012:role/jump';
      const denied = 'arn:aws:iam::123456789012:role/denied';
      w.server.addRole({ arn: hop, requireMfa: false });
      w.server.addRole({ arn: denied, trust: [USER.arn] });
      w.writeAws(
        `[profile kops]\nrole_arn = ${ROLE_ARN}\nmfa_serial = ${USER.mfaSerial}\nsource_profile = alice\nregion = eu-west-1\n` +
          `[profile chained]\nrole_arn = ${denied}\nmfa_serial = ${USER.mfaSerial}\nsource_profile = jump\n` +
          `[profile jump]\nrole_arn = ${hop}\nsource_profile = alice\n`,
      );
      const beforeHop = w.server.issued.length;
      runs.push(['denied after a hop', await runMain(['env', ...flag, '--profile', 'chained', '--token-code', w.code()], { env })]);
      assert.equal(w.server.issued.length, beforeHop + 1, 'the hop issued session keys');

      w.server.disableUser(USER.accessKeyId);
      runs.push(['disabled keys', await runMain(['env', ...flag, '--refresh', '--token-code', w.code()], { env })]);

      for (const [what, r] of runs) {
        assert.notEqual(r.code, 0, `${what} should fail`);
        assert.equal(r.stdout, '', `${what}: stdout`);
        assert.match(r.stderr, /debug: /, `${what}: debug output is on`);
        assertNoSecret(w, r.stderr, `${mode} ${what}`);
      }

      const nul = await world(t, { issue: () => ({ sessionToken: `IQoJb3JpZ2luX2Vj${'n'.repeat(60)}\0` , secretAccessKey: 'nulCaseSecret/0123456789+abcdefghijklmn' }) });
      const r = await runMain(['env', ...flag, '--token-code', nul.code()], { env: { ...nul.env, ...extraEnv } });
      assert.equal(r.code, 5, r.stderr);
      assertNoSecret(nul, r.stderr, `${mode} NUL`);
    });
  }
}
