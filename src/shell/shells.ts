// The one table of shells: the names `--shell` and `init` accept, the process
// names that identify each, and the integration file it loads. Which shell
// will evaluate the output: the parent process when it is a known shell
// (`eval "$(kops-mfa env)"` runs kops-mfa from a subshell of bash; fish's
// `kops-mfa env | source` and PowerShell run it directly), else $SHELL.
import { readFileSync } from 'node:fs';
import { usageError } from '../errors.js';

export type ShellName = 'bash' | 'zsh' | 'sh' | 'fish' | 'powershell';

interface ShellInfo {
  readonly name: ShellName;
  /** Names accepted for --shell, first the canonical one. */
  readonly names: readonly string[];
  /** Other program names of the shell, seen as a process or in $SHELL. */
  readonly programs: readonly string[];
  /** The integration under shells/, for `kops-mfa init`; sh has none. */
  readonly snippet?: string;
}

const SHELL_TABLE: readonly ShellInfo[] = [
  { name: 'bash', names: ['bash'], programs: [], snippet: 'kops-mfa.bash' },
  { name: 'zsh', names: ['zsh'], programs: [], snippet: 'kops-mfa.zsh' },
  { name: 'sh', names: ['sh', 'dash', 'ksh'], programs: ['mksh', 'ash', 'yash', 'posh'] },
  { name: 'fish', names: ['fish'], programs: [], snippet: 'kops-mfa.fish' },
  { name: 'powershell', names: ['powershell', 'pwsh'], programs: [], snippet: 'kops-mfa.ps1' },
];

export const SHELLS: readonly ShellName[] = SHELL_TABLE.map((s) => s.name);

/** Every name --shell accepts. */
export const SHELL_NAMES: readonly string[] = SHELL_TABLE.flatMap((s) => s.names);

/** The shells with an integration for `init`, by every name init accepts. */
export const INIT_NAMES: readonly string[] = SHELL_TABLE.filter((s) => s.snippet).flatMap((s) => s.names);

function byName(name: string, withPrograms: boolean): ShellInfo | undefined {
  const key = name.toLowerCase();
  return SHELL_TABLE.find((s) => s.names.includes(key) || (withPrograms && s.programs.includes(key)));
}

/** The --shell flag: one of SHELL_NAMES, any case. */
export function parseShellName(s: string): ShellName {
  const info = byName(s, false);
  if (info) return info.name;
  throw usageError(`unknown shell ${JSON.stringify(s)}; choose one of ${SHELL_NAMES.join(', ')}`);
}

/** The integration file of a shell named as `init` accepts it, or undefined (sh, or unknown). */
export function snippetFileOf(s: string): string | undefined {
  return byName(s, false)?.snippet;
}

/** A program's name (a path, `-bash` of a login shell, `pwsh.exe`) as a shell, or undefined. */
function shellOfProgram(program: string): ShellName | undefined {
  const base = (program.trim().split(/[\\/]/).pop() ?? '').replace(/^-/, '').replace(/\.exe$/i, '');
  if (!base) return undefined;
  // A host of the PowerShell engine is named after it (pwsh, or a name ending in -pwsh).
  if (/(^|[-_.])pwsh$/i.test(base)) return 'powershell';
  return byName(base, true)?.name;
}

/** The parent process's program name: /proc on Linux, ps elsewhere; undefined when unknown. */
function parentProgram(ppid: number = process.ppid, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'win32' || !(ppid > 1)) return undefined;
  try {
    if (platform === 'linux') return readFileSync(`/proc/${ppid}/comm`, 'utf8').trim();
    // node:child_process only here: loaded at the top, it cost every start (the cached path too) milliseconds.
    const { execFileSync } = process.getBuiltinModule('node:child_process');
    return execFileSync('ps', ['-o', 'comm=', '-p', String(ppid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The shell that will evaluate the output: the parent process when it is a
 * shell, else $SHELL's basename; PowerShell on Windows sets no SHELL but
 * PSModulePath.
 */
export function detectShell(env: NodeJS.ProcessEnv, parent: string | undefined = parentProgram()): ShellName {
  const fromParent = parent === undefined ? undefined : shellOfProgram(parent);
  if (fromParent) return fromParent;
  if (env.SHELL) {
    const name = shellOfProgram(env.SHELL);
    if (name) return name;
  } else if (env.PSModulePath) {
    return 'powershell';
  }
  throw usageError('cannot tell your shell from its parent process or $SHELL; pass --shell bash|zsh|sh|fish|powershell');
}
