// The codes used with one MFA device in the last 90 s, so that a code is
// never sent to AWS twice: IAM takes each code once. Kept as salted hashes in
// a 0600 file of the verified cache folder, never the codes. node:crypto is
// loaded here only, on the path that asks for a code anyway.
import { join } from 'node:path';
import { digest, type VerifiedFolder } from './cache.js';
import { readPrivate, writePrivate } from './private-files.js';

/** How long a used code is remembered: a TOTP code lives 30 s, and AWS accepts a window around it. */
const SPENT_CODE_SECONDS = 90;

interface SpentCodes {
  has(code: string): boolean;
  /** Remember the code; a failure to write is reported through `onError`, never thrown. */
  add(code: string): void;
  /** Forget it again: AWS answered that it did not take it. */
  remove(code: string): void;
}

interface State {
  salt: string;
  used: Array<{ h: string; at: number }>;
}

export function spentCodes(folder: VerifiedFolder | undefined, serial: string, now: () => Date, onError: (message: string) => void): SpentCodes {
  if (!folder) return { has: () => false, add: () => {}, remove: () => {} };
  const file = join(folder.path, `used-codes-${digest(['used-codes', serial])}`);
  const fresh = (): State => {
    const { randomBytes } = process.getBuiltinModule('node:crypto');
    return { salt: randomBytes(16).toString('hex'), used: [] };
  };
  const load = (): State => {
    const read = readPrivate(file, 16 * 1024);
    if (!read || !('text' in read)) return fresh();
    try {
      const data = JSON.parse(read.text) as { salt?: unknown; used?: unknown };
      if (typeof data.salt !== 'string' || !Array.isArray(data.used)) return fresh();
      const t = now().getTime();
      const used = (data.used as State['used']).filter((u) => typeof u?.h === 'string' && typeof u.at === 'number' && t - u.at < SPENT_CODE_SECONDS * 1000);
      return { salt: data.salt, used };
    } catch {
      return fresh();
    }
  };
  const hash = (salt: string, code: string) => {
    const { createHash } = process.getBuiltinModule('node:crypto');
    return createHash('sha256').update(`${salt}\0${serial}\0${code}`).digest('hex');
  };
  const save = (state: State) => {
    try {
      writePrivate(file, `${JSON.stringify(state)}\n`);
    } catch (e) {
      onError(`could not remember the used code: ${(e as Error).message}`);
    }
  };
  return {
    has(code) {
      const { salt, used } = load();
      const h = hash(salt, code);
      return used.some((u) => u.h === h);
    },
    add(code) {
      const state = load();
      state.used.push({ h: hash(state.salt, code), at: now().getTime() });
      save(state);
    },
    remove(code) {
      const state = load();
      const h = hash(state.salt, code);
      if (!state.used.some((u) => u.h === h)) return;
      save({ salt: state.salt, used: state.used.filter((u) => u.h !== h) });
    },
  };
}
