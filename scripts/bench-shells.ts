// The shell side of `npm run bench`: what the snippets cost inside a shell.
// Each figure is measured inside one shell process: a loop of N calls, and
// the same loop with no call in it, each run `REPEAT` times; the cost per call
// is (median of the loops with calls − median of the empty loops) / N. So a
// shell's start-up and the timer's own cost cancel out.
//
// - the kops wrapper (KOPS_MFA_AUTO_REFRESH=1) with a valid session, against
//   calling the same stand-in kops directly: what the wrapper adds;
// - kops_mfa_prompt, as a plain call, and in bash also inside $(…), which is
//   how PS1 runs it (bash forks for that; zsh's prompt_subst does too);
// - sourcing the snippet, against a bare start of the same shell (PowerShell:
//   timed inside an engine that has compiled a first script, as a session has).
//
// Every shell runs with no rc files, and a session that is valid for an hour,
// as the variables kops-mfa exports describe it.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTool, posixQuote } from '../test/support/helpers.ts';
import { psQuote } from '../test/powershell/pwsh.ts';

interface Shell {
  name: string;
  exe: string;
  /** argv to run `script` with no rc file. */
  argv: (script: string) => string[];
  snippet: string;
  /** A loop of `n` runs of `body`. */
  loop: (n: number, body: string) => string;
  source: (file: string) => string;
  /** The body that calls the wrapper, and the one that calls kops itself. */
  wrapper: string;
  direct: string;
  prompt: string;
  promptCaptured?: string;
}

/** bash, zsh and fish differ only in how they run a script and loop; they source
 * kops-mfa.<name>, and call the wrapper, kops and the prompt function alike. */
function unixShell(root: string, name: string, argv: Shell['argv'], loop: Shell['loop'], promptCaptured?: string): Shell {
  return {
    name,
    exe: name,
    argv,
    snippet: join(root, 'shells', `kops-mfa.${name}`),
    loop,
    source: (f) => `source ${posixQuote(f)}`,
    wrapper: 'kops version',
    direct: 'command kops version',
    prompt: 'kops_mfa_prompt >/dev/null',
    promptCaptured,
  };
}

