// shells/kops-mfa.ps1 in a real PowerShell engine, without a terminal: what
// it evaluates (only statements under the header), what a failure leaves
// ($? false, $LASTEXITCODE, nothing changed), completion through
// TabExpansion2, the kops wrapper's cost (kops-mfa starts counted by a shim),
// kops_mfa_prompt and the prompt hook. Each test starts the engine once.
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { DEFAULT_CREDENTIALS, mfaProfile, nthSessionEndsIn, world } from './support/world.ts';
import { BIN, posixQuote, runCli, tempDir } from './support/helpers.ts';
import { withPaths } from '../src/cli/commands/init.ts';
import { HEADER, needPowerShell, psQuote, report, reports, runPs, SNIPPET } from './powershell/pwsh.ts';
import { gate, serverRequests, untilPast } from './support/waits.ts';

// The snippet file itself: it runs the kops-mfa on PATH, the shim that stands in for it
// (what `kops-mfa init` prints runs the node and script that printed it instead).
const LOAD = `Get-Content -Raw ${psQuote(SNIPPET)} | Out-String | Invoke-Expression`;
const STRICT = "Set-StrictMode -Version Latest; $ErrorActionPreference = 'Stop'; $PSNativeCommandUseErrorActionPreference = $true";

/** A PATH folder with `kops-mfa` = a sh script body (the real CLI is $KM_REAL). */
function shim(t: TestContext, body: string): { bin: string; log: string } {
  const bin = tempDir(t, 'kops-mfa-shim-');
  const log = join(bin, 'starts.log');
  writeFileSync(log, '');
  writeFileSync(
    join(bin, 'kops-mfa'),
    `#!/bin/sh\nKM_REAL="${process.execPath} ${BIN}"\nprintf '%s\\n' "$*" >> ${posixQuote(log)}\n${body}\n`,
    { mode: 0o755 },
  );
  return { bin, log };
}
const REAL = 'exec $KM_REAL "$@"';
const starts = (log: string) => readFileSync(log, 'utf8').split('\n').filter(Boolean);

/** Run `script` after loading the snippet the README way; `R` reports come back. */
async function ps(t: TestContext, exe: string, script: string, env: NodeJS.ProcessEnv, cwd?: string) {
  const res = await runPs(t, exe, `${script}`, { env, ...(cwd ? { cwd } : {}) });
  return { ...res, r: reports(res.stdout), text: res.stdout.toString('utf8') };
}

/** Runs `body` and reports $? and $LASTEXITCODE right after it, and the error id if it threw. */
function status(tag: string, body: string): string {
  return [
    `$kmErr = ''`,
    `& { trap { $script:kmErr = $_.FullyQualifiedErrorId; continue }; ${body}; $script:kmQ = $? }`,
    report(`${tag}_Q`, '[string] $kmQ'),
    report(`${tag}_RC`, '[string] $LASTEXITCODE'),
    report(`${tag}_ERR`, '$kmErr'),
  ].join('\n');
}

function baseEnv(t: TestContext, bin: string): NodeJS.ProcessEnv {
  return { PATH: `${bin}:${process.env.PATH}`, HOME: tempDir(t), LANG: 'C.UTF-8', AWS_PROFILE: 'dev' };
}

