"""Matching accuracy on real photos: recall per edit family at a fixed false-match rate.

Half of the corpus (bench/.cache/corpus, fetched by bench/setup) is indexed as known
fakes; the other half are distractors that are not in the index. Every photo of
both halves is edited in every way of ``edits.FAMILIES`` and checked:

- a query of an indexed photo is *recalled* at threshold t if its own entry is
  within t;
- any query (of either half) is a *false match* at t if a wrong entry is within t.

The false-match rate (FMR) is per query, so "1e-4" means at most one wrong "known
fake" label per 10,000 checks. Three methods run side by side on the same queries:
imagehash pHash-64 (<= 10), PDQ on the whole image (<= 31, HMA's default), and the
server's own stage-1 pipeline (server/hashing.py + server/index.py, the code the
API runs). Run: .venv/bin/python bench/accuracy/run.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from edits import FAMILIES, apply, jpeg  # noqa: E402

from server.config import DEFAULTS  # noqa: E402
from server.matching.bank import filed_features  # noqa: E402
from server.matching.decode import decode_check, work_picture  # noqa: E402
from server.matching.hashing import (  # noqa: E402
    hash_picture,
    picture_hashes,
    query_fingerprint,
    secondary_hashes,
)
from server.matching.index import HashIndex, Snapshot  # noqa: E402
from server.matching.matcher import local_matches, pictures_inside  # noqa: E402
from server.matching.source import IndexRows  # noqa: E402
from server.references import prepare  # noqa: E402

CORPUS = ROOT / "bench" / ".cache" / "corpus"
MAX_PIXELS = 40_000_000
FAR = 999
SEARCH_RADIUS = 96
METHODS = ("phash64", "pdq-whole", "ours")
STAGE1_MATCH = DEFAULTS["MATCH_THRESHOLD"]  # stage 2 runs only where stage 1 found no match
STAGE2_MIN_INLIERS = 8  # record every candidate from here up; the sweep picks the threshold
INLIER_SWEEP = (8, 10, 12, 15, 20, 40)
AGREEMENT_SWEEP = (0.0, 0.4, 0.5, 0.6, 0.7)
BASELINE_THRESHOLDS = {"phash64": 10, "pdq-whole": 31}

# Filled before the worker processes fork.
STATE: dict[str, object] = {}


def build_references(photos: list[Path]) -> None:
    """Prepare every reference as the server stores it (server/references.py)."""
    fingerprints, features, pictures = [], [], {}
    for i, path in enumerate(photos):
        data = jpeg(Image.open(path).convert("RGB"), 92)
        stored = prepare(data, role="original", max_pixels=MAX_PIXELS)
        fingerprints.append(stored.fingerprint)
        features.append((i, i, stored.features))
        pictures[i] = work_picture(stored.work_jpeg)
    codes, entries, variants = [], [], []
    for i, fp in enumerate(fingerprints):
        for name, code in fp.hashes:
            codes.append(np.frombuffer(code, np.uint8))
            entries.append(i)
            variants.append(name)
    ids = np.array(entries, dtype=np.int64)
    rows = IndexRows(np.stack(codes), ids, ids, variants, 0)
    STATE["index"] = HashIndex(rows, multi_index=STATE.get("multi_index"))
    STATE["snapshot"] = Snapshot(STATE["index"], filed_features(features), pictures.get)
    STATE["pdq"] = np.stack([np.frombuffer(bytes.fromhex(fp.pdq), np.uint8) for fp in fingerprints])
    STATE["phash"] = np.array([int(fp.phash, 16) for fp in fingerprints], dtype=np.uint64)


def run_photo(job: tuple[int, str, int | None]) -> list[tuple]:
    """Every edit of one photo: (family, edit, own entry or None, distances per method)."""
    number, path, own = job
    image = Image.open(path).convert("RGB")
    index: HashIndex = STATE["index"]  # type: ignore[assignment]
    rows = []
    for family, edits in FAMILIES.items():
        for name, edit in edits.items():
            data = apply(edit, image, seed=number * 1000 + len(rows))
            try:
                decoded, sharper = decode_check(data, max_pixels=MAX_PIXELS)
                fp = query_fingerprint(data, decoded)
            except Exception:  # noqa: BLE001 - a broken edit is a miss for every method
                rows.append(
                    (family, name, own, [(FAR, FAR, [])] * len(METHODS), ([], 0.0, (FAR, FAR)))
                )
                continue
            ours = {
                hit.entry_id: hit.distance
                for hit in index.search([c for _, c in fp.hashes], SEARCH_RADIUS)
            }
            pdq = np.frombuffer(bytes.fromhex(fp.pdq), np.uint8)
            whole = np.unpackbits(STATE["pdq"] ^ pdq, axis=1).sum(axis=1)  # type: ignore[operator]
            query_phash = secondary_hashes(hash_picture(decoded.image))[0]
            phash = np.bitwise_count(STATE["phash"] ^ np.uint64(int(query_phash, 16)))  # type: ignore[operator]
            per_method = [dict(enumerate(phash)), dict(enumerate(whole)), ours]  # METHODS order
            stage2: tuple = ([], 0.0, (FAR, FAR))
            if min(ours.values(), default=FAR) > STAGE1_MATCH:  # as the server (matcher.find)
                started = time.perf_counter()
                picture, boxes = pictures_inside(decoded.image, sharper)
                inner = picture_hashes(picture, boxes, DEFAULTS["MIN_PDQ_QUALITY"])
                inside = {h.entry_id: h.distance for h in index.search([c for _, c in inner], 60)}
                found = local_matches(
                    picture, boxes, STATE["snapshot"], STAGE2_MIN_INLIERS, DEFAULTS["MIN_AGREEMENT"]
                )
                took = (time.perf_counter() - started) * 1000
                stage2 = (
                    [(m.entry_id == own, m.inliers, m.agreement) for m in found],
                    took,
                    split(inside, own)[:2],
                )
            rows.append((family, name, own, [split(d, own) for d in per_method], stage2))
    return rows


def split(distances: dict[int, int], own: int | None) -> tuple[int, int, list[int]]:
    """(distance to the right entry, to the nearest wrong entry, to every near wrong entry)."""
    right = int(distances.get(own, FAR)) if own is not None else FAR
    near = sorted(int(d) for e, d in distances.items() if e != own and d <= SEARCH_RADIUS)
    return right, near[0] if near else FAR, near


def threshold_at(wrong: np.ndarray, fmr: float) -> int:
    """Largest threshold whose per-query false-match rate is at most ``fmr``."""
    best = -1
    for t in range(0, SEARCH_RADIUS + 1):
        if (wrong <= t).mean() <= fmr:
            best = t
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0, help="use only this many photos")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--multi-index",
        action="store_true",
        help="search stage 1 with the multi-index the server uses above 700,000 hashes",
    )
    args = parser.parse_args()
    STATE["multi_index"] = args.multi_index or None

    photos = sorted(CORPUS.glob("*.png"))
    if not photos:
        sys.exit("no corpus: run bash bench/setup first")
    random.Random(7).shuffle(photos)
    if args.limit:
        photos = photos[: args.limit]
    references, distractors = photos[::2], photos[1::2]
    started = time.time()
    build_references(references)
    jobs = [(i, str(p), i) for i, p in enumerate(references)]
    jobs += [(len(references) + i, str(p), None) for i, p in enumerate(distractors)]
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        rows = [row for chunk in pool.imap_unordered(run_photo, jobs, chunksize=4) for row in chunk]
    elapsed = time.time() - started

    families = list(FAMILIES)
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {multiprocessing.cpu_count()} cores, Python {platform.python_version()}",
        "references": len(references),
        "distractors": len(distractors),
        "queries": len(rows),
        "positive_queries": sum(1 for r in rows if r[2] is not None),
        "seconds": round(elapsed, 1),
        "methods": {},
    }
    for m, method in enumerate(METHODS):
        right = np.array([r[3][m][0] for r in rows])
        wrong = np.array([r[3][m][1] for r in rows])
        positive = np.array([r[2] is not None for r in rows])
        fam = np.array([r[0] for r in rows])
        edit = np.array([r[1] for r in rows])
        near = np.array(sorted(d for r in rows for d in r[3][m][2]))
        pairs = len(rows) * report["references"]
        points = {}
        if method == "ours":
            points.update({f"t-{t}": t for t in (31, 40, 45, 50, 55)})
        if method in BASELINE_THRESHOLDS:
            points["fixed"] = BASELINE_THRESHOLDS[method]
        points["fmr-1e-3"] = threshold_at(wrong, 1e-3)
        points["fmr-1e-4"] = threshold_at(wrong, 1e-4)
        result = {"thresholds": points, "curve": [], "at": {}}
        for label, t in points.items():
            result["at"][label] = {
                "threshold": t,
                "fmr": float((wrong <= t).mean()),
                "false_matches": int((wrong <= t).sum()),
                "pair_fmr": float(np.searchsorted(near, t, side="right") / pairs),
                "families": {
                    f: float((right[positive & (fam == f)] <= t).mean()) for f in families
                },
                "edits": {
                    e: float((right[positive & (edit == e)] <= t).mean()) for e in sorted(set(edit))
                },
            }
        for t in range(0, SEARCH_RADIUS + 1, 2):
            result["curve"].append(
                {
                    "threshold": t,
                    "fmr": float((wrong <= t).mean()),
                    "recall": float((right[positive] <= t).mean()),
                    "families": {
                        f: float((right[positive & (fam == f)] <= t).mean()) for f in families
                    },
                }
            )
        result["closest_wrong"] = int(near[0]) if near.size else None
        report["methods"][method] = result
    s1_right = np.array([r[3][2][0] for r in rows])
    s1_wrong = np.array([r[3][2][1] for r in rows])
    positive = np.array([r[2] is not None for r in rows])
    fam = np.array([r[0] for r in rows])
    edit = np.array([r[1] for r in rows])
    stage2_ms = [r[4][1] for r in rows if r[4][1] > 0]

    def passes(r: tuple, own: bool, t: int, a: float) -> bool:
        return any(is_own == own and n >= t and g >= a for is_own, n, g in r[4][0])

    # Pictures found inside a query (screenshots) are hashed and matched as stage 1 is.
    inside_right = np.array([r[4][2][0] for r in rows]) <= STAGE1_MATCH
    inside_wrong = np.array([r[4][2][1] for r in rows]) <= STAGE1_MATCH
    sweep = []
    for t, a in ((t, a) for t in INLIER_SWEEP for a in AGREEMENT_SWEEP):
        right = (s1_right <= STAGE1_MATCH) | inside_right
        right |= np.array([passes(r, True, t, a) for r in rows])
        wrong = (s1_wrong <= STAGE1_MATCH) | inside_wrong
        wrong |= np.array([passes(r, False, t, a) for r in rows])
        sweep.append(
            {
                "min_inliers": t,
                "min_agreement": a,
                "fmr": float(wrong.mean()),
                "false_matches": int(wrong.sum()),
                "families": {f: float(right[positive & (fam == f)].mean()) for f in families},
                "edits": {
                    e: float(right[positive & (edit == e)].mean()) for e in sorted(set(edit))
                },
            }
        )
    report["stage2"] = {
        "runs": len(stage2_ms),
        "inside_wrong_closest": min(r[4][2][1] for r in rows),
        "inside_right": {
            e: float(inside_right[positive & (edit == e)].mean()) for e in sorted(set(edit))
        },
        "p50_ms": float(np.median(stage2_ms)) if stage2_ms else None,
        "p90_ms": float(np.percentile(stage2_ms, 90)) if stage2_ms else None,
        "sweep": sweep,
        "max_wrong_inliers": max((n for r in rows for own, n, _ in r[4][0] if not own), default=0),
        "max_wrong_agreement": {
            t: max((g for r in rows for own, n, g in r[4][0] if not own and n >= t), default=0)
            for t in INLIER_SWEEP
        },
    }
    if STATE["multi_index"]:  # a comparison run: keep the reference results and plot
        (HERE / "results-multi-index.json").write_text(json.dumps(report, indent=1))
    else:
        (HERE / "results.json").write_text(json.dumps(report, indent=1))
        plot(report)
    print(markdown(report))


def plot(report: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right, bars) = plt.subplots(
        1, 3, figsize=(18, 5.2), gridspec_kw={"width_ratios": [1, 1, 1.2]}
    )
    for method, result in report["methods"].items():
        curve = [p for p in result["curve"] if p["fmr"] > 0] or result["curve"]
        label = "ours, stage 1" if method == "ours" else method
        left.plot([p["fmr"] for p in curve], [p["recall"] for p in curve], marker=".", label=label)
    ours = report["methods"]["ours"]["curve"]
    for family in ours[0]["families"]:
        curve = [p for p in ours if p["fmr"] > 0] or ours
        right.plot(
            [p["fmr"] for p in curve],
            [p["families"][family] for p in curve],
            marker=".",
            label=family,
        )
    for ax, title in (
        (left, "All edits: stage 1 and baselines"),
        (right, "Stage 1: per edit family"),
    ):
        ax.set_xscale("log")
        ax.set_xlim(1e-5, 1)
        ax.set_ylim(0, 1.02)
        ax.axvline(1e-4, color="grey", linestyle=":")
        ax.axvline(1e-3, color="grey", linestyle=":")
        ax.set_xlabel("false matches per query (log)")
        ax.set_ylabel("recall")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    server_recall_bars(bars, report)
    fig.tight_layout()
    fig.savefig(HERE / "roc.png", dpi=90)


def server_recall_bars(ax, report: dict) -> None:  # type: ignore[no-untyped-def]
    """Per family: the baselines, our stage 1 alone, and stage 1 + 2 as the server runs them.

    Stage 1 + 2 makes no false match on the benchmark, so it has no point on the ROC
    axes (which start at one false match); its recall at the server's thresholds is
    what a reader gets.
    """
    methods = report["methods"]
    server = next(
        s
        for s in report["stage2"]["sweep"]
        if s["min_inliers"] == DEFAULTS["MIN_INLIERS"]
        and s["min_agreement"] == DEFAULTS["MIN_AGREEMENT"]
    )
    columns = [
        ("pHash-64 ≤ 10", methods["phash64"]["at"]["fixed"]),
        ("PDQ whole ≤ 31 (HMA default)", methods["pdq-whole"]["at"]["fixed"]),
        (f"stage 1 ≤ {STAGE1_MATCH} bits", methods["ours"]["at"][f"t-{STAGE1_MATCH}"]),
        (
            f"stage 1 + 2, the server ({server['false_matches']} false matches)",
            server,
        ),
    ]
    families = list(server["families"])
    width = 0.8 / len(columns)
    for i, (label, at) in enumerate(columns):
        offsets = np.arange(len(families)) + (i - (len(columns) - 1) / 2) * width
        ax.bar(offsets, [at["families"][f] for f in families], width, label=label)
    ax.set_xticks(np.arange(len(families)), families, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("recall")
    ax.set_title(f"Per family, {report['queries']:,} queries")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)


def markdown(report: dict) -> str:
    methods = report["methods"]
    columns = [
        ("pHash-64 ≤ 10", methods["phash64"]["at"]["fixed"]),
        ("PDQ whole ≤ 31", methods["pdq-whole"]["at"]["fixed"]),
        ("PDQ whole @1e-4", methods["pdq-whole"]["at"]["fmr-1e-4"]),
        ("ours @1e-4", methods["ours"]["at"]["fmr-1e-4"]),
        ("ours @1e-3", methods["ours"]["at"]["fmr-1e-3"]),
    ]
    lines = [
        f"{report['references']} indexed photos, {report['distractors']} distractor photos, "
        f"{report['queries']} queries ({report['positive_queries']} of indexed photos), "
        f"{report['seconds']} s on {report['machine']}, {report['date']}.",
        "",
        "| family | " + " | ".join(name for name, _ in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
        "| threshold (bits) | " + " | ".join(str(c["threshold"]) for _, c in columns) + " |",
        "| false matches / query | "
        + " | ".join(f"{c['fmr']:.1e} ({c['false_matches']})" for _, c in columns)
        + " |",
    ]
    for family in FAMILIES:
        lines.append(
            f"| {family} | " + " | ".join(f"{c['families'][family]:.2f}" for _, c in columns) + " |"
        )
    ours = methods["ours"]
    sweep = [(k, v) for k, v in ours["at"].items() if k.startswith("t-")]
    lines += [
        "",
        f"Our pipeline by threshold (closest wrong pair: {ours['closest_wrong']} bits; "
        f"{report['queries'] * report['references']:,} query-reference pairs):",
        "",
        "| threshold | false matches / query | per pair | " + " | ".join(FAMILIES) + " |",
        "|---" * (len(FAMILIES) + 3) + "|",
    ]
    for _, c in sweep:
        lines.append(
            f"| {c['threshold']} | {c['fmr']:.1e} | {c['pair_fmr']:.1e} | "
            + " | ".join(f"{c['families'][f]:.2f}" for f in FAMILIES)
            + " |"
        )
    stage2 = report["stage2"]
    lines += [
        "",
        f"Stage 1 (match ≤ {STAGE1_MATCH}) + stage 2 (ORB + RANSAC + pixel agreement, only where "
        f"stage 1 found no match; ran on {stage2['runs']} queries, p50 {stage2['p50_ms']:.1f} ms, "
        f"p90 {stage2['p90_ms']:.1f} ms; most inliers on a wrong image: "
        f"{stage2['max_wrong_inliers']}; best agreement of a wrong image by min inliers: "
        + ", ".join(f"{t}: {g:.2f}" for t, g in stage2["max_wrong_agreement"].items())
        + "):",
        "",
        "| min inliers | min agreement | false matches / query | "
        + " | ".join(FAMILIES)
        + " | web-page | window-50 |",
        "|---" * (len(FAMILIES) + 5) + "|",
    ]
    for row in stage2["sweep"]:
        lines.append(
            f"| {row['min_inliers']} | {row['min_agreement']:.1f} | "
            f"{row['fmr']:.1e} ({row['false_matches']}) | "
            + " | ".join(f"{row['families'][f]:.2f}" for f in FAMILIES)
            + f" | {row['edits']['web-page']:.2f} | {row['edits']['window-50']:.2f} |"
        )
    lines += [
        "",
        "Per edit (recall):",
        "",
        "| edit | " + " | ".join(n for n, _ in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for family, edits in FAMILIES.items():
        for edit in edits:
            lines.append(
                f"| {family}/{edit} | "
                + " | ".join(f"{c['edits'][edit]:.2f}" for _, c in columns)
                + " |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
