// exec's credential endpoint next to a hostile local user. Another uid
// (nobody) holds hundreds of idle connections to the port, reopening each one
// the moment it is closed, while kops-mfa runs with few file descriptors
// (256, as a small ulimit would give it). The command's requests, each on a
// fresh connection, must still be served. The numbers go to the test's
// diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { mfaProfile, world } from './support/world.ts';
import { BIN, hasTool, ROOT, tempDir } from './support/helpers.ts';

const PROBE = join(ROOT, 'test', 'fixtures', 'endpoint-probe.mjs');
const HELD = 600;
const FDS = 256;

/** Holds `n` connections to the port; reopens each one closed; stops at the end of stdin and prints what it saw. */
const ATTACKER = String.raw`
import json, select, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
socks, stats = {}, {"connects": 0, "failed": 0, "closedByServer": 0}
def connect():
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        stats["failed"] += 1
        s.close()
        return
    s.setblocking(False)
    socks[s.fileno()] = s
    poller.register(s, select.POLLIN | select.POLLHUP | select.POLLERR)
    stats["connects"] += 1
poller = select.poll()
poller.register(sys.stdin, select.POLLIN | select.POLLHUP)
for _ in range(n):
    connect()
print("held", len(socks), flush=True)
done = False
while not done:
    for fd, _ in poller.poll(200):
        if fd == sys.stdin.fileno():
            done = True
            continue
        s = socks.get(fd)
        if s is None:
            continue
        try:
            data = s.recv(1)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data:
            poller.unregister(s)
            del socks[fd]
            s.close()
            stats["closedByServer"] += 1
            connect()
stats["openAtEnd"] = len(socks)
print(json.dumps(stats), flush=True)
`;

interface Probe {
  status: number;
  ms: number;
  accessKeyId?: string;
  error?: string;
}

test(`another user holding ${HELD} idle connections cannot starve the endpoint: the command is served (kops-mfa at ${FDS} file descriptors)`, async (t) => {
  const missing = ['setpriv', 'prlimit'].filter((tool) => !hasTool(tool));
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) missing.push('root (to run the attacker as nobody)');
  if (missing.length > 0) {
    if (process.env.CI) throw new Error(`required in CI: ${missing.join(', ')}`);
    return t.skip(`needs ${missing.join(', ')}`);
  }
  const w = await world(t);
  w.writeAws(mfaProfile('kops', { region: 'eu-west-1', mfa_session_duration: '3600' }));
  const dir = tempDir(t);
  const info = join(dir, 'info.json');
  const exec = spawn('prlimit', [`--nofile=${FDS}:${FDS}`, process.execPath, BIN, 'exec', '--token-code', w.code(), '--', process.execPath, PROBE, info], {
    env: w.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  t.after(() => exec.exitCode === null && process.kill(-(exec.pid as number), 'SIGKILL'));
  let stderr = '';
  exec.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const execClosed = new Promise<number | null>((resolve) => exec.on('close', resolve));
  const probes = createInterface({ input: exec.stdout })[Symbol.asyncIterator]();

  // The command has started and written its endpoint.
  await new Promise<void>((resolve, reject) => {
    const watcher = watch(dir, () => existsSync(info) && readFileSync(info, 'utf8') && (watcher.close(), resolve()));
    void execClosed.then(() => (watcher.close(), reject(new Error(`exec ended first: ${stderr}`))));
  });
  const { uri } = JSON.parse(readFileSync(info, 'utf8')) as { uri: string };
  const port = new URL(uri).port;

  const attacker = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '/usr/bin/python3', '-c', ATTACKER, port, String(HELD)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => attacker.exitCode === null && attacker.kill('SIGKILL'));
  let attackerErr = '';
  attacker.stderr.on('data', (d: Buffer) => (attackerErr += d.toString()));
  const attackerLines = createInterface({ input: attacker.stdout })[Symbol.asyncIterator]();
  const held = await attackerLines.next();
  assert.match(String(held.value), /^held \d+$/, `the attacker: ${attackerErr}`);

  // Under attack: three requests from the command, each on a fresh connection.
  const seen: Probe[] = [];
  for (let i = 0; i < 3; i++) {
    exec.stdin.write('go\n');
    const line = await probes.next();
    assert.ok(!line.done, `the command ended: ${stderr}`);
    seen.push(JSON.parse(String(line.value)) as Probe);
  }
  attacker.stdin.end();
  const stats = JSON.parse(String((await attackerLines.next()).value)) as { connects: number; failed: number; closedByServer: number; openAtEnd: number };
  exec.stdin.end();
  const code = await execClosed;

  t.diagnostic(`attacker (nobody): ${JSON.stringify(stats)}`);
  t.diagnostic(`the command's requests under attack: ${seen.map((p) => `${p.status} in ${p.ms} ms`).join(', ')}`);
  const served = new Set(w.server.issued.filter((c) => c.action === 'AssumeRole').map((c) => c.accessKeyId));
  for (const p of seen) {
    assert.equal(p.status, 200, `a request of the command failed under attack: ${JSON.stringify(p)}; ${stderr}`);
    assert.ok(p.accessKeyId && served.has(p.accessKeyId), 'with the role session');
  }
  assert.ok(stats.closedByServer >= HELD, `the server closed the attacker's connections (${stats.closedByServer})`);
  assert.equal(code, 0, stderr);
});
