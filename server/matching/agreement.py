"""The pixel check of a candidate match: do the two pictures agree where they overlap?

Matching keypoints or near hashes prove that two pictures share *something*: another
photo of the same landmark shares the tower; an innocent picture in the same video
player shares the player's controls; two lock screens share the clock. A copy shares
everything in the overlap. So the query is warped onto the stored picture, the stored
picture's own content region (not the frame a copy circulated in) is cut into cells,
and every cell is judged:

- a textured cell agrees when its pixels correlate;
- a flat cell (sky, wall, a smooth wallpaper) agrees when its tone is what the rest of
  the overlap predicts (one gain and offset for the whole picture, as recompression,
  colour edits and filters change it) and it is flat in the query too;
- when both pictures have colour, a flat cell must also have the colour the rest
  predicts (a saturation change, a small hue turn and a tint, as colour filters make):
  two smooth wallpapers of a different colour can have the same greys.

Flat cells matter because what innocent pictures share with known ones is usually
textured (text, icons, logos), while what tells them apart is often smooth. On
bench/accuracy, copies agree at the 5th percentile ≥ 0.8; hard negatives (the same
frame around another picture) stay well under (BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from .geometry import Box, project

SIDE = 128  # the stored picture is compared at this size (longest side)
CELL = 8  # pixels per cell side at that size
MIN_CONTRAST = 4.0  # grey-level standard deviation below which a cell is flat (sky, wall)
CELL_CORRELATION = 0.5  # a textured cell agrees when its pixels correlate at least this much
FLAT_TOLERANCE = 10.0  # grey levels a flat cell may sit from the tone the overlap predicts
COLOUR_TOLERANCE = 10.0  # Cb/Cr levels a cell may sit from the colour the overlap predicts
MAX_HUE_TURN = np.pi / 6  # radians of hue a colour filter may turn (warm/cool tints)
MIN_CELLS = 8  # fewer cells in the overlap than this prove nothing
HOLE_FILL = 0.5  # share of its box a patch of differences fills to count as a hole


@dataclass(frozen=True)
class Shared:
    """Places (reference pixels) of a stored picture that are evidence of nothing in
    particular: ``common`` keypoints the bank holds in many entries, and ``declared``
    ones, matching the negative bank's material (an interface, a logo). Text and icons
    are dense with keypoints, not made of them, so the cells next to declared ones are
    left out too; common keypoints are scattered through ordinary photos, where that
    would leave out much of the picture itself (it cost heavy filters half their recall
    on bench/accuracy/answers.py)."""

    common: np.ndarray
    declared: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))


@dataclass(frozen=True)
class Evidence:
    """What the pixels say about one candidate."""

    agreement: float  # share of the compared cells that agree (0-1)
    flat_agreement: float  # share of the flat cells that agree (1.0 when there are none)
    flat_structure: float  # correlation of the flat cells' tones (1.0 when too few to say)
    textured: int  # textured cells compared
    cells: int  # cells compared in all
    coverage: float  # share of the reference region the query overlaps (0-1)
    query_box: Box  # the matched region, in query pixels
    reference_box: Box  # the same region, in reference pixels
    #: Where all of the stored content lies in the query (clipped to it): for a copy
    #: inside a post or a player, the picture's place in the frame.
    shown_at: Box = (0, 0, 0, 0)
    #: The largest connected patch of disagreeing cells, as a share of the compared
    #: cells: a different picture in the same frame is one big patch.
    largest_difference: float = 0.0
    #: Cells in the largest patch of differing content (textured in either picture) that
    #: agreeing cells surround on all sides but one at most: a different picture in the
    #: same post, page or card.
    largest_hole: int = 0
    #: Mean correlation of the textured cells compared: finer than ``agreement`` when two
    #: stored pictures both agree (a fake and the neighbouring frame of its burst).
    correlation: float = 0.0


NO_EVIDENCE = Evidence(0.0, 0.0, 0.0, 0, 0, 0.0, (0, 0, 0, 0), (0, 0, 0, 0))


def compare(
    query: np.ndarray,
    reference: np.ndarray,
    homography: np.ndarray,
    region: Box | None = None,
    query_chroma: np.ndarray | None = None,
    reference_chroma: np.ndarray | None = None,
    shared: Shared | None = None,
) -> Evidence:
    """Cell-by-cell agreement of ``query`` with ``reference`` inside ``region``.

    ``query`` and ``reference`` are greyscale arrays; ``homography`` maps reference pixel
    coordinates to query pixel coordinates; ``region`` is the part of the reference that
    is its content (default: all of it). The chromas (Cb, Cr; same sizes as the greys)
    are compared too when both pictures have colour. ``shared``: where the stored picture
    shows what it shares with others (``Shared``); agreeing cells there are left out, as
    evidence of nothing in particular.
    """
    scale = SIDE / max(reference.shape)
    height = max(1, round(reference.shape[0] * scale))
    width = max(1, round(reference.shape[1] * scale))
    rows, cols = height // CELL, width // CELL
    if rows < 1 or cols < 1:
        return NO_EVIDENCE
    small = cv2.resize(reference, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    to_small = np.diag([scale, scale, 1.0]) @ np.linalg.inv(homography)
    shrink = abs(np.linalg.det(to_small[:2, :2])) ** 0.5
    source = query.astype(np.float32)
    if shrink < 1:  # blur before shrinking so the query is not aliased
        source = cv2.GaussianBlur(source, (0, 0), 0.5 / shrink)
    warped = cv2.warpPerspective(source, to_small, (width, height), flags=cv2.INTER_LINEAR)
    inside = cv2.warpPerspective(
        np.ones_like(source), to_small, (width, height), flags=cv2.INTER_NEAREST
    )
    a, b, valid = (_cells(x, rows, cols) for x in (small, warped, inside))
    wanted = _region_cells(region, scale, rows, cols)
    overlap = (valid.min(axis=2) > 0.5) & wanted
    if overlap.sum() < MIN_CELLS:
        return NO_EVIDENCE
    mean_a, mean_b = a.mean(axis=2), b.mean(axis=2)
    centred_a, centred_b = a - mean_a[..., None], b - mean_b[..., None]
    spread_a = np.sqrt((centred_a**2).mean(axis=2))
    spread_b = np.sqrt((centred_b**2).mean(axis=2))
    correlation = (centred_a * centred_b).mean(axis=2) / (spread_a * spread_b + 1e-6)
    agrees = overlap & (spread_a > MIN_CONTRAST) & (correlation > CELL_CORRELATION)
    plain = overlap & (spread_a <= MIN_CONTRAST)
    if plain.any():
        gain, offset = _tone(mean_a[overlap], mean_b[overlap])
        residual = np.abs(mean_b - (gain * mean_a + offset))
        agrees |= plain & (residual <= FLAT_TOLERANCE) & (spread_b <= 2.5 * MIN_CONTRAST)
    if query_chroma is not None and reference_chroma is not None and plain.any():
        coloured = _colour_agrees(
            query_chroma, reference_chroma, to_small, (width, height), rows, cols, overlap
        )
        agrees &= coloured | ~plain
    # What the stored picture shares with many others agrees for no particular reason:
    # such cells are left out when they agree, and count when they do not.
    counted = overlap.copy()
    if shared is not None:
        near = _near(shared.common, scale, rows, cols)
        if len(shared.declared):
            declared = _near(shared.declared, scale, rows, cols).astype(np.uint8)
            near |= cv2.dilate(declared, np.ones((3, 3), np.uint8)) > 0
        counted &= ~(near & agrees)
    compared = int(counted.sum())
    if compared < MIN_CELLS:
        return NO_EVIDENCE
    textured = counted & ~plain
    flat = counted & plain
    agrees &= counted
    # Cells with something drawn on one side or the other: a smooth area that a rough
    # alignment shifts a little (a sky, a cloud) differs in tone, not in content.
    busy = ~plain | (spread_b > 2.5 * MIN_CONTRAST)
    ys, xs = np.nonzero(overlap)
    reference_box = (
        round(xs.min() * CELL / scale),
        round(ys.min() * CELL / scale),
        round((xs.max() + 1) * CELL / scale),
        round((ys.max() + 1) * CELL / scale),
    )
    limit = (query.shape[1], query.shape[0])
    query_box = project(homography, reference_box, limit)
    content = region or (0, 0, reference.shape[1], reference.shape[0])
    n_flat = int(flat.sum())
    structure = 1.0
    if n_flat >= MIN_CELLS:
        fa, fb = mean_a[flat], mean_b[flat]
        if fa.std() > 1.0 and fb.std() > 1.0:
            structure = float(np.corrcoef(fa, fb)[0, 1])
    return Evidence(
        agreement=round(float(agrees.sum()) / compared, 4),
        flat_agreement=round(float((agrees & flat).sum()) / n_flat, 4) if n_flat else 1.0,
        flat_structure=round(structure, 4),
        textured=int(textured.sum()),
        cells=compared,
        coverage=round(int(overlap.sum()) / max(1, int(wanted.sum())), 4),
        query_box=query_box,
        reference_box=reference_box,
        shown_at=project(homography, content, limit),
        largest_difference=round(_largest_patch(counted & ~agrees) / compared, 4),
        largest_hole=_largest_hole(counted & ~agrees & busy, overlap),
        correlation=round(float(correlation[textured].mean()), 4) if textured.any() else 0.0,
    )


def _largest_hole(cells: np.ndarray, overlap: np.ndarray) -> int:
    """Cells in the largest compact patch of ``cells`` (4-connected, at least 3 x 3 cells,
    filling half its box: a rough alignment's differences are scattered or stripy) that
    reaches at most one side of the overlap's extent (a caption bar or a lower third
    reaches two or three)."""
    if not cells.any():
        return 0
    ys, xs = np.nonzero(overlap)
    top, bottom, left, right = ys.min(), ys.max(), xs.min(), xs.max()
    _, _, stats, _ = cv2.connectedComponentsWithStats(cells.astype(np.uint8), connectivity=4)
    best = 0
    for x, y, w, h, size in stats[1:]:
        sides = (x <= left) + (y <= top) + (x + w - 1 >= right) + (y + h - 1 >= bottom)
        if sides <= 1 and min(w, h) >= 3 and size >= HOLE_FILL * w * h:
            best = max(best, int(size))
    return best


def _largest_patch(cells: np.ndarray) -> int:
    """Cells in the largest 4-connected patch of ``cells``."""
    if not cells.any():
        return 0
    _, _, stats, _ = cv2.connectedComponentsWithStats(cells.astype(np.uint8), connectivity=4)
    return int(stats[1:, cv2.CC_STAT_AREA].max())


def _colour_agrees(
    query: np.ndarray,
    reference: np.ndarray,
    to_small: np.ndarray,
    size: tuple[int, int],
    rows: int,
    cols: int,
    overlap: np.ndarray,
) -> np.ndarray:
    """Which cells have the colour that one affine map of the reference's colour predicts."""
    width, height = size
    small = cv2.resize(reference, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    warped = cv2.warpPerspective(query.astype(np.float32), to_small, size, flags=cv2.INTER_LINEAR)
    a = np.stack([_cells(small[..., c], rows, cols).mean(axis=2) for c in (0, 1)], axis=2)
    b = np.stack([_cells(warped[..., c], rows, cols).mean(axis=2) for c in (0, 1)], axis=2)
    if overlap.sum() < MIN_CELLS:
        return np.ones((rows, cols), bool)
    za = (a[..., 0] - 128.0) + 1j * (a[..., 1] - 128.0)
    zb = (b[..., 0] - 128.0) + 1j * (b[..., 1] - 128.0)
    predicted = _colour_map(za[overlap], zb[overlap])(za)
    return np.abs(zb - predicted) <= COLOUR_TOLERANCE


def _colour_map(za: np.ndarray, zb: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The colour edit that best takes the reference's cells (Cb + i Cr) to the query's:
    a saturation change, a hue turn of at most ``MAX_HUE_TURN`` and a tint. Any affine
    map of the plane would be too free: it takes one two-colour gradient onto any
    other (a pink-to-purple wallpaper onto a cyan-to-blue one), which no filter does.
    Greyscale and sepia are the saturation going to zero, leaving only the tint."""
    mean_a, mean_b = za.mean(), zb.mean()
    ca, cb = za - mean_a, zb - mean_b
    power = float((np.abs(ca) ** 2).sum())
    if power < 1e-6:
        return lambda z: np.full_like(z, mean_b)
    gain = complex((np.conj(ca) * cb).sum()) / power
    turn = float(np.clip(np.angle(gain), -MAX_HUE_TURN, MAX_HUE_TURN))
    rotated = ca * np.exp(1j * turn)
    scale = max(0.0, float(np.real((np.conj(rotated) * cb).sum())) / power)
    factor = scale * np.exp(1j * turn)
    return lambda z: mean_b + factor * (z - mean_a)


def _tone(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The gain and offset that best take the reference's cell means to the query's.

    Fitted to the cells that follow it: a caption bar or a sticker covers some cells
    with another tone, and a plain least-squares line bent towards them would call the
    rest of a white background different. Clamped to what edits do (a copy is never a
    negative or a wildly stretched one), so that two different smooth pictures cannot
    be fitted onto each other.
    """
    a, b = a.astype(np.float64), b.astype(np.float64)
    keep = np.ones(a.size, bool)
    gain, offset = 1.0, float(np.median(b - a))
    for _ in range(3):
        if keep.sum() < 2 or float(a[keep].std()) < 1e-3:
            break
        gain, _ = np.polyfit(a[keep], b[keep], 1)
        gain = float(np.clip(gain, 0.5, 2.0))
        offset = float(np.median(b[keep] - gain * a[keep]))
        keep = np.abs(b - (gain * a + offset)) <= 2 * FLAT_TOLERANCE
    return gain, offset


def _region_cells(region: Box | None, scale: float, rows: int, cols: int) -> np.ndarray:
    """Which cells lie (mostly) inside ``region`` of the reference."""
    wanted = np.ones((rows, cols), bool)
    if region is None:
        return wanted
    left, top, right, bottom = (v * scale / CELL for v in region)
    ys = (np.arange(rows) + 0.5)[:, None]
    xs = (np.arange(cols) + 0.5)[None, :]
    return (xs >= left) & (xs <= right) & (ys >= top) & (ys <= bottom)


def _near(points: np.ndarray, scale: float, rows: int, cols: int) -> np.ndarray:
    """Cells holding one of ``points`` (reference pixels)."""
    hit = np.zeros((rows, cols), bool)
    cells = np.floor(points * scale / CELL).astype(int)
    inside = (cells[:, 0] >= 0) & (cells[:, 0] < cols) & (cells[:, 1] >= 0) & (cells[:, 1] < rows)
    hit[cells[inside, 1], cells[inside, 0]] = True
    return hit


def _cells(picture: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """(rows, cols, CELL*CELL) view of the picture's top-left rows x cols cells."""
    cut = picture[: rows * CELL, : cols * CELL]
    return cut.reshape(rows, CELL, cols, CELL).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
