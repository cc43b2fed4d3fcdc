// The cached path through the snippets: the kops wrapper and kops_mfa_prompt read the
// session's expiry in the shell and start no node while it is valid; the
// prompt hook renews a session near its end without a code and never prompts.
//
// Real shells, the real kops-mfa behind a shim that counts its starts, the
// local STS server with short sessions (roleSessionSeconds) for real ends of
// sessions. kops itself is a stub that records the key it was given.
// Nothing here is timed: the costs are measured by `npm run bench`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once, EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { IssuedCredentials } from '../scripts/sts-server.ts';
import { kopsMfaShim, ROOT, needTool, posixQuote, run, tempDir, type RunResult } from './support/helpers.ts';
import { BASH, FISH, ZSH, fishQuote, type Shell } from './support/shells.ts';
import { mfaProfile, USER, DEFAULT_CREDENTIALS, world, type World } from './support/world.ts';
import { interactiveShellArgv, ScreenSession } from './support/pty.ts';
import { gate, serverRequests, untilPast } from './support/waits.ts';

const SHELLS: Shell[] = [BASH, ZSH, FISH];
const isFish = (sh: Shell) => sh.tool === 'fish';
const snippet = (sh: Shell) => join(ROOT, 'shells', `kops-mfa.${sh.tool}`);
const load = (sh: Shell) => (isFish(sh) ? `cat ${fishQuote(snippet(sh))} | source` : `eval "$(cat ${posixQuote(snippet(sh))})"`);

/** A profile whose role sessions are renewed from an MFA session (no code), and one without. */
const CONFIG = `${mfaProfile('kops', { mfa_session_duration: '3600', region: 'eu-west-1' })}
${mfaProfile('plain', { region: 'eu-west-1' })}
[profile long]
mfa_serial = ${USER.mfaSerial}
source_profile = alice
`;

interface Rig {
  w: World;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** kops-mfa starts so far. */
  starts(): number;
  /** The AWS_ACCESS_KEY_ID each kops run got. */
  kopsKeys(): string[];
  /** Resolves once the STS server has taken a request for which `ok()` holds (checked now, then at each request). */
  untilServer(ok: () => boolean): Promise<void>;
  /** The prompt hook's background renewals in this rig's TMPDIR. */
  renewals: Renewals;
}

async function rig(t: TestContext, opts: Parameters<typeof world>[1], extraEnv: NodeJS.ProcessEnv = {}): Promise<Rig> {
  const requests = serverRequests();
  const w = await world(t, { ...opts, onCall: requests.onCall });
  w.writeAws(CONFIG, DEFAULT_CREDENTIALS);
  const dir = tempDir(t, 'kops-mfa-fast-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // The hook's renewals make their folders here, where the test sees them end.
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  kopsMfaShim(bin, 'echo "$*" >>"$KMFA_T/starts"\n');
  writeFileSync(join(bin, 'kops'), `#!/bin/sh\necho "\${AWS_ACCESS_KEY_ID-unset}" >>"$KMFA_T/kops"\n`, { mode: 0o755 });
  const lines = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean) : []);
  return {
    w,
    dir,
    env: { ...w.env, PATH: `${bin}:${w.env.PATH}`, KMFA_T: dir, T: dir, TMPDIR: tmp, TERM: 'dumb', XDG_CONFIG_HOME: join(w.home, '.config'), XDG_DATA_HOME: join(w.home, '.local', 'share'), ...extraEnv },
    starts: () => lines('starts').length,
    kopsKeys: () => lines('kops'),
    untilServer: requests.until,
    renewals: new Renewals(t, tmp),
  };
}

/**
 * The prompt hook's background renewals, seen where they live: each makes a
 * kops-mfa-renew.* folder in TMPDIR, writes its exit status to `rc` in it
 * when it ends, and a later prompt reads that and removes the folder. Seen
 * through inotify (fs.watch), with no polling.
 */
class Renewals {
  /** Each folder seen (by an event's name, even one already gone), and whether it is watched. */
  private readonly folders = new Map<string, boolean>();
  private readonly done = new Set<string>();
  private readonly watchers: FSWatcher[] = [];
  private readonly changed = new EventEmitter();

