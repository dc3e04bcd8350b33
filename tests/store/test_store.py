"""The store on the embedded SQLite default and on the real PostgreSQL."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.matching import features
from server.matching.source import IndexChanges
from server.records import EntryFields, NegativeIn
from server.references import prepare
from server.store import Actor, DuplicateNegative
from server.store import entries as store_module
from server.store import models as m
from server.store.entries import DuplicateImage, bump_version, index_changed

from .. import edits
from ..conftest import add_fake, demo_bytes, make_app, moderation_of, store_of


@pytest.fixture
def store_app(database_url: str):  # type: ignore[no-untyped-def]
    return make_app(database_url)


def test_entry_round_trips_with_all_annotation_fields(store_app) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(
        store_app,
        appearances=[
            {
                "url": "https://example.org/post",
                "date": "2024-03-01",
                "publisher": "Ministry",
                "language": "ru",
            }
        ],
        claim_date="2024-03-01",
        rating="Miscaptioned",
    )
    entry = store_of(store_app).get_entry(entry_id)
    assert entry is not None
    assert entry.title == "rocket photo misused"
    assert entry.category_label == "Real image, false context"
    assert str(entry.appearances[0].url) == "https://example.org/post"
    assert entry.appearances[0].date.isoformat() == "2024-03-01"
    assert entry.sources[0].publisher == "Fact desk"
    assert entry.images[0].role == "original"
    assert len(entry.images[0].pdq) == 64
    assert entry.version == 1


def test_every_change_bumps_the_index_version(store_app) -> None:  # type: ignore[no-untyped-def]
    store = store_of(store_app)
    start = store.index_version()
    entry_id = add_fake(store_app)
    assert store.index_version() == start + 1
    store.set_status(entry_id, "retracted")
    assert store.index_version() == start + 2
    assert store.get_entry(entry_id) is None  # retracted entries are not public
    assert store.get_entry(entry_id, published_only=False).status == "retracted"


def test_index_rows_hold_only_published_entries(store_app) -> None:  # type: ignore[no-untyped-def]
    store = store_of(store_app)
    kept = add_fake(store_app, "rocket")
    gone = add_fake(store_app, "coffee")
    store.set_status(gone, "disabled")
    rows = store.index_rows()
    assert set(rows.entry_ids.tolist()) == {kept}
    assert rows.codes.shape[1] == 32
    assert len(rows.variants) == rows.codes.shape[0] >= 15


def test_same_image_twice_is_refused_and_nothing_is_half_written(store_app) -> None:  # type: ignore[no-untyped-def]
    store = store_of(store_app)
    first = add_fake(store_app, "chelsea")
    before = store.counts()
    with pytest.raises(DuplicateImage) as caught:
        add_fake(store_app, "chelsea")
    assert caught.value.entry_id == first
    assert store.counts() == before


def test_list_pages_and_searches(store_app) -> None:  # type: ignore[no-untyped-def]
    store = store_of(store_app)
    ids = [add_fake(store_app, name) for name in ("rocket", "astronaut", "chelsea")]
    page = store.list_entries(query=None, after=None, limit=2)
    assert [e.id for e in page] == ids[:2]
    rest = store.list_entries(query=None, after=page[-1].id, limit=2)
    assert [e.id for e in rest] == ids[2:]
    found = store.list_entries(query="ASTRONAUT", after=None, limit=10)
    assert [e.id for e in found] == [ids[1]]


def test_images_of_several_roles(store_app) -> None:  # type: ignore[no-untyped-def]
    limit = store_app.config["MAX_IMAGE_PIXELS"]
    fields = EntryFields.model_validate(
        {"title": "t", "category": "StagedContent", "claim": "c", "origin": {"description": "d"}}
    )
    images = [
        prepare(demo_bytes("rocket"), role="original", max_pixels=limit),
        prepare(demo_bytes("coffee"), role="misused", max_pixels=limit),
    ]
    entry = store_of(store_app).get_entry(store_of(store_app).add_entry(fields, images))
    assert [i.role for i in entry.images] == ["original", "misused"]
    thumbnail, status = store_of(store_app).thumbnail(entry.images[0].id)
    assert thumbnail[:3] == b"\xff\xd8\xff" and status == "published"


def test_feature_rows_carry_list_numbers_of_the_current_quantizer_only(store_app) -> None:  # type: ignore[no-untyped-def]
    for name in ("rocket", "coffee"):
        add_fake(store_app, name)
    store = store_of(store_app)
    version = store.index_version()
    assert store.feature_rows().quantizer is None

    assert store.train_quantizer(128, progress=lambda n: None) == 2
    first = store.feature_rows()
    assert first.quantizer is not None and store.index_version() > version
    assert all(f.lists is not None and f.lists.max() < 128 for *_, f in first.images)

    # A retrain has stored its quantizer but not refiled the images yet: the old list
    # numbers must not be read as the new quantizer's.
    with store._sessions.begin() as session:
        session.add(m.FeatureQuantizer(centroids=first.quantizer.centroids[::-1].tobytes()))
    during = store.feature_rows()
    assert during.quantizer is not None and during.quantizer.id != first.quantizer.id
    assert all(f.lists is None for *_, f in during.images)


def test_first_quantizer_is_trained_when_the_bank_outgrows_flat(store_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(features, "QUANTIZER_LISTS", 64)
    monkeypatch.setattr(store_module, "IVF_ABOVE", 300)  # descriptors: rocket 205, coffee 377
    store = store_of(store_app)
    add_fake(store_app, "rocket")
    add_fake(store_app, "coffee")
    assert store.feature_rows().quantizer is None  # 205 stored when coffee came in

    add_fake(store_app, "astronaut")  # 582 stored: this write trains and files them all
    rows = store.feature_rows()
    assert rows.quantizer is not None and len(rows.quantizer.centroids) == 64
    assert [f.lists is not None for *_, f in rows.images] == [True, True, True]


def test_index_changes_name_the_entries_whose_images_or_status_changed(store_app) -> None:  # type: ignore[no-untyped-def]
    store = store_of(store_app)
    rocket = add_fake(store_app, "rocket")
    start = store.index_changes(0, 100).last
    version = store.index_version()
    with store._sessions.begin() as session:  # what a moderator's text edit does
        session.get(m.Entry, rocket).claim = "A corrected claim."
        bump_version(session)
    assert store.index_version() == version + 1
    assert store.index_changes(start, 100) == IndexChanges(start, frozenset())

    coffee = add_fake(store_app, "coffee")
    store.set_status(rocket, "retracted")
    changes = store.index_changes(start, 100)
    assert changes.entries == {rocket, coffee} and changes.last == start + 2
    assert store.index_changes(start, 1).entries is None  # too many to list: reload all

    # Only the named entries' rows are read back, retracted ones not at all.
    assert set(store.index_rows([rocket, coffee]).entry_ids) == {coffee}
    assert [e for e, *_ in store.feature_rows([rocket, coffee]).images] == [coffee]
    assert store.index_rows([rocket]).change == changes.last

    with store._sessions.begin() as session:  # what a reindex does
        index_changed(session, None)
    assert store.index_changes(changes.last, 100).entries is None


def test_two_writers_adding_the_same_image_at_once_get_one_entry(database_url) -> None:  # type: ignore[no-untyped-def]
    """Two imports of one file at once (reliability review P6): one adds, one skips."""
    import threading

    app = make_app(database_url)
    store = store_of(app)
    image = prepare(demo_bytes("coffee"), role="original", max_pixels=40_000_000)
    fields = EntryFields.model_validate(
        {"title": "t", "category": "StagedContent", "claim": "c", "origin": {"description": "d"}}
    )
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def add() -> None:
        barrier.wait()
        try:
            store.add_entry(fields, [image])
            outcomes.append("added")
        except DuplicateImage:
            outcomes.append("duplicate")

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["added", "duplicate", "duplicate", "duplicate"]
    assert store.counts()["entries"] == 1


def test_the_negative_bank_round_trips_and_tells_workers_it_alone_changed(store_app) -> None:  # type: ignore[no-untyped-def]
    moderation = moderation_of(store_app)
    store = store_of(store_app)
    last = store.index_changes(0, 100).last
    version = store.index_version()
    image = prepare(demo_bytes("coffee"), role="original", max_pixels=10**8)
    moderator = Actor("mod@example.org", "moderator")
    item = moderation.add_negative(NegativeIn(kind="template", note="Meme"), image, moderator)
    assert store.index_version() > version
    changes = store.index_changes(last, 100)
    assert changes.negatives and changes.entries == frozenset()
    [stored] = store.negative_images()
    assert (stored.id, stored.kind) == (item, "template")
    assert stored.features is not None and len(stored.features) > 100
    assert stored.work_jpeg and stored.hashes and stored.regions
    with pytest.raises(DuplicateNegative):
        moderation.add_negative(NegativeIn(kind="overlay"), image, moderator)
    moderation.set_negative_status(item, "retracted", moderator)
    assert store.negative_images() == []
    actions = [e.action for e in moderation.audit(target="negative")]
    assert actions == ["negative_retracted", "negative_add"]


def test_a_copy_cut_to_its_picture_keeps_its_frame_in_the_bank(store_app) -> None:  # type: ignore[no-untyped-def]
    photo = Image.open(io.BytesIO(demo_bytes("rocket")))
    copy = prepare(
        edits.jpeg(edits.web_page(photo), 90),
        role="misused",
        max_pixels=10**8,
        beside=[prepare(demo_bytes("rocket"), role="original", max_pixels=10**8)],
    )
    assert copy.frame is not None
    fields = EntryFields.model_validate(
        {
            "title": "t",
            "category": "DecontextualizedContent",
            "claim": "c",
            "origin": {"description": "d"},
        }
    )
    store_of(store_app).add_entry(fields, [copy])
    [frame] = store_of(store_app).negative_images()
    assert frame.kind == "frame" and frame.work_jpeg is None and frame.features is not None
