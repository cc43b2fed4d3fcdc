// bin/kops-mfa.cjs keeps V8's code cache of each bundle it runs (dist/cli.cjs,
// the entry, and dist/main.cjs, the rest) in the private cache folder:
// written after a successful run, used while it is of the same build and
// Node, and never trusted when someone else could have written it.
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { BIN, ok, ROOT, run, tempDir } from './support/helpers.ts';

function home(t: TestContext, bin = BIN) {
  const dir = tempDir(t, 'kops-mfa-home-');
  const cache = join(dir, '.cache', 'kops-mfa');
  mkdirSync(cache, { recursive: true, mode: 0o700 });
  // --version runs both bundles: the entry, then main.cjs (the cached env declines).
  const file = join(cache, `code-${process.version}-${process.arch}-main.v8`);
  const entryFile = join(cache, `code-${process.version}-${process.arch}-cli.v8`);
  const env = { PATH: process.env.PATH, HOME: dir };
  const version = async () => ok(await run(process.execPath, [bin, '--version'], { env })).stdout;
  return { file, entryFile, version };
}

test('a run writes the code cache of each bundle (0600, for this build and Node); the next run uses them and leaves them alone', async (t) => {
  const h = home(t);
  const printed = await h.version();
  for (const file of [h.file, h.entryFile]) {
    const first = statSync(file);
    assert.equal(first.mode & 0o777, 0o600);
    assert.match(readFileSync(file).subarray(0, 200).toString('latin1'), new RegExp(`^${process.version.replace(/\./g, '\\.')} \\d+ \\d+ [\\d.]+ [\\d.]+\\n`));
    assert.equal(await h.version(), printed);
    const second = statSync(file);
    assert.deepEqual([second.ino, second.mtimeMs], [first.ino, first.mtimeMs], 'an accepted cache is not written again');
  }
});

test('a damaged code cache is replaced, and the run is the same', async (t) => {
  const h = home(t);
  const printed = await h.version();
  const bytes = readFileSync(h.file);
  const headerEnd = bytes.indexOf(10) + 1;
  writeFileSync(h.file, Buffer.concat([bytes.subarray(0, headerEnd), Buffer.alloc(bytes.length - headerEnd, 0x5a)]), { mode: 0o600 });
  const damaged = statSync(h.file);
  assert.equal(await h.version(), printed);
  assert.notEqual(statSync(h.file).ino, damaged.ino, 'V8 refused it, so it was written anew');
});

test('a code cache others can write is not used: it is code', async (t) => {
  const h = home(t);
  await h.version();
  chmodSync(h.file, 0o666);
  const planted = statSync(h.file);
  await h.version();
  const after = statSync(h.file);
  assert.notEqual(after.ino, planted.ino, 'not read, so written anew (a trusted one is left alone, as above)');
  assert.equal(after.mode & 0o777, 0o600);
});

test('no code cache without the cache folder: kops-mfa creates that folder only when it caches a session', async (t) => {
  const dir = tempDir(t, 'kops-mfa-home-');
  ok(await run(process.execPath, [BIN, '--version'], { env: { PATH: process.env.PATH, HOME: dir } }));
  assert.throws(() => statSync(join(dir, '.cache')), /ENOENT/);
});

test('a rebuilt bundle of the same length runs as built, not from the bytecode of the old one', async (t) => {
  // The package copied, so its bundle can be rewritten.
  const pkg = tempDir(t);
  for (const entry of ['package.json', 'bin', 'dist', 'shells']) cpSync(join(ROOT, entry), join(pkg, entry), { recursive: true });
  const h = home(t, join(pkg, 'bin', 'kops-mfa.cjs'));
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
  assert.equal(await h.version(), `${version}\n`);
  const bundle = join(pkg, 'dist', 'main.cjs');
  const other = version.replace(/\d/g, '9');
  const text = readFileSync(bundle, 'utf8');
  assert.ok(text.includes(JSON.stringify(version)));
  writeFileSync(bundle, text.replaceAll(JSON.stringify(version), JSON.stringify(other))); // same length
  assert.equal(await h.version(), `${other}\n`);
});

test("0.2.0's single code cache goes once a bundle's cache is written; a folder of that name stays", async (t) => {
  const h = home(t);
  const legacy = join(h.file, '..', `code-${process.version}-${process.arch}.v8`);
  writeFileSync(legacy, 'bytecode of the old bundle', { mode: 0o600 });
  await h.version();
  assert.throws(() => statSync(legacy), /ENOENT/, 'removed');
  const other = tempDir(t);
  mkdirSync(legacy);
  writeFileSync(join(legacy, 'keep'), other);
  rmSync(h.file);
  await h.version();
  assert.equal(readFileSync(join(legacy, 'keep'), 'utf8'), other, 'a folder of that name is not kops-mfa\'s file: left alone');
});
