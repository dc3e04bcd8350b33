// Matching on the device (private mode): the nearest stored PDQ hash to a picture's.
// Pure, so node --test checks it; lib/bank.js keeps the hashes in IndexedDB.

/** A hash in hex (or 32 bytes) as eight 32-bit words, most significant first. */
export function toWords(hex) {
  const words = new Uint32Array(8);
  for (let i = 0; i < 8; i++) words[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16) >>> 0;
  return words;
}

/** Many 32-byte hashes back to back (as the server sends them) as 8 words each. */
export function codesToWords(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = new Uint32Array(bytes.byteLength / 4);
  for (let i = 0; i < words.length; i++) words[i] = view.getUint32(i * 4);
  return words;
}

function popcount(x) {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/**
 * The stored hash nearest to any of the query's (one per orientation).
 * @param queries {Uint32Array[]} from toWords
 * @param words {Uint32Array} stored hashes, 8 words each
 * @returns {{index: number, distance: number}} index of the stored hash (-1 if none)
 */
export function nearest(queries, words, limit = 256) {
  let best = { index: -1, distance: limit + 1 };
  const count = words.length / 8;
  for (const q of queries) {
    const [q0, q1, q2, q3, q4, q5, q6, q7] = q;
    for (let i = 0, at = 0; i < count; i++, at += 8) {
      let d = popcount(words[at] ^ q0) + popcount(words[at + 1] ^ q1) + popcount(words[at + 2] ^ q2) + popcount(words[at + 3] ^ q3);
      if (d >= best.distance) continue; // half the words already too far
      d += popcount(words[at + 4] ^ q4) + popcount(words[at + 5] ^ q5) + popcount(words[at + 6] ^ q6) + popcount(words[at + 7] ^ q7);
      if (d < best.distance) best = { index: i, distance: d };
    }
  }
  return best.index < 0 ? { index: -1, distance: null } : best;
}