describe('PowerShell snippet: what it evaluates', () => {
  test('statements only after the header and exit 0; help and version shown, never run; $LASTEXITCODE is kops-mfa\'s', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    // The shim answers by its first argument after the command: a table of cases.
    const { bin } = shim(
      t,
      [
        'case "$*" in',
        `  "env --shell powershell ok") printf '%s\\n' ${posixQuote(HEADER)} "\\$env:KM_SET = 'yes'" 'Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue'; exit 0 ;;`,
        `  "env --shell powershell noheader") printf '%s\\n' "\\$env:KM_SET = 'noheader'" 'New-Item PWNED'; exit 0 ;;`,
        `  "env --shell powershell fail") printf '%s\\n' ${posixQuote(HEADER)} "\\$env:KM_SET = 'failed'"; exit 4 ;;`,
        `  "env --shell powershell badheader") printf '%s\\n' "${HEADER} " "\\$env:KM_SET = 'badheader'"; exit 0 ;;`,
        `  "logout --shell powershell ok") printf '%s\\n' ${posixQuote(HEADER)} 'Remove-Item Env:KM_SET -ErrorAction SilentlyContinue' "\\$env:AWS_PROFILE = 'dev'"; exit 0 ;;`,
        '  *) exec $KM_REAL "$@" ;;',
        'esac',
      ].join('\n'),
    );
    const work = tempDir(t);
    const script = [
      STRICT,
      LOAD,
      status('NOHDR', "$global:kmOut = kops-login noheader | Out-String"),
      report('NOHDR_OUT', '$kmOut'),
      report('NOHDR_SET', '$env:KM_SET'),
      status('BADHDR', "$global:kmOut = kops-login badheader | Out-String"),
      report('BADHDR_SET', '$env:KM_SET'),
      status('FAIL', 'kops-login fail'),
      report('FAIL_SET', '$env:KM_SET'),
      report('FAIL_PROFILE', '$env:AWS_PROFILE'),
      status('OK', 'kops-login ok'),
      report('OK_SET', '$env:KM_SET'),
      report('OK_PROFILE', '$env:AWS_PROFILE'),
      status('OUT', 'kops-logout ok'),
      report('OUT_SET', '$env:KM_SET'),
      report('OUT_PROFILE', '$env:AWS_PROFILE'),
      // The real kops-mfa's help and version.
      ...['--help', '-h', '--version', '-v'].flatMap((f, i) => [
        status(`H${i}`, `$global:kmOut = kops-login ${f} | Out-String`),
        report(`H${i}_OUT`, '$kmOut'),
      ]),
      status('LH', '$global:kmOut = kops-logout --help | Out-String'),
      report('LH_OUT', '$kmOut'),
      report('PROFILE_END', '$env:AWS_PROFILE'),
    ].join('\n');
    const { r, stderr, code } = await ps(t, exe, script, baseEnv(t, bin), work);
    assert.equal(code, 0, stderr);
    assert.deepEqual(readdirSync(work), [], 'help or unheaded output was run');
    const st = (tag: string) => [r.get(`${tag}_Q`), r.get(`${tag}_RC`), r.get(`${tag}_ERR`)];
    assert.deepEqual(st('NOHDR'), ['True', '0', ''], 'no header, exit 0: shown, success');
    assert.match(r.get('NOHDR_OUT') ?? '', /New-Item PWNED/, 'shown as text');
    assert.equal(r.get('NOHDR_SET'), undefined);
    assert.equal(r.get('BADHDR_SET'), undefined, 'a header with a trailing space is not the header');
    assert.deepEqual(st('FAIL'), ['False', '4', 'NativeCommandErrorMessage'], 'exit 4: $? false, $LASTEXITCODE 4');
    assert.equal(r.get('FAIL_SET'), undefined, 'a failed kops-mfa: nothing evaluated');
    assert.equal(r.get('FAIL_PROFILE'), 'dev');
    assert.deepEqual(st('OK'), ['True', '0', '']);
    assert.equal(r.get('OK_SET'), 'yes');
    assert.equal(r.get('OK_PROFILE'), undefined);
    assert.deepEqual(st('OUT'), ['True', '0', '']);
    assert.equal(r.get('OUT_SET'), undefined);
    assert.equal(r.get('OUT_PROFILE'), 'dev');
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(st(`H${i}`), ['True', '0', ''], `help/version #${i}`);
      assert.notEqual((r.get(`H${i}_OUT`) ?? '').trim(), '', `help/version #${i} printed`);
    }
    assert.match(r.get('H0_OUT') ?? '', /Usage|usage/);
    assert.match(r.get('H2_OUT') ?? '', /\d+\.\d+\.\d+/);
    assert.match(r.get('LH_OUT') ?? '', /logout/);
    assert.equal(r.get('PROFILE_END'), 'dev', 'help evaluated nothing');
  });

  test('sourcing the snippet, the prompt hook included, loads no PowerShell module (a first cmdlet of one costs a shell start its load)', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    const w = await world(t);
    const script = [
      STRICT,
      "$env:KOPS_MFA_AUTO_REFRESH = 'prompt'",
      report('BEFORE', "(@(Get-Module | ForEach-Object { $_.Name }) -join ',')"),
      `. ${psQuote(SNIPPET)}`,
      report('AFTER', "(@(Get-Module | ForEach-Object { $_.Name }) -join ',')"),
      report('HOOK', "[string](Test-Path -Path Function:global:_kops_mfa_hook)"),
    ].join('\n');
    const { r, stderr, code } = await ps(t, exe, script, w.env);
    assert.equal(code, 0, stderr);
    assert.equal(r.get('HOOK'), 'True', 'the hook branch ran');
    assert.equal(r.get('AFTER'), r.get('BEFORE'), 'no module loaded by the snippet');
  });

  test('no kops-mfa on PATH: 127, $? false; a missing profile: the real status, nothing changed', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    const w = await world(t);
    const { bin } = shim(t, REAL);
    const script = [
      STRICT,
      LOAD,
      `$env:KM_KEEP = 'kept'`,
      status('BAD', 'kops-login --profile no-such-profile'),
      report('BAD_PROFILE', '$env:AWS_PROFILE'),
      `$env:PATH = ${psQuote(process.env.PATH ?? '')}`,
      status('NF', 'kops-login'),
      report('KEEP', '$env:KM_KEEP'),
    ].join('\n');
    const { r, stderr, code } = await ps(t, exe, script, { ...w.env, PATH: `${bin}:${w.env.PATH}` });
    assert.equal(code, 0, stderr);
    assert.equal(r.get('BAD_Q'), 'False');
    assert.equal(r.get('BAD_RC'), '3', 'configuration error: 3');
    assert.equal(r.get('BAD_ERR'), 'NativeCommandErrorMessage');
    assert.equal(r.get('BAD_PROFILE'), 'kops');
    assert.deepEqual([r.get('NF_Q'), r.get('NF_RC'), r.get('NF_ERR')], ['False', '127', 'NativeCommandErrorMessage']);
    assert.doesNotMatch(stderr, /command not found/);
    assert.equal(r.get('KEEP'), 'kept');
  });
});

