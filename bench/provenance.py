"""What reading provenance adds to a check (issue 20's targets).

For distinct 1 MP JPEGs of the pinned corpus (re-encoded at 1 MP, so they carry no
credentials of their own), and for the same pictures signed at run time with a
throwaway chain (``tests/signing.py``), it times:

- ``read``: ``ProvenanceReader.read`` alone (metadata + Content Credentials), and
- ``check``: a whole ``/api/v1/check`` on a fresh app with ``PROVENANCE_ENABLED`` on,
  minus the same check with it off (distinct bytes each time, so no cache hit).

Usage: ``bash bench/setup && .venv/bin/python bench/provenance.py [--count 200]``
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from server import create_app  # noqa: E402
from server.provenance import ProvenanceReader  # noqa: E402
from server.store.db import upgrade  # noqa: E402
from tests.signing import AI, make_chain, sign  # noqa: E402

CORPUS = ROOT / "bench" / ".cache" / "corpus"


def one_megapixel(path: Path) -> bytes:
    with Image.open(path) as image:
        image = image.convert("RGB")
        scale = (1_000_000 / (image.width * image.height)) ** 0.5
        image = image.resize((round(image.width * scale), round(image.height * scale)))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=88)
        return out.getvalue()


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if "model name" in line),
        platform.processor(),
    )
    return f"{platform.machine()}, {os.cpu_count()} vCPU {cpu}"


def ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    return f"p50 {p50:.2f} ms, p95 {p95:.2f} ms"


def time_reads(reader: ProvenanceReader, files: list[bytes]) -> list[float]:
    reader.read(files[0])  # thread pool and c2pa context warm
    out = []
    for data in files:
        started = time.perf_counter()
        reader.read(data)
        out.append((time.perf_counter() - started) * 1000)
    return out


def time_checks(files: list[bytes], enabled: bool) -> list[float]:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench-" + "x" * 40,
                "DATABASE_URL": f"sqlite:///{folder}/bench.db",
                "RATELIMIT_ENABLED": False,
                "PROVENANCE_ENABLED": enabled,
            }
        )
        upgrade(app)
        client = app.test_client()
        out = []
        for data in files:
            started = time.perf_counter()
            answer = client.post(
                "/api/v1/check",
                data={"image": (io.BytesIO(data), "x.jpg")},
                content_type="multipart/form-data",
            )
            out.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.get_json()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    paths = sorted(p for p in CORPUS.iterdir() if p.suffix in (".jpg", ".png"))[: args.count]
    if not paths:
        sys.exit("no corpus: run bash bench/setup first")
    plain = [one_megapixel(p) for p in paths]
    chain = make_chain("Bench News Agency")
    signed = [sign(d, chain, source_type=AI, actions=("cropped",)) for d in plain]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}, "
        f"{machine()}, {len(plain)} distinct 1 MP JPEGs"
    )
    reader = ProvenanceReader(chain.root_pem, timeout=1.0)
    print("read, no credentials:  ", ms(time_reads(reader, plain)))
    print("read, with credentials:", ms(time_reads(reader, signed)))
    for label, files in (("no credentials", plain), ("with credentials", signed)):
        on = time_checks(files, True)
        off = time_checks(files, False)
        added = [a - b for a, b in zip(on, off, strict=True)]
        print(
            f"check, {label}: on {ms(on)}; off {ms(off)}; added p50 "
            f"{statistics.median(on) - statistics.median(off):.2f} ms "
            f"(pairwise median {statistics.median(added):.2f} ms)"
        )


if __name__ == "__main__":
    main()