  constructor(
    t: TestContext,
    private readonly tmp: string,
  ) {
    this.watch(tmp, (name) => {
      if (name?.startsWith('kops-mfa-renew.') && !this.folders.has(name)) this.folders.set(name, false);
      this.look();
    });
    t.after(() => {
      for (const w of this.watchers) w.close();
    });
  }

  private watch(path: string, onChange: (name: string | null) => void): void {
    try {
      const w = watch(path, (_event, name) => onChange(name));
      w.on('error', () => onChange(null));
      this.watchers.push(w);
    } catch {
      // gone already: look() finds it removed
    }
  }

  /** New folders get a watcher; a folder whose rc holds a status, or that a prompt removed, has ended. */
  private look(): void {
    const present = new Set(readdirSync(this.tmp).filter((n) => n.startsWith('kops-mfa-renew.')));
    for (const name of present) if (!this.folders.has(name)) this.folders.set(name, false);
    for (const [name, watched] of this.folders) {
      if (this.done.has(name)) continue;
      if (!watched && present.has(name)) {
        this.folders.set(name, true);
        this.watch(join(this.tmp, name), () => this.look());
      }
      let rc = '';
      try {
        rc = readFileSync(join(this.tmp, name, 'rc'), 'utf8');
      } catch {
        // no status yet, or the folder is gone
      }
      // A prompt removes a folder only after it read a status from it.
      if (rc.trim() !== '' || !present.has(name)) this.done.add(name);
    }
    this.changed.emit('change');
  }

  /** Resolves once `n` renewals have ended (their status written). */
  async ended(n: number): Promise<void> {
    this.look();
    while (this.done.size < n) await once(this.changed, 'change');
  }
}

/** The role session (AssumeRole) the server issued, if any. */
const roleSession = (r: Rig): IssuedCredentials | undefined => r.w.server.issued.find((c) => c.action === 'AssumeRole');

/** Run a script in the shell, strict (bash -euo pipefail, zsh -eu), with no terminal. */
function runScript(sh: Shell, script: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const [cmd, args] = sh.command(script, { strict: true });
  return run(cmd, args, { env, timeoutMs: 60_000 });
}

const loop40 = (sh: Shell, body: string) => (isFish(sh) ? `for i in (seq 40)\n${body}\nor exit 9\nend` : `for i in $(seq 40); do ${body} || exit 9; done`);
const countTo = (sh: Shell, file: string) => (isFish(sh) ? `cp $T/starts $T/${file}` : `cp "$T/starts" "$T/${file}"`);