describe('PowerShell snippet: completion through TabExpansion2', () => {
  const NAMES = ['plain', 'sp ace', "o'brien", '$(New-Item PWNED)', '\u2019smart\u2018', 'a;b', '-dash', 'x,y'];

  test('candidates from `kops-mfa complete` are inserted as one literal word each', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    // The shim is kops-mfa complete: it prints NAMES after --profile, options otherwise.
    const { bin, log } = shim(
      t,
      [
        'if [ "$1" = complete ]; then',
        '  if [ "$3" = --profile ]; then',
        ...NAMES.map((n) => `    case ${posixQuote(n)} in "$4"*) printf '%s\\n' ${posixQuote(n)} ;; esac`),
        '  else',
        `    for o in --profile --quiet --refresh; do case "$o" in "$4"*) printf '%s\\n' "$o" ;; esac; done`,
        '  fi',
        '  exit 0',
        'fi',
        REAL,
      ].join('\n'),
    );
    const work = tempDir(t);
    const lines: [string, string][] = [
      ['ALL', 'kops-login --profile '],
      ['PRE', 'kops-login --profile sp'],
      ['QUOTED', "kops-logout --profile 'o"],
      ['OPT', 'kops-login --pro'],
      ['OPT2', 'kops-logout --quiet --re'],
    ];
    const script = [
      STRICT,
      LOAD,
      'function global:km_args { $args.Count; foreach ($a in $args) { [string] $a } }',
      ...lines.flatMap(([tag, line]) => [
        `$kmR = TabExpansion2 -inputScript ${psQuote(line)} -cursorColumn ${line.length}`,
        `$kmM = @($kmR.CompletionMatches)`,
        report(`${tag}_N`, '[string] $kmM.Count'),
        `$kmI = 0`,
        `foreach ($kmC in $kmM) {`,
        `  $kmV = $kmC.CompletionText; 'R ${tag}_T' + $kmI + ' ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($kmV))`,
        // Insert it in place of the word being completed, and see what a command gets.
        `  $kmLine = ${psQuote(line)}.Substring(0, $kmR.ReplacementIndex) + $kmC.CompletionText`,
        `  $kmGot = @(Invoke-Expression ('km_args' + $kmLine.Substring($kmLine.IndexOf(' '))))`,
        `  'R ${tag}_A' + $kmI + ' ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes(($kmGot | Select-Object -Skip 1) -join [char]0))`,
        `  'R ${tag}_C' + $kmI + ' ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string] $kmGot[0]))`,
        `  $kmI++`,
        `}`,
      ]),
    ].join('\n');
    const { r, stderr, code } = await ps(t, exe, script, baseEnv(t, bin), work);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.deepEqual(readdirSync(work), [], 'a completed name ran a command');
    const got = (tag: string) => {
      const n = Number(r.get(`${tag}_N`));
      return Array.from({ length: n }, (_, i) => ({
        text: r.get(`${tag}_T${i}`),
        args: r.get(`${tag}_A${i}`)?.split('\0'),
        count: r.get(`${tag}_C${i}`),
      }));
    };
    const all = got('ALL');
    assert.deepEqual(all.map((c) => c.args?.at(-1)), NAMES, 'each name arrives as itself');
    for (const c of all) assert.equal(c.count, '2', `${c.text}: one word after --profile`);
    assert.equal(all[0]?.text, 'plain', 'a plain name is not quoted');
    assert.equal(all[1]?.text, "'sp ace'");
    assert.deepEqual(got('PRE').map((c) => c.args?.at(-1)), ['sp ace']);
    assert.deepEqual(got('QUOTED').map((c) => c.args?.at(-1)), ["o'brien"], starts(log).join('\n'));
    assert.deepEqual(got('OPT').map((c) => c.text), ['--profile']);
    assert.deepEqual(got('OPT2').map((c) => c.text), ['--refresh']);
    // What kops-mfa was asked: <login|logout> <previous word> <current word>.
    const asked = starts(log).filter((l) => l.startsWith('complete'));
    assert.deepEqual(asked, [
      'complete login --profile ',
      'complete login --profile sp',
      "complete logout --profile o",
      'complete login kops-login --pro',
      'complete logout --quiet --re',
    ]);
  });

  test('profile names from the AWS files, through the real `kops-mfa complete`', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    const w = await world(t);
    const names = ['kops', 'sp ace', "o'brien", '$(touch PWNED)'];
    w.writeAws(names.map((n) => `[profile ${n}]\nregion = eu-west-1\n`).join('\n'), DEFAULT_CREDENTIALS);
    const { bin } = shim(t, REAL);
    const work = tempDir(t);
    const line = 'kops-login --profile ';
    const script = [
      STRICT,
      LOAD,
      'function global:km_args { foreach ($a in $args) { [string] $a } }',
      `$kmM = @((TabExpansion2 -inputScript ${psQuote(line)} -cursorColumn ${line.length}).CompletionMatches)`,
      `$kmI = 0`,
      `foreach ($kmC in $kmM) { $kmGot = @(Invoke-Expression ('km_args ' + $kmC.CompletionText)); ${report('N$kmI', '$kmGot -join [char]0').replace("'R N$kmI '", "('R N' + $kmI + ' ')")}; $kmI++ }`,
    ].join('\n');
    const { r, stderr, code } = await ps(t, exe, script, { ...w.env, PATH: `${bin}:${w.env.PATH}` }, work);
    assert.equal(code, 0, stderr);
    const got = [...r.entries()].filter(([k]) => k.startsWith('N')).map(([, v]) => v);
    // The one parser decides which names exist (kops-mfa complete, run here without PowerShell);
    // PowerShell must hand each of them to a command as itself.
    const direct = await runCli(['complete', 'login', '--profile', ''], { env: w.env });
    assert.equal(direct.code, 0, direct.stderr);
    const want = direct.stdout.split('\n').filter(Boolean);
    assert.ok(want.includes('kops') && want.includes('alice'), `kops-mfa complete printed ${JSON.stringify(want)}`);
    assert.deepEqual(got.sort(), want.sort(), 'every profile kops-mfa offers, each as itself');
    t.diagnostic(`profiles offered: ${JSON.stringify(want)}`);
    assert.deepEqual(readdirSync(work), []);
  });
});

