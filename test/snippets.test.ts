// The shell integration files (shells/kops-mfa.*) and `kops-mfa init`.
//
// Lint: shellcheck, bash -n, zsh -n, fish --no-execute, fish_indent, a
// tree-sitter parse of the PowerShell file, and a grep for bash-4-only syntax.
// Behaviour: each POSIX shell and fish runs its snippet against a STUB
// kops-mfa (and a stub kops) first on PATH, so only the snippet's own logic is
// under test: capture, evaluate only on exit 0 with the statements header,
// print (never evaluate) other output, pass arguments through, and the kops
// wrapper's fast path. The real kops-mfa behind the snippets is tested in
// snippets-*.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { TestContext } from 'node:test';
import { ROOT, needTool, posixQuote, run, ShimLog, tempDir, type RunResult } from './support/helpers.ts';
import { fishQuote } from './support/shells.ts';
import { initText, snippetPath, withPaths } from '../src/cli/commands/init.ts';
import { ExitCode, KopsMfaError } from '../src/errors.ts';

const SHELLS_DIR = join(ROOT, 'shells');
const FILES = {
  bash: join(SHELLS_DIR, 'kops-mfa.bash'),
  zsh: join(SHELLS_DIR, 'kops-mfa.zsh'),
  fish: join(SHELLS_DIR, 'kops-mfa.fish'),
  powershell: join(SHELLS_DIR, 'kops-mfa.ps1'),
} as const;

const read = (file: string) => readFileSync(file, 'utf8');

// ---------------------------------------------------------------------------
// Lint

