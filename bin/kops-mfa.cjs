#!/usr/bin/env node
// One line instead of a stack trace on a Node older than package.json's engines.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`kops-mfa needs Node 20.19 or later (this is ${process.versions.node})\n`);
  process.exit(1);
}
// Node 22.1 and later keep the compiled bundle between runs. Asked only
// there: on Node 20, loading node:module starts the ES module loader.
if (major >= 22) require('node:module').enableCompileCache?.();
require('../dist/cli.cjs');