for (const sh of SHELLS) {
  test(`${sh.tool}: 40 calls of the kops wrapper with a valid session start kops-mfa 0 times`, async (t) => {
    if (!needTool(t, sh.tool)) return;
    const r0 = await rig(t, {}, { KOPS_MFA_AUTO_REFRESH: '1' });
    const script = [load(sh), `kops-login --token-code ${sh.quote(r0.w.code())}`, loop40(sh, 'kops get clusters')].join('\n');
    const r = await runScript(sh, script, r0.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r0.starts(), 1, 'kops-mfa started for the login only');
    const key = r0.w.server.issued.at(-1)?.accessKeyId;
    assert.ok(key);
    assert.deepEqual(r0.kopsKeys(), Array(40).fill(key), 'every kops run got the session');
  });

  test(`${sh.tool}: with less than the reuse window left, the first kops call renews the session from the MFA session, without a code`, async (t) => {
    if (!needTool(t, sh.tool)) return;
    // Role sessions of 2 minutes: inside the 5-minute window from the start.
    const r0 = await rig(t, { roleSessionSeconds: 120 }, { KOPS_MFA_AUTO_REFRESH: '1' });
    const script = [load(sh), `kops-login --token-code ${sh.quote(r0.w.code())}`, countTo(sh, 'starts-login'), 'kops version', 'kops version'].join('\n');
    const r = await runScript(sh, script, r0.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(r0.dir, 'starts-login'), 'utf8').split('\n').filter(Boolean).length, 1);
    const issued = r0.w.server.issued;
    // GetSessionToken (the MFA session), the first role session, then one role session per kops call.
    assert.deepEqual(
      issued.map((c) => c.action),
      ['GetSessionToken', 'AssumeRole', 'AssumeRole', 'AssumeRole'],
    );
    assert.deepEqual(r0.kopsKeys(), [issued[2]?.accessKeyId, issued[3]?.accessKeyId], 'each kops call renewed first and got the new session');
    const renewals = r0.w.server.calls.filter((c) => c.action === 'AssumeRole').slice(1);
    assert.deepEqual(
      renewals.map((c) => [c.accessKeyId, c.tokenCode]),
      [
        [issued[0]?.accessKeyId, false],
        [issued[0]?.accessKeyId, false],
      ],
      'renewed with the MFA session, without a code',
    );
    assert.equal(r0.starts(), 3);
  });

  test(`${sh.tool}: kops_mfa_prompt shows nothing before a login, minutes after one, and expired after a real expiry, starting no kops-mfa`, async (t) => {
    if (!needTool(t, sh.tool)) return;
    // Role sessions of 2 seconds (1 to 2 s left when issued); GetSessionToken ones (profile long) of an hour.
    // KOPS_MFA_MIN_REMAINING=0: a session with seconds left is still exported.
    const r0 = await rig(t, { roleSessionSeconds: 2 }, { KOPS_MFA_MIN_REMAINING: '0' });
    const show = (label: string) => (isFish(sh) ? `printf 'P %s [%s]\\n' ${label} (kops_mfa_prompt)` : `printf 'P %s [%s]\\n' ${label} "$(kops_mfa_prompt)"`);
    // After the short login the script waits on a FIFO, which the test opens once the session has really ended.
    const go = gate(t, join(r0.dir, 'go'));
    const script = [
      load(sh),
      show('before'),
      `kops-login --profile long --token-code ${sh.quote(r0.w.code())}`,
      show('long'),
      `kops-login --profile plain --token-code ${sh.quote(r0.w.code())}`,
      isFish(sh) ? 'read -l kmfa_go < $T/go' : 'read -r kmfa_go < "$T/go"',
      show('ended'),
    ].join('\n');
    const running = runScript(sh, script, r0.env);
    // The role session the server issued (or the script's end, if it never came to it).
    const issued = await Promise.race([
      r0.untilServer(() => roleSession(r0) !== undefined).then(() => roleSession(r0)),
      running.then(() => undefined),
    ]);
    if (issued) {
      await untilPast(issued.expiration);
      await go.open(running);
    }
    const r = await running;
    assert.equal(r.code, 0, r.stderr);
    const shown = Object.fromEntries([...r.stdout.matchAll(/^P (\S+) \[(.*)\]$/gm)].map((m) => [m[1], m[2]]));
    assert.equal(shown.before, '', 'before any login');
    assert.match(shown.long ?? '', /^(59m|1h00m)$/, 'an hour-long session');
    assert.equal(shown.ended, 'expired');
    const role = r0.w.server.issued.at(-1);
    assert.ok(role && role.action === 'AssumeRole');
    assert.ok(role.expiration.getTime() <= Date.now(), 'the server says the session really ended');
    assert.equal(r0.starts(), 2, 'the prompt function started no kops-mfa');
  });
}

// ---------------------------------------------------------------------------
// The prompt hook, in interactive shells in a pseudo-terminal.

const PROMPT = 'KMFA-PROMPT> ';

/** An interactive shell in a pty with the snippet loaded. */
async function interactive(
  t: TestContext,
  sh: Shell,
  env: NodeJS.ProcessEnv,
): Promise<ScreenSession> {
  const argv = isFish(sh) ? [...sh.interactive, '--private', '-C', `function fish_prompt; printf '%s' '${PROMPT}'; end`] : [...sh.interactive];
  const s = new ScreenSession(t, sh.tool, interactiveShellArgv(sh.tool, PROMPT, argv), { env: { ...env, SHELL: '/bin/sh' }, stepMs: 20_000, prompt: PROMPT });
  await s.prompt(0);
  await s.run(`${load(sh)}; echo LOADED-OK`, /^LOADED-OK$/m);
  return s;
}

