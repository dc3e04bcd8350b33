"""Content Credentials (C2PA): who signed the file, with what tool, doing what, and
whether the signature still holds — read with ``c2pa-python`` (the CAI's c2pa-rs).

Four states a reader can act on, never conflated:
``trusted`` (valid, signer chains to the configured trust list), ``valid`` (the
signature holds but the signer is not on the list: anyone can make a certificate),
``invalid`` (tampered, edited after signing, or a broken certificate) and
``unreadable`` (too large, too slow, or malformed). No manifest: ``None``.

The manifest is attacker-controlled input parsed by native code, so the read runs on
a bounded pool of OS threads with a time cap; a read that overruns is abandoned (its
thread finishes on its own) and the check goes on without it.
"""

from __future__ import annotations

import io
import logging
import struct
from dataclasses import dataclass, field
from typing import Any

import c2pa

from ..native import NativeRunner, Overrun

log = logging.getLogger(__name__)

#: Embedded C2PA data larger than this is not parsed (real manifests: 10-200 kB).
MAX_MANIFEST_BYTES = 2 * 1024 * 1024
#: Lists shown to readers are cut: a manifest may claim ten thousand actions.
MAX_LISTED = 8
MAX_TEXT = 120

# c2pa-rs validation states.
_STATES = {"Trusted": "trusted", "Valid": "valid", "Invalid": "invalid"}


@dataclass(frozen=True)
class CredentialsRead:
    """The active manifest as a reader needs it; ``problems`` are c2pa-rs failure
    explanations (why a signature is invalid or untrusted)."""

    state: str
    signer: str | None = None  # the organisation in the signing certificate
    signer_name: str | None = None  # its common name
    signed_at: str | None = None  # from a time-stamp authority, when present
    generator: str | None = None  # the claim generator: the tool that signed
    actions: list[str] = field(default_factory=list)
    ingredients: list[str] = field(default_factory=list)
    source_type: str | None = None  # IPTC digital source type IRI of the creation
    problems: list[str] = field(default_factory=list)


class CredentialReader:
    """Reads manifests with one c2pa Context (settings and trust list) per process."""

    def __init__(self, trust_anchors: str | None, runner: NativeRunner, timeout: float) -> None:
        settings: dict[str, Any] = {"verify": {"verify_trust": True}}
        if trust_anchors:
            settings["trust"] = {"trust_anchors": trust_anchors}
        self._context = c2pa.Context.from_dict(settings)
        self._runner = runner
        self._timeout = timeout

    def read(self, data: bytes, mime: str | None) -> CredentialsRead | None:
        size = embedded_manifest_bytes(data, mime)
        if size == 0:
            return None  # a format we can scan, and no C2PA box in it: nothing to read
        if size is not None and size > MAX_MANIFEST_BYTES:
            return CredentialsRead("unreadable", problems=["the credentials are too large to read"])
        try:
            return self._runner.run(lambda: self._read_now(data, mime), self._timeout)
        except Overrun as exc:
            log.warning("C2PA read abandoned: %s", exc)
            return CredentialsRead("unreadable", problems=[str(exc)])

    def _read_now(self, data: bytes, mime: str | None) -> CredentialsRead | None:
        try:
            reader = c2pa.Reader.try_create(mime or "", io.BytesIO(data), None, self._context)
        except c2pa.C2paError as exc:
            return CredentialsRead("unreadable", problems=[_clip(str(exc))])
        if reader is None:
            return None
        with reader:
            try:
                manifest = reader.get_active_manifest() or {}
                state = reader.get_validation_state()
                results = reader.get_validation_results() or {}
            except (c2pa.C2paError, ValueError) as exc:
                return CredentialsRead("unreadable", problems=[_clip(str(exc))])
        return _summary(manifest, _STATES.get(state or "", "invalid"), results)


def embedded_manifest_bytes(data: bytes, mime: str | None) -> int | None:
    """Bytes of embedded C2PA data for JPEG, PNG and WebP (0: none), scanned without
    parsing; None for other formats, which c2pa-rs reads under the time cap alone."""
    if mime == "image/jpeg":
        return _jpeg_app11(data)
    if mime == "image/png":
        return _chunks(data, 8, b"caBX", big_endian=True)
    if mime == "image/webp":
        return _chunks(data, 12, b"C2PA", big_endian=False)
    return None


def _jpeg_app11(data: bytes) -> int:
    """Total length of APP11 (JUMBF) segments before the image data starts."""
    total, at = 0, 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end: no more metadata segments
            break
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker == 0xEB:
            total += length
        at += 2 + length
    return total


def _chunks(data: bytes, start: int, kind: bytes, *, big_endian: bool) -> int:
    """Total length of the ``kind`` chunks of a PNG (length, type) or RIFF (type, length)."""
    total, at = 0, start
    while at + 8 <= len(data):
        if big_endian:
            (length,), name, skip = (
                struct.unpack(">I", data[at : at + 4]),
                data[at + 4 : at + 8],
                12,
            )
        else:
            name, (length,) = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])
            skip = 8 + (length & 1)
        if name == kind:
            total += length
        at += skip + length
    return total


def _summary(manifest: dict[str, Any], state: str, results: dict[str, Any]) -> CredentialsRead:
    signature = manifest.get("signature_info") or {}
    actions, source_type = _actions(manifest.get("assertions") or [])
    failures = (results.get("activeManifest") or {}).get("failure") or []
    return CredentialsRead(
        state=state,
        signer=_clip(signature.get("issuer")),
        signer_name=_clip(signature.get("common_name")),
        signed_at=_clip(signature.get("time")),
        generator=_generator(manifest),
        actions=actions,
        ingredients=[
            _clip(i.get("title")) or "an unnamed file"
            for i in (manifest.get("ingredients") or [])[:MAX_LISTED]
            if isinstance(i, dict)
        ],
        source_type=source_type,
        problems=[
            _clip(f.get("explanation") or f.get("code")) or "invalid"
            for f in failures[:MAX_LISTED]
            if isinstance(f, dict)
        ],
    )


def _actions(assertions: list[Any]) -> tuple[list[str], str | None]:
    """Actions in words ('c2pa.color_adjustments' → 'color adjustments') and the
    digital source type of the first action that names one (usually 'created')."""
    words: list[str] = []
    source_type = None
    for assertion in assertions:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith(
            "c2pa.actions"
        ):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            if not isinstance(action, dict):
                continue
            name = str(action.get("action", "")).removeprefix("c2pa.").replace("_", " ")
            if name and name not in words and len(words) < MAX_LISTED:
                words.append(_clip(name) or name)
            source_type = source_type or _clip(action.get("digitalSourceType"))
    return words, source_type


def _generator(manifest: dict[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict):
        name, version = info[0].get("name"), info[0].get("version")
        return _clip(" ".join(str(p) for p in (name, version) if p))
    return _clip(manifest.get("claim_generator"))


def _clip(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:MAX_TEXT] or None


def load_trust_anchors(path: str | None) -> str | None:
    """The PEM bundle at ``path``; refuses a file without a certificate in it, so a
    wrong path does not silently make every signer 'not on the trust list'."""
    if not path:
        return None
    with open(path, encoding="ascii") as handle:
        text = handle.read()
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ValueError(f"C2PA_TRUST_ANCHORS: no PEM certificate in {path}")
    return text


__all__ = ["CredentialReader", "CredentialsRead", "embedded_manifest_bytes", "load_trust_anchors"]
