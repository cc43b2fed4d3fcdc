// What the OS lets an environment variable hold. Checked before a session is
// cached (session.ts) and before a statement is printed (render/validate.ts).

/** Linux passes no single NAME=value string over 128 KiB (MAX_ARG_STRLEN) to a child. */
const MAX_ENV_STRING_BYTES = 128 * 1024;

/** Why a value cannot live in the environment of a child process, or undefined when it can. */
export function envValueProblem(name: string, value: string): string | undefined {
  // No environment variable can hold a NUL byte (C strings end there).
  if (value.includes('\0')) return 'the value contains a NUL byte';
  // A UTF-16 unit is at most 3 bytes of UTF-8: a value far under the limit needs no count.
  if ((name.length + value.length) * 3 + 2 <= MAX_ENV_STRING_BYTES) return undefined;
  const bytes = Buffer.byteLength(name) + 1 + Buffer.byteLength(value) + 1;
  if (bytes > MAX_ENV_STRING_BYTES) {
    return `the value is ${bytes} bytes, over the ${MAX_ENV_STRING_BYTES} that the OS passes to a command; every command in that shell would fail with "Argument list too long"`;
  }
  return undefined;
}