test('bash snippet passes shellcheck --enable=all', async (t) => {
  if (!needTool(t, 'shellcheck')) return;
  const r = await run('shellcheck', ['--enable=all', '--shell=bash', FILES.bash]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('bash snippet parses (bash -n)', async (t) => {
  if (!needTool(t, 'bash')) return;
  const r = await run('bash', ['-n', FILES.bash]);
  assert.equal(r.code, 0, r.stderr);
});

/** The clock chooser of the bash snippet: one function per bash version, picked by BASH_VERSINFO at load time. */
const BASH5 = 'if [[ "${BASH_VERSINFO[0]}" -ge 5 ]]; then';
const BASH42 = 'elif [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 2 ]]; then';

/** The bash snippet with the chooser forced to the clock of bash `version` (BASH_VERSINFO itself is read-only). */
function bashSnippetAs(version: '5' | '4.2' | '3.2'): string {
  const text = read(FILES.bash);
  assert.ok(text.includes(BASH5) && text.includes(BASH42), 'the clock is chosen by BASH_VERSINFO');
  return text.replace(BASH5, `if ${version === '5'}; then`).replace(BASH42, `elif ${version === '4.2'}; then`);
}

test('bash snippet: the clock of each bash version (5, 4.2, 3.2) gives the time', async (t) => {
  if (!needTool(t, 'bash')) return;
  const dir = tempDir(t);
  for (const version of ['5', '4.2', '3.2'] as const) {
    const file = join(dir, `kops-mfa.${version}.bash`);
    writeFileSync(file, bashSnippetAs(version));
    const r = await run('bash', ['--norc', '--noprofile', '-c', 'source "$1" && _kops_mfa_clock && echo "$_kops_mfa_now $(date +%s)"', 'bash', file]);
    assert.equal(r.code, 0, `bash ${version}: ${r.stderr}`);
    const [clock, now] = r.stdout.trim().split(' ').map(Number);
    assert.ok(Number.isInteger(clock) && Math.abs(clock! - now!) <= 2, `bash ${version}'s clock says ${clock}, date +%s ${now}`);
  }
});

test('bash snippet uses no bash-4-only syntax outside the clocks of later versions (it must run in bash 3.2)', async (t) => {
  if (!needTool(t, 'bash')) return;
  // The code as bash itself reads it: the whole snippet as the body of a
  // function, printed back by declare -f (comments gone, forms normalized),
  // with the clocks of bash 5 and 4.2 cut out of the chooser.
  const text = read(FILES.bash);
  const from = text.indexOf(BASH5);
  const to = text.indexOf('\nelse\n', from);
  assert.ok(from >= 0 && to > from, 'the chooser has an else branch, the clock of bash 3.2');
  const only32 = `${text.slice(0, from)}if true; then${text.slice(to + '\nelse'.length)}`;
  const dir = tempDir(t);
  writeFileSync(join(dir, 'only32.bash'), only32);
  const r = await run('bash', ['--norc', '--noprofile', '-c', 'eval "__kops_mfa_whole() {\n$(cat "$1")\n}" && declare -f __kops_mfa_whole', 'bash', join(dir, 'only32.bash')]);
  assert.equal(r.code, 0, r.stderr);
  const code = r.stdout;
  assert.match(code, /_kops_mfa_now=\$\(date \+%s\)/, 'bash 3.2 gets date +%s');
  const forbidden: [RegExp, string][] = [
    [/\b(declare|local|typeset)\s+-[a-zA-Z]*A/, 'associative arrays (-A)'],
    [/\b(declare|local|typeset)\s+-[a-zA-Z]*n\b/, 'namerefs (-n)'],
    [/\$\{[^}]*(,,|\^\^)/, '${v,,} / ${v^^} case conversion'],
    [/\$\{[^}]*[^,^$](,|\^)\}/, '${v,} / ${v^} case conversion'],
    [/\bmapfile\b/, 'mapfile'],
    [/\breadarray\b/, 'readarray'],
    [/\|&/, '|& (pipe stderr)'],
    [/&>>/, '&>> (append both)'],
    [/\[\[\s+-v\b/, '[[ -v ]]'],
    [/\[\s*-\d+\s*\]/, 'negative array index'],
    [/:\s+-\d+\s*\}|:\s*\(\s*-\d+\s*\)\s*\}/, '${v: -1} negative substring offset'],
    [/;;&|;&/, ';;& / ;& case fall-through'],
    [/\bcoproc\b/, 'coproc'],
    [/\$\{[^}]*@[QEPAaKk]\}/, '${v@Q} parameter transformation'],
    [/\bwait\s+-n\b/, 'wait -n'],
    [/\bEPOCH(REALTIME|SECONDS)\b/, 'EPOCHSECONDS / EPOCHREALTIME (bash 5)'],
    [/%\(%s\)T/, "printf '%(%s)T' (bash 4.2)"],
    [/\bshopt\s+-s\s+(globstar|lastpipe|autocd)\b/, 'bash-4 shopt'],
  ];
  for (const [re, what] of forbidden) assert.doesNotMatch(code, re, `bash 3.2 has no ${what}`);
  // The check sees what it should: the full snippet, chooser included, has the later clocks.
  assert.match(read(FILES.bash), /EPOCHSECONDS/);
});

test('zsh snippet parses (zsh --no-rcs -n)', async (t) => {
  if (!needTool(t, 'zsh')) return;
  const r = await run('zsh', ['--no-rcs', '-n', FILES.zsh]);
  assert.equal(r.code, 0, r.stderr);
});

test('zsh snippet: kops-login, kops-logout and kops pass shellcheck as bash', async (t) => {
  // shellcheck has no zsh mode and the file as a whole is zsh (anonymous
  // function, (@f) flags). The three user-facing functions are written in the
  // common subset, so they are cut out and checked as bash.
  if (!needTool(t, 'shellcheck')) return;
  const text = read(FILES.zsh);
  const bodies = [
    ...text.matchAll(
      /^([ \t]*)function (_kops_mfa_apply|kops-login|kops-logout|_kops_mfa_time_left|_kops_mfa_reuse_window|kops_mfa_prompt|kops) \{\n[\s\S]*?\n\1\}$/gm,
    ),
  ];
  assert.deepEqual(
    bodies.map((m) => m[2]),
    ['_kops_mfa_apply', 'kops-login', 'kops-logout', '_kops_mfa_time_left', '_kops_mfa_reuse_window', 'kops_mfa_prompt', 'kops'],
  );
  const dir = tempDir(t);
  const file = join(dir, 'zsh-functions.bash');
  writeFileSync(
    file,
    [
      '# shellcheck shell=bash',
      ...bodies.map((m) => m[0]),
      '',
    ].join('\n'),
  );
  const r = await run('shellcheck', ['--enable=all', file]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('fish snippet passes fish --no-execute and fish_indent --check', async (t) => {
  if (!needTool(t, 'fish') || !needTool(t, 'fish_indent')) return;
  const parse = await run('fish', ['--no-execute', FILES.fish]);
  assert.equal(parse.code, 0, parse.stderr);
  const indent = await run('fish_indent', ['--check', FILES.fish]);
  assert.equal(indent.code, 0, `fish_indent would reformat the file: ${indent.stdout}${indent.stderr}`);
});

// Parses PowerShell files with web-tree-sitter and prints, per file, the
// ERROR/MISSING nodes and the names of the functions defined. It runs in its
// own node with --liftoff-only: V8's optimizing tier spends ~10 s of CPU on
// the grammar's huge parse function after the first parse, blocking this
// process's event loop (and so every later spawn) for as long.
const PS_PARSE = `
import { Parser, Language } from 'web-tree-sitter';
import { readFileSync } from 'node:fs';
const [wasm, ...files] = process.argv.slice(1);
await Parser.init();
const parser = new Parser();
parser.setLanguage(await Language.load(wasm));
const out = files.map((file) => {
  const tree = parser.parse(readFileSync(file, 'utf8'));
  const bad = [];
  const walk = (n) => {
    if (n.isError || n.isMissing) {
      bad.push((n.isMissing ? 'MISSING' : 'ERROR') + ' at ' + (n.startPosition.row + 1) + ':' + (n.startPosition.column + 1) + ': ' + n.text.slice(0, 60));
    }
    for (const c of n.children) if (c) walk(c);
  };
  walk(tree.rootNode);
  const functions = tree.rootNode.descendantsOfType('function_name').map((n) => n.text);
  tree.delete();
  return { bad, functions };
});
process.stdout.write(JSON.stringify(out));
`;

test('PowerShell snippet parses without ERROR or MISSING nodes (tree-sitter)', async (t) => {
  const dir = tempDir(t);
  // The check itself must be able to fail.
  const broken = join(dir, 'broken.ps1');
  writeFileSync(broken, 'function f {\n  $x = (\n}\n');
  const wasm = join(ROOT, 'node_modules', 'tree-sitter-powershell', 'tree-sitter-powershell.wasm');
  const r = await run(
    process.execPath,
    ['--liftoff-only', '--input-type=module', '-e', PS_PARSE, wasm, broken, FILES.powershell],
    { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } },
  );
  assert.equal(r.code, 0, r.stderr);
  const [bad, snippet] = JSON.parse(r.stdout) as { bad: string[]; functions: string[] }[];
  assert.notDeepEqual(bad?.bad, [], 'the parse check found nothing wrong in broken PowerShell');
  // tree-sitter-powershell 0.26 does not parse a comma list as a command
  // argument (`-CommandType Application, ExternalScript`), which PowerShell
  // reads as an array; those ERROR nodes alone are the grammar's, not the
  // file's. (powershell-snippet.test.ts loads the file in the real engine.)
  const grammarGap = /^ERROR at \d+:\d+: , [\w-]+ -\w/;
  assert.deepEqual(snippet?.bad.filter((b) => !grammarGap.test(b)), []);
  assert.deepEqual(snippet?.functions, [
    'global:_kops_mfa_command',
    'global:_kops_mfa_run',
    'global:_kops_mfa_apply',
    'global:_kops_mfa_fail',
    'global:_kops_mfa_wants_help',
    'global:kops-login',
    'global:kops-logout',
    'global:_kops_mfa_left',
    'global:_kops_mfa_window',
    'global:kops_mfa_prompt',
    'global:kops',
    'global:_kops_mfa_hook',
    'global:_kops_mfa_before_prompt',
    'global:prompt',
  ]);
});

// ---------------------------------------------------------------------------
// Behaviour against a stub kops-mfa

/** The variables the stub's statements touch, and the report prints. */
const WATCHED = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'KOPS_MFA_SESSION',
  'KOPS_MFA_EXPIRES',
  'KOPS_MFA_KEY_ID',
] as const;

/** A session token with everything that must stay literal, a newline included. */
const TOKEN = 'tok\'en "$HOME"\n`echo hi` \\ * $(id) ;x';


/** The stub's session ends a day from now: an expiry past 36 h is no session to the snippets. */
const ENDS = Math.floor(Date.now() / 1000) + 86_400;
const SESSION: [string, string][] = [
  ['AWS_ACCESS_KEY_ID', 'ASIANEW'],
  ['AWS_SECRET_ACCESS_KEY', 'new/secret+key'],
  ['AWS_SESSION_TOKEN', TOKEN],
  ['AWS_CREDENTIAL_EXPIRATION', new Date(ENDS * 1000).toISOString().replace(/\.\d+Z$/, 'Z')],
  ['KOPS_MFA_SESSION', 'kops'],
  ['KOPS_MFA_EXPIRES', String(ENDS)],
  ['KOPS_MFA_KEY_ID', 'ASIANEW'],
];
const CLEARED = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'KOPS_MFA_SESSION', 'KOPS_MFA_EXPIRES', 'KOPS_MFA_KEY_ID'];

/** PROTOCOL.md section 1: the first line of every statement output. */
const HEADER = '# kops-mfa statements v1';

/** What the real kops-mfa prints, hand-written so only the snippets are under test. */
const CANNED = {
  posix: {
    env: [HEADER, ...SESSION.map(([n, v]) => `export ${n}=${posixQuote(v)}`), 'unset AWS_PROFILE'],
    logout: [HEADER, ...CLEARED.map((n) => `unset ${n}`), `export AWS_PROFILE='base'`],
  },
  fish: {
    env: [HEADER, ...SESSION.map(([n, v]) => `set -gx ${n} ${fishQuote(v)}`), 'if set -q -g AWS_PROFILE; set -e -g AWS_PROFILE; end'],
    logout: [HEADER, ...CLEARED.map((n) => `if set -q -g ${n}; set -e -g ${n}; end`), `set -gx AWS_PROFILE 'base'`],
  },
};

// Every record the stubs write is length-prefixed, so arguments and values
// may hold newlines and quotes. LC_ALL=C makes ${#v} count bytes.
const STUB_KOPS_MFA = `#!/bin/sh
# Test stub of kops-mfa: records its argv; prints canned statements for
# "$1" (env/logout) and "$3" (the --shell value); with a "fail" file, prints
# the header and the first statement and exits with the status in that file;
# with a "text" file, prints that file (no header) and exits 0, as --help does.
dir=\${0%/*}
{
  printf 'call kops-mfa %s\\n' "$#"
  for a in "$@"; do printf '%s:%s\\n' "\${#a}" "$a"; done
} >>"$dir/calls"
if [ -f "$dir/fail" ]; then
  sed -n 1,2p "$dir/$1.$3"
  echo "kops-mfa: simulated failure" >&2
  exit "$(cat "$dir/fail")"
fi
if [ -f "$dir/text" ]; then
  cat "$dir/text"
  exit 0
fi
cat "$dir/$1.$3"
`;

const STUB_KOPS = `#!/bin/sh
# Test stub of kops: records its argv and the key it saw; exits with kops-rc.
dir=\${0%/*}
{
  printf 'call kops %s\\n' "$#"
  for a in "$@"; do printf '%s:%s\\n' "\${#a}" "$a"; done
  a=\${AWS_ACCESS_KEY_ID-unset}
  printf '%s:%s\\n' "\${#a}" "$a"
} >>"$dir/calls"
echo "kops output"
exit "$(cat "$dir/kops-rc" 2>/dev/null || echo 0)"
`;

// Prints "== label" and each watched variable as "NAME=len:value" or "NAME unset",
// as an external command sees them (so they must be exported).
const STUB_DUMP = `#!/bin/sh
printf '== %s\\n' "$1"
for n in ${WATCHED.join(' ')}; do
  if eval "[ -n \\"\\\${$n+x}\\" ]"; then
    eval "v=\\$$n"
    printf '%s=%s:%s\\n' "$n" "\${#v}" "$v"
  else
    printf '%s unset\\n' "$n"
  fi
done
`;

interface Stub {
  dir: string;
  home: string;
  env: NodeJS.ProcessEnv;
  calls(): { cmd: string; args: string[]; seenKey?: string }[];
}

function makeStub(t: TestContext, flavour: 'posix' | 'fish', extraEnv: NodeJS.ProcessEnv = {}): Stub {
  const base = tempDir(t, 'kops-mfa-snippet-');
  const dir = join(base, 'bin');
  const home = join(base, 'home');
  mkdirSync(dir);
  mkdirSync(home);
  const exe = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  };
  exe('kops-mfa', STUB_KOPS_MFA);
  exe('kops', STUB_KOPS);
  exe('kops-mfa-test-dump', STUB_DUMP);
  const shellNames = flavour === 'fish' ? ['fish'] : ['bash', 'zsh'];
  for (const sh of shellNames) {
    writeFileSync(join(dir, `env.${sh}`), CANNED[flavour].env.join('\n') + '\n');
    writeFileSync(join(dir, `logout.${sh}`), CANNED[flavour].logout.join('\n') + '\n');
  }
  // A clean environment: nothing from the developer's shell (AWS_PROFILE…) leaks in.
  const env: NodeJS.ProcessEnv = {
    PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    LC_ALL: 'C',
    TERM: 'dumb',
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    STUB: dir,
    T: base,
    ...extraEnv,
  };
  return {
    dir,
    home,
    env,
    calls() {
      const log = new ShimLog(join(dir, 'calls'));
      const out: { cmd: string; args: string[]; seenKey?: string }[] = [];
      while (!log.done) {
        const header = log.line();
        const m = /^call (\S+) (\d+)$/.exec(header);
        assert.ok(m, `malformed stub log: ${header.slice(0, 40)}`);
        const args = Array.from({ length: Number(m[2]) }, () => log.field());
        const call: { cmd: string; args: string[]; seenKey?: string } = { cmd: m[1] as string, args };
        if (call.cmd === 'kops') call.seenKey = log.field();
        out.push(call);
      }
      return out;
    },
  };
}

