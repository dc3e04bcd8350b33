// Cutting caption bands, borders and letterbox bars before hashing, as the server does
// (server/matching/trim.py, whose rule and numbers these are): a copy published with a
// caption band or a border is then hashed without it and lands on the stored picture.
// Pure; tests hold its boxes to the server's.

const TOLERANCE = 10; // grey levels a pixel may differ from the edge colour
const BAND_FRACTION = 0.5; // lines at least this much edge-coloured are part of a band
const FLAT_FRACTION = 0.97; // lines at least this much edge-coloured may be cut
const EDGE_JUMP = 0.3; // a band ends where this share of the line changes colour at once
const MAX_CUT = 0.4; // never cut more than this share of a side in one pass
const STRADDLE_SPAN = 0.35; // a logo across a band's inner edge spans at most this share of it
const MIN_SIDE = 32; // never leave fewer pixels than this
const PASSES = 3;

/** Grey levels as the server rounds PDQ's float32 luminance. */
function greyLevels({ data, width, height }) {
  const grey = new Uint8Array(width * height);
  for (let p = 0, q = 0; p < grey.length; p++, q += 4) {
    const luma = Math.fround(data[q] * 0.299 + data[q + 1] * 0.587 + data[q + 2] * 0.114);
    grey[p] = Math.trunc(Math.fround(luma + 0.5));
  }
  return grey;
}

/** [left, top, right, bottom] of the picture without its flat edge bands. */
export function bandBox(pixels) {
  const grey = greyLevels(pixels);
  const { width } = pixels;
  let [left, top, right, bottom] = [0, 0, pixels.width, pixels.height];
  for (let pass = 0; pass < PASSES; pass++) {
    // A side's lines, from the edge inward: at(d, j) is pixel j of the d-th line.
    const sides = [
      [bottom - top, right - left, (d, j) => grey[(top + d) * width + left + j]],
      [bottom - top, right - left, (d, j) => grey[(bottom - 1 - d) * width + left + j]],
      [right - left, bottom - top, (d, j) => grey[(top + j) * width + left + d]],
      [right - left, bottom - top, (d, j) => grey[(top + j) * width + right - 1 - d]],
    ];
    let [cutTop, cutBottom, cutLeft, cutRight] = sides.map(([depth, across, at]) => band(depth, across, at));
    if (!(cutTop || cutBottom || cutLeft || cutRight)) break;
    if (bottom - top - cutTop - cutBottom < MIN_SIDE) cutTop = cutBottom = 0;
    if (right - left - cutLeft - cutRight < MIN_SIDE) cutLeft = cutRight = 0;
    if (!(cutTop || cutBottom || cutLeft || cutRight)) break;
    [top, bottom] = [top + cutTop, bottom - cutBottom];
    [left, right] = [left + cutLeft, right - cutRight];
  }
  return [left, top, right, bottom];
}

/** How many leading lines form a flat band worth cutting (trim.py's _band). */
function band(depth, across, at) {
  const limit = Math.trunc(depth * MAX_CUT);
  if (limit < 1 || across < 1) return 0;
  const edgeLine = Uint8Array.from({ length: across }, (_, j) => at(0, j)).sort();
  const edge = (edgeLine[(across - 1) >> 1] + edgeLine[across >> 1]) / 2; // the median
  const low = Math.max(0, Math.ceil(edge - TOLERANCE));
  const high = Math.min(255, Math.floor(edge + TOLERANCE));
  const close = new Float64Array(limit);
  for (let d = 0; d < limit; d++) {
    let count = 0;
    for (let j = 0; j < across; j++) {
      const v = at(d, j);
      if (v >= low && v <= high) count++;
    }
    close[d] = count / across;
  }
  const outside = close.findIndex((share) => share < BAND_FRACTION);
  // No sharp edge within reach: a smooth sky or wall, not a band. (As numpy reads
  // index -1, a first line already outside compares with the last line looked at.)
  if (outside < 0 || close.at(outside - 1) - close[outside] < EDGE_JUMP) return 0;
  let cut = 0;
  for (let d = outside - 1; d >= 0 && !cut; d--) if (close[d] >= FLAT_FRACTION) cut = d + 1;
  // A logo across the band's inner edge: the band ends at the edge (trim.py's _straddled).
  if (cut < outside && straddled(cut, outside, across, at, low, high)) return outside;
  return cut;
}

/** Whether lines [from, to) are off the edge colour only within one compact span. */
function straddled(from, to, across, at, low, high) {
  let first = -1;
  let last = -1;
  for (let j = 0; j < across; j++) {
    for (let d = from; d < to; d++) {
      const v = at(d, j);
      if (v < low || v > high) {
        if (first < 0) first = j;
        last = j;
        break;
      }
    }
  }
  return first >= 0 && last - first + 1 <= STRADDLE_SPAN * across;
}

/** The pixels inside [left, top, right, bottom]. */
export function crop({ data, width }, [left, top, right, bottom]) {
  const w = right - left;
  const out = new Uint8ClampedArray(w * (bottom - top) * 4);
  for (let y = top; y < bottom; y++) out.set(data.subarray((y * width + left) * 4, (y * width + right) * 4), (y - top) * w * 4);
  return { data: out, width: w, height: bottom - top };
}
