// Tab completion of kops-mfa itself: commands, their options and option
// values (profiles, shells), from the command list and the option table
// through `kops-mfa complete cli`; with descriptions where the shell shows
// them. bash and fish through their completion functions, zsh typed in a
// pty, PowerShell through TabExpansion2.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { commands } from '../src/cli/commands/index.ts';
import type { Context } from '../src/context.ts';
import { SHELL_NAMES } from '../src/shell/shells.ts';
import { kopsMfaShim, needTool, posixQuote, ROOT, run, runCli, tempDir } from './support/helpers.ts';
import { fishQuote } from './support/shells.ts';
import { interactiveShellArgv, ScreenSession } from './support/pty.ts';
import { needPowerShell, psQuote, runPs } from './powershell/pwsh.ts';

/** The command list as kops-mfa has it (the actions are never called). */
const LIST = commands({ env: {} } as unknown as Context);
const NAMES = LIST.map((e) => e.name).sort();

function home(t: TestContext): NodeJS.ProcessEnv {
  const dir = tempDir(t);
  mkdirSync(join(dir, '.aws'));
  writeFileSync(join(dir, '.aws', 'config'), '[default]\nregion = eu-west-1\n[profile nightly]\n[profile "sp ace"]\n');
  mkdirSync(join(dir, 'bin'));
  kopsMfaShim(join(dir, 'bin'));
  return { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HOME: dir, LANG: 'C.UTF-8', TERM: 'dumb', XDG_CONFIG_HOME: join(dir, '.config'), XDG_DATA_HOME: join(dir, '.local') };
}

const pairs = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]);

