// Completion of kops-login and kops-logout for real:
// an interactive bash, zsh and fish in a pseudo-terminal, the user types a
// prefix and Tab, and the line the shell then runs shows what was inserted.
// Candidates come from the real `kops-mfa complete`, which reads the AWS files
// with the one parser kops-mfa uses for everything else.
//
// How the inserted text is read back: after Tab, Ctrl-A goes to the start of
// the line and `printf '[%s]' ` is typed in front, so Enter prints each word
// of the completed line in brackets: `[kops-login][--profile][sp ace]` is one
// word; a name that ran as a command would leave its marker file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { kopsMfaShim, ROOT, needTool, posixQuote, run, runCli, tempDir } from './support/helpers.ts';
import { interactiveShellArgv, ScreenSession, sleep } from './support/pty.ts';

type Shell = 'bash' | 'zsh' | 'fish';
const SHELLS: Shell[] = ['bash', 'zsh', 'fish'];
const PROMPT = 'KMFA-PROMPT> ';
const STEP_MS = 15_000;

/** The AWS files every completion test reads: names a shell could mangle. */
function awsHome(t: TestContext): { dir: string; home: string; marker: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir(t, 'kops-mfa-compl-');
  const home = join(dir, 'home');
  const marker = join(dir, 'MARKER');
  mkdirSync(join(home, '.aws'), { recursive: true });
  writeFileSync(
    join(home, '.aws', 'config'),
    ['[default]', 'region = eu-west-1', '[profile "sp ace"]', '[profile x:yz]', '[profile nightly]', '[sso-session corp]', ''].join('\n'),
  );
  // A section name that is a command substitution: it must never run.
  writeFileSync(join(home, '.aws', 'credentials'), `[$(touch ${marker})]\naws_access_key_id = x\n[base]\n`);
  mkdirSync(join(dir, 'bin'));
  kopsMfaShim(join(dir, 'bin'));
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
    HOME: home,
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
  };
  return { dir, home, marker, env };
}

/** An interactive shell in a pty with the snippet loaded (zsh: after compinit). */
class Shellpty extends ScreenSession {
  constructor(
    t: TestContext,
    readonly sh: Shell,
    env: NodeJS.ProcessEnv,
  ) {
    const argv =
      sh === 'bash'
        ? ['bash', '--norc', '--noprofile', '-i']
        : sh === 'zsh'
          ? ['zsh', '-f', '-i']
          : ['fish', '--no-config', '--private', '-i', '-C', `function fish_prompt; printf '%s' '${PROMPT}'; end`];
    super(t, sh, interactiveShellArgv(sh, PROMPT, argv), { env: { ...env, SHELL: '/bin/sh' }, stepMs: STEP_MS, prompt: PROMPT });
  }
  async start(): Promise<void> {
    await this.until('the first prompt', 0, (s) => s.endsWith(PROMPT));
    const load =
      this.sh === 'fish'
        ? `cat ${posixQuote(join(ROOT, 'shells', 'kops-mfa.fish'))} | source`
        : this.sh === 'zsh'
          ? `autoload -Uz compinit && compinit -u -D && eval "$(cat ${posixQuote(join(ROOT, 'shells', 'kops-mfa.zsh'))})"`
          : `eval "$(cat ${posixQuote(join(ROOT, 'shells', 'kops-mfa.bash'))})"`;
    const from = this.mark();
    // A wide terminal: zsh scrolls a long line sideways on an 80-column one.
    this.pty.type(`stty cols 400 rows 50; ${load}; echo LOADED-OK\r`);
    await this.until('the snippet loaded', from, (s) => /^LOADED-OK$/m.test(s) && s.endsWith(PROMPT));
  }
  /**
   * Type `text`, Tab, wait until `inserted` shows, then run the line as
   * printf arguments; returns the bracketed words.
   */
  async complete(text: string, inserted: string): Promise<string> {
    let from = this.mark();
    this.pty.type(`${text}\t`);
    await this.until(`"${inserted}" after Tab on "${text}"`, from, (s) => s.includes(inserted));
    await sleep(100); // the rest of the repaint
    from = this.mark();
    this.pty.type(`\x01printf '<%s>' \x05; echo ' END'\r`);
    const m = await this.until(`the words of "${text}" + Tab`, from, (s) => {
      const line = /^((?:<[^>\n]*>)+) END$/m.exec(s);
      return line && s.endsWith(PROMPT) ? line : undefined;
    });
    return (m[1] ?? '').replaceAll('<', '[').replaceAll('>', ']');
  }
}

