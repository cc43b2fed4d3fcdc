// PowerShell used the way a person does, in a pseudo-terminal (script(1)
// through test/support/pty.ts): load the integration with the README's $PROFILE
// line, kops-login, read the MFA prompt, type the code, look at $env: in that
// very engine, and use the values from another process; then refresh, get a
// code wrong, cancel with Ctrl-C, ask for help and log out. Once as
// PowerShell starts, once under StrictMode Latest with $ErrorActionPreference
// = 'Stop' and $PSNativeCommandUseErrorActionPreference = $true.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { callerArn } from './support/caller.ts';
import { ROLE_ARN, USER, world } from './support/world.ts';
import { needTool } from './support/helpers.ts';
import { kopsMfaOnPath, needPowerShell, psEnv } from './powershell/pwsh.ts';
import { ScreenSession, showsCode } from './support/pty.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const PROMPT = 'KMFA-PROMPT> ';
const MFA_PROMPT = `MFA code for ${USER.mfaSerial}:`;
const WRONG = '000000';
const STEP_MS = 30_000;

class Session extends ScreenSession {
  constructor(t: TestContext, exe: string, env: NodeJS.ProcessEnv) {
    const init = `function global:prompt { '${PROMPT}' }`;
    super(t, 'PowerShell', [exe, '-NoLogo', '-NoProfile', '-NoExit', '-Command', init], { env: psEnv(env), stepMs: STEP_MS, prompt: PROMPT });
    // PowerShell's console host asks the terminal where the cursor is
    // (ESC [6n) before it reads a line, and takes the first keys typed as the
    // answer when nothing answers; script(1) is no terminal emulator, so the
    // test answers each query as one would, as soon as it arrives (the host
    // waits for the answer at every key it reads).
    const DSR = '\x1b[6n';
    let tail = '';
    this.pty.onOutput((chunk) => {
      // A query may come split over two chunks: the end of the last one goes in front.
      const text = tail + chunk;
      const asked = text.split(DSR).length - 1;
      for (let i = 0; i < asked; i++) this.pty.type('\x1b[1;1R');
      const last = text.lastIndexOf(DSR);
      tail = text.slice(last === -1 ? 0 : last + DSR.length).slice(-(DSR.length - 1));
    });
  }
  mfaPrompt(from: number, n = 1) {
    return this.asking(MFA_PROMPT, from, n);
  }
  /** $? and $LASTEXITCODE of the last command line, and the AWS_* / KOPS_MFA_* of $env:. */
  async state(): Promise<{ q: string; rc: string; vars: Record<string, string> }> {
    const m = await this.run(
      `"ST=$?=$LASTEXITCODE="; Get-ChildItem Env: | Where-Object Name -Match '^(AWS|KOPS_MFA)_' | ForEach-Object { 'VAR:' + $_.Name + '=' + $_.Value }; 'VARS-' + 'END'`,
      /^ST=(\w+)=(\d*)=\n([\s\S]*?)^VARS-END$/m,
    );
    const vars: Record<string, string> = {};
    for (const line of (m[3] ?? '').split('\n')) {
      const v = /^VAR:([A-Z_]+)=(.*)$/.exec(line);
      if (v) vars[v[1]!] = v[2]!;
    }
    return { q: m[1]!, rc: m[2]!, vars };
  }
}


