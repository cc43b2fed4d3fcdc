// The test files, compiled once for `npm test`: each test/*.test.ts becomes
// one ES module in .test-build/, so that the test runner (run-tests.mjs)
// starts plain Node for each file instead of Node plus the tsx loader (a
// loader thread and about 0.35 s of CPU per file, 31 files). Type checking
// is tsc's job (npm run typecheck); this only strips types and bundles.
// - .test-build/ sits one level below the root, as test/ does, so that paths
//   the tests build from import.meta.url ('..' is the root) stay the same.
// - Packages stay imports from node_modules; src/sdk.ts (loaded by sts.ts
//   with import() only when an STS call is due) is dist/sdk.mjs, the same
//   code as the CLI loads, so a test file that never calls STS in-process
//   never loads the SDK.
// - Source maps, so that a failure points at the .ts line.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { common } from './build.mjs';

const root = new URL('..', import.meta.url);
const OUT = '.test-build';

const sdkFromDist = {
  name: 'sdk-from-dist',
  setup(b) {
    b.onResolve({ filter: /^\.\/sdk\.js$/ }, () => ({ path: '../dist/sdk.mjs', external: true }));
  },
};

rmSync(new URL(OUT, root), { recursive: true, force: true });
const entryPoints = readdirSync(new URL('test', root))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/${f}`);
await build({
  absWorkingDir: common.absWorkingDir,
  entryPoints,
  outdir: OUT,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [sdkFromDist],
});
