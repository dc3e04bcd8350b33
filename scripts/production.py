"""Run OriginCheck's production stack on this machine (called by scripts/production).

Two app nodes (gunicorn, gevent workers) on NODE_PORTS, the job worker and nginx in
front (PORT, and TLS_PORT with TLS_CERT/TLS_KEY), kept running by supervisord; the
nodes share PostgreSQL (DATABASE_URL) and Redis (REDIS_URL). Every file it writes goes
to ORIGINCHECK_STATE (default instance/production): rendered configs, logs, the
generated secret key. See README "Production".
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def settings() -> dict[str, str]:
    env = os.environ
    state = Path(env.get("ORIGINCHECK_STATE", ROOT / "instance" / "production")).resolve()
    return {
        "STATE": str(state),
        "DATABASE_URL": env.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/origincheck"),
        "REDIS_URL": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "PORT": env.get("PORT", "8080"),
        "TLS_PORT": env.get("TLS_PORT", ""),
        "TLS_CERT": env.get("TLS_CERT", ""),
        "TLS_KEY": env.get("TLS_KEY", ""),
        "NODE_PORTS": env.get("NODE_PORTS", "8101 8102"),
    }


def secret_key(state: Path) -> str:
    """ORIGINCHECK_SECRET_KEY, or one generated once into the state folder (0600)."""
    if os.environ.get("ORIGINCHECK_SECRET_KEY"):
        return os.environ["ORIGINCHECK_SECRET_KEY"]
    path = state / "secret_key"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist yet."""
    target = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def render(name: str, values: dict[str, str]) -> str:
    out = (ROOT / "deploy" / f"{name}.template").read_text()
    for key, value in values.items():
        out = out.replace("{{" + key + "}}", value)
    return out


def write_configs(config: dict[str, str]) -> Path:
    state = Path(config["STATE"])
    for folder in ("nginx-body", "nginx-proxy", "nginx-fastcgi", "nginx-uwsgi", "nginx-scgi"):
        (state / folder).mkdir(parents=True, exist_ok=True)
    ports = config["NODE_PORTS"].split()
    tls = ""
    if config["TLS_PORT"]:
        tls = (
            f"        listen 127.0.0.1:{config['TLS_PORT']} ssl;\n"
            f"        ssl_certificate {config['TLS_CERT']};\n"
            f"        ssl_certificate_key {config['TLS_KEY']};\n"
            "        ssl_protocols TLSv1.2 TLSv1.3;\n"
        )
    nginx = render(
        "nginx.conf",
        {
            "STATE": str(state),
            "USER": "user root;" if os.geteuid() == 0 else "",
            "UPSTREAMS": "\n".join(
                f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in ports
            ),
            "HTTP_PORT": config["PORT"],
            "TLS": tls,
        },
    )
    (state / "nginx.conf").write_text(nginx)
    nodes = "".join(
        f"[program:node-{n}]\n"
        f"command={VENV}/bin/gunicorn --bind 127.0.0.1:{port} 'server:create_app()'\n"
        f"directory={ROOT}\n"
        'environment=ORIGINCHECK_PROXY_HOPS="1"\n'
        "autorestart=true\nstartsecs=3\nstopasgroup=true\nkillasgroup=true\n"
        f"redirect_stderr=true\nstdout_logfile={state}/node-{n}.log\n\n"
        for n, port in enumerate(ports, start=1)
    )
    supervisor = render(
        "supervisord.conf",
        {
            "STATE": str(state),
            "NODAEMON": "false" if "--daemon" in sys.argv else "true",
            "NODES": nodes,
            "VENV": str(VENV),
            "ROOT": str(ROOT),
        },
    )
    path = state / "supervisord.conf"
    path.write_text(supervisor)
    return path


def flask(*args: str) -> None:
    subprocess.run([VENV / "bin" / "flask", "--app", "server", *args], cwd=ROOT, check=True)


def wait_healthy(port: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the stack did not become healthy on port {port}")


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "run"
    config = settings()
    state = Path(config["STATE"])
    state.mkdir(parents=True, exist_ok=True)
    conf = state / "supervisord.conf"
    if command in ("stop", "status"):
        action = "shutdown" if command == "stop" else "status"
        subprocess.run([VENV / "bin" / "supervisorctl", "-c", conf, action], check=False)
        return
    os.environ.update(
        DATABASE_URL=config["DATABASE_URL"],
        REDIS_URL=config["REDIS_URL"],
        ORIGINCHECK_SECRET_KEY=secret_key(state),
    )
    if urlsplit(config["DATABASE_URL"]).scheme.startswith("postgres"):
        ensure_database(config["DATABASE_URL"])
    flask("init-db")
    conf = write_configs(config)
    supervisord = [VENV / "bin" / "supervisord", "-c", conf]
    if "--daemon" in sys.argv:
        subprocess.run(supervisord, check=True)
        wait_healthy(config["PORT"])
        print(f"OriginCheck is up: http://127.0.0.1:{config['PORT']}/ (logs in {state})")
    else:
        os.execv(supervisord[0], [str(part) for part in supervisord])


if __name__ == "__main__":
    main()
