// printable(): outside text on its way to a terminal keeps no character that
// could move the cursor, start an escape sequence or reorder what is shown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { printable } from '../src/printable.ts';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

test('printable: C0 controls, DEL, C1 controls and bidi overrides are removed', () => {
  assert.equal(printable('a\x1b[2Jb'), 'a[2Jb', 'ESC (clear screen)');
  assert.equal(printable('x\r\nkops-mfa: forged'), 'xkops-mfa: forged', 'CR LF cannot start a forged line');
  assert.equal(printable('1\t2\b3\x074\x005'), '12345', 'TAB, BS, BEL, NUL');
  assert.equal(printable('a\x7fb'), 'ab', 'DEL');
  assert.equal(printable('\u009b31m\u0085x\u009d0;title\u009c'), '31mx0;title', 'C1: CSI, NEL, OSC, ST');
  assert.equal(printable('abc\u202edef\u2066g\u2069'), 'abcdefg', 'bidi overrides and isolates');
});

test('printable: everything else is kept as it is', () => {
  const text = 'arn:aws:iam::123456789012:mfa/alice.ö-ü_ø@x+=,  €  中文 🙂 \\x1b ~ \u00a0\u00ff\u0100 \u200f';
  assert.equal(printable(text), text);
  assert.equal(printable(''), '');
});

test('printable: for any string, no control character is left and every other character stays, in order', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      const out = printable(s);
      assert.doesNotMatch(out, CONTROL);
      assert.equal(out, [...s].filter((c) => !CONTROL.test(c)).join(''));
    }),
    { numRuns: 500 },
  );
});
