// Getting a picture's pixels ready for PDQ on the device, as the server gets a query's.
// Pure (arrays in, arrays out): tests hold it to Pillow's numbers.

/** Longest side of the server's work picture and of the picture it hashes
 * (server/matching/decode.py WORK_SIDE, server/matching/hashing.py HASH_SIDE). */
export const WORK_SIDE = 512;
export const HASH_SIDE = 320;

/**
 * The picture the server would hash for this file: a JPEG first scaled as Pillow's
 * draft mode scales it (by 2, 4 or 8, which its decoder does in the DCT and a box
 * average approaches), then shrunk to the work side, then to the hash side, each time
 * by a whole factor. The device's hash then lands on the server's, or within a few bits.
 */
export function prepareForHashing(pixels, { jpeg = false } = {}) {
  let picture = pixels;
  if (jpeg) picture = shrink(picture, draftScale(picture.width, picture.height));
  picture = shrink(picture, Math.ceil(Math.max(picture.width, picture.height) / WORK_SIDE));
  return shrink(picture, Math.ceil(Math.max(picture.width, picture.height) / HASH_SIDE));
}

/** Pillow's JPEG draft scale for the size decode.py asks (its draft_size). */
function draftScale(width, height) {
  const share = (Math.floor(WORK_SIDE / 2) + 1) / Math.max(width, height);
  const asked = [Math.ceil(width * share), Math.ceil(height * share)];
  const scale = Math.min(Math.floor(width / asked[0]), Math.floor(height / asked[1]));
  return [8, 4, 2, 1].find((s) => scale >= s) ?? 1;
}

/**
 * Shrink RGBA pixels by a whole factor, each new pixel the mean of its block (partial
 * blocks at the edges included) rounded as Pillow's Image.reduce rounds it.
 */
export function shrink({ data, width, height }, factor) {
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
