// Shell selection and rendering of environment operations as statements the
// user's shell evaluates. Each shell module owns its quoting.
import type { EnvOp } from '../env-ops.ts';
import { usageError } from '../../errors.ts';
import * as fish from './fish.ts';
import * as posix from './posix.ts';
import * as powershell from './powershell.ts';

export type ShellName = 'bash' | 'zsh' | 'sh' | 'fish' | 'powershell';

export const SHELLS: readonly ShellName[] = ['bash', 'zsh', 'sh', 'fish', 'powershell'];

const RENDERERS: Record<ShellName, (ops: readonly EnvOp[]) => string> = {
  bash: posix.render,
  zsh: posix.render,
  sh: posix.render,
  fish: fish.render,
  powershell: powershell.render,
};

/** Statements for `shell`, one per line, ending in a newline. */
export function render(shell: ShellName, ops: readonly EnvOp[]): string {
  return RENDERERS[shell](ops);
}

const ALIASES: Readonly<Record<string, ShellName>> = {
  bash: 'bash',
  zsh: 'zsh',
  sh: 'sh',
  dash: 'sh',
  ksh: 'sh',
  fish: 'fish',
  powershell: 'powershell',
  pwsh: 'powershell',
};

/** The --shell flag: bash, zsh, sh, dash, ksh, fish, powershell, pwsh. */
export function parseShellName(s: string): ShellName {
  const name = Object.hasOwn(ALIASES, s.toLowerCase()) ? ALIASES[s.toLowerCase()] : undefined;
  if (name) return name;
  throw usageError(`unknown shell ${JSON.stringify(s)}; choose one of ${Object.keys(ALIASES).join(', ')}`);
}

const FROM_SHELL_VAR: Readonly<Record<string, ShellName>> = {
  bash: 'bash',
  zsh: 'zsh',
  fish: 'fish',
  sh: 'sh',
  dash: 'sh',
  ksh: 'sh',
  mksh: 'sh',
  pwsh: 'powershell',
  powershell: 'powershell',
};

/** The user's shell from $SHELL's basename; PowerShell on Windows sets no SHELL but PSModulePath. */
export function detectShell(env: NodeJS.ProcessEnv): ShellName {
  const shellVar = env.SHELL;
  if (shellVar) {
    const base = (shellVar.split(/[\\/]/).pop() ?? '').replace(/\.exe$/i, '').toLowerCase();
    const name = Object.hasOwn(FROM_SHELL_VAR, base) ? FROM_SHELL_VAR[base] : undefined;
    if (name) return name;
  } else if (env.PSModulePath) {
    return 'powershell';
  }
  throw usageError('cannot tell your shell from $SHELL; pass --shell bash|zsh|sh|fish|powershell');
}
