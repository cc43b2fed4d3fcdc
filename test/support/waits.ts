// Waiting on events instead of sleeping: the STS server's requests, the
// clock reaching an instant the server gave out, and a FIFO a shell or
// PowerShell script blocks on until the test lets it go on.
import assert from 'node:assert/strict';
import { once, EventEmitter } from 'node:events';
import { execFile, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';

const execFileP = promisify(execFile);

/** The STS server's requests as events: pass `onCall` to world(), then wait with `until`. */
export function serverRequests(): { onCall: () => void; until(ok: () => boolean): Promise<void> } {
  const requests = new EventEmitter();
  return {
    onCall: () => requests.emit('call'),
    /** Resolves once `ok()` holds: checked now, then after each request the server took. */
    async until(ok) {
      while (!ok()) await once(requests, 'call');
    },
  };
}

/**
 * Resolves once the clock has reached `when` as a shell reads it. Shells
 * read time() (bash's EPOCHSECONDS and printf %(%s)T, zsh's EPOCHSECONDS,
 * fish's path mtime), the kernel's coarse clock, which trails Date.now() by
 * up to a tick: tens of ms on a loaded machine. So: a timer for the instant,
 * then bash's printf %(%s)T, a reader of that coarse clock, asked until it
 * has got there (once, unless the tick is late).
 */
export async function untilPast(when: Date): Promise<void> {
  const at = when.getTime();
  while (Date.now() < at) await new Promise((r) => setTimeout(r, at - Date.now()));
  while ((await coarseSeconds()) * 1000 < at);
}

/** time(), as bash's printf %(%s)T reads it. */
async function coarseSeconds(): Promise<number> {
  const { stdout } = await execFileP('bash', ['-c', "printf '%(%s)T' -1"]);
  return Number(stdout);
}

/**
 * A FIFO at `path`: a script that reads it (`read -r x < FIFO`,
 * [IO.File]::ReadAllText) waits there until open() writes a line. Whatever
 * happens, the test's end lets a reader or writer still waiting on it go on.
 */
export function gate(t: TestContext, path: string): { open(running: Promise<unknown>): Promise<void> } {
  const made = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  t.after(() => {
    // Each end opened and closed without waiting: a writer goes on, a reader sees the end.
    for (const end of [constants.O_RDONLY, constants.O_WRONLY]) {
      try {
        closeSync(openSync(path, end | constants.O_NONBLOCK));
      } catch {
        // no one at the other end, or gone with its folder
      }
    }
  });
  return {
    /** Let the reader go on; `running` is the script, so that a script that ended without reading leaves no wait. */
    async open(running) {
      await Promise.race([writeFile(path, 'go\n'), running]);
    },
  };
}
