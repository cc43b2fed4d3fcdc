// Opening a URL in the user's browser without putting it in any argv: the
// opener (xdg-open, open, rundll32) gets the address of a one-time redirect
// on 127.0.0.1, at an unguessable path, which answers the browser's first
// request with the real URL and then closes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { accessSync, constants } from 'node:fs';
import type { Platform } from '../platform.js';

/** The command that opens a URL in a browser here, or undefined when none can (no display, no opener). */
export function browserOpener(platform: Platform, env: NodeJS.ProcessEnv): string[] | undefined {
  if (platform === 'darwin') return ['open'];
  if (platform === 'win32') return ['rundll32', 'url.dll,FileProtocolHandler'];
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return onPath('xdg-open', env) ? ['xdg-open'] : undefined;
}

/** The first executable of that name on PATH. */
export function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

type Opened = 'opened' | 'opener-failed' | 'timeout';

/**
 * Open `target` through a one-time redirect: resolves 'opened' once the
 * browser fetched it, 'opener-failed' when the opener could not run or
 * exited non-zero before that, 'timeout' when nothing came in time.
 */
export async function openViaRedirect(target: string, opener: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Opened> {
  const path = `/${randomBytes(24).toString('base64url')}`;
  let done: (o: Opened) => void = () => {};
  const outcome = new Promise<Opened>((resolve) => (done = resolve));
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== path) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(302, { Location: target, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', Connection: 'close' }).end();
    done('opened');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  const timer = setTimeout(() => done('timeout'), timeoutMs);
  const [cmd, ...args] = opener as [string, ...string[]];
  const child = spawn(cmd, [...args, address], { env, stdio: 'ignore', detached: true });
  child.on('error', () => done('opener-failed'));
  child.on('exit', (code) => {
    if (code !== 0) done('opener-failed');
  });
  const result = await outcome;
  clearTimeout(timer);
  child.unref();
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return result;
}
