// Bundles src/cli.ts into dist/. Code splitting keeps the AWS SDK in its own
// chunk, loaded by a dynamic import only when an STS call is needed, so the
// cached path reads one small file. --main-fields=module,main avoids the
// "Dynamic require of node:https" crash of a plain ESM bundle of the SDK.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __kopsMfaCreateRequire } from 'node:module'; const require = __kopsMfaCreateRequire(import.meta.url);",
  },
});
