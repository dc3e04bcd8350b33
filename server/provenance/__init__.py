"""Provenance in the same click: what the file itself says about where it comes from.

Known-fake lookup answers "is this a debunked image?"; for every other image the file
may answer part of "where does this come from?": signed Content Credentials
(``credentials.py``), and unsigned claims in its metadata (``metadata.py``). This
package turns both into one ``records.Provenance`` — or None when the file says
nothing, so readers are shown nothing rather than an empty box.
"""

from __future__ import annotations

import functools

from flask import Flask, current_app, has_app_context

from ..config import DEFAULTS
from ..native import NativeRunner
from ..records import Credentials, FileClaims, Provenance, SourceType
from .credentials import CredentialReader, CredentialsRead, load_trust_anchors
from .metadata import FileMetadata, describe_source_type, read_metadata, source_type_iri


class ProvenanceReader:
    """One per process: the c2pa context (settings, trust list) is built once."""

    def __init__(self, trust_anchors: str | None, timeout: float, slots: int = 2) -> None:
        self.credentials = CredentialReader(trust_anchors, NativeRunner(slots), timeout)
        self.trust_list = trust_anchors is not None

    def read(self, data: bytes) -> Provenance | None:
        meta = read_metadata(data)
        if meta.mime is None:
            return None  # not an image Pillow knows: the check says so itself
        creds = self.credentials.read(data, meta.mime)
        return assemble(creds, meta, trust_list=self.trust_list)


def assemble(
    creds: CredentialsRead | None, meta: FileMetadata, *, trust_list: bool
) -> Provenance | None:
    """Signed statements first: a source type in valid credentials outranks the same
    field in unsigned XMP, which anyone can write."""
    credentials = _credentials(creds, trust_list) if creds else None
    signed_type = (
        source_type_iri(creds.source_type)
        if creds and creds.state in ("trusted", "valid")
        else None
    )
    iri, said_by = (signed_type, "credentials") if signed_type else (meta.source_type, "metadata")
    described = describe_source_type(iri)
    source_type = (
        SourceType(iri=iri, label=described[0], ai=described[1], said_by=said_by)
        if iri and described
        else None
    )
    claims = FileClaims(captured_at=meta.captured_at, camera=meta.camera, software=meta.software)
    has_claims = any((claims.captured_at, claims.camera, claims.software))
    if not (credentials or source_type or meta.ai_markers or has_claims):
        return None
    return Provenance(
        credentials=credentials,
        source_type=source_type,
        ai_markers=meta.ai_markers,
        file_claims=claims if has_claims else None,
    )


def _credentials(read: CredentialsRead, trust_list: bool) -> Credentials:
    who = read.signer or read.signer_name or "an unnamed signer"
    summary = {
        "trusted": f"Signed by {who}, who is on the trust list.",
        "valid": f"Signed by {who}. The signature holds, but the signer is not on "
        + ("the trust list" if trust_list else "a trust list (none is configured)")
        + ": anyone can make a certificate with any name.",
        "invalid": "Content Credentials that no longer hold: the file was changed after "
        "signing, or the signature or certificate is broken.",
        "unreadable": "Content Credentials that could not be read"
        + (f" ({read.problems[0]})." if read.problems else "."),
    }[read.state]
    return Credentials(
        state=read.state,
        summary=summary,
        signer=read.signer,
        signer_name=read.signer_name,
        signed_at=read.signed_at,
        generator=read.generator,
        actions=read.actions,
        ingredients=read.ingredients,
        problems=read.problems,
    )


def read_provenance(data: bytes) -> Provenance | None:
    """What the file says about its provenance, with this app's trust list and caps
    (outside an app, as in benchmarks and scripts: no trust list)."""
    if not has_app_context():
        return _default_reader().read(data)
    reader: ProvenanceReader | None = current_app.extensions.get("origincheck.provenance")
    return reader.read(data) if reader is not None else None


def stored_provenance(data: bytes) -> str | None:
    """``read_provenance`` as the JSON a stored image or report keeps."""
    found = read_provenance(data)
    return found.model_dump_json() if found else None


@functools.cache
def _default_reader() -> ProvenanceReader:
    return ProvenanceReader(None, timeout=DEFAULTS["PROVENANCE_TIMEOUT"])


def init_app(app: Flask) -> None:
    if not app.config["PROVENANCE_ENABLED"]:
        return
    app.extensions["origincheck.provenance"] = ProvenanceReader(
        load_trust_anchors(app.config["C2PA_TRUST_ANCHORS"]),
        timeout=app.config["PROVENANCE_TIMEOUT"],
    )
