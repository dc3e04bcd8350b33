"""Command-line tools: ``flask --app server <command>``."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click
import faiss
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from . import jobs
from .auth import password_problem
from .factchecks import entry_imports, is_fact_check_markup
from .fetch import fetch, fetch_policy
from .importer import (
    LineResult,
    export_lines,
    import_items,
    import_negative_lines,
    parsed_lines,
    report_items,
)
from .jsonld import fact_check
from .matching.features import QUANTIZER_LISTS
from .records import USER_ROLES
from .references import beside_of, prepare
from .store import LastAdmin, NewImage, NotFound, get_moderation, get_store, get_videos
from .store.moderation import CLI_ACTOR
from .videos import add_video

DEMO_FILE = Path(__file__).parent / "demo" / "demo.jsonl"


@click.command("import")
@with_appcontext
@click.argument("source")
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Wait for the lines' videos to be indexed, with a progress bar.",
)
@click.option(
    "--review",
    is_flag=True,
    help="Queue each item as a report for moderators to review, instead of publishing it.",
)
def import_command(source: str, wait: bool, review: bool) -> None:
    """Import entries from SOURCE, a file or an http(s) address (fetched safely):
    JSON Lines (image paths relative to its folder), or fact-check markup — ClaimReview/
    MediaReview JSON-LD as one document, an array, one per line, a Data Commons feed, a
    Fact-Check Insights download in JSON or CSV (told by content, not by name).

    An ``images`` item that is a video (MP4, MOV, WebM, animated GIF/WebP; told by its
    content) is queued for indexing as the entry's reference video. Images given by
    address are fetched through the safe fetcher."""
    if source.startswith(("http://", "https://")):
        policy = replace(fetch_policy(), max_bytes=current_app.config["IMPORT_MAX_BYTES"])
        text, base_dir, name = fetch(source, policy).decode("utf-8"), Path.cwd(), source
    else:
        path = Path(source)
        if not path.is_file():
            raise click.BadParameter(f"no such file: {source}", param_hint="SOURCE")
        text, base_dir, name = path.read_text(encoding="utf-8"), path.parent, path.name
    _import(text, base_dir, name, wait=wait, review=review)


@click.command("demo-data")
@with_appcontext
def demo_data_command() -> None:
    """Load the small, clearly labelled demo set (freely licensed images)."""
    _import(DEMO_FILE.read_text(encoding="utf-8"), DEMO_FILE.parent, DEMO_FILE.name)


@click.command("import-negatives")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_negatives_command(file: Path) -> None:
    """Import items of the negative bank from a JSON Lines FILE: one {"kind": ...,
    "note": ..., "path" or "url": ...} per line (kinds: lookalike, overlay, frame,
    template)."""
    lines = file.read_text(encoding="utf-8").splitlines()
    results = import_negative_lines(
        iter(lines),
        base_dir=file.parent,
        store=get_moderation(),
        max_pixels=current_app.config["MAX_IMAGE_PIXELS"],
        fetch_policy=fetch_policy(),
        actor=CLI_ACTOR,
    )
    if _report(results, len(lines), file.name):
        sys.exit(1)


def _import(
    text: str, base_dir: Path, name: str, *, wait: bool = True, review: bool = False
) -> None:
    if is_fact_check_markup(text):
        items = list(entry_imports(text))
    else:
        items = list(parsed_lines(text.splitlines()))
    # Where the items' images are read from, and how they are read: the same either way.
    reading = {
        "base_dir": base_dir,
        "max_pixels": current_app.config["MAX_IMAGE_PIXELS"],
        "fetch_policy": fetch_policy(),
    }
    if review:
        reports = report_items(
            iter(items),
            store=get_moderation(),
            actor=CLI_ACTOR,
            queued=lambda report: jobs.enqueue("analyze_submission", report),
            **reading,
        )
        if _report(reports, len(items), name):
            sys.exit(1)
        return
    videos: list[int] = []

    def queue(entry_id: int, data: bytes, role: str, source_url: str | None) -> int:
        video_id = add_video(entry_id, data, role=role, source_url=source_url)
        videos.append(video_id)
        return video_id

    results = import_items(
        iter(items),
        store=get_store(),
        add_video=queue,
        known_video=get_videos().entry_for_sha256,
        **reading,
    )
    failed = _report(results, len(items), name)
    if videos and wait:
        failed |= _wait_for_videos(videos)
    if failed:
        sys.exit(1)


def _wait_for_videos(video_ids: list[int], poll: float = 0.5) -> bool:
    """A progress bar over the videos' indexing (a job worker, or this process, does it);
    True when one failed."""
    store = get_videos()
    done: dict[int, str] = {}
    with click.progressbar(
        length=1000 * len(video_ids), label="Indexing videos", file=sys.stderr
    ) as bar:
        shown = 0
        while len(done) < len(video_ids):
            total = 0.0
            for video_id in video_ids:
                video = store.get(video_id)
                if video is None or video.status in ("done", "failed"):
                    done.setdefault(video_id, video.status if video else "failed")
                    if video is not None and video.status == "failed":
                        click.echo(f"\nvideo {video_id}: {video.error}", err=True)
                    total += 1.0
                else:
                    total += video.progress
            now = round(1000 * total)
            bar.update(now - shown)
            shown = now
            if len(done) < len(video_ids):
                time.sleep(poll)
    indexed = sum(status == "done" for status in done.values())
    click.echo(f"{indexed} video(s) indexed, {len(video_ids) - indexed} failed")
    return indexed < len(video_ids)


def _report(results: Iterator[LineResult], length: int, name: str) -> bool:
    """Count an import's lines as they go, name every failed one; True if any failed."""
    added = skipped = failed = 0
    with click.progressbar(
        results, length=length, label=f"Importing {name}", file=sys.stderr
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
    return bool(failed)


@click.command("reindex")
@with_appcontext
@click.option("--batch", default=100, show_default=True, help="Images per transaction.")
def reindex_command(batch: int) -> None:
    """Recompute every image's hashes and local features from its stored work picture.

    Run after upgrading OriginCheck when the release notes say the hashing pipeline
    changed; workers pick the new index up by themselves.
    """
    store = get_store()
    max_pixels = current_app.config["MAX_IMAGE_PIXELS"]
    images = store.reindexable_images()
    done = 0
    beside: tuple[int, list[NewImage]] = (0, [])  # the last entry's originals
    with click.progressbar(images, label="Reindexing images", file=sys.stderr) as bar:
        pending = []
        for image in bar:
            stored = store.work_jpeg(image.id)
            if stored is None:
                continue
            if image.role != "original" and beside[0] != image.entry_id:
                originals = store.originals_of(image.entry_id)
                beside = (image.entry_id, beside_of(originals, max_pixels=max_pixels))
            prepared = prepare(
                stored,
                role=image.role,
                max_pixels=max_pixels,
                beside=beside[1] if image.role != "original" else (),
            )
            pending.append((image.id, prepared))
            if len(pending) >= batch:
                done += store.refingerprint(pending)
                pending = []
        done += store.refingerprint(pending) if pending else 0
    click.echo(f"Reindexed {done} image(s).")


@click.command("train-quantizer")
@with_appcontext
@click.option(
    "--lists",
    default=QUANTIZER_LISTS,
    show_default=True,
    help="Lists of stage 2's descriptor index (each needs a distinct stored descriptor).",
)
def train_quantizer_command(lists: int) -> None:
    """Train stage 2's descriptor quantizer once, store it, and file every image under it.

    Without one, every worker trains its own at each index reload, which stops
    scaling past a few thousand images (BENCHMARKS.md). Images stored afterwards are
    filed as they arrive; run it again only to retrain after the bank has grown a lot.
    """
    # A one-off job, not a worker: every core (workers keep one thread each, features.py).
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    store = get_store()
    total = store.counts()["images"]
    with click.progressbar(length=total, label="Filing keypoints", file=sys.stderr) as bar:
        try:
            done = store.train_quantizer(lists, progress=bar.update)
        except ValueError as exc:  # too few distinct descriptors for that many lists
            raise click.ClickException(
                f"{exc}. Banks this small are searched exactly and need no quantizer "
                "(the store trains one by itself past 50,000 keypoints); or pass fewer --lists."
            ) from exc
    click.echo(f"Trained a quantizer with {lists} lists; filed {done} image(s).")


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
    """Export every entry as JSON Lines (import shape) or as JSON-LD (each entry a ClaimReview
    and a MediaReview, as Google documents them)."""
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        store = get_store()
        if fmt == "jsonld":
            base = current_app.config["PUBLIC_URL"]
            # Published fact-checks only: a retracted entry is no longer anyone's claim.
            reviews = [
                fact_check(entry, base)
                for entry, _ in store.iter_entries()
                if entry.status == "published"
            ]
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
@click.option("--role", type=click.Choice(USER_ROLES), required=True)
@click.option("--name", default="cli", help="Who or what the token is for.")
@click.option(
    "--days",
    type=click.IntRange(0),
    default=None,
    help="Days until it expires (default: TOKEN_DAYS, 90); 0 for never.",
)
def create_token_command(role: str, name: str, days: int | None) -> None:
    """Create an API token; it is shown once, on the last line, and stored hashed."""
    days = current_app.config["TOKEN_DAYS"] if days is None else days
    token = get_moderation().create_token(name, role, days or None)
    lifetime = f"for {days} days" if days else "with no expiry"
    click.echo(
        f"Created a {role} token for {name!r}, valid {lifetime}. "
        "Keep it secret; it is not shown again."
    )
    click.echo(token)


@click.command("list-tokens")
@with_appcontext
def list_tokens_command() -> None:
    """List API tokens: id, name, role, created, expires, revoked."""
    for row in get_moderation().tokens():
        expires = row.expires_at.date().isoformat() if row.expires_at else "never"
        state = f"revoked {row.revoked_at.date().isoformat()}" if row.revoked_at else "active"
        click.echo(
            f"{row.id}\t{row.name}\t{row.role}\tcreated {row.created_at.date().isoformat()}"
            f"\texpires {expires}\t{state}"
        )


@click.command("revoke-token")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_token_command(token_id: int) -> None:
    """Revoke an API token at once (its id from list-tokens)."""
    try:
        get_moderation().revoke_token(token_id, CLI_ACTOR)
    except NotFound:
        raise click.ClickException(f"no token {token_id}") from None
    click.echo(f"Token {token_id} is revoked.")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(USER_ROLES), default="volunteer", show_default=True)
