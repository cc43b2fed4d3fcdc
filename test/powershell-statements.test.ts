// PowerShell's statements, evaluated by a real PowerShell engine: every value
// must come back byte for byte, both in $env: and in the environment of a
// child process, through the README's one-liner
//   kops-mfa env --shell powershell | Out-String | Invoke-Expression
// and through the snippet's kops-login. The values come from the renderer
// (a kops-mfa on PATH that prints them as the real one would, header first),
// and, for the PowerShell traps, from the real kops-mfa and the STS test
// server handing out hostile session tokens. (The tree-sitter parse in
// render.test.ts stays as a second, independent check.)
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { EnvOp } from '../src/shell/env-ops.ts';
import { render } from '../src/shell/render/index.ts';
import { world } from './support/world.ts';
import { kopsMfaShim, posixQuote, ROOT, tempDir } from './support/helpers.ts';
import {
  kopsMfaOnPath,
  needPowerShell,
  powerShellHow,
  psQuote,
  report,
  reports,
  runPs,
} from './powershell/pwsh.ts';
import { HOSTILE, RANDOM_COUNT, randomValues, SEED } from './powershell/values.ts';

const hasCR = (v: string) => v.includes('\r');

/**
 * A folder for PATH whose `kops-mfa` prints `file` for env and logout (as
 * kops-mfa prints statements: header first), and is the real one otherwise.
 */
function statementsOnPath(t: TestContext, file: string): string {
  const bin = tempDir(t, 'kops-mfa-bin-');
  kopsMfaShim(bin, `case "$1" in env|logout) exec cat ${posixQuote(file)} ;; esac\n`);
  return bin;
}

/** How the statements get into the engine. */
const README_LINE = 'kops-mfa env --shell powershell | Out-String | Invoke-Expression';
// The snippet file: it runs the kops-mfa on PATH, the shim that prints the statements under test.
const LOAD_FILE = `Get-Content -Raw ${psQuote(join(ROOT, 'shells', 'kops-mfa.ps1'))} | Out-String | Invoke-Expression`;
const SNIPPET_LOGIN = `${LOAD_FILE}; kops-login`;

interface Case {
  name: string;
  /** Code run before the load (strict mode, a console encoding…). */
  before?: string;
  load: string;
}

interface Outcome {
  /** index -> what came back, in $env: and in a child's environment. */
  shell: (string | undefined)[];
  child: (string | undefined)[];
  profile: string | undefined;
  files: string[];
  extra: Map<string, string | undefined>;
}

/** Evaluate the statements for `values` in one engine start; read every value back. */
async function evaluate(t: TestContext, exe: string, c: Case, values: readonly string[], after = ''): Promise<Outcome> {
  const dir = tempDir(t, 'kops-mfa-ps-rt-');
  const ops: EnvOp[] = [
    ...values.map((value, i): EnvOp => ({ op: 'set', name: `KM_V${i}`, value })),
    { op: 'unset', name: 'AWS_PROFILE' },
  ];
  const file = join(dir, 'statements.ps1');
  writeFileSync(file, render('powershell', ops));
  const bin = statementsOnPath(t, file);
  const work = join(dir, 'work');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(work);
  // The child prints base64 of each value it got, so nothing on the way back decodes text.
  const child =
    `& node -e "for (let i = 0; i < ${values.length}; i++) { const v = process.env['KM_V' + i]; ` +
    `console.log('C ' + i + ' ' + (v === undefined ? '-unset-' : Buffer.from(v).toString('base64'))) }"`;
  const script = [
    c.before ?? '',
    c.load,
    ...values.map((_, i) => report(`S${i}`, `$env:KM_V${i}`)),
    report('PROFILE', '$env:AWS_PROFILE'),
    child,
    after,
  ].join('\n');
  const res = await runPs(t, exe, script, {
    cwd: work,
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir, LANG: 'C.UTF-8', AWS_PROFILE: 'before-login' },
  });
  assert.equal(res.stderr, '', `${c.name}: stderr`);
  assert.equal(res.code, 0, `${c.name}: exit status`);
  const r = reports(res.stdout);
  const childView = new Map<number, string | undefined>();
  for (const line of res.stdout.toString('latin1').split('\n')) {
    const m = /^C (\d+) (\S*)$/.exec(line);
    if (m) childView.set(Number(m[1]), m[2] === '-unset-' ? undefined : Buffer.from(m[2]!, 'base64').toString('utf8'));
  }
  return {
    shell: values.map((_, i) => r.get(`S${i}`)),
    child: values.map((_, i) => childView.get(i)),
    profile: r.get('PROFILE'),
    files: readdirSync(work),
    extra: r,
  };
}

