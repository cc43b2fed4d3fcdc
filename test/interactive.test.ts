// Real interactive shells (bash, zsh, fish) in a pseudo-terminal, used the way
// a person does: load the integration with the README's rc line, kops-login,
// read the MFA prompt, type the code, and look at the variables in that very
// shell; then refresh, get a code wrong, cancel, and log out.
//
// The terminal is script(1) through test/support/pty.ts rather than tmux: it needs no
// server, the test sees every byte the shell wrote (so a code echoed and then
// erased would still be caught, which a tmux capture of the final screen
// would miss), and killing the process tree is enough to clean up. Shells
// write escape sequences (zsh's bracketed paste, fish's repaints), so the
// screen is stripped of them before matching. KOPS_MFA_TEST_TRACE=1 prints
// how long each step waited.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test, type TestContext } from 'node:test';
import { callerArn } from './support/caller.ts';
import { ExitCode } from '../src/errors.ts';
import { ACCOUNT, ROLE_ARN, USER, world, type World } from './support/world.ts';
import { kopsMfaShim, needTool, tempDir } from './support/helpers.ts';
import { descendants, interactiveShellArgv, ScreenSession, showsCode } from './support/pty.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const STEP_MS = 10_000;
const PROMPT = 'KMFA-PROMPT> ';
/** The MFA prompt kops-mfa writes on the terminal. */
const MFA_PROMPT = `MFA code for ${USER.mfaSerial}:`;
const WRONG_CODE = '000000';

type ShellName = 'bash' | 'zsh' | 'fish';

interface ShellSpec {
  argv: string[];
  /** The README's rc line. */
  load: string;
  /** The exit status of the previous command. */
  status: string;
  /** Prints PROFILE=<value>= for the shell variable AWS_PROFILE, or UNSET-PROFILE when it does not exist. */
  profile: string;
}

const SHELLS: Record<ShellName, ShellSpec> = {
  // PS1 comes from the environment (bash and zsh import it); fish has a function.
  bash: {
    argv: ['bash', '--norc', '--noprofile', '-i'],
    load: 'eval "$(kops-mfa init bash)"',
    status: '$?',
    profile: `if [ "\${AWS_PROFILE+set}" ]; then printf 'PROFILE=%s=\\n' "$AWS_PROFILE"; else printf 'UNSET-%s\\n' PROFILE; fi`,
  },
  zsh: {
    argv: ['zsh', '-f', '-i'],
    load: 'eval "$(kops-mfa init zsh)"',
    status: '$?',
    profile: `if [ "\${AWS_PROFILE+set}" ]; then printf 'PROFILE=%s=\\n' "$AWS_PROFILE"; else printf 'UNSET-%s\\n' PROFILE; fi`,
  },
  fish: {
    argv: ['fish', '--no-config', '--private', '-i', '-C', `function fish_prompt; printf '%s' '${PROMPT}'; end`],
    load: 'kops-mfa init fish | source',
    status: '$status',
    profile: `if set -q AWS_PROFILE; printf 'PROFILE=%s=\\n' "$AWS_PROFILE"; else; printf 'UNSET-%s\\n' PROFILE; end`,
  },
};


/** An interactive shell in a pty, and the ways a person uses one. */
class Session extends ScreenSession {
  constructor(
    t: TestContext,
    readonly name: ShellName,
    env: NodeJS.ProcessEnv,
  ) {
    super(t, name, interactiveShellArgv(name, PROMPT, SHELLS[name].argv), { env: { ...env, SHELL: '/bin/sh' }, stepMs: STEP_MS, prompt: PROMPT });
  }

  /** The MFA prompt has been shown `n` times after `from`, and the last one
   * is the last thing on the screen: it waits for input. */
  mfaPrompt(from: number, n = 1): Promise<true> {
    return this.asking(MFA_PROMPT, from, n);
  }

  /** Type what kops-mfa's prompt reads last, and wait for the shell to be back.
   * Nothing may be typed before: a raw-mode prompt would take it as its own. */
  async lastAnswer(text: string): Promise<void> {
    const from = this.mark();
    this.type(text);
    await this.prompt(from);
  }

  /** The exit status of the last command, and every AWS_* and KOPS_MFA_*
   * variable in the environment the shell gives its children. */
  async state(): Promise<{ rc: number; vars: Record<string, string> }> {
    const { status, profile } = SHELLS[this.name];
    const m = await this.run(
      `printf 'RC=%s=\\n' "${status}"; env | grep -E '^(AWS|KOPS_MFA)_' | sed 's/^/VAR:/'; ${profile}; printf 'VARS-%s\\n' END`,
      /^RC=(\d+)=\n([\s\S]*?)^(?:PROFILE=([\s\S]*)=|UNSET-PROFILE)\nVARS-END$/m,
    );
    const vars: Record<string, string> = {};
    for (const line of (m[2] ?? '').split('\n')) {
      const v = /^VAR:([A-Z_]+)=(.*)$/.exec(line);
      if (v) vars[v[1]!] = v[2]!;
    }
    // The shell's own variable agrees with its environment: unset, not just unexported.
    assert.equal(m[3], vars.AWS_PROFILE, `${this.name}: the shell variable AWS_PROFILE and the environment's`);
    return { rc: Number(m[1]), vars };
  }

