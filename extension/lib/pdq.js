// PDQ, Meta's 256-bit perceptual hash, computed on the reader's device (private mode).
//
// A line-by-line port of the reference (ThreatExchange's pdqhashing.cpp and
// downscaling.cpp, as the `pdqhash` package builds them), so that its bits are the
// reference's bits: the reference works in 32-bit floats, and every operation here is
// rounded to float32 where the reference's is (Math.fround, or a store into a
// Float32Array). The luminance is taken as `pdqhash` takes it, in double precision and
// then rounded. Pure: no DOM, usable from Node for tests.

const SIZE = 64; // the downsampled picture is SIZE x SIZE
const MIN_HASHABLE_DIM = 5;
const JAROSZ_PASSES = 2;

/** Rows 1-16 of the 64-point DCT-II, as the reference rounds them (float32). */
const DCT = (() => {
  const scale = Math.fround(Math.sqrt(2 / SIZE));
  const matrix = new Float32Array(16 * SIZE);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < SIZE; j++) {
      matrix[i * SIZE + j] = scale * Math.cos((Math.PI / 2 / SIZE) * (i + 1) * (2 * j + 1));
    }
  }
  return matrix;
})();

/**
 * The PDQ hash of a picture given as RGBA pixels (an ImageData, or anything with
 * `data`, `width` and `height`). Alpha is ignored, as the reference takes RGB.
 * @returns {{hash: string, quality: number}} 64 hex digits, and 0-100 (below about 50
 *   the picture is too flat for its hash to mean much).
 */
export function pdqHash(pixels) {
  const { hashes, quality } = pdqHashes(pixels, 1);
  return { hash: hashes[0], quality };
}

/**
 * The hashes of the picture in its eight orientations (the reference's dihedral order:
 * as is, turned 90° clockwise, 180°, 90° anticlockwise, flipped top to bottom,
 * mirrored, transposed, transversed), from one DCT: turning or flipping a picture only
 * moves and negates its coefficients. A mirrored copy of a known fake is still found.
 */
export function pdqHashes({ data, width, height }, orientations = 8) {
  if (width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM) {
    return { hashes: Array(orientations).fill('0'.repeat(64)), quality: 0 };
  }
  const luma = new Float32Array(width * height);
  for (let p = 0, q = 0; p < luma.length; p++, q += 4) {
    luma[p] = data[q] * 0.299 + data[q + 1] * 0.587 + data[q + 2] * 0.114;
  }
  const grid = downsample(luma, height, width);
  const quality = imageQuality(grid);
  const coefficients = dct16(grid);
  const hashes = DIHEDRAL.slice(0, orientations).map((turn) => toHex(turn(coefficients)));
  return { hashes, quality };
}

/** Coefficient (i, j) of each orientation, from the original's (the reference's table). */
function orientation(transpose, negate) {
  return (a) => {
    const b = new Float32Array(256);
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 16; j++) {
        const value = negate(i, j) ? -a[i * 16 + j] : a[i * 16 + j];
        b[transpose ? j * 16 + i : i * 16 + j] = value;
      }
    }
    return b;
  };
}

const DIHEDRAL = [
  (a) => a,
  orientation(true, (i, j) => !(j & 1)),
  orientation(false, (i, j) => (i + j) & 1),
  orientation(true, (i) => !(i & 1)),
  orientation(false, (i) => !(i & 1)),
  orientation(false, (i, j) => !(j & 1)),
  orientation(true, () => false),
  orientation(true, (i, j) => (i + j) & 1),
];