@click.password_option(help="Asked for when not given.")
@with_appcontext
def create_user_command(email: str, name: str, role: str, password: str) -> None:
    """Create a sign-in account for a volunteer, moderator or admin."""
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    try:
        user_id = get_moderation().create_user(email, name, password, role)
    except IntegrityError:
        raise click.ClickException(f"an account for {email} already exists") from None
    click.echo(f"Created {role} account {user_id} for {email}.")


@contextmanager
def _account_errors(email: str) -> Iterator[None]:
    """An account change's refusals as the command's error message."""
    try:
        yield
    except NotFound:
        raise click.ClickException(f"no account for {email}") from None
    except LastAdmin as exc:
        raise click.ClickException(str(exc)) from None


@click.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(USER_ROLES))
@with_appcontext
def set_role_command(email: str, role: str) -> None:
    """Change an account's role (recorded in the audit log as done from the command line)."""
    with _account_errors(email):
        get_moderation().set_role(email, role, CLI_ACTOR)
    click.echo(f"{email} is now {role}; their sign-ins have ended.")


@click.command("set-active")
@click.argument("email")
@click.argument("active", type=click.Choice(["yes", "no"]))
@with_appcontext
def set_active_command(email: str, active: str) -> None:
    """Deactivate (no) or reactivate (yes) an account; deactivation ends its sign-ins."""
    with _account_errors(email):
        get_moderation().set_active(email, active == "yes", CLI_ACTOR)
    click.echo(f"{email} is now {'active' if active == 'yes' else 'deactivated'}.")


