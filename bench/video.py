"""Videos as origins (issue 17's targets): index speed, memory and storage of a long
1080p video, recall on screenshots of its moments, and false matches on frames of
other videos of similar content.

The videos are made offline from the pinned corpus (``tests/videos.py``): one shot per
photo, 8 s each, a slow zoom and pan in every shot, hard cuts, libx264 at 25 fps,
cached under ``bench/.cache/video``. The known video and the "other" video use
disjoint halves of the corpus.

Usage: ``bash bench/setup && .venv/bin/python bench/video.py [--minutes 10] [--queries 200]``
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "accuracy"))

import scenes  # noqa: E402
from edits import FAMILIES, apply  # noqa: E402

from server import create_app  # noqa: E402
from server.records import EntryFields  # noqa: E402
from server.store import NewVideo, get_store, get_videos  # noqa: E402
from server.store.db import upgrade  # noqa: E402
from tests.videos import frame_of  # noqa: E402

CORPUS = ROOT / "bench" / ".cache" / "corpus"
CACHE = ROOT / "bench" / ".cache" / "video"
SIZE = (1920, 1080)
FPS = 25
SHOT = 8.0

EDITS = {
    "as-is": lambda im, rng: im,
    "crop-10": FAMILIES["crop"]["crop-10"],
    "window-70": FAMILIES["crop"]["window-70"],
    "band-bottom": FAMILIES["caption"]["band-bottom"],
    "social-post": FAMILIES["screenshot"]["social-post"],
    "player": lambda im, rng: scenes.player_frame(im),
    "ministry": FAMILIES["ministry"]["ministry"],
}


def photos(half: int, count: int) -> list[Image.Image]:
    paths = sorted(p for p in CORPUS.iterdir() if p.suffix in (".jpg", ".png"))
    random.Random(17).shuffle(paths)
    chosen = paths[half::2][:count]
    return [Image.open(p).convert("RGB") for p in chosen]


def make_long_video(
    name: str, pictures: list[Image.Image], seconds: float, moving: bool = False
) -> Path:
    """``tests.videos.make_video`` at 1080p, written frame by frame to a file (a 10 min
    1080p video does not fit comfortably in memory as frames)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}-{int(seconds)}s{'-moving' if moving else ''}.mp4"
    if path.exists():
        return path
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        stream.time_base = Fraction(1, FPS)
        for n in range(round(seconds * FPS)):
            picture = frame_of(pictures, seconds, n / FPS, SIZE, moving=moving)
            frame = av.VideoFrame.from_ndarray(np.asarray(picture), format="rgb24")
            frame.pts = n
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if "model name" in line),
        platform.processor(),
    )
    return f"{platform.machine()}, {os.cpu_count()} vCPU {cpu}"