/**
 * A world whose `nth` session ends `ms` after it is issued, a `kops` on PATH
 * that prints the key it was given, a kops-mfa shim that counts starts, and
 * `codes` MFA codes for mfa_process to hand out.
 */
async function kopsWorld(t: TestContext, ends: { nth: number; ms: number }, codes: number, onCall?: () => void) {
  const w = await world(t, { issue: nthSessionEndsIn(ends.nth, ends.ms), ...(onCall ? { onCall } : {}) });
  const { bin, log } = shim(t, REAL);
  writeFileSync(join(bin, 'kops'), `#!/bin/sh\nprintf 'KOPS %s %s\\n' "$AWS_ACCESS_KEY_ID" "$*"\n`, { mode: 0o755 });
  // mfa_process: the next of the codes the test put in the file.
  const codeFile = join(bin, 'codes');
  writeFileSync(codeFile, '');
  writeFileSync(join(bin, 'next-code'), `#!/bin/sh\nhead -n 1 ${posixQuote(codeFile)}\nsed -i 1d ${posixQuote(codeFile)}\n`, { mode: 0o755 });
  w.writeAws(
    mfaProfile('kops', { region: 'eu-west-1', mfa_process: join(bin, 'next-code') }),
  );
  for (let i = 0; i < codes; i++) appendFileSync(codeFile, `${w.code()}\n`);
  return { w, bin, log, env: { ...w.env, PATH: `${bin}:${w.env.PATH}` } };
}