@click.command("set-password")
@click.argument("email")
@click.password_option(help="Asked for when not given.")
@with_appcontext
def set_password_command(email: str, password: str) -> None:
    """Set an account's password (ends its sign-ins)."""
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    with _account_errors(email):
        get_moderation().set_password(email, password, CLI_ACTOR)
    click.echo(f"New password set for {email}; their sign-ins have ended.")


@click.command("export-audit")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export_audit_command(output: Path | None) -> None:
    """Write the whole audit log as JSON Lines (oldest first)."""
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    count = 0
    try:
        for event in get_moderation().iter_audit():
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
            count += 1
    finally:
        if output:
            out.close()
    click.echo(f"exported {count} audit events", err=True)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (tests, one-off runs).")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background jobs from the Redis queue (the Procfile's worker: line)."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "Set REDIS_URL: without Redis, background jobs run inside the server process."
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs.work(app, burst=burst, sweep_every=app.config["JOB_SWEEP_EVERY"])


@click.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Queue again every background task that is overdue (a worker also does this)."""
    click.echo(f"{jobs.sweep()} overdue task(s) queued")


def init_app(app: Flask) -> None:
    for command in (
        import_command,
        demo_data_command,
        import_negatives_command,
        export_command,
        reindex_command,
        train_quantizer_command,
        create_token_command,
        list_tokens_command,
        revoke_token_command,
        set_active_command,
        set_password_command,
        create_user_command,
        set_role_command,
        export_audit_command,
        worker_command,
        sweep_command,
    ):
        app.cli.add_command(command)
