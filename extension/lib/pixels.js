// Getting a picture's pixels ready for PDQ on the device, as the server gets a query's.
// Pure (arrays in, arrays out): node --test checks it against Pillow's numbers.

/** Longest side the server hashes a query at (server/matching/hashing.py HASH_SIDE). */
export const HASH_SIDE = 320;

/**
 * Shrink RGBA pixels by a whole factor to at most HASH_SIDE on the longest side, each
 * new pixel the rounded mean of its block (Pillow's Image.reduce, which the server
 * uses): the device then hashes what the server would, and lands on the same bits
 * or within a few of them.
 */
export function reduceForHashing({ data, width, height }) {
  const factor = Math.ceil(Math.max(width, height) / HASH_SIDE);
  if (factor <= 1) return { data, width, height };
  const w = Math.ceil(width / factor);
  const h = Math.ceil(height / factor);
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    const y0 = y * factor;
    const y1 = Math.min(height, y0 + factor);
    for (let x = 0; x < w; x++) {
      const x0 = x * factor;
      const x1 = Math.min(width, x0 + factor);
      let r = 0;
      let g = 0;
      let b = 0;
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0, at = (yy * width + x0) * 4; xx < x1; xx++, at += 4) {
          r += data[at];
          g += data[at + 1];
          b += data[at + 2];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const at = (y * w + x) * 4;
      out[at] = mean(r, n);
      out[at + 1] = mean(g, n);
      out[at + 2] = mean(b, n);
      out[at + 3] = 255;
    }
  }
  return { data: out, width: w, height: h };
}

/**
 * A block's mean as Pillow rounds it: a 24-bit fixed-point multiplier computed in
 * float32 (Reduce.c's division_UINT32), so a few means land one below the exact
 * rounding, and here too.
 */
function mean(sum, count) {
  const multiplier = Math.trunc(Math.fround(4294967296 / (256 * count)));
  return Math.floor(((sum + Math.floor(count / 2)) * multiplier) / 16777216);
}
