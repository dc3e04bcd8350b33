"""The production stack as scripts/production starts it: two app nodes behind nginx, the
job worker, PostgreSQL and Redis, kept running by supervisord (issue: a tested
two-node production stack).

PostgreSQL and Redis sit behind TCP relays (tests/faults.py) so that outages can be
played without touching the machine's shared servers.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import create_engine, text

from bench.hostile.faults import TcpRelay, relay
from server.checks import _warm_up_jpeg

from .. import edits
from ..conftest import POSTGRES_URL, REDIS_URL, demo_image
from ..servers import BIN, ROOT, free_port

NOT_MATCHING = _warm_up_jpeg()


class Production:
    def __init__(self, env: dict[str, str], nginx: str, nodes: list[str], tls: str) -> None:
        self.env, self.nginx, self.nodes, self.tls = env, nginx, nodes, tls
        self.database: TcpRelay
        self.cache: TcpRelay
        self._n = 0

    def flask(self, *args: str) -> str:
        """An operator's command against the stack (with the key the script generated)."""
        key = (Path(self.env["ORIGINCHECK_STATE"]) / "secret_key").read_text().strip()
        done = subprocess.run(
            [BIN / "flask", "--app", "server", *args],
            env={**self.env, "ORIGINCHECK_SECRET_KEY": key},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def check(
        self, base: str, data: bytes, *, fresh: bool = True, **headers: str
    ) -> requests.Response:
        self._n += 1
        body = data + self._n.to_bytes(4, "big") if fresh else data
        return requests.post(
            base + "/api/v1/check", files={"image": ("x.jpg", body)}, headers=headers, timeout=10
        )

    def supervised_pid(self, program: str) -> int:
        status = subprocess.run(
            [
                BIN / "supervisorctl",
                "-c",
                Path(self.env["ORIGINCHECK_STATE"]) / "supervisord.conf",
                "status",
                program,
            ],
            capture_output=True,
            text=True,
        ).stdout
        return int(re.search(r"pid (\d+)", status).group(1))  # type: ignore[union-attr]


def self_signed(folder: Path) -> tuple[Path, Path]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    from ..conftest import service_missing

    try:
        admin = create_engine(
            POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "origincheck_e2e" WITH (FORCE)'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001
        service_missing("PostgreSQL", exc)
    if not os.path.exists("/usr/sbin/nginx"):
        service_missing("Debian's nginx", FileNotFoundError("/usr/sbin/nginx"))
    state = tmp_path_factory.mktemp("production")
    cert, key = self_signed(state)
    database, cache = urlsplit(POSTGRES_URL), urlsplit(REDIS_URL)
    with (
        relay(database.hostname, database.port or 5432) as db,
        relay(cache.hostname, cache.port or 6379) as rd,
    ):
        ports = [free_port() for _ in range(4)]
        env = {
            **os.environ,
            "ORIGINCHECK_STATE": str(state),
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{db.port}/origincheck_e2e",
            "REDIS_URL": f"redis://127.0.0.1:{rd.port}/14",
            "PORT": str(ports[0]),
            "TLS_PORT": str(ports[1]),
            "TLS_CERT": str(cert),
            "TLS_KEY": str(key),
            "NODE_PORTS": f"{ports[2]} {ports[3]}",
            "WEB_CONCURRENCY": "1",
            "ORIGINCHECK_RATELIMIT_FEEDBACK": "6 per minute",
            "ORIGINCHECK_RATELIMIT_CHECK": "100000 per minute",
            "ORIGINCHECK_RATELIMIT_WORK": "100000 per minute",
            "ORIGINCHECK_EXPOSE_WORKER": "true",
        }
        env.pop("ORIGINCHECK_SECRET_KEY", None)
        subprocess.run(
            ["redis-cli", "-p", str(cache.port or 6379), "-n", "14", "flushdb"], check=False
        )
        subprocess.run(["bash", "scripts/production", "--daemon"], env=env, cwd=ROOT, check=True)
        stack = Production(
            env,
            f"http://127.0.0.1:{ports[0]}",
            [f"http://127.0.0.1:{p}" for p in ports[2:]],
            f"https://localhost:{ports[1]}",
        )
        stack.database, stack.cache = db, rd
        stack.flask("demo-data")
        try:
            yield stack
        finally:
            subprocess.run(["bash", "scripts/production", "stop"], env=env, cwd=ROOT, check=False)


def test_the_secret_key_was_generated_once_and_kept_private(production: Production) -> None:
    key = Path(production.env["ORIGINCHECK_STATE"]) / "secret_key"
    assert len(key.read_text().strip()) == 64 and key.stat().st_mode & 0o077 == 0


def test_an_approval_on_one_node_is_matched_by_the_other_within_a_second(
    production: Production,
) -> None:
    node_a, node_b = production.nodes
    token = production.flask("create-token", "--role", "moderator").strip().splitlines()[-1]
    copy = edits.archetype(demo_image("chelsea"))
    report = requests.post(
        node_a + "/api/v1/submissions",
        files={"image": ("c.jpg", edits.jpeg(demo_image("chelsea"), 70))},
        data={"claim": "a cat at the border"},
        timeout=10,
    )
    assert report.status_code == 202
    # The demo bank already holds chelsea: start from a copy nobody matches yet.
    assert production.check(node_b, copy).json()["result"] == "match"
    entry = requests.get(node_b + "/api/v1/entries?q=cat", timeout=5).json()["items"]
    demo = [e for e in entry if "chelsea" in e["title"].lower() or "cat" in e["title"].lower()]
    target = demo[0]["id"]
    retract = requests.post(
        node_a + f"/api/v1/entries/{target}/status",
        json={"status": "retracted"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert retract.status_code == 200
    approve = requests.post(
        node_a + f"/api/v1/submissions/{report.json()['id']}/approve",
        json={"title": "Cat photo sold as border footage"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert approve.status_code == 200
    done = time.monotonic()
    new_entry = approve.json()["entry"]["id"]
    while True:
        answer = production.check(node_b, copy).json()
        if answer["result"] == "match" and answer["matches"][0]["entry"]["id"] == new_entry:
            break
        assert time.monotonic() - done < 1.0, answer["result"]
        time.sleep(0.05)


def test_rate_limits_and_the_cache_are_shared_by_the_nodes(production: Production) -> None:
    node_a, node_b = production.nodes
    client = {"X-Forwarded-For": "198.51.100.7"}  # one reader, as nginx would name them
    codes = [
        requests.post(
            (node_a, node_b)[n % 2] + "/api/v1/feedback",
            json={"verdict": "helpful", "entry_id": 1},
            headers=client,
            timeout=5,
        ).status_code
        for n in range(8)
    ]
    assert codes == [201] * 6 + [429, 429], codes  # 6 a minute across both nodes
    image = edits.jpeg(demo_image("astronaut"), 77)
    first = production.check(node_a, image, fresh=False).json()
    again = production.check(node_b, image, fresh=False).json()
    assert first["cached"] is False and again["cached"] is True


def test_outages_are_survived_on_both_nodes(production: Production) -> None:
    production.cache.hang()
    try:
        for base in (production.nginx, *production.nodes):
            answers = [production.check(base, NOT_MATCHING) for _ in range(4)]
            assert [a.status_code for a in answers] == [200] * 4
    finally:
        production.cache.restore()
    production.database.hang()
    try:
        for base in production.nodes:
            started = time.monotonic()
            answer = production.check(base, edits.archetype(demo_image("rocket")))
            assert answer.status_code == 503 and time.monotonic() - started < 2.0
            assert answer.json()["error"]["code"] == "store_unavailable"
    finally:
        production.database.restore()
    deadline = time.monotonic() + 20
    for base in production.nodes:
        while production.check(base, edits.archetype(demo_image("rocket"))).status_code != 200:
            assert time.monotonic() < deadline, "a node did not recover"
            time.sleep(0.3)


def test_a_killed_node_is_restarted_and_nginx_routes_around_it(production: Production) -> None:
    os.kill(production.supervised_pid("node-1"), 9)
    failures = 0
    deadline = time.monotonic() + 20
    restarted = False
    while time.monotonic() < deadline and not restarted:
        if production.check(production.nginx, NOT_MATCHING).status_code != 200:
            failures += 1
        try:
            restarted = requests.get(production.nodes[0] + "/api/v1/health", timeout=1).ok
        except requests.RequestException:
            pass
        time.sleep(0.1)
    assert restarted, "supervisord did not bring node 1 back"
    assert failures == 0


def test_tls_through_nginx_gets_hsts_and_secure_cookies(production: Production) -> None:
    cert = Path(production.env["TLS_CERT"])
    response = requests.get(production.tls + "/login", verify=str(cert), timeout=5)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Server"] == "nginx"  # no version, no gunicorn