describe('kops-mfa complete cli', () => {
  test('commands from the command list, with their descriptions', async (t) => {
    const r = await runCli(['complete', 'cli', ''], { env: home(t) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(pairs(r.stdout).map(([c]) => c).sort(), NAMES);
    for (const [c, d] of pairs(r.stdout)) assert.equal(d, LIST.find((e) => e.name === c)?.description);
  });

  test("a command's options from the option table, option values, init's shells", async (t) => {
    const env = home(t);
    for (const entry of LIST) {
      const r = await runCli(['complete', 'cli', entry.name, '--'], { env });
      const got = pairs(r.stdout).map(([c]) => c);
      for (const o of entry.options) assert.ok(got.includes(`--${o.name}`), `${entry.name} --${o.name}: ${got.join(' ')}`);
    }
    const profiles = await runCli(['complete', 'cli', 'env', '--profile', ''], { env });
    assert.deepEqual(pairs(profiles.stdout).map(([c]) => c).sort(), ['default', 'nightly', 'sp ace']);
    const shells = await runCli(['complete', 'cli', 'logout', '--shell', 'p'], { env });
    assert.deepEqual(pairs(shells.stdout).map(([c]) => c), SHELL_NAMES.filter((s) => s.startsWith('p')));
    const init = await runCli(['complete', 'cli', 'init', 'z'], { env });
    assert.deepEqual(pairs(init.stdout).map(([c]) => c), ['zsh']);
    const after = await runCli(['complete', 'cli', 'exec', '--', 'kop'], { env });
    assert.equal(after.stdout, '', "exec's command is the shell's to complete");
  });
});

describe('Tab on kops-mfa in each shell', () => {
  test('bash: commands, then options, then profile names as one word', async (t) => {
    if (!needTool(t, 'bash')) return;
    const env = home(t);
    const offer = async (...words: string[]) => {
      const script = [
        `. ${posixQuote(join(ROOT, 'shells', 'kops-mfa.bash'))}`,
        `COMP_WORDS=(kops-mfa ${words.map(posixQuote).join(' ')}); COMP_CWORD=${words.length}`,
        '_kops_mfa_complete_cli',
        `printf '%s\\n' "\${COMPREPLY[@]}"`,
      ].join('\n');
      const r = await run('bash', ['--norc', '--noprofile', '-c', script], { env });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    };
    assert.deepEqual((await offer('')).sort(), NAMES);
    assert.deepEqual(await offer('in'), ['init']);
    assert.ok((await offer('env', '--')).includes('--role-arn'));
    assert.deepEqual(await offer('env', '--profile', 's'), ['sp\\ ace']);
  });

  test('fish: commands and options with their descriptions', async (t) => {
    if (!needTool(t, 'fish')) return;
    const env = home(t);
    const script = `source ${fishQuote(join(ROOT, 'shells', 'kops-mfa.fish'))}\ncomplete -C 'kops-mfa '\necho ---\ncomplete -C 'kops-mfa status --'\necho ---\ncomplete -C 'kops-mfa env --profile '`;
    const r = await run('fish', ['--no-config', '--private', '-c', script], { env });
    assert.equal(r.code, 0, r.stderr);
    const [cmds = '', opts = '', profs = ''] = r.stdout.split('---\n');
    assert.deepEqual(pairs(cmds).map(([c]) => c).sort(), NAMES);
    assert.ok(pairs(cmds).every(([c, d]) => d === LIST.find((e) => e.name === c)?.description), cmds);
    assert.ok(pairs(opts).some(([c, d]) => c === '--json' && d === 'Print JSON'), opts);
    assert.deepEqual(pairs(profs).map(([c]) => c).sort(), ['default', 'nightly', 'sp ace']);
  });

  test('zsh: Tab completes the command, and lists options with descriptions', { timeout: 120_000 }, async (t) => {
    if (!needTool(t, 'zsh') || !needTool(t, 'script')) return;
    const PROMPT = 'KMFA-PROMPT> ';
    const s = new ScreenSession(t, 'zsh', interactiveShellArgv('zsh', PROMPT, ['zsh', '-f', '-i']), { env: { ...home(t), SHELL: '/bin/sh' }, stepMs: 20_000, prompt: PROMPT });
    try {
      await s.until('the first prompt', 0, (scr) => scr.endsWith(PROMPT));
      let from = s.mark();
      s.type(`stty cols 400 rows 50; autoload -Uz compinit && compinit -u -D && eval "$(cat ${posixQuote(join(ROOT, 'shells', 'kops-mfa.zsh'))})"; echo LOADED-OK\r`);
      await s.until('loaded', from, (scr) => /^LOADED-OK$/m.test(scr) && scr.endsWith(PROMPT));
      from = s.mark();
      s.type('kops-mfa ini\t');
      await s.until('init inserted', from, (scr) => scr.includes('kops-mfa init'));
      // Ctrl-U, a key the line editor reads after the completion widget ends; a Ctrl-C
      // (a signal) while the widget still ran was sometimes lost under load.
      s.type('\x15');
      from = s.mark();
      s.type('kops-mfa status --\t');
      const list = await s.until('the options with descriptions', from, (scr) => (/--json\s+-- Print JSON/.test(scr) ? scr : undefined));
      assert.match(list, /--profile\s+-- AWS profile/);
      s.type('\x03');
    } catch (e) {
      if (e instanceof Error) e.message += `\n--- zsh terminal ---\n${s.screen()}\n---`;
      throw e;
    }
  });

  test('PowerShell: TabExpansion2 offers commands with their descriptions as tooltips', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    const env = home(t);
    const lines: [string, string][] = [
      ['CMD', 'kops-mfa '],
      ['OPT', 'kops-mfa env --pro'],
      ['PROF', 'kops-mfa env --profile s'],
    ];
    const script = [
      `Get-Content -Raw ${psQuote(join(ROOT, 'shells', 'kops-mfa.ps1'))} | Out-String | Invoke-Expression`,
      ...lines.map(
        ([tag, line]) =>
          `foreach ($m in (TabExpansion2 -inputScript ${psQuote(line)} -cursorColumn ${line.length}).CompletionMatches) { '${tag} ' + $m.CompletionText + [char]9 + $m.ToolTip }`,
      ),
    ].join('\n');
    const r = await runPs(t, exe, script, { env: { ...process.env, ...env } });
    const out = r.stdout.toString();
    const got = (tag: string) => out.split(/\r?\n/).filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(tag.length + 1).split('\t'));
    assert.deepEqual(got('CMD').map(([c]) => c).sort(), NAMES, out + r.stderr);
    assert.ok(got('CMD').every(([c, d]) => d === LIST.find((e) => e.name === c)?.description), out);
    assert.deepEqual(got('OPT').map(([c]) => c), ['--profile']);
    assert.deepEqual(got('PROF').map(([c]) => c), ["'sp ace'"]);
  });
});
