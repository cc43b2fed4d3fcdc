// Two bundles in dist/:
// - cli.cjs: all of kops-mfa, CommonJS, minified. Node starts a CommonJS entry
//   without its ES module loader (about 25 ms at every start), and the cached
//   path needs nothing else.
// - sdk.mjs: the AWS SDK, an ES module that sts.ts imports only when an STS
//   call is due. --main-fields=module,main avoids the "Dynamic require of
//   node:https" crash of a plain ESM bundle of the SDK; the banner gives the
//   SDK's CommonJS parts a require().
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  minify: true,
  // init.ts reads import.meta.url only where __dirname is missing (tsx).
  logOverride: { 'empty-import-meta': 'silent' },
};

/** sts.ts imports './sdk.js' (the source); in dist it is the separate './sdk.mjs'. */
const sdkExternal = {
  name: 'sdk-external',
  setup(b) {
    b.onResolve({ filter: /^\.\/sdk\.js$/ }, () => ({ path: './sdk.mjs', external: true }));
  },
};

await Promise.all([
  build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.cjs', format: 'cjs', plugins: [sdkExternal] }),
  build({
    ...common,
    entryPoints: ['src/sdk.ts'],
    outfile: 'dist/sdk.mjs',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire as __kopsMfaCreateRequire } from 'node:module'; const require = __kopsMfaCreateRequire(import.meta.url);" },
  }),
]);
