"""Content Credentials: each validation state a reader must tell apart, and hostile
manifests that must never crash or stall a check."""

from __future__ import annotations

import io
import struct
import threading
import time

import pytest
from PIL import Image

from server.native import NativeRunner, Overrun
from server.provenance import ProvenanceReader
from server.provenance.credentials import embedded_manifest_bytes

from ..conftest import demo_bytes
from ..signing import AI, make_chain, sign, tamper


@pytest.fixture(scope="module")
def chain():  # type: ignore[no-untyped-def]
    return make_chain("Example News Agency")


@pytest.fixture(scope="module")
def photo() -> bytes:
    return demo_bytes("rocket")


def test_a_signer_on_the_trust_list_is_trusted(chain, photo) -> None:  # type: ignore[no-untyped-def]
    signed = sign(photo, chain, actions=("cropped",), tool="Newsroom Camera App")
    found = ProvenanceReader(chain.root_pem, timeout=2).read(signed)
    assert found is not None and found.credentials is not None
    creds = found.credentials
    assert creds.state == "trusted"
    assert creds.signer == "Example News Agency"
    assert creds.generator == "Newsroom Camera App 1.0"
    assert creds.actions == ["created", "cropped"]
    assert "on the trust list" in creds.summary and "not" not in creds.summary
    assert found.source_type is not None
    assert found.source_type.label == "Captured by a digital camera"
    assert found.source_type.said_by == "credentials" and not found.source_type.ai


def test_a_valid_signature_by_an_unlisted_signer_is_not_called_trusted(chain, photo) -> None:  # type: ignore[no-untyped-def]
    signed = sign(photo, chain)
    stranger = make_chain("Someone Else")
    for trust in (None, stranger.root_pem):
        creds = ProvenanceReader(trust, timeout=2).read(signed).credentials  # type: ignore[union-attr]
        assert creds is not None and creds.state == "valid"
        assert "not on" in creds.summary and "anyone can make a certificate" in creds.summary


def test_an_ai_generated_image_says_so_from_its_signed_credentials(chain, photo) -> None:  # type: ignore[no-untyped-def]
    signed = sign(photo, chain, source_type=AI, tool="Image Generator")
    found = ProvenanceReader(chain.root_pem, timeout=2).read(signed)
    assert found is not None and found.source_type is not None
    assert found.source_type.ai and found.source_type.label == "Created by generative AI"
    assert found.source_type.said_by == "credentials"


def test_an_image_edited_after_signing_no_longer_validates(chain, photo) -> None:  # type: ignore[no-untyped-def]
    edited = tamper(sign(photo, chain, source_type=AI))
    found = ProvenanceReader(chain.root_pem, timeout=2).read(edited)
    assert found is not None and found.credentials is not None
    assert found.credentials.state == "invalid"
    assert found.credentials.problems  # the reason, from c2pa-rs
    assert "no longer hold" in found.credentials.summary
    # What broken credentials say about AI is not believed either.
    assert found.source_type is None


def test_stripped_credentials_leave_nothing_to_show(chain, photo) -> None:  # type: ignore[no-untyped-def]
    signed = sign(photo, chain)
    out = io.BytesIO()
    Image.open(io.BytesIO(signed)).save(out, "JPEG", quality=90)  # a re-encode, as sites do
    assert ProvenanceReader(chain.root_pem, timeout=2).read(out.getvalue()) is None


def test_ingredients_are_listed(chain, photo) -> None:  # type: ignore[no-untyped-def]
    signed = sign(photo, chain, actions=("edited",), ingredients=("agency-photo.jpg",))
    creds = ProvenanceReader(None, timeout=2).read(signed).credentials  # type: ignore[union-attr]
    assert creds is not None and creds.ingredients == ["agency-photo.jpg"]


def test_png_and_webp_credentials_are_read(chain) -> None:  # type: ignore[no-untyped-def]
    for kind, mime in (("PNG", "image/png"), ("WEBP", "image/webp")):
        out = io.BytesIO()
        Image.new("RGB", (320, 240), (200, 40, 40)).save(out, kind)
        signed = sign(out.getvalue(), chain, mime=mime)
        assert embedded_manifest_bytes(signed, mime) > 0
        creds = ProvenanceReader(chain.root_pem, timeout=2).read(signed).credentials  # type: ignore[union-attr]
        assert creds is not None and creds.state == "trusted", kind


def _with_app11(photo: bytes, payload: bytes, segments: int = 1) -> bytes:
    """``photo`` with APP11 segments holding ``payload`` right after SOI."""
    segment = b"\xff\xeb" + struct.pack(">H", len(payload) + 2) + payload
    return photo[:2] + segment * segments + photo[2:]


def test_malformed_manifests_are_unreadable_not_errors(chain, photo) -> None:  # type: ignore[no-untyped-def]
    reader = ProvenanceReader(chain.root_pem, timeout=2)
    signed = sign(photo, chain)
    hostile = [
        _with_app11(photo, b"JP\x00\x00\x00\x00\x00\x01" + b"jumb" * 1000),  # JUMBF nonsense
        _with_app11(photo, b"JP" + bytes(range(256)) * 100),
        # The real manifest with its box lengths broken (wrong offsets).
        signed.replace(b"jumb", b"jumc", 3),
        signed[: len(signed) // 2],  # truncated
    ]
    for data in hostile:
        started = time.perf_counter()
        found = reader.read(data)
        assert time.perf_counter() - started < 2.5
        if found is not None and found.credentials is not None:
            assert found.credentials.state in ("invalid", "unreadable")


def test_huge_manifests_are_not_parsed(photo) -> None:  # type: ignore[no-untyped-def]
    payload = b"JP" + b"\x00" * 60_000
    huge = _with_app11(photo, payload, segments=40)  # 2.4 MB of APP11
    started = time.perf_counter()
    creds = ProvenanceReader(None, timeout=2).read(huge).credentials  # type: ignore[union-attr]
    assert time.perf_counter() - started < 0.5
    assert creds is not None and creds.state == "unreadable" and "too large" in creds.problems[0]


def test_slow_native_work_is_abandoned_and_then_refused_not_queued() -> None:
    runner = NativeRunner(slots=1)
    release = threading.Event()
    with pytest.raises(Overrun, match="longer than"):
        runner.run(release.wait, timeout=0.05)
    started = time.perf_counter()
    with pytest.raises(Overrun, match="busy"):
        runner.run(lambda: 1, timeout=5)  # the slot is still held: refused at once
    assert time.perf_counter() - started < 0.1
    release.set()
    time.sleep(0.05)
    assert runner.run(lambda: 2, timeout=1) == 2


def test_a_swapped_certificate_is_invalid_even_when_its_root_is_trusted(photo) -> None:  # type: ignore[no-untyped-def]
    from ..signing import forge_signer

    chain = make_chain("Small Blog")
    forged, famous = forge_signer(sign(photo, chain), chain, "Small Blog")
    creds = ProvenanceReader(famous.root_pem, timeout=2).read(forged).credentials  # type: ignore[union-attr]
    assert creds is not None and creds.state == "invalid"
    assert any("signature" in problem for problem in creds.problems)