interface Report {
  /** label → variable → value (null: unset) */
  snaps: Record<string, Record<string, string | null>>;
  /** label → exit status */
  rc: Record<string, number>;
  /** label → yes/no */
  fn: Record<string, boolean>;
  /** Other lines, e.g. kops's own output. */
  other: string[];
}

function parseReport(out: string): Report {
  const r: Report = { snaps: {}, rc: {}, fn: {}, other: [] };
  let cur: Record<string, string | null> | undefined;
  let i = 0;
  while (i < out.length) {
    let nl = out.indexOf('\n', i);
    if (nl === -1) nl = out.length;
    const line = out.slice(i, nl);
    let m: RegExpExecArray | null;
    if (line.startsWith('== ')) {
      cur = r.snaps[line.slice(3)] = {};
    } else if ((m = /^rc (\S+) (\d+)$/.exec(line))) {
      r.rc[m[1] as string] = Number(m[2]);
    } else if ((m = /^fn (\S+) (yes|no)$/.exec(line))) {
      r.fn[m[1] as string] = m[2] === 'yes';
    } else if (cur && (m = /^(\w+) unset$/.exec(line))) {
      cur[m[1] as string] = null;
    } else if (cur && (m = /^(\w+)=(\d+):/.exec(line))) {
      const start = i + m[0].length;
      const len = Number(m[2]);
      cur[m[1] as string] = out.slice(start, start + len);
      i = start + len + 1;
      continue;
    } else {
      r.other.push(line);
    }
    i = nl + 1;
  }
  return r;
}