const show = (v: string | undefined) => (v === undefined ? 'unset' : JSON.stringify(v));

/** Which values did not come back exactly, in $env: or in a child. */
function wrongValues(values: readonly string[], o: Outcome): string[] {
  const wrong: string[] = [];
  values.forEach((v, i) => {
    if (o.shell[i] !== v) wrong.push(`#${i} ${JSON.stringify(v)}: $env: has ${show(o.shell[i])}`);
    else if (o.child[i] !== v) wrong.push(`#${i} ${JSON.stringify(v)}: a child got ${show(o.child[i])}`);
  });
  return wrong;
}

function assertExact(c: Case, values: readonly string[], o: Outcome) {
  assert.deepEqual(o.files, [], `${c.name}: a value ran a command (files appeared)`);
  assert.equal(o.profile, undefined, `${c.name}: AWS_PROFILE still set`);
  assert.deepEqual(wrongValues(values, o), [], `${c.name}: values changed on the way`);
}

const CASES: Case[] = [
  { name: 'README one-liner', load: README_LINE },
  { name: 'snippet kops-login', load: SNIPPET_LOGIN },
  {
    name: "snippet kops-login under StrictMode Latest, EAP Stop, native errors on",
    before: "Set-StrictMode -Version Latest; $ErrorActionPreference = 'Stop'; $PSNativeCommandUseErrorActionPreference = $true",
    load: SNIPPET_LOGIN,
  },
  {
    // What Windows consoles default to: an OEM code page. The snippet decodes kops-mfa as UTF-8 anyway.
    name: 'snippet kops-login with [Console]::OutputEncoding = OEM 437',
    before: '[Console]::OutputEncoding = [Text.Encoding]::GetEncoding(437)',
    load: SNIPPET_LOGIN,
  },
];

const random = randomValues();

describe(`PowerShell round trips in a real engine (${HOSTILE.length} hostile + ${RANDOM_COUNT} random values, seed ${SEED})`, () => {
  // One start, for the version and how long a start takes here (no loop:
  // each engine start costs about half a second of CPU, and the suite pays it).
  test('the engine', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    const t0 = performance.now();
    const r = await runPs(t, exe, "'V ' + $PSVersionTable.PSVersion.ToString() + ' ' + [Console]::OutputEncoding.WebName", {
      env: { PATH: process.env.PATH, HOME: tempDir(t), LANG: 'C.UTF-8' },
    });
    const start = performance.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    const version = r.stdout.toString().trim();
    assert.match(version, /^V 7\.\d+\.\d+/);
    t.diagnostic(`${powerShellHow()}: ${version}; start to exit ${start.toFixed(0)} ms`);
  });

  for (const c of CASES) {
    test(`hostile and random values, CR included: ${c.name}`, async (t) => {
      const exe = needPowerShell(t);
      if (!exe) return;
      const values = [...HOSTILE, ...random];
      assert.ok(values.some(hasCR), 'the table has values with CR');
      const o = await evaluate(t, exe, c, values, report('ENC', '[Console]::OutputEncoding.CodePage'));
      assertExact(c, values, o);
      if (c.before?.includes('437')) assert.equal(o.extra.get('ENC'), '437', 'the snippet gives the console encoding back');
      t.diagnostic(`${values.length} values exact`);
    });
  }

  // The statements are ASCII only (src/render/powershell.ts), so the README
  // one-liner reads them the same under any console encoding: Windows'
  // OEM default (437), and Windows-1252, where the UTF-8 bytes of a
  // non-ASCII value would decode to smart quotes that end a literal early.
  for (const codePage of [437, 1252]) {
    test(`README one-liner with [Console]::OutputEncoding = ${codePage}: exact, and nothing runs`, async (t) => {
      const exe = needPowerShell(t);
      if (!exe) return;
      const values = ['Grüße', '\u2019', 'ё; New-Item PWNED; #', '\u0412\u2019; New-Item PWNED2; #', 'a\rb', 'plain'];
      const c = {
        name: `one-liner, ${codePage}`,
        before: `[Console]::OutputEncoding = [Text.Encoding]::GetEncoding(${codePage})`,
        load: README_LINE,
      };
      const o = await evaluate(t, exe, c, values);
      assertExact(c, values, o);
    });
  }
});

