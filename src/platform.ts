// What differs between the operating systems kops-mfa runs on, named in one
// place and passed in where it matters, so tests can inject Windows on Linux.
import { homedir } from 'node:os';

export type Platform = NodeJS.Platform;

/** Whether the OS keeps Unix permission bits (0600, 0700): not Windows, where ACLs decide. */
export function hasFileModes(platform: Platform): boolean {
  return platform !== 'win32';
}

/** The user's home: $HOME, else the OS's idea of it (USERPROFILE on Windows). */
export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}