type Flavour = 'bash' | 'bash-strict' | 'zsh' | 'zsh-options' | 'fish';

const SHELL_OF: Record<Flavour, 'bash' | 'zsh' | 'fish'> = {
  bash: 'bash',
  'bash-strict': 'bash',
  zsh: 'zsh',
  'zsh-options': 'zsh',
  fish: 'fish',
};

/** What each flavour runs before anything else. */
const PRELUDE: Record<Flavour, string> = {
  bash: '',
  'bash-strict': 'set -euo pipefail',
  zsh: '',
  'zsh-options': 'setopt nounset ksh_arrays sh_word_split',
  fish: '',
};

function runShell(flavour: Flavour, script: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const full = `${PRELUDE[flavour]}\n${script}`;
  switch (SHELL_OF[flavour]) {
    case 'bash':
      return run('bash', ['--noprofile', '--norc', '-c', full], { env, timeoutMs: 20_000 });
    case 'zsh':
      return run('zsh', ['--no-rcs', '-c', full], { env, timeoutMs: 20_000 });
    case 'fish':
      return run('fish', ['--no-config', '-c', full], { env, timeoutMs: 20_000 });
  }
}

/** The rc line, as `kops-mfa init` would be used, with the file standing in for the command. */
function loadLine(flavour: Flavour): string {
  const shell = SHELL_OF[flavour];
  if (shell === 'fish') return `cat ${fishQuote(FILES.fish)} | source`;
  return `eval "$(cat ${posixQuote(FILES[shell])})"`;
}

