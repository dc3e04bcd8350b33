import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codesToWords, nearest, toWords } from '../../extension/lib/bank-match.js';
import { hammingDistance } from '../../extension/lib/pdq.js';

const hex = (fill) => fill.repeat(64 / fill.length);
const bytesOf = (h) => Uint8Array.from(h.match(/../g).map((b) => parseInt(b, 16)));

test('stored hashes as the server sends them read like the same hashes in hex', () => {
  const a = `${'0123456789abcdef'.repeat(4)}`;
  assert.deepEqual(codesToWords(bytesOf(a)), toWords(a));
});

test('the nearest stored hash over every orientation of the query, within the limit', () => {
  const stored = [hex('0'), hex('f'), `${'f'.repeat(8)}${'0'.repeat(56)}`];
  const words = codesToWords(Uint8Array.from(stored.flatMap((h) => [...bytesOf(h)])));
  const query = `${'f'.repeat(6)}${'0'.repeat(58)}`; // 24 bits set: 24 from the first, 8 from the third
  assert.deepEqual(nearest([toWords(query)], words, 48), { index: 2, distance: 8 });
  // A second orientation that is nearer wins.
  assert.deepEqual(nearest([toWords(query), toWords(hex('f'))], words, 48), { index: 1, distance: 0 });
  // Nothing within the limit: no index.
  assert.deepEqual(nearest([toWords(`${'f'.repeat(32)}${'0'.repeat(32)}`)], words, 48), { index: -1, distance: null });
  assert.equal(hammingDistance(query, stored[2]), 8);
});
