// What `npm pack` ships: the bin, the bundle and the shell snippets, and nothing
// that needs installing next to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run } from './helpers.ts';

test('the tarball has the bin, the bundle and every snippet, and no runtime dependencies', async () => {
  const r = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, env: { ...process.env, npm_config_loglevel: 'silent' } });
  assert.equal(r.code, 0, r.stderr);
  const [info] = JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>;
  const files = (info?.files ?? []).map((f) => f.path);
  for (const f of ['bin/kops-mfa.js', 'dist/cli.js', 'shells/kops-mfa.bash', 'shells/kops-mfa.zsh', 'shells/kops-mfa.fish', 'shells/kops-mfa.ps1', 'README.md', 'package.json']) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('node_modules/')), 'no sources or tests');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: object; bin: Record<string, string> };
  assert.equal(pkg.dependencies, undefined, 'everything is bundled into dist/');
  assert.equal(pkg.bin['kops-mfa'], 'bin/kops-mfa.js');
});

test('the bundle runs without node_modules next to it', async () => {
  // The cached path and --version must not reach for a package at run time.
  const src = readFileSync(join(ROOT, 'dist', 'cli.js'), 'utf8');
  const bare = [...src.matchAll(/(?:from|import)\s*\(?\s*["']([^"'./][^"']*)["']/g)].map((m) => m[1]).filter((s) => !s?.startsWith('node:'));
  assert.deepEqual(bare, [], 'only node: built-ins are imported by name');
});
