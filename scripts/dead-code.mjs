// The dead-code check of `npm test`: every export of src/ is imported by some
// other file (of src/, test/ or scripts/). An export that no other file
// imports is module-private (drop its `export`) or dead (drop it). Unused
// locals are tsc's job (noUnusedLocals in tsconfig.json); this is the part
// tsc does not see. Prints each one as file:line name and exits 1.
// With --typecheck it also reports tsc's diagnostics (as `tsc --noEmit`
// does), from the same program, so that `npm test` builds it once. With
// --fix it drops the `export` of each one used only in its own module (one
// used nowhere is left to a person: remove it).
import ts from 'typescript';
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const configFile = ts.readConfigFile(resolve(root, 'tsconfig.json'), ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
const program = ts.createProgram(parsed.fileNames, parsed.options);
const checker = program.getTypeChecker();

if (process.argv.includes('--typecheck')) {
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
    process.exit(1);
  }
}

const ours = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/'));
const isSrc = (f) => relative(root, f.fileName).startsWith('src/');

/** Symbols that some file other than their own names (an import, a namespace member, a type). */
const used = new Set();
/** Modules loaded with import('…'): all their exports count as used. */
const wholeModules = new Set();
/** Per file, the symbols it names itself, apart from their declarations. */
const namedAt = new Map();

const resolveAlias = (sym) => (sym && sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym);

for (const file of ours) {
  const own = new Set();
  namedAt.set(file.fileName, own);
  const visit = (node) => {
    if (ts.isIdentifier(node)) {
      const sym = resolveAlias(checker.getSymbolAtLocation(node));
      const decl = sym?.declarations?.[0];
      if (decl && decl.getSourceFile() !== file) used.add(sym);
      else if (decl && !(decl.name === node || ts.isImportSpecifier(node.parent) || ts.isExportSpecifier(node.parent))) own.add(sym);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [spec] = node.arguments;
      if (spec && ts.isStringLiteral(spec)) wholeModules.add(checker.getSymbolAtLocation(spec)?.valueDeclaration?.getSourceFile().fileName);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

// Names a test imports from a src/ file inside a script it runs in another
// process (`const { x } = await import(<path of src/…>)` in a string): tsc
// sees no import there, so they are read from the text.
const fromScripts = new Set();
for (const file of ours.filter((f) => relative(root, f.fileName).startsWith('test/'))) {
  for (const m of file.text.matchAll(/const \{([^}]+)\} = await import\([^)]*'src'/g)) {
    for (const name of m[1].split(',')) fromScripts.add(name.trim().split(/\s*:\s*/)[0]);
  }
}

const found = [];
for (const file of ours.filter(isSrc)) {
  if (wholeModules.has(file.fileName)) continue;
  const mod = checker.getSymbolAtLocation(file);
  if (!mod) continue;
  for (const exp of checker.getExportsOfModule(mod)) {
    const target = resolveAlias(exp);
    if (used.has(target) || fromScripts.has(exp.name)) continue;
    // A re-export of another module's symbol is that module's business.
    const decl = target.declarations?.[0];
    if (!decl || decl.getSourceFile() !== file) continue;
    const { line } = file.getLineAndCharacterOfPosition(decl.getStart());
    const local = namedAt.get(file.fileName).has(target);
    found.push({ file: file.fileName, line, name: exp.name, local });
  }
}

if (process.argv.includes('--fix')) {
  for (const f of found.filter((x) => x.local)) {
    const lines = readFileSync(f.file, 'utf8').split('\n');
    if (!lines[f.line].startsWith('export ')) continue;
    lines[f.line] = lines[f.line].slice('export '.length);
    writeFileSync(f.file, lines.join('\n'));
    f.fixed = true;
  }
}
const left = found.filter((f) => !f.fixed);
if (found.length > left.length) console.log(`dead-code: un-exported ${found.length - left.length}`);
if (left.length) {
  console.error(`dead-code: ${left.length} export(s) no other file imports (make them module-private, or remove them):`);
  for (const f of left) console.error(`  ${relative(root, f.file)}:${f.line + 1} ${f.name} (${f.local ? 'used only in its module' : 'used nowhere'})`);
  process.exitCode = 1;
} else {
  console.log('dead-code: every export of src/ is imported elsewhere');
}
