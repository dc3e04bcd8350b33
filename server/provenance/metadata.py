"""What the file says about itself outside Content Credentials: EXIF capture data, the
IPTC digital source type in XMP, and the traces AI image generators leave.

None of this is signed: anyone can write any camera, date or source type into a file,
and most sites strip it. So it is shown as *claims in the file*, never as facts, and
its absence means nothing. Only the header is parsed (``Image.open`` is lazy), so a
12 MP JPEG costs well under a millisecond here.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from ..records import N_

#: XMP packets are a few kilobytes; a hostile file may carry megabytes. Read no further.
MAX_XMP_BYTES = 256 * 1024
#: Longest text kept from any field: a caption is not a novel.
MAX_TEXT = 120

IPTC_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
#: IPTC digital source types, in the reader's words; the AI ones are marked.
SOURCE_TYPES: dict[str, tuple[str, bool]] = {
    "trainedAlgorithmicMedia": (N_("Created by generative AI"), True),
    "compositeWithTrainedAlgorithmicMedia": (N_("Edited or combined with generative AI"), True),
    "algorithmicMedia": (N_("Created by a computer algorithm"), True),
    "compositeSynthetic": (N_("A composite that includes synthetic elements"), True),
    "digitalCapture": (N_("Captured by a digital camera"), False),
    "computationalCapture": (N_("Captured by a camera with computational processing"), False),
    "negativeFilm": (N_("Scanned from a film negative"), False),
    "positiveFilm": (N_("Scanned from a film positive"), False),
    "print": (N_("Scanned from a print"), False),
    "humanEdits": (N_("Edited by a person"), False),
    "minorHumanEdits": (N_("Lightly edited by a person"), False),
    "compositeCapture": (N_("A composite of captured images"), False),
    "algorithmicallyEnhanced": (N_("Enhanced by an algorithm"), False),
    "dataDrivenMedia": (N_("Made from data"), False),
    "digitalArt": (N_("Digital art made by a person"), False),
    "virtualRecording": (N_("A recording of a virtual scene"), False),
    "screenCapture": (N_("A screenshot"), False),
    "digitalCreation": (N_("Created digitally by a person"), False),
}

#: PNG text chunks that image generators write with the prompt and settings.
GENERATOR_CHUNKS = {
    "parameters": N_("Stable Diffusion (AUTOMATIC1111) generation settings"),
    "prompt": N_("ComfyUI prompt"),
    "workflow": N_("ComfyUI workflow"),
    "invokeai_metadata": N_("InvokeAI generation settings"),
    "sd-metadata": N_("Stable Diffusion generation settings"),
    "Dream": N_("InvokeAI generation settings"),
}
#: Names of generators, as found in EXIF Software or XMP CreatorTool.
GENERATOR_NAMES = re.compile(
    r"midjourney|dall[\s·\-]?e|stable ?diffusion|firefly|imagen|novelai|flux|leonardo\.ai"
    r"|ideogram|comfyui|automatic1111|invokeai",
    re.IGNORECASE,
)

_XMP_SOURCE = re.compile(
    rb"DigitalSourceType\s*(?:=\s*[\"']|>\s*|[^>]{0,200}?rdf:resource\s*=\s*[\"'])\s*"
    rb"([A-Za-z0-9:/._\-]{1,200})"
)
_XMP_TOOL = re.compile(rb"CreatorTool\s*(?:=\s*[\"']|>\s*)([^\"'<]{1,200})")

# EXIF tags (IFD0 and the Exif sub-IFD).
_MAKE, _MODEL, _SOFTWARE, _DATETIME = 0x010F, 0x0110, 0x0131, 0x0132
_EXIF_IFD, _ORIGINAL, _OFFSET_ORIGINAL = 0x8769, 0x9003, 0x9011


@dataclass(frozen=True)
class FileMetadata:
    """What the file's metadata claims. Empty fields: the file does not say."""

    mime: str | None = None
    captured_at: str | None = None
    camera: str | None = None
    software: str | None = None
    source_type: str | None = None  # an IPTC digital source type IRI, from XMP
    ai_markers: list[str] = field(default_factory=list)


def read_metadata(data: bytes) -> FileMetadata:
    """The file's own claims; an unreadable header gives an empty answer, not an error
    (the check reports unreadable images itself)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            mime = image.get_format_mimetype()
            exif = image.getexif()
            info = dict(image.info)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return FileMetadata()
    xmp = _xmp(info)
    software = _text(exif.get(_SOFTWARE)) or _match(_XMP_TOOL, xmp)
    markers = [label for key, label in GENERATOR_CHUNKS.items() if key in info]
    if software and GENERATOR_NAMES.search(software):
        markers.append(f"made with {software}, says the file")
    return FileMetadata(
        mime=mime,
        captured_at=_captured_at(exif),
        camera=_camera(exif),
        software=software,
        source_type=source_type_iri(_match(_XMP_SOURCE, xmp)),
        ai_markers=list(dict.fromkeys(markers)),
    )


def source_type_iri(value: str | None) -> str | None:
    """The full IPTC IRI for a source type written as an IRI or as its bare term."""
    if not value:
        return None
    term = value.rstrip("/").rsplit("/", 1)[-1]
    return IPTC_SOURCE + term if term in SOURCE_TYPES else None


def describe_source_type(iri: str | None) -> tuple[str, bool] | None:
    """(words for a reader, whether it means AI-made) for an IPTC source type IRI."""
    if not iri or not iri.startswith(IPTC_SOURCE):
        return None
    return SOURCE_TYPES.get(iri[len(IPTC_SOURCE) :])


def _xmp(info: dict[str, object]) -> bytes:
    raw = info.get("xmp") or info.get("XML:com.adobe.xmp") or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "replace")
    return raw[:MAX_XMP_BYTES] if isinstance(raw, bytes) else b""


def _match(pattern: re.Pattern[bytes], xmp: bytes) -> str | None:
    found = pattern.search(xmp) if xmp else None
    return _text(found.group(1).decode("utf-8", "replace")) if found else None


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.replace("\x00", " ").split())
    return cleaned[:MAX_TEXT] or None


def _camera(exif: Image.Exif) -> str | None:
    make, model = _text(exif.get(_MAKE)), _text(exif.get(_MODEL))
    if make and model and model.lower().startswith(make.lower()):
        return model  # "Canon" + "Canon EOS R5" reads once
    return " ".join(part for part in (make, model) if part) or None


def _captured_at(exif: Image.Exif) -> str | None:
    """EXIF's 'YYYY:MM:DD HH:MM:SS' as ISO 8601, with its offset when the file gives one."""
    sub = exif.get_ifd(_EXIF_IFD)
    stamp = _text(sub.get(_ORIGINAL)) or _text(exif.get(_DATETIME))
    found = re.fullmatch(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})", stamp or "")
    if not found:
        return None
    y, mo, d, h, mi, s = found.groups()
    offset = _text(sub.get(_OFFSET_ORIGINAL)) or ""
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}" + (
        offset if re.fullmatch(r"[+-]\d{2}:\d{2}", offset) else ""
    )
