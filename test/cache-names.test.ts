// The cache's file names are FNV-1a digests (store/cache.ts), computed in
// 32-bit halves for speed: they must be the 64-bit FNV-1a numbers, or the
// sessions an earlier kops-mfa cached would not be found.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { digest } from '../src/store/cache.ts';

/** FNV-1a, 64 bits, as its definition says, in BigInt arithmetic. */
function reference(text: string, offset: bigint): string {
  let h = offset;
  for (const byte of Buffer.from(text, 'utf8')) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}
const expected = (parts: string[]) => {
  const text = JSON.stringify(parts);
  return reference(text, 0xcbf29ce484222325n) + reference(text, 0x84222325cbf29ce4n);
};

test('digest is two 64-bit FNV-1a hashes of the parts as JSON, for any text', () => {
  // A known value: FNV-1a 64 of "" is its offset basis, of "a" 0xaf63dc4c8601ec8c.
  assert.equal(reference('', 0xcbf29ce484222325n), 'cbf29ce484222325');
  assert.equal(reference('a', 0xcbf29ce484222325n), 'af63dc4c8601ec8c');
  assert.equal(digest(['kops', 'arn:aws:iam::123456789012:mfa/alice']), expected(['kops', 'arn:aws:iam::123456789012:mfa/alice']));
  fc.assert(fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 6 }), (parts) => digest(parts) === expected(parts)), { numRuns: 300 });
});