function shells(root: string, pwsh: string | undefined): Shell[] {
  const posixLoop = (n: number, body: string) => `i=0; while [ "$i" -lt ${n} ]; do ${body}; i=$((i+1)); done`;
  const captured = 'x=$(kops_mfa_prompt)';
  const list: Shell[] = [
    unixShell(root, 'bash', (s) => ['--norc', '--noprofile', '-c', s], posixLoop, captured),
    unixShell(root, 'zsh', (s) => ['--no-rcs', '-c', s], posixLoop, captured),
    unixShell(root, 'fish', (s) => ['--no-config', '--private', '-c', s], (n, body) => `for i in (seq ${n}); ${body}; end`),
  ];
  if (pwsh) {
    list.push({
      name: 'PowerShell',
      exe: pwsh,
      argv: (s) => ['-NoProfile', '-NonInteractive', '-Command', s],
      snippet: join(root, 'shells', 'kops-mfa.ps1'),
      loop: (n, body) => `for ($i = 0; $i -lt ${n}; $i++) { ${body} }`,
      source: (f) => `. ${psQuote(f)}`,
      wrapper: 'kops version | Out-Null',
      direct: '& (Get-Command kops -CommandType Application | Select-Object -First 1) version | Out-Null',
      prompt: '$null = kops_mfa_prompt',
    });
  }
  return list.filter((s) => s.exe === pwsh || hasTool(s.exe));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function wall(exe: string, argv: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(exe, argv, { env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${exe} ${argv.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return ms;
}

export interface ShellFigure {
  shell: string;
  wrapperMs: number;
  promptMs: number;
  promptCapturedMs?: number;
  sourceMs: number;
  kopsMfaStarts: number;
}

/** Per-call costs in each shell that is installed. `pwsh`: the PowerShell to use, if any. */
export function benchShells(root: string, baseEnv: NodeJS.ProcessEnv, pwsh: string | undefined, n = 200, repeat = 5): ShellFigure[] {
  const dir = mkdtempSync(join(tmpdir(), 'kops-mfa-bench-shells-'));
  try {
    // A stand-in kops, and a kops-mfa that only counts its starts: while the
    // session is valid, the wrapper must start it 0 times.
    const counter = join(dir, 'starts');
    writeFileSync(join(dir, 'kops'), '#!/bin/sh\nexit 0\n');
    writeFileSync(join(dir, 'kops-mfa'), `#!/bin/sh\necho x >> ${posixQuote(counter)}\nexit 1\n`);
    chmodSync(join(dir, 'kops'), 0o755);
    chmodSync(join(dir, 'kops-mfa'), 0o755);
    const now = Math.floor(Date.now() / 1000);
    const env: NodeJS.ProcessEnv = {
      ...baseEnv,
      PATH: `${dir}:${baseEnv.PATH ?? ''}`,
      KOPS_MFA_AUTO_REFRESH: '1',
      KOPS_MFA_SESSION: 'kops',
      AWS_ACCESS_KEY_ID: 'ASIABENCHKEY00000000',
      KOPS_MFA_KEY_ID: 'ASIABENCHKEY00000000',
      KOPS_MFA_EXPIRES: String(now + 3600),
      AWS_CREDENTIAL_EXPIRATION: new Date((now + 3600) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    const out: ShellFigure[] = [];
    for (const sh of shells(root, pwsh)) {
      const run = (script: string) => wall(sh.exe, sh.argv(script), env);
      const perCall = (body: string) => {
        const src = sh.source(sh.snippet);
        const full: number[] = [];
        const empty: number[] = [];
        for (let i = 0; i < repeat; i++) {
          empty.push(run(`${src}\n${sh.loop(n, sh.name === 'PowerShell' ? '$null = 0' : ':')}`));
          full.push(run(`${src}\n${sh.loop(n, body)}`));
        }
        return Math.max(0, (median(full) - median(empty)) / n);
      };
      rmSync(counter, { force: true });
      const wrapperMs = Math.max(0, perCall(sh.wrapper) - perCall(sh.direct));
      const kopsMfaStarts = existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0;
      const promptMs = perCall(sh.prompt);
      const promptCapturedMs = sh.promptCaptured ? perCall(sh.promptCaptured) : undefined;
      let sourceMs: number;
      if (sh.name === 'PowerShell') {
        // A new engine compiles its first script slowly (about 150 ms for any
        // first file of this size); an interactive session has done that long
        // before the profile line runs (PSReadLine). So the engine first
        // sources a small script of the same kinds of statement, then the
        // snippet is timed inside it with a Stopwatch.
        const warm =
          "function global:kmWarm { param($a) if ($a -eq '1') { 'x' } }; " +
          "Register-ArgumentCompleter -Native -CommandName kmWarm -ScriptBlock { param($w) $w }; $global:kmW = [long]0; kmWarm 1 | Out-Null";
        const times: number[] = [];
        for (let i = 0; i < repeat; i++) {
          const r = spawnSync(sh.exe, sh.argv(`${warm}\n$kmT = [Diagnostics.Stopwatch]::StartNew(); ${sh.source(sh.snippet)}; $kmT.Elapsed.TotalMilliseconds`), { env, encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`PowerShell sourcing failed: ${r.stderr}${r.stdout}`);
          times.push(Number(r.stdout.trim().split(/\s+/).pop()));
        }
        sourceMs = median(times);
      } else {
        const bare: number[] = [];
        const sourced: number[] = [];
        for (let i = 0; i < repeat * 2; i++) {
          bare.push(run(':'));
          sourced.push(run(sh.source(sh.snippet)));
        }
        sourceMs = Math.max(0, median(sourced) - median(bare));
      }
      out.push({ shell: sh.name, wrapperMs, promptMs, promptCapturedMs, sourceMs, kopsMfaStarts });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
