#!/usr/bin/env node
// Node 22.1 and later keep the compiled bundle between runs. Asked only
// there: on Node 20, loading node:module starts the ES module loader.
if (Number(process.versions.node.split('.')[0]) >= 22) require('node:module').enableCompileCache?.();
require('../dist/cli.cjs');