/** `if CMD; then …` in the flavour's language, printing "rc LABEL STATUS" without tripping set -e. */
function status(flavour: Flavour, label: string, cmd: string): string {
  if (SHELL_OF[flavour] === 'fish') return `${cmd}\necho "rc ${label} $status"`;
  return `if ${cmd}; then echo "rc ${label} 0"; else echo "rc ${label} $?"; fi`;
}

function fnCheck(flavour: Flavour, name: string): string {
  switch (SHELL_OF[flavour]) {
    case 'bash':
      return `if declare -F ${name} >/dev/null; then echo "fn ${name} yes"; else echo "fn ${name} no"; fi`;
    case 'zsh':
      return `if (( \${+functions[${name}]} )); then echo "fn ${name} yes"; else echo "fn ${name} no"; fi`;
    case 'fish':
      return `if functions -q ${name}; echo "fn ${name} yes"; else; echo "fn ${name} no"; end`;
  }
}

/** Names of all shell variables, one a line, into a file. */
function varNames(flavour: Flavour, file: string): string {
  switch (SHELL_OF[flavour]) {
    case 'bash':
      return `compgen -v >"$T/${file}"`;
    case 'zsh':
      return `print -rl -- \${(k)parameters} >"$T/${file}"`;
    case 'fish':
      return `set -n >$T/${file}`;
  }
}

function setup(flavour: Flavour): string {
  if (SHELL_OF[flavour] === 'fish') {
    return 'set -gx AWS_PROFILE base\nset -gx AWS_ACCESS_KEY_ID OLD-KEY\nset -gx AWS_SECRET_ACCESS_KEY OLD-SECRET';
  }
  return 'export AWS_PROFILE=base AWS_ACCESS_KEY_ID=OLD-KEY AWS_SECRET_ACCESS_KEY=OLD-SECRET';
}

/** What the stub prints with exit 0 and no header, as --help does: each line would act if evaluated. */
const NOT_STATEMENTS = ['kops-mfa/0.1.0', '# not the header', 'touch "$T/evaluated"', 'export AWS_PROFILE=evaluated', ''].join('\n');

const copyFile = (flavour: Flavour, from: string, to: string) =>
  SHELL_OF[flavour] === 'fish' ? `cp $STUB/${from} $STUB/${to}` : `cp "$STUB/${from}" "$STUB/${to}"`;

const writeFile = (flavour: Flavour, text: string, file: string) =>
  SHELL_OF[flavour] === 'fish' ? `echo ${text} >$STUB/${file}` : `echo ${text} >"$STUB/${file}"`;
const removeFile = (flavour: Flavour, file: string) =>
  SHELL_OF[flavour] === 'fish' ? `rm $STUB/${file}` : `rm "$STUB/${file}"`;

/** Arguments that must reach kops-mfa exactly: spaces, quotes, globs, $, an empty one, a newline. */
const TRICKY_ARGS = ['--profile', 'kops prod', '--role-session-name', `it's "me" $HOME * \`x\` \\`, '', '--token-code', '012345', 'two\nlines'];

const quoteFor = (flavour: Flavour) => (SHELL_OF[flavour] === 'fish' ? fishQuote : posixQuote);

const FLAVOURS: Flavour[] = ['bash', 'bash-strict', 'zsh', 'zsh-options', 'fish'];

const OLD = { AWS_PROFILE: 'base', AWS_ACCESS_KEY_ID: 'OLD-KEY', AWS_SECRET_ACCESS_KEY: 'OLD-SECRET' };
const snapshot = (vars: Partial<Record<(typeof WATCHED)[number], string>>) =>
  Object.fromEntries(WATCHED.map((n) => [n, vars[n] ?? null]));

/** New variable names after the functions ran: only the ones kops-mfa's statements set. */
function leaked(stub: Stub): string[] {
  const names = (f: string) => new Set(read(join(stub.dir, '..', f)).split('\n').filter(Boolean));
  const before = names('vars-before');
  // EPOCHSECONDS: zsh's clock, from the zsh/datetime module the snippet loads.
  return [...names('vars-after')].filter((n) => !before.has(n) && !/^(AWS_|KOPS_MFA_)/.test(n) && n !== 'EPOCHSECONDS');
}