describe('PowerShell snippet: the kops wrapper, kops_mfa_prompt, the prompt hook', () => {
  test('40 kops calls with a valid session start kops-mfa 0 times; near the end, the first call refreshes', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    // The first session ends in 4 minutes (inside the 5-minute window), later ones in an hour.
    const { w, ...k } = await kopsWorld(t, { nth: 1, ms: 240_000 }, 3);
    const script = [
      STRICT,
      '$env:KOPS_MFA_AUTO_REFRESH = 1',
      LOAD,
      'kops-login --quiet',
      report('LEFT0', 'kops_mfa_prompt'),
      "'MARK-NEAR'",
      "[Console]::Out.Flush()",
      '$kmOut1 = kops get clusters',
      report('OUT1', '$kmOut1'),
      report('KEY1', '$env:AWS_ACCESS_KEY_ID'),
      report('LEFT1', 'kops_mfa_prompt'),
      "'MARK-VALID'",
      '$kmOut = @(1..40 | ForEach-Object { kops get clusters $_ })',
      report('N', '[string] $kmOut.Count'),
      report('LAST', '$kmOut[-1]'),
      // Cost: the wrapper against the real kops called directly, 100 times each.
      '$kmKops = (Get-Command kops -CommandType Application)[0]',
      '$kmDirect = (Measure-Command { for ($i = 0; $i -lt 100; $i++) { $null = & $kmKops x } }).TotalMilliseconds',
      '$kmWrapped = (Measure-Command { for ($i = 0; $i -lt 100; $i++) { $null = kops x } }).TotalMilliseconds',
      report('DIRECT', '[string] $kmDirect'),
      report('WRAPPED', '[string] $kmWrapped'),
      '$kmPrompt = (Measure-Command { for ($i = 0; $i -lt 2000; $i++) { $null = kops_mfa_prompt } }).TotalMilliseconds',
      report('PROMPT', '[string] $kmPrompt'),
    ].join('\n');
    // The starts are counted per phase: the script prints markers; the log has one line per start.
    const { r, stderr, code } = await ps(t, exe, script, k.env);
    assert.equal(code, 0, stderr);
    const log = starts(k.log);
    assert.deepEqual(log.slice(0, 1).map((l) => l.split(' ')[0]), ['env'], 'the login');
    assert.equal(w.server.issued.length, 2, 'the login, then one refresh');
    assert.match(r.get('LEFT0') ?? '', /^[34]m$/, 'the first session: 4 minutes');
    assert.equal(r.get('OUT1'), `KOPS ${w.server.issued[1]!.accessKeyId} get clusters`, 'kops ran with the new session');
    assert.equal(r.get('KEY1'), w.server.issued[1]!.accessKeyId);
    assert.match(r.get('LEFT1') ?? '', /^(59m|1h00m)$/);
    assert.equal(log.length, 2, `kops-mfa starts: login, one refresh; then none:\n${log.join('\n')}`);
    assert.equal(r.get('N'), '40');
    assert.equal(r.get('LAST'), `KOPS ${w.server.issued[1]!.accessKeyId} get clusters 40`);
    const direct = Number(r.get('DIRECT')) / 100;
    const wrapped = Number(r.get('WRAPPED')) / 100;
    const prompt = Number(r.get('PROMPT')) / 2000;
    t.diagnostic(
      `per call: kops direct ${direct.toFixed(2)} ms, through the wrapper ${wrapped.toFixed(2)} ms ` +
        `(overhead ${(wrapped - direct).toFixed(2)} ms); kops_mfa_prompt ${prompt.toFixed(3)} ms`,
    );
  });

  test('kops_mfa_prompt: nothing before a login, hours and minutes, expired after a real expiry, nothing for foreign keys', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    // The second login's session ends 3 s after it is issued.
    const requests = serverRequests();
    const { w, ...k } = await kopsWorld(t, { nth: 2, ms: 3000 }, 2, requests.onCall);
    // After the short login the script waits on a FIFO, which the test opens once that session has really ended.
    const fifo = join(tempDir(t), 'go');
    const go = gate(t, fifo);
    const script = [
      STRICT,
      LOAD,
      report('BEFORE', 'kops_mfa_prompt'),
      'kops-login --quiet --duration-seconds 7200',
      report('LONG', 'kops_mfa_prompt'),
      'kops-login --quiet --refresh',
      report('SHORT', 'kops_mfa_prompt'),
      `$null = [IO.File]::ReadAllText(${psQuote(fifo)})`,
      report('EXPIRED', 'kops_mfa_prompt'),
      "$env:AWS_ACCESS_KEY_ID = 'AKIAOTHERKEY00000000'",
      report('FOREIGN', 'kops_mfa_prompt'),
    ].join('\n');
    const running = ps(t, exe, script, k.env);
    // The short session the server issued (or the script's end, if it never came to it).
    const short = await Promise.race([requests.until(() => w.server.issued.length >= 2).then(() => w.server.issued[1]), running.then(() => undefined)]);
    if (short) {
      await untilPast(short.expiration);
      await go.open(running);
    }
    const { r, stderr, code } = await running;
    assert.equal(code, 0, stderr);
    assert.equal(r.get('BEFORE'), undefined);
    assert.match(r.get('LONG') ?? '', /^(1h59m|2h00m)$/);
    assert.equal(r.get('SHORT'), '0m');
    assert.equal(r.get('EXPIRED'), 'expired');
    assert.equal(r.get('FOREIGN'), undefined);
  });

  test('the prompt hook renews from the cache without a code, says "needs code" otherwise, keeps $? and $LASTEXITCODE', async (t) => {
    const exe = needPowerShell(t);
    if (!exe) return;
    const w = await world(t, { issue: nthSessionEndsIn(1, 240_000) });
    const { bin, log } = shim(t, REAL);
    const env = { ...w.env, PATH: `${bin}:${w.env.PATH}`, KOPS_MFA_AUTO_REFRESH: 'prompt' };
    const work = tempDir(t);
    const go = join(work, 'go');
    const script = [
      STRICT,
      'function global:prompt { "USER-PROMPT Q=$? RC=$LASTEXITCODE> " }',
      LOAD,
      `kops-login --quiet --token-code ${w.code()}`,
      report('KEY0', '$env:AWS_ACCESS_KEY_ID'),
      // No newer session anywhere: the hook must not ask, and says so.
      "$PSNativeCommandUseErrorActionPreference = $false; & sh -c 'exit 7'",
      report('P1', 'prompt'),
      // The renewal runs in the background: wait for it to end, then the next prompt takes its result.
      'while ($null -ne $global:_kops_mfa_job -and -not $global:_kops_mfa_job.HasExited) { Start-Sleep -Milliseconds 20 }',
      '$null = prompt',
      report('LEFT1', 'kops_mfa_prompt'),
      report('KEY1', '$env:AWS_ACCESS_KEY_ID'),
      // Another terminal logs in (the test does, below), then the next minute's prompt renews.
      `New-Item -ItemType File ${psQuote(join(work, 'ready'))} | Out-Null`,
      `while (-not (Test-Path ${psQuote(go)})) { Start-Sleep -Milliseconds 50 }`,
      '$global:_kops_mfa_last_try = 0',
      report('P2', 'prompt'),
      'while ($null -ne $global:_kops_mfa_job -and -not $global:_kops_mfa_job.HasExited) { Start-Sleep -Milliseconds 20 }',
      '$null = prompt',
      report('KEY2', '$env:AWS_ACCESS_KEY_ID'),
      report('LEFT2', 'kops_mfa_prompt'),
    ].join('\n');
    const run = ps(t, exe, script, env, work);
    // Wait for the shell to be ready, then log in "elsewhere": a fresh session in the cache.
    for (let i = 0; i < 600 && !readdirSync(work).includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
    const other = await runCli(['env', '--shell', 'bash', '--refresh', '--quiet', '--token-code', w.code()], { env: w.env });
    assert.equal(other.code, 0, other.stderr);
    writeFileSync(go, '');
    const { r, stderr, code } = await run;
    assert.equal(code, 0, stderr);
    assert.equal(r.get('P1'), 'USER-PROMPT Q=False RC=7> ', 'the user prompt sees $? and $LASTEXITCODE of the last command');
    assert.match(r.get('LEFT1') ?? '', /^[34]m needs code$/);
    assert.equal(r.get('KEY1'), r.get('KEY0'));
    assert.match(r.get('P2') ?? '', /^USER-PROMPT /);
    assert.equal(r.get('KEY2'), w.server.issued[1]!.accessKeyId, 'renewed from the cache');
    assert.match(r.get('LEFT2') ?? '', /^(59m|1h00m)$/);
    const hookRuns = starts(log).filter((l) => l.includes('--no-prompt'));
    // Two renewals in the background, and taking the second one from the cache.
    assert.equal(hookRuns.length, 3, `the hook's kops-mfa runs:\n${starts(log).join('\n')}`);
  });
});