async function fullSession(t: TestContext, strict: boolean): Promise<void> {
  const exe = needPowerShell(t);
  if (!exe || !needTool(t, 'script')) return;
  const w = await world(t);
  const env = { ...w.env, PATH: `${kopsMfaOnPath(t)}:${w.env.PATH}` };
  const s = new Session(t, exe, env);
  try {
    await s.prompt(0);
    if (strict) {
      await s.run(
        "Set-StrictMode -Version Latest; $ErrorActionPreference = 'Stop'; $PSNativeCommandUseErrorActionPreference = $true; 'STRICT-' + 'ON'",
        /^STRICT-ON$/m,
      );
    }
    await s.run("kops-mfa init powershell | Out-String | Invoke-Expression; 'LOADED-' + 'OK'", /^LOADED-OK$/m);
    const before = await s.state();
    assert.deepEqual(before.vars, { AWS_ENDPOINT_URL_STS: w.server.url, AWS_PROFILE: 'kops' });

    // Log in: the prompt on the terminal, the code never shown.
    const login = async (command: string) => {
      const from = s.mark();
      s.type(`${command}\r`);
      await s.mfaPrompt(from);
      const code = w.code();
      const typed = s.mark();
      s.type(`${code}\r`);
      await s.prompt(typed);
      assert.ok(!showsCode(s.screen(typed), code), `the code ${code} was shown on the terminal`);
    };
    await login('kops-login');
    const one = await s.state();
    assert.deepEqual([one.q, one.rc], ['True', '0'], 'kops-login succeeded');
    const c1 = w.server.issued.at(-1)!;
    assert.equal(one.vars.AWS_ACCESS_KEY_ID, c1.accessKeyId);
    assert.equal(one.vars.AWS_SESSION_TOKEN, c1.sessionToken);
    assert.equal(one.vars.KOPS_MFA_SESSION, 'kops');
    assert.equal(one.vars.AWS_PROFILE, undefined, 'AWS_PROFILE unset');
    assert.equal(await callerArn(w, one.vars, 'eu-west-1'), c1.arn, 'a real SDK call with the values from $env:');

    // --refresh in the logged-in engine signs with the long-term key.
    await login('kops-login --refresh');
    const two = await s.state();
    assert.deepEqual([two.q, two.rc], ['True', '0']);
    const call = w.server.calls.filter((c) => c.action === 'AssumeRole').at(-1)!;
    assert.equal(call.accessKeyId, USER.accessKeyId, 'signed with the long-term key');
    assert.equal(call.params.RoleArn, ROLE_ARN);
    assert.equal(two.vars.AWS_ACCESS_KEY_ID, w.server.issued.at(-1)!.accessKeyId);

    // Three wrong codes: AWS refuses each; $env: as it was, $? false, 4.
    let from = s.mark();
    s.type('kops-login --refresh\r');
    for (let i = 1; i <= 3; i++) {
      await s.mfaPrompt(from, i);
      s.type(`${WRONG}\r`);
    }
    await s.prompt(from);
    const wrong = await s.state();
    assert.deepEqual([wrong.q, wrong.rc], ['False', '4'], 'three rejected codes');
    assert.deepEqual(wrong.vars, two.vars, 'a failed login changes nothing');

    // Ctrl-C at the prompt: $env: as it was, $? false, 130.
    from = s.mark();
    s.type('kops-login --refresh\r');
    await s.mfaPrompt(from);
    s.type('\x03');
    await s.prompt(from);
    const cancelled = await s.state();
    assert.equal(cancelled.q, 'False', 'Ctrl-C: $? false');
    assert.equal(cancelled.rc, '130', 'Ctrl-C: $LASTEXITCODE 130');
    assert.deepEqual(cancelled.vars, two.vars, 'a cancelled login changes nothing');

    // Help: shown, nothing evaluated.
    await s.run("kops-login --help; 'HELP-' + 'DONE'", /Usage[\s\S]*^HELP-DONE$/m);
    const help = await s.state();
    assert.deepEqual([help.q, help.rc], ['True', '0']);
    assert.deepEqual(help.vars, two.vars, 'help changes nothing');

    // Log out: AWS_PROFILE back, the session gone.
    await s.run("kops-logout; 'OUT-' + 'DONE'", /^OUT-DONE$/m);
    const out = await s.state();
    assert.deepEqual([out.q, out.rc], ['True', '0']);
    assert.equal(out.vars.AWS_PROFILE, 'kops', 'AWS_PROFILE given back');
    assert.equal(out.vars.AWS_ACCESS_KEY_ID, undefined);
    assert.equal(out.vars.AWS_SESSION_TOKEN, undefined);
    assert.equal(out.vars.KOPS_MFA_SESSION, undefined);
    // What a person saw of kops-mfa and the functions (not the echo of typed commands).
    const seen = s.screen().split('\n').filter((l) => /^(kops-mfa:|kops-login:|MFA code)|Exception|Error/.test(l));
    t.diagnostic(`the terminal showed:\n${[...new Set(seen)].join('\n')}`);
  } catch (e) {
    // The console host redraws the whole line at every key, so only the end of the screen.
    if (e instanceof Error) e.message += `\n--- the end of what the terminal showed ---\n${s.screen().slice(-3000)}\n--- end ---`;
    throw e;
  }
}

describe('PowerShell in a pseudo-terminal', () => {
  test('kops-login, --refresh, wrong codes, Ctrl-C, --help, kops-logout', (t) => fullSession(t, false));
  test('the same under StrictMode Latest, $ErrorActionPreference Stop, native errors on', (t) => fullSession(t, true));
});

