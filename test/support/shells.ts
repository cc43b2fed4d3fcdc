// Every shell the tests run, described once: how to start it without rc files
// (strict or not), how it applies kops-mfa's statements, how it prints a
// variable byte for byte, how it reads the last status, and how it starts
// interactively in a pseudo-terminal. cli.test, faults, render.test, snippets
// and interactive all build their scripts from this table.
//
// Printing values: a script built here prints NUL-separated records on stdout
// (printf '%s\0' in every shell: no fork, no decoding), and readDump() turns
// them back into bytes. A record is one of
//   v NAME -            the variable is not set
//   v NAME N V1 … VN    set, with N elements (POSIX shells: always 1)
//   s LABEL STATUS      the status of the last command, labelled
//   e                   then `env -0` up to the end: what a child process gets
// so a test compares Buffers, never text a terminal or a decoder touched.
import { hasTool, posixQuote } from './helpers.ts';

/** The shells, by the name their executable has (dash is kops-mfa's `sh`). */
export type ShellTool = 'bash' | 'zsh' | 'dash' | 'fish' | 'pwsh';
/** kops-mfa's names for them (`--shell`, `init`). */
export type KopsShell = 'bash' | 'zsh' | 'sh' | 'fish' | 'powershell';

export interface Shell {
  tool: ShellTool;
  /** What `kops-mfa env --shell …` / `kops-mfa init …` calls it. */
  kops: KopsShell;
  /** Script file extension kops-mfa's output is saved under (ops.sh, ops.fish, ops.ps1). */
  ext: 'sh' | 'fish' | 'ps1';
  /**
   * argv that runs `script` with no rc file and no terminal. strict (the
   * default) turns on every error flag the shell has: bash -e -u -o pipefail,
   * zsh -e -u (nounset), dash -e -u; fish has none (it runs --private).
   */
  command(script: string, opts?: { strict?: boolean }): [string, string[]];
  /** argv of an interactive shell with no rc file, for a pseudo-terminal. */
  interactive: readonly string[];
  /** A literal word of this shell's syntax holding exactly `value`. */
  quote(value: string): string;
  /**
   * Apply the statements the command line `producer` prints, as the README
   * says to: eval "$(…)" in POSIX shells, `… | source` in fish,
   * `… | Out-String | Invoke-Expression` in PowerShell.
   */
  applyOutput(producer: string): string;
  /** Apply statements saved in a file (`. ./f`, `source ./f`, `. ./f.ps1`). */
  sourceFile(path: string): string;
  /** Apply statements saved in a file through the eval path ($(cat …), cat … | source). */
  evalFile(path: string): string;
  /** The status of the last command (or pipeline: fish's $pipestatus[1] is not this). */
  status: string;
  /** Statements printing the `v` records of these variables (read back with readDump). */
  printVars(names: readonly string[]): string;
  /** A statement printing an `s` record: `label` and the status of the previous command. */
  printStatus(label: string): string;
  /** The last statement of a dump: an `e` record and `env -0` (what a child gets). */
  printEnv: string;
}

const posixPrintVars = (names: readonly string[]) =>
  names
    .map((n) => `if [ -n "\${${n}+x}" ]; then printf '%s\\0' v ${n} 1 "$${n}"; else printf '%s\\0' v ${n} -; fi`)
    .join('\n');

function posix(tool: 'bash' | 'zsh' | 'dash', kops: KopsShell, strictFlags: string[], plain: string[], interactive: string[]): Shell {
  return {
    tool,
    kops,
    ext: 'sh',
    command: (script, { strict = true } = {}) => [tool, [...plain, ...(strict ? strictFlags : []), '-c', script]],
    interactive,
    quote: posixQuote,
    applyOutput: (producer) => `eval "$(${producer})"`,
    sourceFile: (path) => `. ${posixQuote(path)}`,
    evalFile: (path) => `eval "$(cat ${posixQuote(path)})"`,
    status: '$?',
    printVars: posixPrintVars,
    printStatus: (label) => `printf '%s\\0' s ${posixQuote(label)} "$?"`,
    printEnv: `printf '%s\\0' e; env -0`,
  };
}

/** fish's single-quoted string: only \ and ' are special inside. */
export const fishQuote = (v: string) => `'${v.replace(/[\\']/g, (c) => '\\' + c)}'`;
/** PowerShell's verbatim string (the five single-quote characters doubled). */
export const powershellQuote = (v: string) => `'${v.replace(/['\u2018\u2019\u201A\u201B]/g, (c) => c + c)}'`;

export const BASH: Shell = posix('bash', 'bash', ['-e', '-u', '-o', 'pipefail'], ['--noprofile', '--norc'], ['bash', '--norc', '--noprofile', '-i']);
export const ZSH: Shell = posix('zsh', 'zsh', ['-e', '-u'], ['--no-rcs'], ['zsh', '-f', '-i']);
export const DASH: Shell = posix('dash', 'sh', ['-e', '-u'], [], ['dash', '-i']);

export const FISH: Shell = {
  tool: 'fish',
  kops: 'fish',
  ext: 'fish',
  command: (script) => ['fish', ['--no-config', '--private', '-c', script]],
  interactive: ['fish', '--no-config', '--private', '-i'],
  quote: fishQuote,
  applyOutput: (producer) => `${producer} | source`,
  sourceFile: (path) => `source ${fishQuote(path)}`,
  evalFile: (path) => `cat ${fishQuote(path)} | source`,
  status: '$status',
  printVars: (names) =>
    names
      .map((n) => `if set -q ${n}; printf '%s\\0' v ${n} (count $${n}) $${n}; else; printf '%s\\0' v ${n} -; end`)
      .join('\n'),
  printStatus: (label) => `printf '%s\\0' s ${fishQuote(label)} $status`,
  printEnv: `printf '%s\\0' e; env -0`,
};

