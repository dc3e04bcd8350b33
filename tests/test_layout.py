"""The folder tree is the architecture: each room imports only the rooms below it.

Walks every module's imports (as the interpreter would resolve them) and holds the
rules of docs/architecture.md, so a shortcut through a higher room fails here and
not in a newcomer's head.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVER = Path(__file__).parent.parent / "server"


def modules() -> dict[str, Path]:
    found = {}
    for path in SERVER.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(SERVER.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """Absolute names of everything ``name`` imports (``from x import y`` gives x and x.y)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def within(name: str, room: str) -> bool:
    return name == room or name.startswith(room + ".")


ALL = modules()


@pytest.mark.parametrize("name", sorted(n for n in ALL if within(n, "server.matching")))
def test_matching_imports_no_flask_and_no_other_room(name: str) -> None:
    for imported in imports(name, ALL[name]):
        assert not within(imported, "flask") and not within(imported, "werkzeug"), imported
        if within(imported, "server"):
            assert within(imported, "server.matching"), f"{name} imports {imported}"


@pytest.mark.parametrize("name", sorted(n for n in ALL if within(n, "server.store")))
def test_store_imports_neither_api_nor_web(name: str) -> None:
    for imported in imports(name, ALL[name]):
        if within(imported, "server"):
            allowed = ("server.store", "server.matching", "server.records")
            assert any(within(imported, room) for room in allowed), f"{name} imports {imported}"


def test_records_are_the_bottom() -> None:
    assert not any(within(i, "server") for i in imports("server.records", ALL["server.records"]))


@pytest.mark.parametrize(
    "name", sorted(n for n in ALL if n.count(".") == 1 and n not in ("server.api", "server.web"))
)
def test_use_cases_import_neither_api_nor_web(name: str) -> None:
    for imported in imports(name, ALL[name]):
        assert not within(imported, "server.api") and not within(imported, "server.web"), (
            f"{name} imports {imported}"
        )


@pytest.mark.parametrize(
    ("room", "other"), [("server.api", "server.web"), ("server.web", "server.api")]
)
def test_api_and_web_do_not_lean_on_each_other(room: str, other: str) -> None:
    for name in (n for n in ALL if within(n, room)):
        assert not any(within(i, other) for i in imports(name, ALL[name])), name


@pytest.mark.parametrize(
    "name", ["server.provenance.credentials", "server.provenance.metadata", "server.native"]
)
def test_file_readers_need_neither_flask_nor_the_store(name: str) -> None:
    for imported in imports(name, ALL[name]):
        assert not within(imported, "flask"), imported
        if within(imported, "server"):
            allowed = ("server.provenance", "server.native", "server.records")
            assert any(within(imported, room) for room in allowed), f"{name} imports {imported}"
