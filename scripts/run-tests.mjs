// Runs the compiled test files (.test-build/, made by build-tests.mjs), four
// at a time, as node --test would, but the slow ones first. node --test
// sorts its files by name, so files that spend most of their time waiting
// (real expiries, pseudo-terminal sessions, PowerShell engines) started
// last and ran on alone at the end; started first, their waits overlap the
// rest. Any file still runs; one not listed here runs after these, by name.
// Reports as node --test does: spec on a terminal, TAP otherwise; the exit
// status is 1 when a test failed.
//
// --unit (npm run test:unit, the inner loop): only the files in UNIT, which
// run kops-mfa in this process and start no shell, pseudo-terminal,
// PowerShell or built CLI.
import { readdirSync } from 'node:fs';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';

/** Longest in wall time first (measured alone on the 2-CPU machine). */
const SLOW_FIRST = [
  'snippets-expiry',
  'powershell-snippet',
  'powershell-interactive',
  'doctor',
  'keys',
  'powershell-statements',
  'faults',
  'mfa-session',
  'credential-server',
  'exec-default-profile',
  'setup',
  'snippets-values',
  'cache',
  'snippets-completion',
  'prompt',
];

/** The in-process test files: the inner loop. */
const UNIT = ['argv', 'config', 'config-precedence', 'settings-limits', 'printable', 'session', 'sts', 'lock', 'unusable-sessions', 'sts-server', 'cached-env', 'cache-names'];

const dir = new URL('../.test-build/', import.meta.url);
const unit = process.argv.includes('--unit');
const rank = (file) => {
  const i = SLOW_FIRST.indexOf(file.replace(/\.test\.mjs$/, ''));
  return i === -1 ? SLOW_FIRST.length : i;
};
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.mjs') && (!unit || UNIT.includes(f.replace(/\.test\.mjs$/, ''))))
  .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
  .map((f) => fileURLToPath(new URL(f, dir)));

if (unit && files.length !== UNIT.length) throw new Error(`run-tests: a file of UNIT is missing from .test-build/ (${UNIT.join(', ')})`);

const stream = run({ files, concurrency: 4 });
stream.on('test:fail', () => {
  process.exitCode = 1;
});
stream.compose(process.stdout.isTTY ? new spec() : tap).pipe(process.stdout);