def _index(database_url: str, video_id: int) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "DATABASE_URL": database_url,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        from server.videos import index_video

        index_video(video_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--moving", action="store_true", help="a patch crosses every shot (motion within shots)"
    )
    args = parser.parse_args()
    seconds = args.minutes * 60
    shots = int(seconds / SHOT)
    known_pictures, other_pictures = photos(0, shots), photos(1, shots)
    if len(known_pictures) < shots:
        sys.exit("no corpus: run bash bench/setup first")
    started = time.time()
    known = make_long_video("known", known_pictures, seconds, args.moving)
    other_seconds = min(seconds, 120.0)
    print(f"# videos ready in {time.time() - started:.0f} s: {known.stat().st_size / 1e6:.1f} MB")

    folder = tempfile.mkdtemp()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "RATELIMIT_ENABLED": False,
            "VIDEO_MAX_BYTES": 2**31,
        }
    )
    upgrade(app)
    fields = EntryFields.model_validate(
        {
            "title": "Game trailer",
            "category": "DecontextualizedContent",
            "claim": "Footage of last night's strike.",
            "origin": {"description": "A trailer", "url": "https://www.youtube.com/watch?v=x"},
        }
    )
    with app.app_context():
        entry_id = get_store().add_entry(fields, [])
        video_id = get_videos().add(entry_id, NewVideo("original", "bench", known.read_bytes()))
    # What the job worker runs, in a process of its own (as `flask worker` is), so that
    # its memory is the indexing's, not this script's pictures.
    child = multiprocessing.get_context("spawn").Process(
        target=_index, args=(f"sqlite:///{folder}/bench.db", video_id)
    )
    t0 = time.perf_counter()
    child.start()
    child.join()
    index_seconds = time.perf_counter() - t0
    worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with app.app_context():
        video = get_videos().get(video_id)
    assert video is not None and video.status == "done", video
    stored = _stored_bytes(app, video_id)
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {_commit()}, {machine()}"
    )
    print(
        f"index: {args.minutes:g} min 1080p H.264 ({known.stat().st_size / 1e6:.0f} MB) in "
        f"{index_seconds:.1f} s = {index_seconds / seconds:.3f}x real time; "
        f"{video.frames} frames kept; peak RSS of the indexing process {worker_rss:.0f} MB "
        f"(start-up included); stored {stored / 1e6:.2f} MB = "
        f"{stored / 1e6 / args.minutes:.2f} MB per minute"
    )

    client = app.test_client()
    # As a gunicorn worker starts (``checks.warm_up``): the first check loads the
    # indexes, and the frames' common points are worked out on a background thread.
    threads = threading.active_count()
    _check(client, apply(EDITS["as-is"], other_pictures[0], 0))
    while threading.active_count() > threads:
        time.sleep(0.05)
    rng = random.Random(5)
    found = {name: [0, 0] for name in EDITS}
    in_range = {name: 0 for name in EDITS}  # the moment inside the range the answer gives
    widths: list[float] = []
    timings_frame: list[float] = []
    moments: list[float] = []
    for n in range(args.queries):
        t = rng.uniform(0, seconds - 0.1)
        moments.append(t)
        name = list(EDITS)[n % len(EDITS)]
        still = frame_of(known_pictures, seconds, t, SIZE, moving=args.moving)
        data = apply(EDITS[name], still, n)
        started = time.perf_counter()
        body = _check(client, data)
        timings_frame.append((time.perf_counter() - started) * 1000)
        hit = (
            any(
                m["entry"]["id"] == entry_id
                and m["confirmed"]
                and m["frame_time_s"] is not None
                and abs(m["frame_time_s"] - t) <= 2.0
                for m in body["matches"]
            )
            and body["result"] == "match"
        )
        found[name][0] += hit
        found[name][1] += 1
        said = next(
            (
                m
                for m in body["matches"]
                if m["entry"]["id"] == entry_id and m["confirmed"] and m["frame_time_s"] is not None
            ),
            None,
        )
        if said is not None and body["result"] == "match":
            first, last = said.get("frame_range_s") or [said["frame_time_s"]] * 2
            widths.append(last - first)
            inside = first - 2.0 <= t <= last + 2.0
            in_range[name] += inside
            if not inside and os.environ.get("VERBOSE"):
                print("  outside the range", name, round(t, 1), [first, last])
        if not hit and os.environ.get("VERBOSE"):
            print(
                "  miss",
                name,
                round(t, 1),
                body["result"],
                [
                    (m["frame_time_s"], m["confirmed"], m["method"], m["distance"], m["agreement"])
                    for m in body["matches"]
                ][:3],
            )
    recalled = sum(v[0] for v in found.values()) / sum(v[1] for v in found.values())
    print(f"recall (right entry, frame within 2 s): {recalled:.3f} over {args.queries} stills")
    for name, (hits, total) in found.items():
        print(f"  {name}: {hits}/{total}")
    print(
        f"recall (right entry, moment within the range the answer gives, ± 2 s): "
        f"{sum(in_range.values()) / args.queries:.3f}; ranges p50 "
        f"{statistics.median(widths) if widths else 0:.1f} s, max {max(widths, default=0):.1f} s"
    )
    for name, hits in in_range.items():
        print(f"  {name}: {hits}/{found[name][1]}")

    # The same moments again, each with another edit (seed): the stored frames' shared
    # points are computed once per frame and kept, so this is a check on a warm server.
    timings_frame_warm: list[float] = []
    for n, t in enumerate(moments):
        still = frame_of(known_pictures, seconds, t, SIZE, moving=args.moving)
        data = apply(EDITS[list(EDITS)[n % len(EDITS)]], still, n + args.queries)
        started = time.perf_counter()
        _check(client, data)
        timings_frame_warm.append((time.perf_counter() - started) * 1000)

    false = 0
    for n in range(args.queries):
        t = rng.uniform(0, other_seconds - 0.1)
        still = frame_of(
            other_pictures[: int(other_seconds / SHOT)], other_seconds, t, SIZE, moving=args.moving
        )
        data = apply(EDITS[list(EDITS)[n % len(EDITS)]], still, n)
        body = _check(client, data)
        false += body["result"] == "match"
    print(f"false matches on frames of another video: {false} of {args.queries}")
    # The same check on stills matched to photos stored as photos (not frames).
    photo_pictures = photos(1, shots + 40)[shots : shots + 40]
    with app.app_context():
        from server.references import prepare

        for k, picture in enumerate(photo_pictures):
            image = prepare(apply(EDITS["as-is"], picture, k), role="original", max_pixels=10**8)
            get_store().add_entry(fields, [image])
    timings_photo: list[float] = []
    for n in range(args.queries):
        data = apply(EDITS[list(EDITS)[n % len(EDITS)]], photo_pictures[n % 40], n)
        started = time.perf_counter()
        _check(client, data)
        timings_photo.append((time.perf_counter() - started) * 1000)
    print(
        f"check p50, first look at each stored picture: a still matched to a video frame "
        f"{statistics.median(timings_frame):.1f} ms (210 queries over {video.frames} frames), "
        f"to a photo {statistics.median(timings_photo[:40]):.1f} ms (40 queries over 40 photos)"
    )
    print(
        f"check p50, warm (each stored picture seen before): to a video frame "
        f"{statistics.median(timings_frame_warm):.1f} ms, "
        f"to a photo {statistics.median(timings_photo[40:]):.1f} ms"
    )


def _check(client, data: bytes) -> dict:  # type: ignore[no-untyped-def,type-arg]
    answer = client.post(
        "/api/v1/check",
        data={"image": (io.BytesIO(data), "x.jpg")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _stored_bytes(app, video_id: int) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from server.store import models as m

    columns = [
        m.Image.thumbnail,
        m.Image.work_jpeg,
        m.Image.orb_xy,
        m.Image.orb_descriptors,
        m.Image.orb_lists,
        m.Image.pdq_codes,
        m.Image.regions,
        m.Image.text,
    ]
    total = 0
    with app.app_context():
        with app.extensions["origincheck.store"]._sessions() as session:
            for column in columns:
                total += (
                    session.scalar(
                        select(func.coalesce(func.sum(func.length(column)), 0)).where(
                            m.Image.video_id == video_id
                        )
                    )
                    or 0
                )
            total += (
                session.scalar(select(func.length(m.Video.poster)).where(m.Video.id == video_id))
                or 0
            )
    return int(total)


def _commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()


if __name__ == "__main__":
    main()