for (const flavour of FLAVOURS) {
  const shell = SHELL_OF[flavour];
  const posix = shell !== 'fish';

  test(`${flavour}: loading the snippet prints nothing`, async (t) => {
    if (!needTool(t, shell)) return;
    for (const auto of [false, true]) {
      const stub = makeStub(t, posix ? 'posix' : 'fish', auto ? { KOPS_MFA_AUTO_REFRESH: '1' } : {});
      const r = await runShell(flavour, loadLine(flavour), stub.env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, '');
      assert.deepEqual(stub.calls(), [], 'loading must not run kops-mfa');
    }
  });

  test(`${flavour}: kops-login and kops-logout apply only successful output, pass arguments exactly, leak nothing`, async (t) => {
    if (!needTool(t, shell)) return;
    const stub = makeStub(t, posix ? 'posix' : 'fish');
    const q = quoteFor(flavour);
    const script = [
      setup(flavour),
      varNames(flavour, 'vars-before'),
      loadLine(flavour),
      'kops-mfa-test-dump start',
      // A failing login: the stub prints a first statement, then exits 4.
      writeFile(flavour, '4', 'fail'),
      status(flavour, 'login-fail', 'kops-login --profile kops'),
      removeFile(flavour, 'fail'),
      'kops-mfa-test-dump after-login-fail',
      status(flavour, 'login', `kops-login ${TRICKY_ARGS.map(q).join(' ')}`),
      'kops-mfa-test-dump after-login',
      // Exit 0 without the header (help, version): printed, never evaluated.
      copyFile(flavour, 'text-content', 'text'),
      status(flavour, 'login-text', 'kops-login --version'),
      status(flavour, 'logout-text', 'kops-logout -v'),
      removeFile(flavour, 'text'),
      'kops-mfa-test-dump after-text',
      writeFile(flavour, '5', 'fail'),
      status(flavour, 'logout-fail', 'kops-logout'),
      removeFile(flavour, 'fail'),
      'kops-mfa-test-dump after-logout-fail',
      status(flavour, 'logout', `kops-logout --all ${q('a b')}`),
      'kops-mfa-test-dump after-logout',
      varNames(flavour, 'vars-after'),
      fnCheck(flavour, 'kops-login'),
      fnCheck(flavour, 'kops-logout'),
      fnCheck(flavour, 'kops_mfa_prompt'),
      fnCheck(flavour, 'kops'),
    ].join('\n');
    writeFileSync(join(stub.dir, 'text-content'), NOT_STATEMENTS);
    const r = await runShell(flavour, script, stub.env);
    assert.equal(r.code, 0, r.stderr);
    const rep = parseReport(r.stdout);

    const session = snapshot(Object.fromEntries(SESSION));
    assert.deepEqual(rep.snaps.start, snapshot(OLD));
    // Failure: the stub's status, and not even the first statement applied.
    assert.equal(rep.rc['login-fail'], 4);
    assert.deepEqual(rep.snaps['after-login-fail'], snapshot(OLD));
    // Success: every statement applied, quoting intact, AWS_PROFILE gone.
    assert.equal(rep.rc.login, 0);
    assert.deepEqual(rep.snaps['after-login'], session);
    assert.equal(rep.snaps['after-login']?.AWS_SESSION_TOKEN, TOKEN);
    // No header: status 0, the text shown as it is, nothing evaluated.
    assert.equal(rep.rc['login-text'], 0);
    assert.equal(rep.rc['logout-text'], 0);
    assert.deepEqual(rep.snaps['after-text'], session);
    assert.equal(existsSync(join(stub.dir, '..', 'evaluated')), false, 'output without the header was evaluated');
    // A failing logout changes nothing either.
    assert.equal(rep.rc['logout-fail'], 5);
    assert.deepEqual(rep.snaps['after-logout-fail'], session);
    // Logout clears the session and gives AWS_PROFILE back.
    assert.equal(rep.rc.logout, 0);
    assert.deepEqual(rep.snaps['after-logout'], snapshot({ AWS_PROFILE: 'base' }));

    assert.deepEqual(stub.calls(), [
      { cmd: 'kops-mfa', args: ['env', '--shell', shell, '--profile', 'kops'] },
      { cmd: 'kops-mfa', args: ['env', '--shell', shell, ...TRICKY_ARGS] },
      { cmd: 'kops-mfa', args: ['env', '--shell', shell, '--version'] },
      { cmd: 'kops-mfa', args: ['logout', '--shell', shell, '-v'] },
      { cmd: 'kops-mfa', args: ['logout', '--shell', shell] },
      { cmd: 'kops-mfa', args: ['logout', '--shell', shell, '--all', 'a b'] },
    ]);

    assert.deepEqual(rep.fn, { 'kops-login': true, 'kops-logout': true, kops_mfa_prompt: true, kops: false });
    assert.deepEqual(leaked(stub), [], 'helper variables left in the shell');
    const shown = NOT_STATEMENTS.split('\n').slice(0, -1);
    assert.deepEqual(rep.other, [...shown, ...shown], 'the text of both, as kops-mfa printed it');
    assert.match(r.stderr, /simulated failure/);
  });

  for (const auto of ['1', 'prompt'] as const) {
    test(`${flavour}: KOPS_MFA_AUTO_REFRESH=${auto} defines kops: kops-mfa only when the session is not this shell's or nears its end`, async (t) => {
      if (!needTool(t, shell)) return;
      const stub = makeStub(t, posix ? 'posix' : 'fish', { KOPS_MFA_AUTO_REFRESH: auto });
      const q = quoteFor(flavour);
      // The stub's session ends in a day; these move its end or change the key by hand.
      const set = (name: string, value: string) => (posix ? `export ${name}=${value}` : `set -gx ${name} ${value}`);
      const soon = posix ? '"$(( $(date +%s) + 60 ))"' : '(math (date +%s) + 60)';
      const script = [
        setup(flavour),
        varNames(flavour, 'vars-before'),
        loadLine(flavour),
        fnCheck(flavour, 'kops'),
        writeFile(flavour, '3', 'kops-rc'),
        // No session yet: kops-login first.
        status(flavour, 'kops', `kops get clusters ${q('a b')} ${q('')}`),
        'kops-mfa-test-dump after-kops',
        // The session has a day left: kops at once, no kops-mfa.
        status(flavour, 'kops-valid', 'kops version'),
        // One minute left (inside the 5-minute window), and the new code is refused: kops must not run.
        set('KOPS_MFA_EXPIRES', soon),
        writeFile(flavour, '4', 'fail'),
        status(flavour, 'kops-fail', 'kops version'),
        removeFile(flavour, 'fail'),
        // A day left again, but the exported key is not the one kops-mfa exported: not trusted.
        set('KOPS_MFA_EXPIRES', String(ENDS)),
        set('AWS_ACCESS_KEY_ID', 'SOMEONE-ELSES'),
        status(flavour, 'kops-key', 'kops version'),
        // A window of 0 minutes and a minute left: kops at once.
        set('KOPS_MFA_MIN_REMAINING', '0'),
        set('KOPS_MFA_EXPIRES', soon),
        status(flavour, 'kops-window', 'kops version'),
        varNames(flavour, 'vars-after'),
      ].join('\n');
      const r = await runShell(flavour, script, stub.env);
      assert.equal(r.code, 0, r.stderr);
      const rep = parseReport(r.stdout);
      assert.equal(rep.fn.kops, true);
      assert.deepEqual(rep.rc, { kops: 3, 'kops-valid': 3, 'kops-fail': 4, 'kops-key': 3, 'kops-window': 3 }, "kops's own status, or kops-login's when it fails");
      assert.deepEqual(rep.snaps['after-kops'], snapshot(Object.fromEntries(SESSION)));
      assert.deepEqual(rep.other, Array(4).fill('kops output'));
      const login = { cmd: 'kops-mfa', args: ['env', '--shell', shell, '--quiet'] };
      assert.deepEqual(stub.calls(), [
        login,
        { cmd: 'kops', args: ['get', 'clusters', 'a b', ''], seenKey: 'ASIANEW' },
        { cmd: 'kops', args: ['version'], seenKey: 'ASIANEW' },
        login,
        login,
        { cmd: 'kops', args: ['version'], seenKey: 'ASIANEW' },
        { cmd: 'kops', args: ['version'], seenKey: 'ASIANEW' },
      ]);
      // The prompt hook registers itself where each shell looks for it.
      const hookPlace = auto === 'prompt' ? (shell === 'bash' ? ['PROMPT_COMMAND'] : shell === 'zsh' ? ['precmd_functions'] : []) : [];
      assert.deepEqual(leaked(stub).filter((n) => !hookPlace.includes(n)), [], 'helper variables left in the shell');
    });
  }

  test(`${flavour}: kops_mfa_prompt formats the time left of this shell's session only`, async (t) => {
    if (!needTool(t, shell)) return;
    const stub = makeStub(t, posix ? 'posix' : 'fish');
    // Hand-set variables: the format alone (the real expiry is in snippets-expiry.test.ts).
    const cases: [string, Record<string, string>, RegExp][] = [
      ['none', {}, /^$/],
      ['m42', { KOPS_MFA_SESSION: 'kops', KOPS_MFA_KEY_ID: 'K', AWS_ACCESS_KEY_ID: 'K', KOPS_MFA_EXPIRES: '+2550' }, /^42m$/],
      ['h1m05', { KOPS_MFA_SESSION: 'kops', KOPS_MFA_KEY_ID: 'K', AWS_ACCESS_KEY_ID: 'K', KOPS_MFA_EXPIRES: '+3930' }, /^1h05m$/],
      ['h12', { KOPS_MFA_SESSION: 'kops', KOPS_MFA_KEY_ID: 'K', AWS_ACCESS_KEY_ID: 'K', KOPS_MFA_EXPIRES: '+43230' }, /^12h00m$/],
      ['expired', { KOPS_MFA_SESSION: 'kops', KOPS_MFA_KEY_ID: 'K', AWS_ACCESS_KEY_ID: 'K', KOPS_MFA_EXPIRES: '-5' }, /^expired$/],
      ['other-key', { KOPS_MFA_SESSION: 'kops', KOPS_MFA_KEY_ID: 'K', AWS_ACCESS_KEY_ID: 'L', KOPS_MFA_EXPIRES: '+2550' }, /^$/],
      ['no-marker', { KOPS_MFA_KEY_ID: 'K', AWS_ACCESS_KEY_ID: 'K', KOPS_MFA_EXPIRES: '+2550' }, /^$/],
      ['bad-expiry', { KOPS_MFA_SESSION: 'kops', KOPS_MFA_KEY_ID: 'K', AWS_ACCESS_KEY_ID: 'K', KOPS_MFA_EXPIRES: '12e3' }, /^$/],
      ['injection', { KOPS_MFA_SESSION: 'kops', KOPS_MFA_KEY_ID: 'K', AWS_ACCESS_KEY_ID: 'K', KOPS_MFA_EXPIRES: 'x[$(touch $T/evaluated)]' }, /^$/],
    ];
    const now = Math.floor(Date.now() / 1000);
    const lines = [loadLine(flavour)];
    for (const [label, vars] of cases) {
      for (const [n, v] of Object.entries(vars)) {
        const value = /^[+-]\d+$/.test(v) ? String(now + Number(v)) : v;
        lines.push(posix ? `export ${n}=${posixQuote(value)}` : `set -gx ${n} ${fishQuote(value)}`);
      }
      lines.push(posix ? `printf 'P %s [%s]\\n' ${label} "$(kops_mfa_prompt)"` : `printf 'P %s [%s]\\n' ${label} (kops_mfa_prompt)`);
      for (const n of Object.keys(vars)) lines.push(posix ? `unset ${n}` : `set -e ${n}`);
    }
    const r = await runShell(flavour, lines.join('\n'), stub.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const got = new Map([...r.stdout.matchAll(/^P (\S+) \[(.*)\]$/gm)].map((m) => [m[1], m[2]]));
    for (const [label, , want] of cases) {
      // A test that started a second before a minute boundary may see one minute less.
      assert.match(got.get(label) ?? '<missing>', label === 'm42' ? /^4[12]m$/ : label === 'h1m05' ? /^1h0[45]m$/ : label === 'h12' ? /^1[12]h[05][09]m$/ : want, label);
    }
    assert.equal(existsSync(join(stub.dir, '..', 'evaluated')), false);
    assert.deepEqual(stub.calls(), [], 'the prompt function starts no kops-mfa');
  });
}

// Under the shell's own exit-on-error mode a bare failing kops-login ends the script with its status.
for (const [sh, mode, prefix, runner] of [
  ['bash', 'set -e', [], 'bash-strict'],
  ['zsh', 'err_exit', ['setopt err_exit'], 'zsh'],
] as const) {
  test(`${sh}: under ${mode} a bare failing kops-login ends the script with its status (documented)`, async (t) => {
    if (!needTool(t, sh)) return;
    const stub = makeStub(t, 'posix');
    writeFileSync(join(stub.dir, 'fail'), '6\n');
    const script = [...prefix, setup(sh), loadLine(sh), 'kops-login', 'echo survived'].join('\n');
    const r = await runShell(runner, script, stub.env);
    assert.equal(r.code, 6);
    assert.equal(r.stdout, '');
  });
}

test('zsh: registers completion only when compdef exists', async (t) => {
  if (!needTool(t, 'zsh')) return;
  const stub = makeStub(t, 'posix');
  const script = [
    'setopt nounset ksh_arrays sh_word_split',
    'compdef() { print -r -- "compdef $*"; }',
    loadLine('zsh'),
    'unfunction compdef',
    loadLine('zsh'),
  ].join('\n');
  const r = await runShell('zsh', script, stub.env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'compdef _kops_mfa_complete kops-login kops-logout\ncompdef _kops_mfa_complete_cli kops-mfa\n');
  assert.equal(r.stderr, '');
});

// ---------------------------------------------------------------------------
// kops-mfa init

test('initText returns exactly the shipped file for each shell', () => {
  for (const [shell, file] of [
    ['bash', FILES.bash],
    ['zsh', FILES.zsh],
    ['fish', FILES.fish],
    ['powershell', FILES.powershell],
    ['pwsh', FILES.powershell],
  ] as const) {
    const want = withPaths(read(file), file, process.execPath, join(ROOT, 'bin', 'kops-mfa.cjs'));
    assert.equal(initText(shell, {}), want, shell);
    assert.equal(initText(shell, { path: false }), want, shell);
  }
});

test('init --path returns the absolute path of an existing file and a newline', () => {
  for (const shell of ['bash', 'zsh', 'fish', 'powershell', 'pwsh']) {
    const text = initText(shell, { path: true });
    assert.ok(text.endsWith('\n'));
    const path = text.slice(0, -1);
    assert.ok(isAbsolute(path), path);
    assert.ok(existsSync(path), path);
    assert.equal(path, snippetPath(shell));
  }
  assert.equal(snippetPath('bash'), FILES.bash);
  assert.equal(snippetPath('pwsh'), FILES.powershell);
});

test('init with an unknown shell is a usage error listing the choices', () => {
  for (const shell of ['tcsh', 'sh', '', 'bash ', 'constructor', '__proto__']) {
    assert.throws(
      () => initText(shell, {}),
      (e: unknown) => {
        assert.ok(e instanceof KopsMfaError, String(e));
        assert.equal(e.exitCode, ExitCode.usage);
        assert.match(e.message, /bash, zsh, fish, powershell/);
        return true;
      },
      JSON.stringify(shell),
    );
  }
  assert.throws(() => snippetPath('csh'), KopsMfaError);
});

test('the built CLI, installed elsewhere, prints the snippets it ships (the __dirname path of dist/main.cjs)', async (t) => {
  // A copy laid out as npm installs the package, away from the work tree.
  const prefix = tempDir(t);
  const pkg = join(prefix, 'lib', 'node_modules', 'kops-mfa');
  for (const entry of ['package.json', 'bin', 'dist', 'shells']) cpSync(join(ROOT, entry), join(pkg, entry), { recursive: true });
  const bin = join(pkg, 'bin', 'kops-mfa.cjs');
  const path = await run(process.execPath, [bin, 'init', 'zsh', '--path']);
  assert.equal(path.code, 0, path.stderr);
  assert.equal(path.stdout, `${join(pkg, 'shells', 'kops-mfa.zsh')}\n`);
  const text = await run(process.execPath, [bin, 'init', 'fish']);
  // The file, with the node and the script that ran init written in.
  assert.equal(text.stdout, withPaths(read(FILES.fish), FILES.fish, process.execPath, bin));
  assert.match(text.stdout, new RegExp(`set -l kops_mfa_script '${bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`));
});

test('init writes the absolute node and script into every snippet; the file itself finds kops-mfa on PATH', () => {
  const node = "/opt/node v22/bin/node'x";
  const script = '/home/a b/lib/kops-mfa/bin/kops-mfa.cjs';
  for (const [shell, file] of Object.entries(FILES)) {
    const text = read(file);
    const filled = withPaths(text, file, node, script);
    assert.notEqual(filled, text, `${shell}: the marked lines were found`);
    assert.doesNotMatch(filled, /# kops-mfa init$/m, `${shell}: every marked line was filled`);
  }
  // A path no quoting can carry: the text as it is (PATH).
  assert.equal(withPaths(read(FILES.bash), FILES.bash, '/a\nb', script), read(FILES.bash));
});