/** Two passes of box filters along rows then columns (the "Jarosz filter"), then 64 x 64 samples. */
function downsample(luma, rows, cols) {
  if (rows === SIZE && cols === SIZE) return luma; // the reference leaves 64 x 64 as it is
  const spare = new Float32Array(luma.length);
  const alongRows = windowSize(cols);
  const alongCols = windowSize(rows);
  for (let pass = 0; pass < JAROSZ_PASSES; pass++) {
    for (let i = 0; i < rows; i++) box1d(luma, spare, i * cols, cols, 1, alongRows);
    for (let j = 0; j < cols; j++) box1d(spare, luma, j, rows, cols, alongCols);
  }
  const grid = new Float32Array(SIZE * SIZE);
  for (let i = 0; i < SIZE; i++) {
    const row = Math.trunc(((i + 0.5) * rows) / SIZE);
    for (let j = 0; j < SIZE; j++) {
      grid[i * SIZE + j] = luma[row * cols + Math.trunc(((j + 0.5) * cols) / SIZE)];
    }
  }
  return grid;
}

function windowSize(length) {
  return Math.trunc((length + 2 * SIZE - 1) / (2 * SIZE));
}

/** A running-sum box filter whose window shrinks at both ends (the reference's four phases). */
function box1d(input, output, start, length, stride, full) {
  const half = Math.trunc((full + 2) / 2);
  let left = start;
  let right = start;
  let out = start;
  let sum = 0;
  let size = 0;
  for (let i = 0; i < half - 1; i++) {
    sum = Math.fround(sum + input[right]);
    size++;
    right += stride;
  }
  for (let i = 0; i < full - half + 1; i++) {
    sum = Math.fround(sum + input[right]);
    size++;
    output[out] = sum / size;
    right += stride;
    out += stride;
  }
  for (let i = 0; i < length - full; i++) {
    sum = Math.fround(sum + input[right]);
    sum = Math.fround(sum - input[left]);
    output[out] = sum / size;
    left += stride;
    right += stride;
    out += stride;
  }
  for (let i = 0; i < half - 1; i++) {
    sum = Math.fround(sum - input[left]);
    size--;
    output[out] = sum / size;
    left += stride;
    out += stride;
  }
}

/** The reference's count of significant gradients of the 64 x 64 grid, 0-100. */
function imageQuality(grid) {
  let total = 0;
  const step = (u, v) => Math.abs(Math.trunc(Math.fround(Math.fround(Math.fround(u - v) * 100) / 255)));
  for (let i = 0; i < SIZE - 1; i++) {
    for (let j = 0; j < SIZE; j++) total += step(grid[i * SIZE + j], grid[(i + 1) * SIZE + j]);
  }
  for (let i = 0; i < SIZE; i++) {
    for (let j = 0; j < SIZE - 1; j++) total += step(grid[i * SIZE + j], grid[i * SIZE + j + 1]);
  }
  return Math.min(100, Math.trunc(total / 90));
}

/** The 16 x 16 low frequencies after the constant one: DCT · grid · DCTᵀ, summed in float32. */
function dct16(grid) {
  const half = new Float32Array(16 * SIZE);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < SIZE; j++) {
      let sum = 0;
      for (let k = 0; k < SIZE; k++) sum = Math.fround(sum + Math.fround(DCT[i * SIZE + k] * grid[k * SIZE + j]));
      half[i * SIZE + j] = sum;
    }
  }
  const out = new Float32Array(256);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let sum = 0;
      for (let k = 0; k < SIZE; k++) sum = Math.fround(sum + Math.fround(half[i * SIZE + k] * DCT[j * SIZE + k]));
      out[i * 16 + j] = sum;
    }
  }
  return out;
}

/** Bit k is set where coefficient k exceeds the median (rank 128 of 256); hex, bit 255 first. */
function toHex(coefficients) {
  const median = Float32Array.from(coefficients).sort()[127];
  let hex = '';
  for (let word = 15; word >= 0; word--) {
    let value = 0;
    for (let bit = 15; bit >= 0; bit--) value = (value << 1) | (coefficients[word * 16 + bit] > median ? 1 : 0);
    hex += value.toString(16).padStart(4, '0');
  }
  return hex;
}

/** Hamming distance between two hashes in hex. */
export function hammingDistance(a, b) {
  let distance = 0;
  for (let i = 0; i < a.length; i += 8) {
    let x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0;
    while (x) {
      x &= x - 1;
      distance++;
    }
  }
  return distance;
}
