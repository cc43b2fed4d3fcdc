#!/usr/bin/env node
// Node 22.1 and later keep the compiled bundle between runs (a no-op on 20).
require('node:module').enableCompileCache?.();
require('../dist/cli.cjs');
