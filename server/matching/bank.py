"""A worker's snapshot built in memory from prepared images, for benchmarks and tests.

The server builds its indexes from the store (``index.IndexHolder``); ``bench/accuracy``
builds the same indexes from images prepared by the same code, without a database, so
what it measures is what a worker would decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .decode import work_colour
from .features import IVF_ABOVE, FeatureIndex, Features, Quantizer
from .hashing import Fingerprint
from .index import HashIndex, Snapshot, negative_bank
from .source import IndexRows, NegativeImage, StoredPicture


class Prepared(Protocol):
    """What ``references.prepare`` makes of a known image (the store's ``NewImage``)."""

    fingerprint: Fingerprint
    features: Features | None
    work_jpeg: bytes | None
    frame: Features | None
    text: str | None


def snapshot(
    entries: Sequence[Sequence[Prepared]], negatives: Sequence[tuple[str, Prepared]] = ()
) -> Snapshot:
    """Entry ids are positions in ``entries``; image ids count up across all of them.

    ``negatives`` are (kind, image) items of the negative bank; as in the store, the
    frames of copies cut to their picture join it by themselves.
    """
    codes, image_ids, entry_ids, variants = [], [], [], []
    features, pictures = [], {}
    bank = [
        NegativeImage(
            number, kind, item.fingerprint.hashes, item.features, item.work_jpeg, _regions(item)
        )
        for number, (kind, item) in enumerate(negatives, start=1)
    ]
    image_id = 0
    for entry_id, images in enumerate(entries):
        for image in images:
            for name, code in image.fingerprint.hashes:
                codes.append(np.frombuffer(code, np.uint8))
                image_ids.append(image_id)
                entry_ids.append(entry_id)
                variants.append(name)
            if image.features is not None:
                features.append((entry_id, image_id, image.features))
            if image.work_jpeg is not None:
                boxes = image.fingerprint.boxes
                grey, chroma = work_colour(image.work_jpeg)
                pictures[image_id] = StoredPicture(
                    grey, boxes["content"], boxes["trimmed"], chroma, image.text
                )
            if image.frame is not None:
                bank.append(NegativeImage(len(bank) + 1, "frame", [], image.frame, None))
            image_id += 1
    rows = IndexRows(
        np.stack(codes) if codes else np.zeros((0, 32), np.uint8),
        np.array(image_ids, dtype=np.int64),
        np.array(entry_ids, dtype=np.int64),
        variants,
        0,
    )
    return Snapshot(
        HashIndex(rows), filed_features(features), pictures.get, negatives=negative_bank(bank)
    )


def _regions(image: Prepared) -> dict[str, list[int]]:
    return {name: list(box) for name, box in image.fingerprint.boxes.items()}


def filed_features(features: list[tuple[int, int, Features]]) -> FeatureIndex:
    """The descriptor index as the store builds it: a quantizer sampled from the first
    images once the bank passes ``IVF_ABOVE`` descriptors, every image filed under it."""
    total, first = 0, []
    for _, _, f in features:
        first.append(f.descriptors)
        total += len(f)
        if total > IVF_ABOVE:
            break
    if total <= IVF_ABOVE:
        return FeatureIndex(features)
    quantizer = Quantizer(1, Quantizer.train(np.vstack(first)))
    filed = [
        (e, i, Features(f.xy, f.descriptors, quantizer.assign(f.descriptors)))
        for e, i, f in features
    ]
    return FeatureIndex(filed, quantizer)
