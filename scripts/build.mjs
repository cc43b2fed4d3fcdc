// The bundles in dist/, and the esbuild options that make them (bench.ts
// imports these options to rebuild them with a source map):
// - cli.cjs: the entry, CommonJS, minified: the process guards and the
//   cached `kops-mfa env` (src/cli/cached-env.ts), and nothing else. Node
//   starts a CommonJS entry without its ES module loader (about 25 ms at
//   every start).
// - main.cjs: the rest of kops-mfa, CommonJS, minified, which the entry
//   loads through bin/kops-mfa.cjs when the cached env declines. Modules both
//   need are in both; no object passes from one to the other but plain
//   functions and data (src/context.ts's BaseContext).
// - sdk.mjs: the AWS SDK, an ES module that sts.ts imports only when an STS
//   call is due. --main-fields=module,main avoids the "Dynamic require of
//   node:https" crash of a plain ESM bundle of the SDK; the banner gives the
//   SDK's CommonJS parts a require().
// - read.cjs, shell-quote.cjs: the two small libraries only a prompt or an
//   mfa_process needs, each a CommonJS bundle of its own, so the cached path
//   neither reads nor compiles them.
// Each bundle's inputs go to .build/bundle-inputs.json (from esbuild's
// metafile): scripts/docs.ts lists the packages in them, with their license
// texts, in THIRD_PARTY_NOTICES. The bundles keep no legal comments
// (legalComments 'none': smaller files to read at every start); that file,
// shipped in the package, carries the notices instead.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

export const common = {
  absWorkingDir: new URL('.', root).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  // Every bundle's inputs, for THIRD_PARTY_NOTICES (written below).
  metafile: true,
  logLevel: 'warning',
  minify: true,
  // init.ts reads import.meta.url only where __dirname is missing (tsx).
  logOverride: { 'empty-import-meta': 'silent' },
  // The version as a constant: bundling package.json put all of it on every start.
  define: { KOPS_MFA_VERSION: JSON.stringify(pkg.version) },
};

/**
 * Libraries loaded with import() only when needed: each is a bundle of its
 * own in dist/, with the names kops-mfa uses assigned one by one, which is
 * how Node's ES module loader finds the named exports of a CommonJS file.
 */
export const LAZY = {
  read: { file: 'read.cjs', names: ['read'] },
  'shell-quote': { file: 'shell-quote.cjs', names: ['parse'] },
};

/** sts.ts imports './sdk.js' (the source); in dist it is the separate './sdk.mjs'. The lazy libraries likewise. */
export const separate = {
  name: 'separate-bundles',
  setup(b) {
    b.onResolve({ filter: /^\.\/sdk\.js$/ }, () => ({ path: './sdk.mjs', external: true }));
    // keys rotate's IAM client: dist/iam.mjs, imported only by a rotation.
    b.onResolve({ filter: /^\.\/iam-sdk\.js$/ }, () => ({ path: './iam.mjs', external: true }));
    b.onResolve({ filter: /^(read|shell-quote)$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: `./${LAZY[args.path].file}`, external: true } : undefined,
    );
  },
};

/**
 * bin/kops-mfa.cjs runs cli.cjs and main.cjs as node:vm scripts (for V8's
 * code cache), which cannot import() by themselves: each import("./…") of a
 * bundle becomes __kmi_("./…"), the bin's import(). Same length, so columns
 * and the source map stay right. The entry imports nothing.
 */
export function finishCli(text, { imports }) {
  const out = text.replaceAll('import("./', '__kmi_("./');
  if (/\bimport\(/.test(out) || imports !== (out !== text)) throw new Error(`expected ${imports ? 'import("./…") calls only, and at least one' : 'no import()'}`);
  return out;
}

// @napi-rs/keyring is a native addon, the one runtime dependency: never
// bundled; src/keys/keyring.ts only resolves its path and a child process loads it.
const cjs = { ...common, format: 'cjs', plugins: [separate], external: ['@napi-rs/keyring'] };

/** The two bundles bin/kops-mfa.cjs runs, and whether each may import() another. */
export const CLI_BUNDLES = [
  { options: { ...cjs, entryPoints: ['src/cli/entry.ts'], outfile: 'dist/cli.cjs' }, imports: false },
  { options: { ...cjs, entryPoints: ['src/cli/run.ts'], outfile: 'dist/main.cjs' }, imports: true },
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  rmSync(new URL('dist', root), { recursive: true, force: true });
  const results = await Promise.all([
    ...CLI_BUNDLES.map(({ options, imports }) =>
      build(options).then((result) => {
        const out = new URL(options.outfile, root);
        writeFileSync(out, finishCli(readFileSync(out, 'utf8'), { imports }));
        return result;
      }),
    ),
    ...[
      ['src/session/sdk.ts', 'dist/sdk.mjs'],
      ['src/keys/iam-sdk.ts', 'dist/iam.mjs'],
    ].map(([entry, outfile]) => build({
      ...common,
      entryPoints: [entry],
      outfile,
      format: 'esm',
      mainFields: ['module', 'main'],
      banner: { js: "import { createRequire as __kopsMfaCreateRequire } from 'node:module'; const require = __kopsMfaCreateRequire(import.meta.url);" },
    })),
    ...Object.entries(LAZY).map(([lib, { file, names }]) =>
      build({
        ...common,
        stdin: {
          contents: `const lib = require(${JSON.stringify(lib)});\n${names.map((n) => `exports.${n} = lib.${n};`).join('\n')}\n`,
          resolveDir: new URL('.', root).pathname,
        },
        outfile: `dist/${file}`,
        format: 'cjs',
      }),
    ),
  ]);
  const inputs = {};
  for (const r of results) {
    for (const [out, o] of Object.entries(r.metafile.outputs)) inputs[out] = Object.keys(o.inputs).sort();
  }
  mkdirSync(new URL('.build', root), { recursive: true });
  writeFileSync(new URL('.build/bundle-inputs.json', root), `${JSON.stringify(inputs, null, 1)}\n`);
}
