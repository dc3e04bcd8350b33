"""Unsigned claims in the file: EXIF capture data, XMP source type, generator traces."""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin

from server.provenance import ProvenanceReader
from server.provenance.metadata import read_metadata

XMP_AI = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
    b'compositeWithTrainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>'
)


def _camera_jpeg(**exif_fields: object) -> bytes:
    image = Image.new("RGB", (640, 480), (90, 120, 60))
    exif = image.getexif()
    exif[0x010F], exif[0x0110], exif[0x0131] = "Canon", "Canon EOS R5", "Firmware 1.8"
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0x9011] = "2023:10:07 06:31:12", "+03:00"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, **exif_fields)  # type: ignore[arg-type]
    return out.getvalue()


def test_camera_claims_are_read_as_claims() -> None:
    found = ProvenanceReader(None, timeout=1).read(_camera_jpeg())
    assert found is not None and found.credentials is None and found.source_type is None
    assert found.file_claims is not None
    assert found.file_claims.camera == "Canon EOS R5"  # not "Canon Canon EOS R5"
    assert found.file_claims.captured_at == "2023-10-07T06:31:12+03:00"
    assert found.file_claims.software == "Firmware 1.8"


def test_an_xmp_source_type_is_reported_as_unsigned() -> None:
    found = ProvenanceReader(None, timeout=1).read(_camera_jpeg(xmp=XMP_AI))
    assert found is not None and found.source_type is not None
    assert found.source_type.ai and found.source_type.said_by == "metadata"
    assert found.source_type.label == "Edited or combined with generative AI"


def test_generator_traces_in_png_text_are_ai_markers() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a tank in a city street, Steps: 30, Sampler: Euler a")
    out = io.BytesIO()
    Image.new("RGB", (512, 512), (10, 10, 10)).save(out, "PNG", pnginfo=info)
    found = ProvenanceReader(None, timeout=1).read(out.getvalue())
    assert found is not None and found.ai_markers == [
        "Stable Diffusion (AUTOMATIC1111) generation settings"
    ]


def test_generator_names_in_software_are_ai_markers() -> None:
    image = Image.new("RGB", (64, 64))
    exif = image.getexif()
    exif[0x0131] = "Midjourney v6"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    assert read_metadata(out.getvalue()).ai_markers == ["made with Midjourney v6, says the file"]


def test_a_file_that_says_nothing_gets_nothing() -> None:
    out = io.BytesIO()
    Image.new("RGB", (64, 64)).save(out, "JPEG")
    assert ProvenanceReader(None, timeout=1).read(out.getvalue()) is None
    assert ProvenanceReader(None, timeout=1).read(b"not an image at all") is None


def test_hostile_metadata_is_bounded() -> None:
    image = Image.new("RGB", (64, 64))
    exif = image.getexif()
    exif[0x010F] = "A" * 60_000  # a "camera make" of 60 kB
    exif.get_ifd(0x8769)[0x9003] = "not a date"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=b"<x>" + b"DigitalSourceType=" * 3000 + b"</x>")
    meta = read_metadata(out.getvalue())
    assert meta.camera is not None and len(meta.camera) <= 120
    assert meta.captured_at is None and meta.source_type is None
