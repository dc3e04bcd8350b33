"""Command-line tools: ``flask --app server <command>``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .api import fetch_policy
from .importer import export_lines, import_lines
from .jsonld import media_review
from .store import get_store

DEMO_FILE = Path(__file__).parent / "demo" / "demo.jsonl"
ROLES = ("volunteer", "moderator", "admin")


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Import entries from a JSON Lines FILE (image paths relative to its folder)."""
    _import(file)


@click.command("demo-data")
@with_appcontext
def demo_data_command() -> None:
    """Load the small, clearly labelled demo set (freely licensed images)."""
    _import(DEMO_FILE)


def _import(file: Path) -> None:
    lines = file.read_text(encoding="utf-8").splitlines()
    added = skipped = failed = 0
    with current_app.test_request_context():  # fetch_policy reads the app's config
        policy = fetch_policy()
    results = import_lines(
        iter(lines),
        base_dir=file.parent,
        store=get_store(),
        max_pixels=current_app.config["MAX_IMAGE_PIXELS"],
        fetch_policy=policy,
    )
    with click.progressbar(
        results, length=len(lines), label=f"Importing {file.name}", file=sys.stderr
    ) as bar:
        for result in bar:
            if result.status == "added":
                added += 1
            elif result.status == "skipped":
                skipped += 1
            else:
                failed += 1
                click.echo(f"\nline {result.line}: {result.message}", err=True)
    click.echo(f"{added} added, {skipped} already present, {failed} failed")
    if failed:
        sys.exit(1)


@click.command("export")
@with_appcontext
@click.option("--format", "fmt", type=click.Choice(["jsonl", "jsonld"]), default="jsonl")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: stdout). With jsonl, thumbnails go to a folder beside it.",
)
def export_command(fmt: str, output: Path | None) -> None:
    """Export every entry as JSON Lines (import shape) or as JSON-LD MediaReviews."""
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        store = get_store()
        if fmt == "jsonld":
            base = current_app.config["PUBLIC_URL"]
            reviews = [media_review(entry, base) for entry, _ in store.iter_entries()]
            json.dump(reviews, out, ensure_ascii=False, indent=2)
            out.write("\n")
            count = len(reviews)
        else:
            images_dir = output.with_name(output.stem + "_images") if output else None
            count = export_lines(store, out, images_dir)
    finally:
        if output:
            out.close()
    click.echo(f"exported {count} entries", err=True)


@click.command("create-token")
@with_appcontext
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="cli", help="Who or what the token is for.")
def create_token_command(role: str, name: str) -> None:
    """Create an API token; it is shown once, on the last line, and stored hashed."""
    token = get_store().create_token(name, role)
    click.echo(f"Created a {role} token for {name!r}. Keep it secret; it is not shown again.")
    click.echo(token)


def init_app(app: Flask) -> None:
    for command in (import_command, demo_data_command, export_command, create_token_command):
        app.cli.add_command(command)