// The same through the real kops-mfa: the STS test server hands out the
// PowerShell traps as session tokens and secret keys, two per login.
describe('PowerShell round trips through the real kops-mfa and the STS test server', () => {
  const traps = [
    "'", '\u2018', '\u2019', '\u201A', '\u201B', "\u2019; New-Item PWNED #", '$', '$(New-Item PWNED)', '`', '`n',
    'a\nb', 'héllo wörld', '🔑', '"@', '#>', HOSTILE.at(-1)!,
  ];
  for (const load of ['readme', 'snippet'] as const) {
    test(`${traps.length} values, ${load === 'readme' ? 'README one-liner' : 'snippet kops-login'}`, async (t) => {
      const exe = needPowerShell(t);
      if (!exe) return;
      const queue = [...traps];
      const w = await world(t, {
        issue: () => ({ sessionToken: queue.shift() ?? 'x', secretAccessKey: queue.shift() ?? 'y' }),
      });
      const bin = kopsMfaOnPath(t);
      const logins = Math.ceil(traps.length / 2);
      const codes = Array.from({ length: logins }, () => w.code());
      const loginLine = (code: string) =>
        load === 'readme'
          ? `kops-mfa env --shell powershell --no-cache --quiet --token-code ${code} | Out-String | Invoke-Expression`
          : `kops-login --no-cache --quiet --token-code ${code}`;
      const script = [
        "$ErrorActionPreference = 'Stop'",
        load === 'snippet' ? LOAD_FILE : '',
        ...codes.flatMap((code, i) => [
          loginLine(code),
          report(`T${i}`, '$env:AWS_SESSION_TOKEN'),
          report(`K${i}`, '$env:AWS_SECRET_ACCESS_KEY'),
          report(`P${i}`, '$env:AWS_PROFILE'),
          // The next login must sign with the long-term keys again.
          `$env:AWS_PROFILE = 'kops'`,
        ]),
      ].join('\n');
      const work = tempDir(t);
      const res = await runPs(t, exe, script, { cwd: work, env: { ...w.env, PATH: `${bin}:${w.env.PATH}` } });
      assert.equal(res.code, 0, `${res.stderr}${res.stdout}`);
      const r = reports(res.stdout);
      const got: (string | undefined)[] = [];
      for (let i = 0; i < logins; i++) got.push(r.get(`T${i}`), r.get(`K${i}`));
      assert.deepEqual(got.slice(0, traps.length), traps);
      for (let i = 0; i < logins; i++) assert.equal(r.get(`P${i}`), undefined, `login ${i}: AWS_PROFILE unset`);
      assert.deepEqual(readdirSync(work), [], 'a value ran a command');
      assert.equal(w.server.issued.length, logins);
    });
  }
});

// Quoting sanity of the helper itself, so a bug there cannot hide one in the product.
test('psQuote doubles all five single quotes', () => {
  assert.equal(psQuote("a'\u2018\u2019\u201A\u201Bb"), "'a''\u2018\u2018\u2019\u2019\u201A\u201A\u201B\u201Bb'");
});
