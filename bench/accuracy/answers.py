"""What the server answers, on a bank that holds fakes as they circulated, with hard negatives.

The bank is built through the server's own code (``references.prepare``, the indexes of
``server.matching``) and holds every known photo as moderators store it: the original
and the misused copies inside a social post, a video player and a TV frame, each frame
with one fixed chrome. Also stored: statement cards, memes, lock screens, and the first
frame of bursts whose neighbouring frame is in the negative bank as a lookalike.

Queries are judged with the server's decision (``matching.matcher``): *recall* is the
query's own entry confirmed; a *false match* is any wrong entry confirmed (on every
query); *possible* counts unconfirmed matches shown on innocent queries. Every positive
family has a hard-negative twin: the same frame, template or scene around an innocent
picture. Run: .venv/bin/python bench/accuracy/answers.py [--limit N] [--workers 2]
Writes bench/accuracy/answers.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
import scenes  # noqa: E402
from edits import FAMILIES, apply, jpeg  # noqa: E402

from server.config import DEFAULTS  # noqa: E402
from server.matching import bank as memory_bank  # noqa: E402
from server.matching.decode import ImageError  # noqa: E402
from server.matching.lookup import look_up  # noqa: E402
from server.matching.matcher import Thresholds, verdict  # noqa: E402
from server.references import Upload, prepare, prepare_together  # noqa: E402

CORPUS = ROOT / "bench" / ".cache" / "corpus"
MAX_PIXELS = 40_000_000
STATE: dict[str, object] = {}

Query = tuple[str, str, int | None, Callable[[], bytes]]


def thresholds() -> Thresholds:
    return Thresholds.from_config(DEFAULTS)


def stored(picture: Image.Image, role: str) -> object:
    return prepare(jpeg(picture, 90), role=role, max_pixels=MAX_PIXELS)


def build(photos: list[Path]) -> tuple[list[Query], dict[str, int]]:
    """The bank (into STATE) and every query, as (family, edit, expected entry, make)."""
    rng = random.Random(7)
    photos = list(photos)
    rng.shuffle(photos)
    half = len(photos) // 2
    known, innocent = photos[:half], photos[half:]
    n_lookalikes = min(120, len(innocent) // 3)
    n_templates = min(20, len(innocent) // 6)
    lookalike_pool = innocent[len(innocent) - n_lookalikes :]
    templates = innocent[len(innocent) - n_lookalikes - n_templates : len(innocent) - n_lookalikes]
    innocent = innocent[: len(innocent) - n_lookalikes - n_templates]
    entries: list[list[object]] = []  # images of each entry, in entry-id order
    negatives: list[object] = []
    queries: list[Query] = []

    def open_photo(path: Path) -> Image.Image:
        return Image.open(path).convert("RGB")

    # Known photos, stored as they circulated: the original and three framed copies.
    for path in known:
        photo = open_photo(path)
        uploads = [Upload(jpeg(photo, 90), "original")]
        uploads += [Upload(jpeg(frame(photo), 90), "misused") for frame in scenes.FRAMES.values()]
        entries.append(prepare_together(uploads, max_pixels=MAX_PIXELS))
    known_ids = list(range(len(known)))

    def add(family: str, edit: str, expected: int | None, make: Callable[[], bytes]) -> None:
        queries.append((family, edit, expected, make))

    for entry, path in zip(known_ids, known, strict=True):
        seed = entry * 100
        for family, edits in FAMILIES.items():
            for n, (name, edit) in enumerate(edits.items()):
                add(family, name, entry, _edited(path, edit, seed + n))
        add("framed", "post", entry, _framed(path, "post", 1.0))
        add("framed", "player", entry, _framed(path, "player", 0.75))
        add("framed", "tv", entry, _framed(path, "tv", 0.75))
        add("framed", "page", entry, _framed(path, "page", 0.75))
        add("framed", "tv-small", entry, _framed(path, "tv", 0.45))
        add("collage", "2x2", entry, _collage(path, innocent, seed, gap=0))
        add("collage", "2x2-gutter", entry, _collage(path, innocent, seed + 1, gap=6))
        add("screen-photo", "screen-photo", entry, _scene(path, scenes.screen_photo, seed))
        add("heavy-filter", "heavy-filter", entry, _scene(path, scenes.heavy_filter, seed))
        add("logo-border", "logo-border", entry, _scene(path, scenes.logo_on_border, seed))

    for n, path in enumerate(innocent):
        seed = 500_000 + n * 100
        for family, edits in FAMILIES.items():
            for k, (name, edit) in enumerate(edits.items()):
                add(family, name, None, _edited(path, edit, seed + k))
        for frame, scale in (("post", 1.0), ("player", 0.75), ("tv", 0.75), ("page", 0.75)):
            add(f"trap-{frame}", frame, None, _framed(path, frame, scale))
            add(f"trap-{frame}", f"{frame}-small", None, _framed(path, frame, scale * 0.6))
        add(
            "trap-watermark",
            "watermark",
            None,
            _scene(path, lambda im, r: scenes.fixed_watermark(im), seed),
        )
        add("trap-collage", "2x2", None, _collage(path, innocent, seed, gap=0))
        add("trap-collage", "2x2-gutter", None, _collage(path, innocent, seed + 1, gap=6))

    # Statements: 20 known, 170 innocent in the same chrome with other words.
    for k in range(20):
        entries.append([stored(scenes.text_post(scenes.statement(1000 + k)), "misused")])
        entry = len(entries) - 1
        for edit, make in _text_edits(lambda k=k: scenes.text_post(scenes.statement(1000 + k))):
            add("text-post", edit, entry, make)
    for k in range(170):
        for edit, make in _text_edits(lambda k=k: scenes.text_post(scenes.statement(5000 + k))):
            add("trap-text-post", edit, None, make)

    # Memes: 20 known (template + false claim); innocent memes of the same templates.
    # Moderators keep each template in the negative bank.
    for k, path in enumerate(templates):
        template = open_photo(path)
        negatives.append(("template", stored(scenes.cover(template, 640, 640), "original")))
        top, bottom = scenes.statement(2000 + k, 6), scenes.statement(2100 + k, 6)
        entries.append([stored(scenes.meme(template, top, bottom), "misused")])
        entry = len(entries) - 1
        for edit, make in _text_edits(lambda t=template, a=top, b=bottom: scenes.meme(t, a, b)):
            add("meme", edit, entry, make)
        for m in range(6):
            other = (scenes.statement(6000 + 10 * k + m, 6), scenes.statement(6500 + 10 * k + m, 6))
            for edit, make in _text_edits(lambda t=template, o=other: scenes.meme(t, *o)):
                add("trap-meme", edit, None, make)

    # Lock screens: 20 known, 170 innocent (other smooth wallpapers, the same interface).
    # Moderators keep the interface in the negative bank, as an overlay.
    negatives.append(("overlay", stored(scenes.lock_screen_interface(), "original")))
    for k in range(20):
        entries.append([stored(scenes.lock_screen(3000 + k), "misused")])
        entry = len(entries) - 1
        for edit, make in _text_edits(lambda k=k: scenes.lock_screen(3000 + k)):
            add("lock-screen", edit, entry, make)
    for k in range(170):
        for edit, make in _text_edits(lambda k=k: scenes.lock_screen(7000 + k)):
            add("trap-lock-screen", edit, None, make)

    # Bursts: the first frame is a known fake; the neighbouring frame, a lookalike that
    # moderators stored in the negative bank. Edits of the lookalike must not match.
    for path in lookalike_pool:
        first, second = scenes.burst_pair(open_photo(path))
        entries.append([stored(first, "misused")])
        entry = len(entries) - 1
        negatives.append(("lookalike", stored(second, "original")))
        for name, edit in (
            ("jpeg-40", FAMILIES["easy"]["jpeg-40"]),
            ("crop-5", FAMILIES["crop"]["crop-5"]),
            ("band-top", FAMILIES["caption"]["band-top"]),
            ("scale-0.5", FAMILIES["easy"]["scale-0.5"]),
            ("crop-10", FAMILIES["crop"]["crop-10"]),
            ("emoji", FAMILIES["overlay"]["emoji"]),
        ):
            add("burst", name, entry, _edited_picture(first, edit, entry))
            add("trap-lookalike", name, None, _edited_picture(second, edit, entry))

    STATE["snapshot"] = memory_bank.snapshot(entries, negatives)
    sizes = {
        "entries": len(entries),
        "images": sum(len(e) for e in entries),
        "negatives": len(negatives),
    }
    return queries, sizes


def _edited(path: Path, edit: object, seed: int) -> Callable[[], bytes]:
    return lambda: apply(edit, Image.open(path).convert("RGB"), seed)  # type: ignore[arg-type]


def _edited_picture(picture: Image.Image, edit: object, seed: int) -> Callable[[], bytes]:
    return lambda: apply(edit, picture, seed)  # type: ignore[arg-type]


def _framed(path: Path, frame: str, scale: float) -> Callable[[], bytes]:
    def make() -> bytes:
        framed = scenes.FRAMES[frame](Image.open(path).convert("RGB"))
        framed = framed.resize((round(framed.width * scale), round(framed.height * scale)))
        return jpeg(framed, 80)

    return make


def _collage(path: Path, pool: list[Path], seed: int, gap: int) -> Callable[[], bytes]:
    def make() -> bytes:
        rng = random.Random(seed)
        others = [Image.open(p).convert("RGB") for p in rng.sample(pool, 3)]
        where = rng.randrange(4)
        pictures = others[:where] + [Image.open(path).convert("RGB")] + others[where:]
        return jpeg(scenes.collage(pictures, where, gap), 85)

    return make


def _scene(
    path: Path, edit: Callable[[Image.Image, random.Random], Image.Image], seed: int
) -> Callable[[], bytes]:
    return lambda: jpeg(edit(Image.open(path).convert("RGB"), random.Random(seed)), 85)


def _text_edits(make: Callable[[], Image.Image]) -> list[tuple[str, Callable[[], bytes]]]:
    """How screenshots of text travel: recompressed, rescaled, cropped, in a post frame."""
    return [
        ("jpeg-60", lambda: jpeg(make(), 60)),
        ("scale-0.6", lambda: jpeg(_scaled(make(), 0.6), 80)),
        ("crop-8", lambda: jpeg(_cropped(make(), 0.08), 80)),
        ("screenshot", lambda: jpeg(scenes.post_frame(make()), 80)),
    ]


def _scaled(picture: Image.Image, factor: float) -> Image.Image:
    return picture.resize((round(picture.width * factor), round(picture.height * factor)))


def _cropped(picture: Image.Image, share: float) -> Image.Image:
    dx, dy = round(picture.width * share), round(picture.height * share)
    return picture.crop((dx, dy, picture.width - dx, picture.height - dy))


def run_query(job: tuple[int, str, str, int | None]) -> tuple:
    """(family, edit, expected, confirmed entries, possible entries, seconds, shown), where
    ``shown`` is (entry, confirmed, pixel agreement) of every match shown (for the ROC)."""
    number, family, edit, expected = job
    make = STATE["queries"][number][3]  # type: ignore[index]
    data = make()
    started = time.perf_counter()
    try:
        _, found = look_up(data, STATE["snapshot"], thresholds(), max_pixels=MAX_PIXELS)  # type: ignore[arg-type]
    except ImageError:  # an unreadable edit answers nothing
        return family, edit, expected, [], [], 0.0, []
    if found is None:  # too flat to fingerprint: answered too_simple
        return family, edit, expected, [], [], time.perf_counter() - started, None
    label = verdict(found)
    confirmed = [f.entry_id for f in found if f.confirmed]
    possible = [f.entry_id for f in found if not f.confirmed] if label != "no_match" else []
    shown = [(f.entry_id, f.confirmed, f.agreement or 0.0) for f in found]
    return family, edit, expected, confirmed, possible, time.perf_counter() - started, shown


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    photos = sorted(CORPUS.glob("*.png"))
    if not photos:
        sys.exit("no corpus: run bash bench/setup first")
    if args.limit:
        photos = random.Random(3).sample(photos, args.limit)
    started = time.time()
    queries, sizes = build(photos)
    STATE["queries"] = queries
    built = time.time() - started
    jobs = [(n, family, edit, expected) for n, (family, edit, expected, _) in enumerate(queries)]
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        rows = list(pool.imap_unordered(run_query, jobs, chunksize=16))
    report = summarise(rows, sizes, built, time.time() - started)
    out = HERE / ("answers.json" if not args.limit else "answers-limit.json")
    out.write_text(json.dumps(report, indent=1))
    print(markdown(report))


def summarise(rows: list[tuple], sizes: dict[str, int], built: float, seconds: float) -> dict:
    families: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    false_examples = []
    for family, edit, expected, confirmed, possible, took, shown in rows:
        f = families[family]
        f["queries"] += 1
        f["seconds"] += took
        f["too_simple"] += shown is None
        wrong = [e for e in confirmed if e != expected]
        if expected is not None:
            f["positives"] += 1
            f["recalled"] += expected in confirmed
            f["wrong_entry"] += bool(wrong) and expected not in confirmed
        else:
            f["possible"] += bool(possible)
        if wrong:
            f["false_matches"] += 1
            if len(false_examples) < 40:
                false_examples.append([family, edit, expected, confirmed])
    total = {
        "queries": len(rows),
        "hard_negatives": sum(v["queries"] for k, v in families.items() if k.startswith("trap-")),
        "false_matches": sum(v["false_matches"] for v in families.values()),
        "innocent_queries": sum(v["queries"] - v["positives"] for v in families.values()),
        "innocent_possible": sum(v["possible"] for v in families.values()),
        "too_simple": sum(v["too_simple"] for v in families.values()),
    }
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {multiprocessing.cpu_count()} cores, Python {platform.python_version()}",
        "bank": sizes,
        "seconds": round(seconds, 1),
        "build_seconds": round(built, 1),
        "total": total,
        "families": {k: dict(v) for k, v in sorted(families.items())},
        "false_examples": false_examples,
        "roc": roc(rows),
    }


#: Pixel agreement a shown match needs to count as confirmed, swept around the server's
#: 0.6 (``Thresholds.min_agreement``, ``hash_agreement``).
SWEEP = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9)


def roc(rows: list[tuple]) -> list[dict]:
    """Recall and false matches if confirmation took agreement ``t`` instead of 0.6: at
    or above 0.6 a match counts when the server confirmed it and it agrees ``t``; below,
    any match shown (agreement 0.5 or more) that agrees ``t`` counts (the server's other
    conditions, such as the words of a text picture, are not replayed there)."""
    points = []
    for t in SWEEP:
        recalled = positives = false = 0
        for _, _, expected, _, _, _, shown in rows:
            counted = {e for e, ok, a in shown or [] if a >= t and (ok or t < 0.6)}
            positives += expected is not None
            recalled += expected in counted
            false += bool(counted - {expected})
        points.append(
            {"agreement": t, "recall": recalled / max(1, positives), "false_matches": false}
        )
    return points


def markdown(report: dict) -> str:
    total = report["total"]
    lines = [
        f"{total['queries']:,} queries ({total['hard_negatives']:,} hard negatives, "
        f"{total['innocent_queries']:,} innocent in all) against {report['bank']['entries']} entries "
        f"({report['bank']['images']} images, {report['bank']['negatives']} lookalikes in the negative bank); "
        f"{report['seconds']} s on {report['machine']}, {report['date']}.",
        "",
        f"False matches: **{total['false_matches']}**; possible matches shown on innocent queries: "
        f"{total['innocent_possible']} ({total['innocent_possible'] / max(1, total['innocent_queries']):.2%}); "
        f"answered too_simple: {total['too_simple']}.",
        "",
        "| family | queries | recall | false matches | wrong entry | possible on innocent | mean ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, f in report["families"].items():
        recall = f"{f['recalled'] / f['positives']:.3f}" if f.get("positives") else "—"
        innocent = f["queries"] - f.get("positives", 0)
        possible = f"{f.get('possible', 0):.0f} / {innocent:.0f}" if innocent else "—"
        lines.append(
            f"| {name} | {f['queries']:.0f} | {recall} | {f.get('false_matches', 0):.0f} | "
            f"{f.get('wrong_entry', 0):.0f} | {possible} | {1000 * f['seconds'] / f['queries']:.1f} |"
        )
    lines += [
        "",
        "Operating points (ROC over the pixel agreement a match needs; the server uses 0.6):",
        "",
        "| agreement ≥ | recall (all positive families) | false matches |",
        "|---|---|---|",
    ]
    for point in report["roc"]:
        lines.append(
            f"| {point['agreement']:.2f} | {point['recall']:.4f} | {point['false_matches']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
