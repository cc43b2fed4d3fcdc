// Product, not process: what users and contributors read says what kops-mfa
// does, never how it came to be (tickets, the work's own rounds or sittings).
// Checked over README.md, CHANGELOG.md, docs/ (decision records included),
// src/, shells/ and the names of the tests. "session" alone is a product word
// (an MFA session, a role session) and stays allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './support/helpers.ts';

const PROCESS_WORDS: Array<[string, RegExp]> = [
  // A ticket, not the verb: STS issues credentials, a session kops-mfa issues.
  ['issue', /\bissues?\b(?!\s+(?:credentials|keys?|tokens?|sessions?|lasts?|an?|the|its|new|them|it)\b)/i],
  ['ticket', /\btickets?\b/i],
  // A round of work, not "round trip", "round-robin" or "rounds up".
  ['round', /(?<![.\w])(?:(?:this|that|the|last|next|previous|earlier|first|second|third|each|every|one|a|another)\s+rounds?|rounds?\s+(?:\d+|one|two|three))\b(?![- ]?(?:trips?|robin))/i],
  // "session 12" of the work, not "a session 900 s long" or "a D-Bus session 60-200 ms".
  ['a numbered session', /\bsession\s+(?:#|no\.?\s*)?\d+\b(?![-–]?\d*\s*(?:ms|s|seconds?|min|minutes?|h|hours?)\b)/i],
  ['a #number reference', /(?<![\w&#/'"])#\d+\b/],
];

function files(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...files(path, keep));
    else if (keep(path)) out.push(path);
  }
  return out;
}

/** The names given to test(), describe() and it() in a test file. */
export function testNames(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/\b(?:test|describe|it|suite)\s*\(\s*(`(?:\\.|[^`\\])*`|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")/g)) {
    names.push((m[1] as string).slice(1, -1));
  }
  return names;
}

/** Each line that holds a process word: `path:line: word: text`. */
function findings(label: string, text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const [word, re] of PROCESS_WORDS) if (re.test(line)) out.push(`${label}:${i + 1}: ${word}: ${line.trim().slice(0, 120)}`);
  });
  return out;
}

test('the word list catches process talk and lets product words through', () => {
  const caught = (s: string) => PROCESS_WORDS.some(([, re]) => re.test(s));
  // The samples of process talk live in a fixture, so that this file holds none of it itself.
  const samples = readFileSync(join(ROOT, 'test', 'fixtures', 'process-talk.txt'), 'utf8').split('\n').filter(Boolean);
  assert.ok(samples.length >= 8);
  for (const s of samples) {
    assert.ok(caught(s), `not caught: ${s}`);
  }
  for (const s of ['the MFA session ends', 'a role session of 3600 s', 'a session 900 s long', 'no D-Bus session 60-200 ms', 'round trip in real bash', 'round-robin rows', 'never rounds up', 'the round trip', 'Math.round(ms / 1000)', 'issued credentials', 'STS issues credentials', 'no session kops-mfa issues lasts longer', "'#' starts a comment"]) {
    assert.ok(!caught(s), `caught by mistake: ${s}`);
  }
});

test('README, CHANGELOG, docs/, src/, shells/ and the test names speak of the product, not of its process', () => {
  const found: string[] = [];
  const texts = [
    'README.md',
    'CHANGELOG.md',
    ...files('docs', (p) => p.endsWith('.md')),
    ...files('src', () => true),
    ...files('shells', () => true),
  ];
  for (const path of texts) found.push(...findings(path, readFileSync(join(ROOT, path), 'utf8')));
  const tests = files('test', (p) => p.endsWith('.ts') && !relative('test', p).startsWith('fixtures'));
  for (const path of tests) {
    for (const name of testNames(readFileSync(join(ROOT, path), 'utf8'))) found.push(...findings(`${path} (test name)`, name));
  }
  assert.deepEqual(found, [], `process words (tickets, rounds, numbered sittings) in what users read:\n${found.join('\n')}`);
});
