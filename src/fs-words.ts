// File system errors in words a user can act on, not syscall names.

const WORDS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'over the disk quota',
  ENOENT: 'it does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  ELOOP: 'it is a symbolic link',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  EIO: 'an input/output error',
};

export function fsProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return (code && WORDS[code]) ?? (code || (e instanceof Error ? e.message : String(e)));
}