  /** Run a command and give its exit status. */
  async rcOf(command: string): Promise<number> {
    const status = SHELLS[this.name].status;
    const m = await this.run(`${command}; printf 'RC=%s=\\n' "${status}"`, /^RC=(\d+)=$/m);
    return Number(m[1]);
  }

  /** `exit`, and the shell really ends. */
  async exit(): Promise<void> {
    this.type('exit\r');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), STEP_MS)));
    const r = await Promise.race([this.pty.exited, timeout]);
    clearTimeout(timer);
    assert.notEqual(r, 'timeout', `${this.name} did not exit`);
  }
}

/** kops-mfa on PATH as a user has it: a command named kops-mfa. */
function shellEnv(t: TestContext, w: World, name: ShellName): NodeJS.ProcessEnv {
  const bin = tempDir(t, 'kops-mfa-bin-');
  kopsMfaShim(bin);
  return { ...w.env, PATH: `${bin}:${w.env.PATH}` };
}

/** Wait for the shell's first prompt, load the integration the README way. */
async function loadIntegration(s: Session): Promise<void> {
  await s.prompt(0);
  await s.run(`${SHELLS[s.name].load}; printf 'LOADED-%s\\n' OK`, /^LOADED-OK$/m);
}

/** On any failure, show what the terminal showed. */
async function showingScreen(s: () => Session | undefined, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    const session = s();
    if (session && e instanceof Error) {
      e.message += `\n--- what the ${session.name} terminal showed (escape sequences removed) ---\n${session.screen()}\n--- end ---`;
    }
    throw e;
  }
}

/** The variables a login of profile kops leaves in the shell, for these credentials. */
function loggedIn(w: World, c: World['server']['issued'][number]): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: c.accessKeyId,
    AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
    AWS_SESSION_TOKEN: c.sessionToken,
    AWS_CREDENTIAL_EXPIRATION: c.expiration.toISOString(),
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL_STS: w.server.url,
    KOPS_MFA_SESSION: 'kops',
    KOPS_MFA_EXPIRES: String(Math.floor(c.expiration.getTime() / 1000)),
    KOPS_MFA_KEY_ID: c.accessKeyId,
    // What the first login replaced (null: was unset), for kops-logout to give back.
    KOPS_MFA_SAVED: JSON.stringify({
      AWS_ACCESS_KEY_ID: null,
      AWS_SECRET_ACCESS_KEY: null,
      AWS_SESSION_TOKEN: null,
      AWS_CREDENTIAL_EXPIRATION: null,
      AWS_REGION: null,
      AWS_DEFAULT_REGION: null,
      AWS_PROFILE: 'kops',
    }),
  };
}

/** Expiration is compared as an instant (kops-mfa may write milliseconds). */
function normalized(vars: Record<string, string>): Record<string, string> {
  const out = { ...vars };
  if (out.AWS_CREDENTIAL_EXPIRATION !== undefined) {
    const ms = Date.parse(out.AWS_CREDENTIAL_EXPIRATION);
    if (!Number.isNaN(ms)) out.AWS_CREDENTIAL_EXPIRATION = new Date(ms).toISOString();
  }
  return out;
}

const LOGGED_OUT = (w: World) => ({ AWS_ENDPOINT_URL_STS: w.server.url, AWS_PROFILE: 'kops' });

/** The code as a number of its own on the screen (the account id holds digit runs). */
function assumeRoleCalls(w: World) {
  return w.server.calls.filter((c) => c.action === 'AssumeRole');
}

/** kops-login with a code typed at the prompt; returns the screen from the
 * code to the next shell prompt. */
async function loginWithCode(s: Session, w: World, command: string, atPrompt?: () => void): Promise<{ code: string; screen: string }> {
  const from = s.mark();
  s.type(`${command}\r`);
  await s.mfaPrompt(from);
  atPrompt?.();
  const code = w.code();
  const typedAt = s.mark();
  await s.lastAnswer(`${code}\r`);
  return { code, screen: s.screen(typedAt) };
}