/**
 * Run `report` at prompt after prompt until its output satisfies `ok`: a
 * background renewal is taken at the first prompt after it ended. Bounded by
 * a number of prompts, not by time.
 */
async function untilReport(s: ScreenSession, report: string, re: RegExp, ok: (m: RegExpExecArray) => boolean): Promise<RegExpExecArray> {
  let m: RegExpExecArray | undefined;
  for (let i = 0; i < 5000; i++) {
    m = await s.run(report, re);
    if (ok(m)) return m;
  }
  throw new Error(`never: the last report was ${m?.[0]}`);
}

for (const sh of SHELLS) {
  test(`${sh.tool}: the prompt hook renews a session near its end without a code, never prompts, keeps the last status, and says when a code is needed`, { timeout: 90_000 }, async (t) => {
    if (!needTool(t, 'script') || !needTool(t, sh.tool)) return;
    const r0 = await rig(t, { roleSessionSeconds: 120 }, { KOPS_MFA_AUTO_REFRESH: 'prompt' });
    const s = await interactive(t, sh, r0.env);
    const status = isFish(sh) ? '$status' : '$?';
    // The status first: in fish a command substitution in the same line sets $status.
    const report = isFish(sh)
      ? `set kmfa_rc ${status}; echo "RC=$kmfa_rc KEY=$AWS_ACCESS_KEY_ID P=["(kops_mfa_prompt)"]"`
      : `kmfa_rc=${status}; echo "RC=$kmfa_rc KEY=$AWS_ACCESS_KEY_ID P=[$(kops_mfa_prompt)]"`;
    const reportRe = /^RC=(\d+) KEY=(\S*) P=\[(.*)\]$/m;
    try {
      // 1. A 2-minute role session with an MFA session behind it; the command line ends in a failure.
      // (Each command line prints a word of its own first: the wait is for that word and the prompt after it.)
      await s.run(`echo STEP-LOGIN; kops-login --token-code ${sh.quote(r0.w.code())}; false`, /^STEP-LOGIN$/m);
      const afterLogin = s.mark();
      // The prompt after the login started a renewal in the background; the status of `false` survived it.
      let m = await s.run(report, reportRe);
      assert.equal(m[1], '1', 'the status of `false` survived the hook');
      // Once the renewal has ended, a later prompt takes the renewed session (from the cache).
      await r0.renewals.ended(1);
      m = await untilReport(s, report, reportRe, (r) => r[2] === r0.w.server.issued[2]?.accessKeyId);
      const issued = r0.w.server.issued;
      assert.deepEqual(issued.map((c) => c.action), ['GetSessionToken', 'AssumeRole', 'AssumeRole'], 'the hook renewed once');
      assert.match(m[3] ?? '', /^[12]m$/);
      const renewal = r0.w.server.calls.filter((c) => c.action === 'AssumeRole')[1];
      assert.deepEqual([renewal?.accessKeyId, renewal?.tokenCode], [issued[0]?.accessKeyId, false], 'renewed from the MFA session, no code');
      // More prompts within the minute: no more attempts.
      const startsAfterRenewal = r0.starts();
      assert.equal(startsAfterRenewal, 3, 'login, the renewal, and taking it from the cache');
      for (let i = 0; i < 3; i++) await s.run(`echo STEP-${i}`, new RegExp(`^STEP-${i}$`, 'm'));
      assert.equal(r0.starts(), startsAfterRenewal, 'no attempt within the minute');
      const hookOnly = [s.screen(afterLogin)];

      // 2. A profile with no MFA session: renewing needs a code, which a hook never asks for.
      await s.run(`echo STEP-PLAIN; kops-login --profile plain --token-code ${sh.quote(r0.w.code())}`, /^STEP-PLAIN$/m);
      const afterPlain = s.mark();
      // The prompt after that login started a renewal; once it has ended, a later prompt says what it found.
      await r0.renewals.ended(2);
      m = await untilReport(s, report, reportRe, (r) => / needs code$/.test(r[3] ?? ''));
      assert.match(m[3] ?? '', /^[12]m needs code$/, 'the prompt says a code is needed');
      assert.equal(m[2], r0.w.server.issued.at(-1)?.accessKeyId, 'the session in the shell is unchanged');
      for (let i = 3; i < 6; i++) await s.run(`echo STEP-${i}`, new RegExp(`^STEP-${i}$`, 'm'));
      assert.equal(r0.starts(), startsAfterRenewal + 2, 'one failed attempt for this session, not one per prompt');
      // Only the two kops-login commands wrote kops-mfa lines; the hook never printed or prompted.
      hookOnly.push(s.screen(afterPlain));
      for (const text of hookOnly) assert.doesNotMatch(text, /kops-mfa|MFA code|code for/, 'the hook printed or prompted');
      assert.doesNotMatch(s.screen(), /MFA code for/, 'something asked for a code');
    } catch (e) {
      if (e instanceof Error) e.message += `\n--- ${sh.tool} terminal ---\n${s.screen()}\n---`;
      throw e;
    }
  });
}

