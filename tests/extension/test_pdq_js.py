"""The extension's hashing (extension/lib/pdq.js, pixels.js, trim.js) is the server's.

Private mode hashes pictures on the reader's device and compares them with the bank's
hashes, which the server computed: the two must agree exactly on the same pixels. Here
119 pictures (photos at many sizes and crops, greyscale, noise, gradients, flat and
tiny ones) are hashed by Node and by ``pdqhash`` (the C++ reference) from the same RGBA
bytes; pictures are shrunk and their bands found as the server does, to the pixel.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image, ImageDraw, ImageOps

from server.matching.decode import decode
from server.matching.hashing import hash_picture
from server.matching.pdq import luminance
from server.matching.trim import band_box

from .. import edits
from ..conftest import demo_image, service_missing
from ..servers import ROOT

EACH = """
import { readFileSync } from 'node:fs';
import * as module from %s;
const [name, list] = [process.argv[1], JSON.parse(readFileSync(process.argv[2]))];
console.log(JSON.stringify(list.map(({ path, width, height }) => {
  const answer = module[name]({ data: readFileSync(path), width, height });
  const { width: w, height: h, data } = answer;
  return data ? { width: w, height: h, data: [...data] } : answer;
})));
"""


def in_node(module: str, function: str, pictures: list[Image.Image], folder: Path) -> list:
    """``function`` of extension/lib/``module`` run by Node on each picture's RGBA bytes."""
    node = shutil.which("node")
    if not node:
        service_missing("node", FileNotFoundError("node"))
    listing = []
    for i, picture in enumerate(pictures):
        path = folder / f"{i}.rgba"
        path.write_bytes(picture.convert("RGBA").tobytes())
        listing.append({"path": str(path), "width": picture.width, "height": picture.height})
    (folder / "list.json").write_text(json.dumps(listing))
    source = json.dumps((ROOT / "extension" / "lib" / module).as_uri())
    answer = subprocess.run(
        [node, "--input-type=module", "-e", EACH % source, function, str(folder / "list.json")],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(answer.stdout)


def pictures() -> list[Image.Image]:
    """Pictures of every kind PDQ meets, 119 of them, always the same ones."""
    rng = random.Random(20261201)
    found = []
    for name in ("rocket", "astronaut", "chelsea", "coffee"):
        photo = demo_image(name)
        for _ in range(24):
            width, height = rng.randint(5, 900), rng.randint(5, 900)
            left, top = rng.randint(0, photo.width // 3), rng.randint(0, photo.height // 3)
            box = (
                left,
                top,
                rng.randint(left + 8, photo.width),
                rng.randint(top + 8, photo.height),
            )
            found.append(photo.crop(box).resize((width, height), Image.Resampling.BILINEAR))
        found.append(photo.convert("L").convert("RGB"))
        found.append(photo.resize((1600, 1067)))
    generator = np.random.default_rng(7)
    for size in ((64, 64), (200, 120), (311, 517), (1000, 40)):
        found.append(Image.fromarray(generator.integers(0, 256, (size[1], size[0], 3), np.uint8)))
        ramp = np.linspace(0, 255, size[0] * size[1]).reshape(size[1], size[0]).astype(np.uint8)
        found.append(
            Image.fromarray(
                np.stack(
                    [
                        ramp,
                        ramp[::-1],
                        ramp.T[: size[1], : size[0]] if size[0] == size[1] else ramp,
                    ],
                    -1,
                )
            )
        )
    for text in ("BREAKING: statement", "Official", "Fake"):
        card = Image.new("RGB", (600, 300), "white")
        ImageDraw.Draw(card).text((20, 120), text * 3, fill="black")
        found.append(card)
    found += [Image.new("RGB", (100, 80), (120, 130, 140)), Image.new("RGB", (4, 40), "red")]
    found += [Image.new("RGB", (5, 5), "blue"), demo_image("rocket").resize((64, 64))]
    return found


def reference(picture: Image.Image) -> tuple[list[str], int]:
    """The reference's hashes in its eight orientations, and the quality.

    For a picture of exactly 64 x 64 the reference's single hash skips the blur and its
    dihedral hashes do not (their running sums drift by a rounding), which can move a
    near-tie coefficient; pdq.js follows the single hash, so only that one is compared.
    """
    pixels = np.asarray(picture.convert("RGB"))
    if picture.size == (64, 64):
        bits, quality = pdqhash.compute(pixels)
        return [np.packbits(bits.astype(bool)).tobytes().hex()], int(quality)
    vectors, quality = pdqhash.compute_dihedral(pixels)
    return [np.packbits(v.astype(bool)).tobytes().hex() for v in vectors], int(quality)


def test_pdq_js_gives_the_reference_bits_in_every_orientation_and_quality(tmp_path: Path) -> None:
    everything = pictures()
    assert len(everything) >= 100
    answers = in_node("pdq.js", "pdqHashes", everything, tmp_path)
    theirs = [reference(p) for p in everything]
    ours = [(h["hashes"][: len(t[0])], h["quality"]) for h, t in zip(answers, theirs, strict=True)]
    differing = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    assert differing == [], f"{len(differing)} of {len(everything)} differ"


def test_pictures_are_shrunk_for_hashing_exactly_as_the_server_shrinks_them(
    tmp_path: Path,
) -> None:
    """lib/pixels.js shrinks a (non-JPEG) picture as the server's decode and hashing
    do (two whole-factor reductions, Pillow's), to the last pixel."""
    sizes = (("rocket", (1000, 667)), ("coffee", (1283, 999)), ("chelsea", (3001, 2000)))
    everything = [demo_image(name).resize(size) for name, size in sizes]
    for picture, answer in zip(
        everything, in_node("pixels.js", "prepareForHashing", everything, tmp_path), strict=True
    ):
        ours = np.array(answer["data"], np.uint8).reshape(answer["height"], answer["width"], 4)
        png = io.BytesIO()
        picture.save(png, "PNG")
        server = decode(png.getvalue(), max_pixels=10**8).image
        assert np.array_equal(ours, np.asarray(hash_picture(server).convert("RGBA")))


def test_caption_bands_and_borders_are_cut_where_the_server_cuts_them(tmp_path: Path) -> None:
    """lib/trim.js finds the server's box (server/matching/trim.py) on every picture."""
    rng = random.Random(11)
    everything = []
    for name in ("rocket", "astronaut", "chelsea", "coffee"):
        photo = demo_image(name).resize((rng.randint(150, 320), rng.randint(120, 320)))
        everything += [
            photo,
            edits.caption_band(photo, "BREAKING: missile strike last night"),
            edits.border(photo),
            ImageOps.expand(photo, (0, 30, 0, 30), "black"),
            ImageOps.expand(
                edits.caption_band(photo, "Share before it is deleted"), 12, (40, 40, 40)
            ),
            edits.logo_on_border(photo),
            edits.logo_on_border(photo, "black"),
        ]
    everything += [Image.new("RGB", (200, 100), "white"), Image.new("RGB", (40, 300), (9, 9, 9))]
    ours = [tuple(box) for box in in_node("trim.js", "bandBox", everything, tmp_path)]
    theirs = [band_box(luminance(picture)) for picture in everything]
    assert ours == theirs
    cut = [box != (0, 0, p.width, p.height) for box, p in zip(theirs, everything, strict=True)]
    assert sum(cut) >= 20