test('while STS holds the renewal the prompt comes back; then the prompt says sts unreachable', async (t) => {
  const exe = needPowerShell(t);
  if (!exe) return;
  // Role sessions of 2 minutes from an MFA session: the hook renews at once, and would need no code.
  const w = await world(t, { roleSessionSeconds: 120 });
  w.writeAws(mfaProfile('kops', { region: 'eu-west-1', mfa_session_duration: '3600' }), DEFAULT_CREDENTIALS);
  const { bin, log } = shim(t, REAL);
  const work = tempDir(t);
  // Attempts of 1 s: the renewal waits about 3 s for STS before it gives up.
  const env = { ...w.env, PATH: `${bin}:${w.env.PATH}`, KOPS_MFA_AUTO_REFRESH: 'prompt', KOPS_MFA_STS_TIMEOUT: '1' };
  const script = [
    STRICT,
    'function global:prompt { "USER-PROMPT> " }',
    LOAD,
    `kops-login --quiet --token-code ${w.code()}`,
    report('KEY0', '$env:AWS_ACCESS_KEY_ID'),
    // The test makes STS hang, then lets the script go on.
    `New-Item -ItemType File ${psQuote(join(work, 'ready'))} | Out-Null`,
    `while (-not (Test-Path ${psQuote(join(work, 'go'))})) { Start-Sleep -Milliseconds 50 }`,
    report('P1', 'prompt'),
    // The prompt is back; the renewal still waits for STS.
    report('WAITING', '[string] ($null -ne $global:_kops_mfa_job -and -not $global:_kops_mfa_job.HasExited)'),
    'while ($null -ne $global:_kops_mfa_job -and -not $global:_kops_mfa_job.HasExited) { Start-Sleep -Milliseconds 20 }',
    '$null = prompt',
    report('LEFT1', 'kops_mfa_prompt'),
    report('KEY1', '$env:AWS_ACCESS_KEY_ID'),
  ].join('\n');
  const run = ps(t, exe, script, env, work);
  for (let i = 0; i < 6000 && !readdirSync(work).includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
  w.server.faults.hang = true;
  writeFileSync(join(work, 'go'), '');
  const { r, stderr, code } = await run;
  assert.equal(code, 0, stderr);
  assert.equal(r.get('P1'), 'USER-PROMPT> ');
  assert.equal(r.get('WAITING'), 'True', 'the prompt came back while the renewal waited for STS');
  assert.ok(w.server.calls.some((c) => c.fault === 'hang'), 'STS held a request');
  assert.match(r.get('LEFT1') ?? '', /^[12]m sts unreachable$/);
  assert.equal(r.get('KEY1'), r.get('KEY0'));
  assert.ok(starts(log).some((l) => l.includes('--no-prompt')));
});

test('a prompt function defined after the rc line keeps the hook', async (t) => {
  const exe = needPowerShell(t);
  if (!exe) return;
  const w = await world(t, { issue: nthSessionEndsIn(1, 240_000) });
  const { bin, log } = shim(t, REAL);
  const env = { ...w.env, PATH: `${bin}:${w.env.PATH}`, KOPS_MFA_AUTO_REFRESH: 'prompt' };
  const script = [
    STRICT,
    LOAD,
    // As the docs once said: the user's prompt, after the rc line.
    'function global:prompt { "LATER Q=$? RC=$LASTEXITCODE> " }',
    `kops-login --quiet --token-code ${w.code()}`,
    "$PSNativeCommandUseErrorActionPreference = $false; & sh -c 'exit 7'",
    report('P1', 'prompt'),
    'while ($null -ne $global:_kops_mfa_job -and -not $global:_kops_mfa_job.HasExited) { Start-Sleep -Milliseconds 20 }',
    '$null = prompt',
    report('LEFT1', 'kops_mfa_prompt'),
  ].join('\n');
  const { r, stderr, code } = await ps(t, exe, script, env);
  assert.equal(code, 0, stderr);
  assert.equal(r.get('P1'), 'LATER Q=False RC=7> ', 'the later prompt is the one shown, with $? and $LASTEXITCODE');
  assert.ok(starts(log).some((l) => l.includes('--no-prompt')), `the hook ran:\n${starts(log).join('\n')}`);
  assert.match(r.get('LEFT1') ?? '', /^[34]m needs code$/);
});

test('init prints the snippet file with the node and script that ran it', async () => {
  const r = await runCli(['init', 'powershell']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, withPaths(readFileSync(SNIPPET, 'utf8'), SNIPPET, process.execPath, BIN));
  assert.ok(r.stdout.includes(`$kopsMfaScript = ${psQuote(BIN)}`), 'the script that ran init');
});
