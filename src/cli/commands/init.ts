// `kops-mfa init <shell>`: the shell integration (kops-login, kops-logout and
// the optional kops wrapper) for an rc file. The text is the shipped file
// under shells/, read at run time, so what the rc line evaluates always
// matches the installed binary; --path gives the file's absolute path.
// What it prints names the node and the script that ran it, as absolute
// paths, so a version manager that changes PATH cannot lose kops-mfa; the
// snippet falls back to PATH when they are gone.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, KopsMfaError, usageError } from '../../errors.js';
import { INIT_NAMES, parseShellName, snippetFileOf } from '../../shell/shells.js';
import { quote as fishQuote } from '../../shell/render/fish.js';
import { quote as posixQuote } from '../../shell/render/posix.js';

/** The file of the snippet for `shell`; a usage error for any other name. */
function snippetFile(shell: string): string {
  const file = snippetFileOf(shell);
  if (file) return file;
  let known = false;
  try {
    known = parseShellName(shell) === 'sh';
  } catch {
    // not a shell at all
  }
  const hint = known ? `; there is no integration for ${shell.toLowerCase()}, use eval "$(kops-mfa env --shell sh)"` : '';
  throw usageError(`unknown shell ${JSON.stringify(shell)}; choose one of ${INIT_NAMES.join(', ')}${hint}`);
}

let root: string | undefined;

/**
 * The package root: the first directory at or above this module holding
 * package.json and shells/kops-mfa.bash. The module may run from src/cli/commands
 * (tsx) or dist/main.cjs (esbuild), so it walks up
 * rather than assuming a depth.
 */
function packageRoot(): string {
  if (root !== undefined) return root;
  // dist/main.cjs is CommonJS (__dirname); under tsx the source is an ES module.
  const start = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; ) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'shells', 'kops-mfa.bash'))) {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new KopsMfaError(
    `cannot find the shell integration files: no package.json with shells/kops-mfa.bash at or above ${start}; reinstall kops-mfa`,
    ExitCode.general,
  );
}

/** Absolute path of the shipped snippet for `shell` (bash, zsh, fish, powershell, pwsh). */
export function snippetPath(shell: string): string {
  const file = snippetFile(shell);
  return join(packageRoot(), 'shells', file);
}

/** A PowerShell verbatim string: the five single quotes doubled. */
const psQuote = (v: string) => `'${v.replace(/['\u2018\u2019\u201A\u201B]/g, (c) => c + c)}'`;

/**
 * The snippet with the node and the script of this kops-mfa written into the
 * lines marked `# kops-mfa init`. A path that no quoting can carry (a newline
 * or NUL in it) is left out: the snippet then finds kops-mfa on PATH.
 */
export function withPaths(text: string, file: string, node: string, script: string): string {
  if (/[\0\n\r]/.test(node + script)) return text;
  if (file.endsWith('.ps1')) {
    return text
      .replace("$kopsMfaNode = '' # kops-mfa init", () => `$kopsMfaNode = ${psQuote(node)}`)
      .replace("$kopsMfaScript = '' # kops-mfa init", () => `$kopsMfaScript = ${psQuote(script)}`);
  }
  if (file.endsWith('.fish')) {
    return text
      .replace("set -l kops_mfa_node '' # kops-mfa init", () => `set -l kops_mfa_node ${fishQuote(node)}`)
      .replace("set -l kops_mfa_script '' # kops-mfa init", () => `set -l kops_mfa_script ${fishQuote(script)}`);
  }
  return text.replace(
    "local _kops_mfa_node='' _kops_mfa_script='' # kops-mfa init",
    () => `local _kops_mfa_node=${posixQuote(node)} _kops_mfa_script=${posixQuote(script)}`,
  );
}

/** What `kops-mfa init <shell> [--path]` prints: the snippet for this kops-mfa, or the file's path and a newline. */
export function initText(shell: string, opts: { path?: boolean }): string {
  const path = snippetPath(shell);
  if (opts.path) return `${path}\n`;
  try {
    const script = join(packageRoot(), 'bin', 'kops-mfa.cjs');
    return withPaths(readFileSync(path, 'utf8'), path, process.execPath, script);
  } catch (e) {
    throw new KopsMfaError(`cannot read ${path}: ${(e as Error).message}; reinstall kops-mfa`, ExitCode.general, {
      cause: e,
    });
  }
}