/** Processes of this rig's kops-mfa renewals (a background `env --no-prompt`), from /proc. */
function renewalsAlive(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (!cmdline.includes('--no-prompt') || !cmdline.includes('env')) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`KMFA_T=${dir}`)) out.push(Number(name));
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

for (const sh of SHELLS) {
  test(`${sh.tool}: while STS holds the renewal, the prompt comes back; then the prompt says sts unreachable, not needs code`, { timeout: 120_000 }, async (t) => {
    if (!needTool(t, 'script') || !needTool(t, sh.tool)) return;
    // Attempts of 1 s: the renewal waits about 3 s for STS before it gives up.
    const r0 = await rig(t, { roleSessionSeconds: 120 }, { KOPS_MFA_AUTO_REFRESH: 'prompt', KOPS_MFA_STS_TIMEOUT: '1' });
    const s = await interactive(t, sh, r0.env);
    const report = isFish(sh)
      ? `echo "KEY=$AWS_ACCESS_KEY_ID P=["(kops_mfa_prompt)"]"`
      : `echo "KEY=$AWS_ACCESS_KEY_ID P=[$(kops_mfa_prompt)]"`;
    const reportRe = /^KEY=(\S*) P=\[(.*)\]$/m;
    try {
      // The login itself, before any hook: the command line makes STS hang right after it.
      await s.run(`echo STEP-LOGIN; kops-login --token-code ${sh.quote(r0.w.code())}`, /^STEP-LOGIN$/m);
      const key = r0.w.server.issued.at(-1)?.accessKeyId;
      r0.w.server.faults.hang = true;
      // The hook before this prompt starts a renewal; STS takes its request and never answers.
      await s.run('echo STEP-HANG', /^STEP-HANG$/m);
      await r0.untilServer(() => r0.w.server.calls.some((c) => c.fault === 'hang'));
      // The prompt comes back while the request is held and the renewal still waits for it.
      await s.run('echo STEP-WHILE', /^STEP-WHILE$/m);
      const m = await s.run(report, reportRe);
      assert.ok(renewalsAlive(r0.dir).length > 0, 'the renewal was still waiting for STS when the prompt came back');
      assert.equal(m[1], key, 'the session in the shell is unchanged');
      // When the renewal gives up (exit 5), a later prompt says so: not "needs code".
      await r0.renewals.ended(1);
      const done = await untilReport(s, report, reportRe, (r) => / sts unreachable$/.test(r[2] ?? ''));
      assert.match(done[2] ?? '', /^[12]m sts unreachable$/);
      assert.equal(done[1], key);
      assert.doesNotMatch(s.screen(), /MFA code for/, 'something asked for a code');
    } catch (e) {
      if (e instanceof Error) e.message += `\n--- ${sh.tool} terminal ---\n${s.screen()}\n---`;
      throw e;
    }
  });
}