/**
 * How PowerShell is run. pwsh is not on every machine; the PowerShell test
 * helper may install its own runner (a host it builds) with
 * setPowerShellCommand; until then it is the real `pwsh`.
 */
let powershellCommand = (script: string): [string, string[]] => ['pwsh', ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', script]];
/** The hook for the PowerShell helper: run scripts through another host. */
export function setPowerShellCommand(fn: (script: string) => [string, string[]]): void {
  powershellCommand = fn;
}

export const POWERSHELL: Shell = {
  tool: 'pwsh',
  kops: 'powershell',
  ext: 'ps1',
  // Strict: Set-StrictMode -Version Latest and $ErrorActionPreference = 'Stop' lead the script.
  command: (script, { strict = true } = {}) =>
    powershellCommand(strict ? `Set-StrictMode -Version Latest; $ErrorActionPreference = 'Stop'\n${script}` : script),
  interactive: ['pwsh', '-NoLogo', '-NoProfile'],
  quote: powershellQuote,
  applyOutput: (producer) => `${producer} | Out-String | Invoke-Expression`,
  sourceFile: (path) => `. ${powershellQuote(path)}`,
  evalFile: (path) => `Get-Content -Raw ${powershellQuote(path)} | Invoke-Expression`,
  status: '$LASTEXITCODE',
  // Bytes out: UTF-8 without BOM, \0 written as a char (no newline translation).
  printVars: (names) =>
    names
      .map(
        (n) =>
          `if (Test-Path Env:${n}) { [Console]::Out.Write("v\`0${n}\`01\`0" + $env:${n} + "\`0") } else { [Console]::Out.Write("v\`0${n}\`0-\`0") }`,
      )
      .join('\n'),
  printStatus: (label) => `[Console]::Out.Write("s\`0" + ${powershellQuote(label)} + "\`0" + $LASTEXITCODE + "\`0")`,
  printEnv: `[Console]::Out.Write("e\`0"); Get-ChildItem Env: | ForEach-Object { [Console]::Out.Write($_.Name + '=' + $_.Value + "\`0") }`,
};

/** Every shell by its executable name. */
export const SHELL_BY_TOOL: Readonly<Record<ShellTool, Shell>> = { bash: BASH, zsh: ZSH, dash: DASH, fish: FISH, pwsh: POWERSHELL };
/** The shells that run on this machine's CI: the POSIX ones and fish (PowerShell has its own helper). */
export const UNIX_SHELLS: readonly Shell[] = [BASH, ZSH, DASH, FISH];

/** Whether this shell can run here (its executable is on PATH). */
export const shellInstalled = (sh: Shell) => hasTool(sh.tool);

export interface Dump {
  /** Each printed variable: its bytes, or null when it was not set. */
  vars: Map<string, Buffer | null>;
  /** Each printed status by label. */
  statuses: Map<string, string>;
  /** What `env -0` printed, when the script ended with printEnv. */
  env?: Map<string, Buffer>;
}

/**
 * Read the records a script built with printVars/printStatus/printEnv wrote.
 * A variable that holds a list of other than one element (fish split a value)
 * is an error: values must arrive as one word.
 */
export function readDump(stdout: Buffer): Dump {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = stdout.indexOf(0); i !== -1; i = stdout.indexOf(0, start)) {
    parts.push(stdout.subarray(start, i));
    start = i + 1;
  }
  if (start !== stdout.length) throw new Error(`dump does not end with a NUL: ${JSON.stringify(stdout.subarray(start).toString())}`);
  const dump: Dump = { vars: new Map(), statuses: new Map() };
  let i = 0;
  const next = () => {
    const p = parts[i++];
    if (p === undefined) throw new Error('dump ends in the middle of a record');
    return p;
  };
  while (i < parts.length) {
    const kind = next().toString();
    if (kind === 'v') {
      const name = next().toString();
      const count = next().toString();
      if (count === '-') {
        dump.vars.set(name, null);
        continue;
      }
      const n = Number(count);
      const values = Array.from({ length: n }, next);
      if (n !== 1) throw new Error(`${name} holds ${n} elements: ${JSON.stringify(values.map(String))}`);
      dump.vars.set(name, values[0] as Buffer);
    } else if (kind === 's') {
      const label = next().toString();
      dump.statuses.set(label, next().toString());
    } else if (kind === 'e') {
      dump.env = new Map();
      for (const entry of parts.slice(i)) {
        const eq = entry.indexOf(0x3d);
        dump.env.set(entry.subarray(0, eq).toString('latin1'), entry.subarray(eq + 1));
      }
      break;
    } else {
      throw new Error(`not a dump record: ${JSON.stringify(kind)} (is something else printing on stdout?)`);
    }
  }
  return dump;
}

/** A dump's variables as text (null: unset), for deepEqual against expected strings. */
export function varsAsText(d: Dump): Record<string, string | null> {
  return Object.fromEntries([...d.vars].map(([k, v]) => [k, v === null ? null : v.toString('utf8')]));
}
