// What `npm pack` ships: the bin, the bundle and the shell snippets, the man
// page and the legal files, and nothing that needs installing next to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { ROOT, run } from './support/helpers.ts';
import { bundledPackages } from '../scripts/docs.ts';

test('the tarball has the bin, the bundle and every snippet, and no runtime dependencies', async () => {
  const r = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, env: { ...process.env, npm_config_loglevel: 'silent' } });
  assert.equal(r.code, 0, r.stderr);
  const [info] = JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>;
  const files = (info?.files ?? []).map((f) => f.path);
  for (const f of ['bin/kops-mfa.cjs', 'dist/cli.cjs', 'dist/sdk.mjs', 'shells/kops-mfa.bash', 'shells/kops-mfa.zsh', 'shells/kops-mfa.fish', 'shells/kops-mfa.ps1', 'README.md', 'package.json']) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('node_modules/')), 'no sources or tests');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: object; bin: Record<string, string> };
  assert.equal(pkg.dependencies, undefined, 'everything is bundled into dist/');
  assert.equal(pkg.bin['kops-mfa'], 'bin/kops-mfa.cjs');
});

test('the bundle runs without node_modules next to it', async () => {
  // The cached path and --version must not reach for a package at run time.
  const src = readFileSync(join(ROOT, 'dist', 'cli.cjs'), 'utf8');
  const bare = [...src.matchAll(/(?:from|import|require)\s*\(?\s*["']([^"'./][^"']*)["']/g)].map((m) => m[1] as string).filter((s) => !isBuiltin(s));
  assert.ok(src.includes('import("./sdk.mjs")'), 'the SDK bundle is loaded on demand');
  assert.deepEqual(bare, [], 'only Node built-ins are loaded by name');
});

test('the tarball holds LICENSE, THIRD_PARTY_NOTICES, the man page and CHANGELOG.md', async () => {
  const r = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, env: { ...process.env, npm_config_loglevel: 'silent' } });
  assert.equal(r.code, 0, r.stderr);
  const [info] = JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }>; version: string }>;
  const files = (info?.files ?? []).map((f) => f.path);
  for (const f of ['LICENSE', 'THIRD_PARTY_NOTICES', 'kops-mfa.1', 'CHANGELOG.md']) assert.ok(files.includes(f), `${f} is in the tarball`);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string; man: string[]; version: string };
  assert.deepEqual(pkg.man, ['./kops-mfa.1'], 'an array: npm links only an array of man pages');
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) 2026 kops-mfa contributors\n/);
  const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
  assert.match(changelog, /^## \[Unreleased\]$/m);
  assert.match(changelog, new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\]`, 'm'), 'the changelog has the package version');
});

test('THIRD_PARTY_NOTICES names every package bundled into dist/, with its license text', () => {
  const notices = readFileSync(join(ROOT, 'THIRD_PARTY_NOTICES'), 'utf8');
  // Every bundle in dist/ had its inputs recorded, so no bundle's packages are missed.
  const recorded = Object.keys(JSON.parse(readFileSync(join(ROOT, '.build', 'bundle-inputs.json'), 'utf8')) as object);
  for (const f of readdirSync(join(ROOT, 'dist')).filter((f) => /\.(c|m)?js$/.test(f))) assert.ok(recorded.includes(`dist/${f}`), `the inputs of dist/${f} are recorded`);
  const bundled = bundledPackages();
  // The bundles are made of these: the AWS SDK, cac, read and shell-quote at least.
  for (const name of ['@aws-sdk/client-sts', 'cac', 'read', 'shell-quote']) assert.ok(bundled.some((p) => p.name === name), `${name} is bundled`);
  for (const p of bundled) {
    assert.ok(notices.includes(`  ${p.name}@${p.version}  ${p.license}`), `${p.name}@${p.version} is listed`);
    for (const t of p.texts) assert.ok(notices.includes(t.text), `the ${t.file} of ${p.name} is included`);
  }
  assert.ok(notices.includes('Apache License'), 'the Apache-2.0 text of the AWS SDK');
});