async function fullSession(t: TestContext, name: ShellName): Promise<void> {
  if (!needTool(t, 'script') || !needTool(t, name)) return;
  const w = await world(t);
  let s: Session | undefined;
  await showingScreen(
    () => s,
    async () => {
      const session = (s = new Session(t, name, shellEnv(t, w, name)));
      await loadIntegration(session);
      assert.deepEqual((await session.state()).vars, LOGGED_OUT(w), 'before any login');

      // 3. Log in: the prompt on the terminal, the code never shown.
      const first = await loginWithCode(session, w, 'kops-login');
      assert.match(first.screen, /kops-mfa: kops-state session until /, 'the note on stderr');
      assert.ok(!showsCode(first.screen, first.code), `the code ${first.code} was shown on the terminal`);
      const one = await session.state();
      assert.equal(one.rc, 0, 'kops-login exit status');
      const issued1 = w.server.issued.at(-1)!;
      assert.equal(w.server.issued.length, 1);
      assert.deepEqual(normalized(one.vars), loggedIn(w, issued1), 'the session in the shell (AWS_PROFILE unset)');

      // 4. The values work in a process of their own.
      assert.equal(await callerArn(w, one.vars), issued1.arn);
      assert.match(issued1.arn, new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/kops-state/kops-access$`));
      assert.equal(await session.rcOf('kops-mfa status'), 0, 'status while logged in');

      // 5. --refresh in the logged-in shell: a new code, signed with the long-term key.
      // While kops-mfa waits for the code, no process under the shell has a secret in its argv.
      const second = await loginWithCode(session, w, 'kops-login --refresh', () => {
        const pids = descendants(session.pty.pid!);
        const argvs = pids.map((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8');
          } catch {
            return '';
          }
        });
        assert.ok(argvs.some((a) => a.includes('kops-mfa')), `kops-mfa is not running: ${argvs.join(' | ')}`);
        for (const secret of [USER.secretAccessKey, issued1.secretAccessKey, issued1.sessionToken]) {
          assert.ok(!argvs.some((a) => a.includes(secret)), 'a secret in the argv of a process while kops-mfa prompts');
        }
      });
      assert.ok(!showsCode(second.screen, second.code), `the code ${second.code} was shown on the terminal`);
      const two = await session.state();
      assert.equal(two.rc, 0, 'kops-login --refresh exit status');
      assert.equal(w.server.issued.length, 2);
      const issued2 = w.server.issued.at(-1)!;
      assert.notEqual(issued2.accessKeyId, issued1.accessKeyId);
      assert.deepEqual(normalized(two.vars), loggedIn(w, issued2), 'the refreshed session in the shell');
      const refreshCall = assumeRoleCalls(w).at(-1)!;
      assert.equal(refreshCall.status, 200);
      assert.equal(refreshCall.params.RoleArn, ROLE_ARN);
      assert.equal(refreshCall.accessKeyId, USER.accessKeyId, 'the refresh must be signed with the long-term key, not the session');
      assert.equal(refreshCall.sessionToken, false);
      assert.equal(await callerArn(w, two.vars), issued2.arn);

      // 6a. Wrong codes until kops-mfa gives up: AWS refuses each, nothing changes.
      const callsBefore = assumeRoleCalls(w).length;
      let from = session.mark();
      session.type('kops-login --refresh\r');
      for (let i = 1; i <= 2; i++) {
        await session.mfaPrompt(from, i);
        session.type(`${WRONG_CODE}\r`);
      }
      await session.mfaPrompt(from, 3);
      await session.lastAnswer(`${WRONG_CODE}\r`);
      const wrong = await session.state();
      assert.equal(wrong.rc, ExitCode.aws, 'three rejected codes: exit status 4');
      assert.deepEqual(wrong.vars, two.vars, 'a failed login leaves the shell as it was');
      const rejected = assumeRoleCalls(w).slice(callsBefore);
      assert.deepEqual(
        rejected.map((c) => [c.status, c.params.TokenCode, c.accessKeyId]),
        Array.from({ length: 3 }, () => [403, WRONG_CODE, USER.accessKeyId]),
        'each wrong code went to AWS once',
      );
      assert.equal(session.screen(from).match(/rejected the MFA code/g)?.length, 3, 'a note for each rejected code');

      // 6b. A wrong code, then Ctrl-C at the second prompt: 130, nothing changes.
      from = session.mark();
      session.type('kops-login --refresh\r');
      await session.mfaPrompt(from, 1);
      session.type(`${WRONG_CODE}\r`);
      await session.mfaPrompt(from, 2);
      await session.lastAnswer('\x03');
      const cancelledState = await session.state();
      assert.equal(cancelledState.rc, ExitCode.cancelled, 'Ctrl-C at the prompt: exit status 130');
      assert.deepEqual(cancelledState.vars, two.vars, 'a cancelled login leaves the shell as it was');
      assert.equal(w.server.issued.length, 2);

      // 7. Log out: the session gone, AWS_PROFILE back, the cache forgotten.
      const out = await session.run(`kops-logout; printf 'RC=%s=\\n' "${SHELLS[name].status}"`, /^RC=(\d+)=$/m);
      assert.equal(Number(out[1]), 0, 'kops-logout exit status');
      const after = await session.state();
      // PROTOCOL.md section 2: logout gives back every variable the login
      // replaced, the region too (it was unset), so the shell is as before the login.
      assert.deepEqual(after.vars, LOGGED_OUT(w), 'after kops-logout');
      // status: no session in the shell, and logout removed the profile's cached one.
      const statusFrom = session.mark();
      assert.equal(await session.rcOf('kops-mfa status'), 1, 'status after logout');
      assert.match(session.screen(statusFrom), /this shell: not logged in/);
      assert.match(session.screen(statusFrom), /cache: +no session for profile kops/);

      // No code ever reached the screen (the issued secrets, printed on purpose, aside).
      let all = session.screen();
      for (const c of w.server.issued) for (const v of [c.accessKeyId, c.secretAccessKey, c.sessionToken]) all = all.split(v).join('<secret>');
      for (const code of [first.code, second.code]) assert.ok(!showsCode(all, code), `the code ${code} was shown on the terminal`);

      await session.exit();
    },
  );
}

describe('interactive shells in a pseudo-terminal', { concurrency: true }, () => {
  for (const name of ['bash', 'zsh', 'fish'] as const) {
    test(`${name}: kops-login, --refresh, wrong code, Ctrl-C, kops-logout`, { timeout: 60_000 }, (t) => fullSession(t, name));
  }

  // A fast typist: the code and the next command typed before kops-mfa has
  // started. The line editor had the terminal in raw mode, so Linux hands
  // all of it to kops-mfa's read at once (see firstLine in src/session/prompt.ts).
  for (const name of ['bash', 'zsh'] as const) {
    test(`${name}: a code typed before the prompt appears is taken; the command typed after it is said to be gone, never run or sent as a code`, { timeout: 60_000 }, async (t) => {
      if (!needTool(t, 'script') || !needTool(t, name)) return;
      const w = await world(t);
      let s: Session | undefined;
      await showingScreen(
        () => s,
        async () => {
          const session = (s = new Session(t, name, shellEnv(t, w, name)));
          await loadIntegration(session);
          const from = session.mark();
          session.type(`kops-login\r${w.code()}\recho typed-$((6 * 7))\r`);
          await session.prompt(from);
          const screen = session.screen(from);
          assert.match(screen, /what you typed after the code, before this prompt appeared, was read with it and is gone: type it again/);
          assert.doesNotMatch(screen, /typed-42|6 digits/);
          const st = await session.state();
          assert.equal(st.rc, 0, 'kops-login exit status');
          assert.equal(w.server.issued.length, 1, 'one login, with the code typed early');
          assert.equal(assumeRoleCalls(w).length, 1, 'nothing else went to AWS as a code');
          await session.exit();
        },
      );
    });
  }

  test('bash: Ctrl-C at the first MFA prompt leaves the shell usable, with echo on, and sets nothing', { timeout: 60_000 }, async (t) => {
    if (!needTool(t, 'script') || !needTool(t, 'bash') || !needTool(t, 'stty')) return;
    const w = await world(t);
    let s: Session | undefined;
    await showingScreen(
      () => s,
      async () => {
        const session = (s = new Session(t, 'bash', shellEnv(t, w, 'bash')));
        await loadIntegration(session);
        const from = session.mark();
        session.type('kops-login\r');
        await session.mfaPrompt(from);
        await session.lastAnswer('\x03');
        const st = await session.state();
        assert.equal(st.rc, ExitCode.cancelled, 'Ctrl-C at the prompt: exit status 130');
        assert.deepEqual(st.vars, LOGGED_OUT(w), 'nothing was set');
        assert.equal(w.server.calls.length, 0, 'nothing went to AWS');
        const stty = await session.run(`printf 'STTY=%s=YTTS\\n' "$(stty -a | tr '\\n' ' ')"`, /STTY=(speed[^\n]*?)=YTTS/);
        const words = (stty[1] ?? '').split(/[\s;]+/);
        assert.ok(words.includes('echo') && !words.includes('-echo'), `echo should be on; stty -a said: ${stty[1]}`);
        assert.ok(words.includes('icanon') && !words.includes('-icanon'), `canonical mode should be on; stty -a said: ${stty[1]}`);
        // And the shell still takes commands as before.
        await session.run(`echo "still-$((6 * 7))"`, /^still-42$/m);
        await session.exit();
      },
    );
  });
});