for (const sh of SHELLS) {
  test(`${sh}: Tab completes options and profile names from kops-mfa as one quoted word, never running a name`, { timeout: 120_000 }, async (t) => {
    if (!needTool(t, 'script') || !needTool(t, sh)) return;
    const a = awsHome(t);
    const s = new Shellpty(t, sh, a.env);
    try {
      await s.start();
      // An option by its prefix.
      assert.equal(await s.complete('kops-login --pro', '--profile'), '[kops-login][--profile]');
      assert.equal(await s.complete('kops-logout --a', '--all'), '[kops-logout][--all]');
      // A profile by its prefix; a space, a colon (a word break for bash) and a command substitution in names.
      assert.equal(await s.complete('kops-login --profile n', 'nightly'), '[kops-login][--profile][nightly]');
      assert.equal(await s.complete('kops-login --profile sp', 'ace'), '[kops-login][--profile][sp ace]');
      assert.equal(await s.complete('kops-login --profile x:', 'yz'), '[kops-login][--profile][x:yz]');
      assert.equal(await s.complete('kops-login --profile \\$', 'touch'), `[kops-login][--profile][$(touch ${a.marker})]`);
      assert.equal(await s.complete('kops-login --profile=ni', 'nightly'), '[kops-login][--profile=nightly]');
      if (sh !== 'fish') {
        // After an opening quote the rest is written for inside that quote.
        assert.equal(await s.complete("kops-login --profile 'sp", 'ace'), '[kops-login][--profile][sp ace]');
      }
      assert.equal(existsSync(a.marker), false, 'a profile name ran as a command');
      if (sh === 'zsh') {
        // The list shows x:yz as it is, not as "x -- yz" (_describe's value:description).
        const from = s.mark();
        s.pty.type('kops-login --profile \t');
        const list = await s.until('the list of profiles', from, (scr) => (/nightly/.test(scr) && /base/.test(scr) ? scr : undefined));
        assert.match(list, /(^|\s)x:yz(\s|$)/m);
        assert.doesNotMatch(list, /x -- yz/);
        s.pty.type('\x03');
      }
      assert.equal(existsSync(a.marker), false, 'a profile name ran as a command');
    } catch (e) {
      if (e instanceof Error) e.message += `\n--- ${sh} terminal ---\n${s.screen()}\n---`;
      throw e;
    }
  });
}

/** The long options of `kops-mfa <command> --help`, but --shell (the snippet passes it) and --help. */
async function helpOptions(command: 'env' | 'logout'): Promise<string[]> {
  const r = await runCli([command, '--help']);
  assert.equal(r.code, 0, r.stderr);
  const options = [...r.stdout.matchAll(/^ {2}(?:-\w, )?(--[a-z][\w-]*)/gm)].map((m) => m[1] as string);
  assert.ok(options.includes('--profile'), `no options found in:\n${r.stdout}`);
  // --shell and --print: the shell functions set the shell and capture the statements themselves.
  return options.filter((o) => o !== '--shell' && o !== '--print' && o !== '--help').sort();
}

/** What each shell's completion offers for `<fn> --` (the real functions; zsh's compadd prints its array). */
async function offered(sh: Shell, fn: 'kops-login' | 'kops-logout', env: NodeJS.ProcessEnv): Promise<string[]> {
  const load = (file: string) => `eval "$(cat ${posixQuote(join(ROOT, 'shells', file))})"`;
  let r;
  if (sh === 'bash') {
    const script = [
      load('kops-mfa.bash'),
      `COMP_LINE='${fn} --'; COMP_POINT=\${#COMP_LINE}; COMP_WORDS=(${fn} --); COMP_CWORD=1`,
      `_kops_mfa_complete ${fn} -- ${fn}`,
      `printf '%s\\n' "\${COMPREPLY[@]}"`,
    ].join('\n');
    r = await run('bash', ['--norc', '--noprofile', '-c', script], { env });
  } else if (sh === 'zsh') {
    const script = [
      load('kops-mfa.zsh'),
      // Outside a completion widget: words, CURRENT and PREFIX as zsh sets them, compadd shows its array.
      `words=(${fn} --); CURRENT=2; PREFIX=--`,
      'compadd() { [[ $1 == -a ]] && print -rl -- "${(@P)2}"; }',
      '_kops_mfa_complete',
    ].join('\n');
    r = await run('zsh', ['--no-rcs', '-c', script], { env });
  } else {
    r = await run('fish', ['--no-config', '-c', `cat ${posixQuote(join(ROOT, 'shells', 'kops-mfa.fish'))} | source\ncomplete -C '${fn} --'`], { env });
  }
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .map((l) => l.split('\t')[0] as string)
    .filter(Boolean)
    .sort();
}

