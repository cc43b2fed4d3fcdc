// What differs between the operating systems kops-mfa runs on, named in one
// place and passed in where it matters, so tests can inject Windows on Linux:
// file modes (0600 means what it says on POSIX; ACLs decide on Windows), the
// home folder, the signals exec passes on, and /proc. The terminal's part
// (/dev/tty, stty, the prompt's signals) is session/tty.ts.
import { closeSync, openSync, readSync } from 'node:fs';

export type Platform = NodeJS.Platform;

/** Whether the OS keeps Unix permission bits (0600, 0700): not Windows, where ACLs decide. */
export function hasFileModes(platform: Platform): boolean {
  return platform !== 'win32';
}

/** The user's home: $HOME, else the OS's idea of it (USERPROFILE on Windows). */
export function homeDir(env: NodeJS.ProcessEnv): string {
  // node:os only when HOME is missing: loading it costs every start a little.
  return env.HOME || process.getBuiltinModule('node:os').homedir();
}

/**
 * The signals exec passes on to its command. Windows has no SIGQUIT, SIGUSR1
 * or SIGUSR2 (Node refuses a listener for them there); it delivers SIGINT
 * (Ctrl-C), SIGBREAK (Ctrl-Break) and SIGHUP (the console window closed).
 */
export function forwardedSignals(platform: Platform): NodeJS.Signals[] {
  return platform === 'win32' ? ['SIGINT', 'SIGBREAK', 'SIGHUP'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
}

/**
 * The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp,
 * session, tty, tpgid, …, starttime at 19), where the OS has /proc; the name
 * may hold spaces and parentheses, so fields start after the last ')'.
 */
export function procStat(pid: number | 'self'): string[] | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
    const buf = Buffer.alloc(1024);
    const text = buf.toString('utf8', 0, readSync(fd, buf));
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
