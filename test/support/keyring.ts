// A real Secret Service for tests: gnome-keyring-daemon in a private D-Bus
// session (dbus-run-session) with the test's own HOME, unlocked with a
// throw-away password, or left locked. Torn down when the test ends.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { needTool } from './helpers.ts';

export interface Keyring {
  /** DBUS_SESSION_BUS_ADDRESS and HOME for every process that should see this keyring. */
  env: NodeJS.ProcessEnv;
  /** secret-tool (libsecret), the oracle, in this session. */
  secretTool(args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
}

export function haveKeyringTools(t: TestContext): boolean {
  return ['dbus-run-session', 'gnome-keyring-daemon', 'secret-tool'].every((tool) => needTool(t, tool));
}

/**
 * Start the session. `locked`: create the login keyring in a first session,
 * then start a second daemon that finds it on disk and keeps it locked.
 */
export async function startKeyring(t: TestContext, home: string, opts: { locked?: boolean } = {}): Promise<Keyring> {
  const base = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', XDG_RUNTIME_DIR: home };
  if (opts.locked) {
    // The first session writes ~/.local/share/keyrings/login.keyring with password "pw".
    spawnSync('dbus-run-session', ['--', 'sh', '-c', 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; secret-tool store --label=x service kops-mfa-setup username x <<EOF\nx\nEOF'], {
      env: base,
      stdio: 'ignore',
      input: '',
    });
  }
  const start = opts.locked ? 'gnome-keyring-daemon --start --components=secrets >/dev/null' : 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null';
  const child = spawn('dbus-run-session', ['--', 'sh', '-c', `${start}; echo "$DBUS_SESSION_BUS_ADDRESS"; exec cat`], {
    env: base,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  child.unref();
  t.after(async () => {
    // The end of its input ends the session: dbus-run-session then stops its bus.
    child.ref();
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise((resolve) => child.once('close', resolve));
    child.stdin.end();
    await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
    child.kill();
    stopDaemons(home);
  });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl !== -1) {
        // The daemons started in the session inherit this pipe: let go of it, or the test never ends.
        child.stdout.destroy();
        resolve(out.slice(0, nl));
      }
    });
    child.on('exit', () => reject(new Error('dbus-run-session ended before it printed its address')));
  });
  const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address };
  return {
    env,
    secretTool(args, input) {
      const r = spawnSync('secret-tool', args, { env, input: input ?? '', encoding: 'utf8', timeout: 10_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

/**
 * gnome-keyring-daemon leaves its session and outlives the bus: stop the
 * daemons of this test, known by the HOME they were started with.
 */
function stopDaemons(home: string): void {
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('gnome-keyring')) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`HOME=${home}`)) process.kill(Number(pid), 'SIGTERM');
    } catch {
      // gone already, or not ours to read
    }
  }
}
