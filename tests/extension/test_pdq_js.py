"""The extension's PDQ (extension/lib/pdq.js) is the reference's, bit for bit.

Private mode hashes pictures on the reader's device and compares them with the bank's
hashes, which the server computed: the two must agree exactly on the same pixels. Here
119 pictures (photos at many sizes and crops, greyscale, noise, gradients, flat and
tiny ones) are hashed by Node and by ``pdqhash`` (the C++ reference) from the same RGBA
bytes.
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

RUN = """
import { readFileSync } from 'node:fs';
import { pdqHashes } from %s;
const list = JSON.parse(readFileSync(process.argv[1]));
console.log(JSON.stringify(list.map(({ path, width, height }) =>
  pdqHashes({ data: readFileSync(path), width, height }))));
"""


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
    node = shutil.which("node")
    if not node:
        service_missing("node", FileNotFoundError("node"))
    listing = []
    everything = pictures()
    assert len(everything) >= 100
    for i, picture in enumerate(everything):
        path = tmp_path / f"{i}.rgba"
        path.write_bytes(picture.convert("RGBA").tobytes())
        listing.append({"path": str(path), "width": picture.width, "height": picture.height})
    (tmp_path / "list.json").write_text(json.dumps(listing))
    module = json.dumps((ROOT / "extension" / "lib" / "pdq.js").as_uri())
    answer = subprocess.run(
        [node, "--input-type=module", "-e", RUN % module, str(tmp_path / "list.json")],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    theirs = [reference(p) for p in everything]
    ours = [
        (h["hashes"][: len(t[0])], h["quality"])
        for h, t in zip(json.loads(answer.stdout), theirs, strict=True)
    ]
    differing = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    assert differing == [], f"{len(differing)} of {len(everything)} differ"


REDUCE = """
import { readFileSync, writeFileSync } from 'node:fs';
import { prepareForHashing } from %s;
const [path, width, height, out] = process.argv.slice(1);
const r = prepareForHashing({ data: readFileSync(path), width: +width, height: +height });
writeFileSync(out, r.data);
console.log(JSON.stringify([r.width, r.height]));
"""


def test_pictures_are_shrunk_for_hashing_exactly_as_the_server_shrinks_them(
    tmp_path: Path,
) -> None:
    """lib/pixels.js shrinks a (non-JPEG) picture as the server's decode and hashing
    do (two whole-factor reductions, Pillow's), to the last pixel."""
    node = shutil.which("node")
    if not node:
        service_missing("node", FileNotFoundError("node"))
    module = json.dumps((ROOT / "extension" / "lib" / "pixels.js").as_uri())
    for name, size in (("rocket", (1000, 667)), ("coffee", (1283, 999)), ("chelsea", (3001, 2000))):
        picture = demo_image(name).resize(size)
        (tmp_path / "in.rgba").write_bytes(picture.convert("RGBA").tobytes())
        answer = subprocess.run(
            [
                node,
                "--input-type=module",
                "-e",
                REDUCE % module,
                str(tmp_path / "in.rgba"),
                str(size[0]),
                str(size[1]),
                str(tmp_path / "out.rgba"),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        width, height = json.loads(answer.stdout)
        ours = np.frombuffer((tmp_path / "out.rgba").read_bytes(), np.uint8).reshape(
            height, width, 4
        )
        png = io.BytesIO()
        picture.save(png, "PNG")
        server = decode(png.getvalue(), max_pixels=10**8).image
        theirs = np.asarray(hash_picture(server).convert("RGBA"))
        assert np.array_equal(ours, theirs), name


TRIM = """
import { readFileSync } from 'node:fs';
import { bandBox } from %s;
const list = JSON.parse(readFileSync(process.argv[1]));
console.log(JSON.stringify(list.map(({ path, width, height }) =>
  bandBox({ data: readFileSync(path), width, height }))));
"""


def test_caption_bands_and_borders_are_cut_where_the_server_cuts_them(tmp_path: Path) -> None:
    """lib/trim.js finds the server's box (server/matching/trim.py) on every picture."""
    node = shutil.which("node")
    if not node:
        service_missing("node", FileNotFoundError("node"))
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
        ]
    everything += [Image.new("RGB", (200, 100), "white"), Image.new("RGB", (40, 300), (9, 9, 9))]
    listing = []
    for i, picture in enumerate(everything):
        path = tmp_path / f"{i}.rgba"
        path.write_bytes(picture.convert("RGBA").tobytes())
        listing.append({"path": str(path), "width": picture.width, "height": picture.height})
    (tmp_path / "list.json").write_text(json.dumps(listing))
    module = json.dumps((ROOT / "extension" / "lib" / "trim.js").as_uri())
    answer = subprocess.run(
        [node, "--input-type=module", "-e", TRIM % module, str(tmp_path / "list.json")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    ours = [tuple(box) for box in json.loads(answer.stdout)]
    theirs = [band_box(luminance(picture)) for picture in everything]
    assert ours == theirs
    assert (
        sum(box != (0, 0, p.width, p.height) for box, p in zip(theirs, everything, strict=True))
        >= 12
    )
