// What `npm pack` ships: the bin, the bundle and the shell snippets, the man
// page and the legal files, and nothing that needs installing next to it;
// what the package loads when it runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, ROOT, run, tempDir } from './support/helpers.ts';
import { world } from './support/world.ts';
import { bundledPackages } from '../scripts/docs.ts';

test('the tarball has the bin, the bundles and every snippet, and one runtime dependency: the keyring addon', async () => {
  const r = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, env: { ...process.env, npm_config_loglevel: 'silent' } });
  assert.equal(r.code, 0, r.stderr);
  const [info] = JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>;
  const files = (info?.files ?? []).map((f) => f.path);
  for (const f of ['bin/kops-mfa.cjs', 'dist/cli.cjs', 'dist/main.cjs', 'dist/sdk.mjs', 'dist/iam.mjs', 'shells/kops-mfa.bash', 'shells/kops-mfa.zsh', 'shells/kops-mfa.fish', 'shells/kops-mfa.ps1', 'README.md', 'package.json']) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('node_modules/')), 'no sources or tests');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: object; bin: Record<string, string> };
  // A native addon cannot be bundled: it is the one package installed next to kops-mfa.
  assert.deepEqual(pkg.dependencies, { '@napi-rs/keyring': '2.1.2' }, 'everything else is bundled into dist/');
  assert.ok(!files.some((f) => f.endsWith('.node')), 'no native binary in the tarball itself');
  assert.equal(pkg.bin['kops-mfa'], 'bin/kops-mfa.cjs');
});

test('the package runs without node_modules; the cached path loads neither the SDK nor a native addon, a login loads the SDK', async (t) => {
  // The package as npm installs it, in a folder with no node_modules above it.
  const pkg = tempDir(t);
  for (const entry of ['package.json', 'bin', 'dist', 'shells']) cpSync(join(ROOT, entry), join(pkg, entry), { recursive: true });
  // The SDK bundle behind a stand-in that notes each load, then is the SDK.
  renameSync(join(pkg, 'dist', 'sdk.mjs'), join(pkg, 'dist', 'sdk-real.mjs'));
  writeFileSync(
    join(pkg, 'dist', 'sdk.mjs'),
    "import { appendFileSync } from 'node:fs';\nappendFileSync(process.env.KOPS_MFA_TEST_LOADS, 'sdk\\n');\nexport * from './sdk-real.mjs';\n",
  );
  // Every native addon a run opens (process.dlopen is how require loads a .node file).
  const preload = join(pkg, 'loads.cjs');
  writeFileSync(
    preload,
    "const fs = require('node:fs');\nconst { appendFileSync, writeFileSync } = fs;\nconst dlopen = process.dlopen;\nprocess.dlopen = function (m, file, ...rest) { appendFileSync(process.env.KOPS_MFA_TEST_LOADS, `addon ${file}\\n`); return dlopen.call(this, m, file, ...rest); };\n" +
      // Which bundles of dist/ the bin reads, whichever way it opens them.
      "for (const name of ['openSync', 'readFileSync']) { const real = fs[name]; fs[name] = function (file, ...rest) { if (/\\/dist\\/[^/]+\\.cjs$/.test(String(file))) appendFileSync(process.env.KOPS_MFA_TEST_LOADS + '.bundles', `${String(file).replace(/.*\\//, '')}\\n`); return real.call(this, file, ...rest); }; }\n" +
      "process.once('exit', () => writeFileSync(process.env.KOPS_MFA_TEST_LOADS + '.builtins', process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).join('\\n')));\n",
  );
  const w = await world(t);
  const loads = join(pkg, 'loads.log');
  const kopsMfa = async (args: string[]) => {
    writeFileSync(loads, '');
    writeFileSync(`${loads}.bundles`, '');
    const r = ok(await run(process.execPath, [join(pkg, 'bin', 'kops-mfa.cjs'), ...args], { env: { ...w.env, NODE_OPTIONS: `--require=${preload}`, KOPS_MFA_TEST_LOADS: loads } }));
    const builtins = readFileSync(`${loads}.builtins`, 'utf8').split('\n').map((m) => m.slice('NativeModule '.length));
    return { ...r, loaded: readFileSync(loads, 'utf8'), builtins, bundles: readFileSync(`${loads}.bundles`, 'utf8') };
  };

  const login = await kopsMfa(['env', '--shell', 'bash', '--token-code', w.code()]);
  assert.match(login.stdout, /AWS_SESSION_TOKEN/);
  assert.equal(login.loaded, 'sdk\n', 'a login loads the SDK bundle, once');
  const cached = await kopsMfa(['env', '--shell', 'bash']);
  assert.match(cached.stderr, /, from the cache$/m);
  assert.equal(cached.loaded, '', 'the cached path loads no SDK and no native addon');
  assert.equal(cached.bundles, 'cli.cjs\n', 'the cached path runs the entry bundle only');
  assert.equal(login.bundles, 'cli.cjs\nmain.cjs\n', 'the control: a login declines the cached env, then runs the rest');
  // Nor the built-ins a command, a server or a prompt needs: each costs every start milliseconds.
  const heavy = ['child_process', 'net', 'http', 'https', 'crypto', 'readline', 'stream', 'tty', 'os', 'worker_threads'];
  assert.deepEqual(cached.builtins.filter((m) => heavy.includes(m)), [], `built-ins on the cached path: ${cached.builtins.filter((m) => !m.startsWith('internal/')).join(', ')}`);
  assert.ok(login.builtins.includes('https') || login.builtins.includes('http'), 'the control: a login loads the network modules, and the list shows them');
  assert.equal(w.server.calls.filter((c) => c.action === 'AssumeRole').length, 1);

  // The control: the preload does see a native addon that require() loads.
  const addon = join(ROOT, 'node_modules', 'tree-sitter-powershell', 'prebuilds', `${process.platform}-${process.arch}`, 'tree-sitter-powershell.node');
  writeFileSync(loads, '');
  await run(process.execPath, ['-e', `require(${JSON.stringify(addon)})`], { env: { ...w.env, NODE_OPTIONS: `--require=${preload}`, KOPS_MFA_TEST_LOADS: loads } });
  assert.match(readFileSync(loads, 'utf8'), /^addon \/.*\/tree-sitter-powershell\.node\n$/, 'the control addon is seen');
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
