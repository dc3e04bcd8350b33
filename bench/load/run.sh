#!/usr/bin/env bash
# End-to-end load: gunicorn (2 workers) on loopback with the demo index, wrk with 4
# connections for 20 s, distinct 1 MP JPEGs, then cached repeats.
# Run: bash bench/load/run.sh   (needs Debian's wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'kill $(cat "$work/pid") 2>/dev/null || true; rm -rf "$work"' EXIT
.venv/bin/python - "$work" <<'PY'
import sys
sys.path.insert(0, ".")
from pathlib import Path
from bench.speed.hashing import camera_like, CORPUS
photos = sorted(CORPUS.glob("gcompris-*.png"))[:64]
for i, path in enumerate(photos):
    (Path(sys.argv[1]) / f"{i:02d}.jpg").write_bytes(camera_like(path, (1224, 816), i))
PY
export DATABASE_URL="sqlite:///$work/db.sqlite3" ORIGINCHECK_RATELIMIT_ENABLED=false WEB_CONCURRENCY=2
export ORIGINCHECK_SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(32))')"
unset REDIS_URL
.venv/bin/flask --app server init-db >/dev/null
.venv/bin/flask --app server demo-data >/dev/null 2>&1
serve() {
  .venv/bin/gunicorn -b 127.0.0.1:8931 --access-logfile /dev/null --error-logfile /dev/null \
    -p "$work/pid" 'server:create_app()' &
  for _ in $(seq 50); do curl -sf http://127.0.0.1:8931/api/v1/health >/dev/null && break; sleep 0.2; done
}
serve
echo "distinct 1 MP JPEGs (none in the index, so every check runs stage 1 and stage 2):"
wrk -t2 -c${CONNECTIONS:-4} -d20s -s bench/load/check.lua http://127.0.0.1:8931 -- "$work" | tail -1
echo "cached repeats:"
CACHED=1 wrk -t2 -c4 -d10s -s bench/load/check.lua http://127.0.0.1:8931 -- "$work" | tail -1
kill "$(cat "$work/pid")"; sleep 1
ORIGINCHECK_STAGE2_ENABLED=false serve
echo "distinct 1 MP JPEGs, stage 1 only (ORIGINCHECK_STAGE2_ENABLED=false):"
wrk -t2 -c${CONNECTIONS:-4} -d20s -s bench/load/check.lua http://127.0.0.1:8931 -- "$work" | tail -1
