#!/usr/bin/env node
'use strict';
// One line instead of a stack trace on a Node older than package.json's engines.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`kops-mfa needs Node 20.19 or later (this is ${process.versions.node})\n`);
  process.exit(1);
}
// Runs dist/cli.cjs (and, when the cached env declines, dist/main.cjs)
// through node:vm with V8's code cache: the bytecode of what a run compiled,
// taken after the run, kept per bundle in the private cache folder (posix),
// so that the next start neither parses nor compiles the bundle. Node 20 has
// no module.enableCompileCache, and a cache taken after the run also holds
// the functions compiled lazily. A vm script cannot import() by itself: the
// bundles call __kmi_ instead (scripts/build.mjs), and load each other with
// __kml_.
const fs = require('fs');
const { join } = require('path');
const { Script } = require('vm');
const dist = join(__dirname, '..', 'dist');
const home = process.env.XDG_CACHE_HOME?.startsWith('/') ? process.env.XDG_CACHE_HOME : process.env.HOME && `${process.env.HOME}/.cache`;
const dir = process.platform !== 'win32' && home ? `${home}/kops-mfa` : undefined;
const uid = process.getuid?.();
/** Only a file or folder of this user that nobody else can write is trusted: the cache is code. */
const ours = (s, isType) => isType && s.uid === uid && (s.mode & 0o022) === 0;
const kmi = (specifier) => import(`../dist/${specifier.slice(2)}`);
// The bundles' require: a built-in straight from Node's table, without the
// module loader's walk at each of their dozen require("node:…") calls.
const kmr = (id) => (id.startsWith('node:') ? process.getBuiltinModule(id) : require(id));

/** The whole of an open file (of `size` bytes when it was opened), in one read where it can. */
function readAll(fd, size) {
  const bytes = Buffer.allocUnsafe(size);
  let got = 0;
  for (let n; got < size && (n = fs.readSync(fd, bytes, got, size - got, null)) > 0; ) got += n;
  return bytes.subarray(0, got);
}

/** Run the bundle dist/`name` and give back its exports. */
function load(name) {
  const file = join(dist, name);
  // One call reads it (readFileSync's utf8 path is native), between two stats:
  // they say which build the bytecode is of (V8 itself only checks the
  // source's length), and a file that changed while it was read gets none.
  const st = fs.statSync(file);
  const source = fs.readFileSync(file, 'utf8');
  const again = fs.statSync(file);
  const stable = st.ino === again.ino && st.size === again.size && st.mtimeMs === again.mtimeMs && st.ctimeMs === again.ctimeMs;
  const header = Buffer.from(`${process.version} ${st.ino} ${st.size} ${st.mtimeMs} ${st.ctimeMs}\n`);
  const cacheFile = stable && dir && `${dir}/code-${process.version}-${process.arch}-${name.replace(/\.cjs$/, '')}.v8`;
  let cachedData;
  try {
    const cfd = fs.openSync(cacheFile, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const cs = fs.fstatSync(cfd);
      const bytes = cs.size > header.length && ours(cs, cs.isFile()) ? readAll(cfd, cs.size) : undefined;
      if (bytes?.subarray(0, header.length).equals(header)) cachedData = bytes.subarray(header.length);
    } finally {
      fs.closeSync(cfd);
    }
  } catch {
    // no cache yet, or not one to trust: compile
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __kmi_, __kml_) {\n${source}\n})`, {
    filename: file,
    lineOffset: -1,
    cachedData,
  });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    process.once('exit', (code) => {
      if (code !== 0) return;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        const ds = fs.lstatSync(dir);
        if (!ours(ds, ds.isDirectory())) return;
        const wfd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
        try {
          fs.writeSync(wfd, header);
          fs.writeSync(wfd, script.createCachedData());
        } finally {
          fs.closeSync(wfd);
        }
        fs.renameSync(tmp, cacheFile);
      } catch {
        fs.rmSync(tmp, { force: true });
        return;
      }
      // 0.2.0 kept one cache for its one bundle, named without a bundle; nothing reads it now.
      const old = `${dir}/code-${process.version}-${process.arch}.v8`;
      try {
        const os = fs.lstatSync(old);
        if (ours(os, os.isFile())) fs.unlinkSync(old);
      } catch {
        // none
      }
    });
  }
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, kmr, mod, file, dist, kmi, load);
  return mod.exports;
}

load('cli.cjs');