test('every shell offers exactly the options of kops-mfa env --help and logout --help', async (t) => {
  const a = awsHome(t);
  const login = await helpOptions('env');
  const logout = await helpOptions('logout');
  assert.ok(login.includes('--no-prompt') && login.includes('--mfa-session-duration'), 'the 0.2 options are in the help');
  for (const sh of SHELLS) {
    if (!needTool(t, sh)) return;
    assert.deepEqual(await offered(sh, 'kops-login', a.env), login, `${sh}: kops-login`);
    assert.deepEqual(await offered(sh, 'kops-logout', a.env), logout, `${sh}: kops-logout`);
  }
});

test('every shell offers exactly the profile names of kops-mfa complete (one parser)', async (t) => {
  const a = awsHome(t);
  const r = await runCli(['complete', 'login', '--profile', ''], { env: a.env });
  assert.equal(r.code, 0, r.stderr);
  const names = r.stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(names, ['$(touch ' + a.marker + ')', 'base', 'default', 'nightly', 'sp ace', 'x:yz']);
  const fish = await run('fish', ['--no-config', '-c', `cat ${posixQuote(join(ROOT, 'shells', 'kops-mfa.fish'))} | source\ncomplete -C 'kops-login --profile '`], { env: a.env });
  assert.deepEqual(fish.stdout.split('\n').filter(Boolean).sort(), names, 'fish');
  const bash = await run(
    'bash',
    [
      '--norc',
      '--noprofile',
      '-c',
      `eval "$(cat ${posixQuote(join(ROOT, 'shells', 'kops-mfa.bash'))})"
COMP_LINE='kops-login --profile '; COMP_POINT=\${#COMP_LINE}
_kops_mfa_complete kops-login '' --profile
for w in "\${COMPREPLY[@]}"; do eval "set -- $w"; printf '%s\\n' "$1"; done`,
    ],
    { env: a.env },
  );
  assert.deepEqual(bash.stdout.split('\n').filter(Boolean).sort(), names, 'bash (each reply read back as one shell word)');
  const zsh = await run(
    'zsh',
    ['--no-rcs', '-c', `eval "$(cat ${posixQuote(join(ROOT, 'shells', 'kops-mfa.zsh'))})"\nwords=(kops-login --profile ''); CURRENT=3; PREFIX=''\ncompadd() { [[ $1 == -a ]] && print -rl -- "\${(@P)2}"; }\n_kops_mfa_complete`],
    { env: a.env },
  );
  assert.deepEqual(zsh.stdout.split('\n').filter(Boolean).sort(), names, 'zsh');
  assert.equal(existsSync(a.marker), false, 'a profile name ran as a command');
});

test('zsh: an empty word before the cursor keeps its place (the arguments to kops-mfa complete are quoted)', async (t) => {
  if (!needTool(t, 'zsh')) return;
  const a = awsHome(t);
  const script = [
    `eval "$(cat ${posixQuote(join(ROOT, 'shells', 'kops-mfa.zsh'))})"`,
    // kops-login '' --pr<Tab>: the previous word is the empty one, the current one --pr.
    `words=(kops-login '' --pr); CURRENT=3; PREFIX=--pr`,
    'compadd() { [[ $1 == -a ]] && print -rl -- "${(@P)2}"; }',
    '_kops_mfa_complete',
  ].join('\n');
  const r = await run('zsh', ['--no-rcs', '-c', script], { env: a.env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\n').filter(Boolean), ['--profile']);
});
