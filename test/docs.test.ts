// The documentation that is made from the code (scripts/docs.ts) matches what
// is committed, the man page renders, the README keeps its shape, and every
// error line the troubleshooting page explains still exists in src/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generate, exitCodes } from '../scripts/docs.ts';
import { ExitCode } from '../src/errors.ts';
import { needTool, ROOT, run } from './support/helpers.ts';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

test('the generated docs are what scripts/docs.ts makes from the code (run npm run docs)', () => {
  for (const [path, text] of generate()) {
    const committed = existsSync(join(ROOT, path)) ? read(path) : '(missing)';
    if (committed !== text) {
      const a = committed.split('\n');
      const b = text.split('\n');
      const at = a.findIndex((line, i) => line !== b[i]);
      assert.fail(`${path} differs from what the code says, first at line ${at + 1}:\n  committed: ${a[at]}\n  generated: ${b[at]}\nrun npm run docs and commit the result`);
    }
  }
});

test('the exit-code table lists every ExitCode with its doc comment', () => {
  const rows = exitCodes();
  for (const [name, code] of Object.entries(ExitCode)) {
    const row = rows.find((r) => r.name === name);
    assert.ok(row, `ExitCode.${name} is in the table`);
    assert.equal(row.code, String(code));
    assert.ok(read('README.md').includes(`| ${code} | ${row.meaning} |`), `README.md shows exit code ${code}`);
    assert.match(read('kops-mfa.1'), new RegExp(`^\\.B ${code}$`, 'm'), `the man page shows exit code ${code}`);
  }
});

test('man ./kops-mfa.1 renders without a warning', async (t) => {
  if (!needTool(t, 'groff')) return;
  const r = await run('groff', ['-man', '-Tutf8', '-ww', '-z', join(ROOT, 'kops-mfa.1')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const shown = await run('groff', ['-man', '-Tascii', join(ROOT, 'kops-mfa.1')]);
  assert.match(shown.stdout.replace(/.\x08/g, ''), /EXIT STATUS\n\s+0 +Success/);
  const pkg = JSON.parse(read('package.json')) as { man?: string | string[] };
  assert.deepEqual([pkg.man].flat(), ['./kops-mfa.1'], "package.json's man names the page");
});

test('the README: at most 250 lines, the rc line of every shell within the first 60', () => {
  const lines = read('README.md').split('\n');
  assert.ok(lines.length <= 250, `README.md has ${lines.length} lines`);
  for (const shell of ['bash', 'zsh', 'fish', 'powershell']) {
    const at = lines.findIndex((l) => l.includes(`kops-mfa init ${shell}`));
    assert.ok(at !== -1 && at < 60, `the rc line for ${shell} is at line ${at + 1}`);
  }
});

function markdown(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? markdown(path) : path.endsWith('.md') ? [path] : [];
  });
}

test('every relative link in README.md, CHANGELOG.md and docs/ points at a file that exists', () => {
  const broken: string[] = [];
  for (const path of ['README.md', 'CHANGELOG.md', ...markdown('docs')]) {
    // Code (fenced blocks and inline spans) holds no links, however it looks.
    const prose = read(path).replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
    for (const m of prose.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      const target = m[1] as string;
      if (/^[a-z]+:/.test(target)) continue;
      if (!existsSync(join(ROOT, dirname(path), target))) broken.push(`${path}: ${target}`);
    }
  }
  assert.deepEqual(broken, []);
});

test('each error line in docs/troubleshooting.md is still one that src/ can print', () => {
  const src = (dir: string): string =>
    readdirSync(join(ROOT, dir))
      .map((name) => {
        const path = join(dir, name);
        return statSync(join(ROOT, path)).isDirectory() ? src(path) : read(path);
      })
      .join('\n');
  const code = src('src');
  const headings = [...read('docs/troubleshooting.md').matchAll(/^### `kops-mfa: (.+)`$/gm)].map((m) => m[1] as string);
  assert.ok(headings.length >= 30, `troubleshooting.md explains ${headings.length} lines`);
  const stale: string[] = [];
  for (const h of headings) {
    // The fixed parts of a line: the text between the variable parts (written …).
    for (const part of h.split(/"?…"?/).map((p) => p.trim()).filter((p) => p.length >= 6)) {
      if (!code.includes(part)) stale.push(`${h}  (no "${part}" in src/)`);
    }
  }
  assert.deepEqual(stale, [], `lines the code no longer prints; update docs/troubleshooting.md:\n${stale.join('\n')}`);
});
