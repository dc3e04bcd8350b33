"""Shared settings for browser tests: Debian's chromium, never a downloaded browser."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..conftest import service_missing
from ..servers import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google's hosts,
# which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


def artifacts(name: str) -> Path:
    """Where a test saves its screenshots (kept by CI as test artifacts)."""
    folder = ROOT / "test-artifacts" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def require_chromium() -> str:
    if not os.path.exists(CHROMIUM):
        service_missing("Debian's chromium", FileNotFoundError(CHROMIUM))
    return CHROMIUM
