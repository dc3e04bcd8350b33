"""The negative bank in a worker: what moderators said is not evidence of a known fake.

Two uses (none of our peers ships one; Meta's HMA lists it on its roadmap):

- **Material**: overlays (logos, watermarks, lower thirds, interfaces), frames (a post's
  or player's chrome; kept by themselves when a copy is stored cut to its picture) and
  meme templates. Their keypoints sit in one flat index. A query keypoint near one gets
  no vote in stage 2, and a stored picture's keypoints near one are places the pixel
  check leaves out where they agree (``agreement.compare``'s ``shared``), exactly like
  what the bank holds in three or more entries (``features.COMMON_ENTRIES``): an
  innocent meme of a stored template then agrees only where its words are, and they
  differ.
- **Pictures**: every item but a frame is also searched like an entry (a ``Snapshot``
  of its own), and a candidate that an item explains as well is not a match
  (``matcher.find``): a lookalike (another shot of the scene, the next frame of a burst)
  when it is at least as close; a template or an overlay when the stored fake adds
  nothing the query shows beyond it (an innocent meme of a known meme's template agrees
  with the template about as well as with the meme: only the words differ).

Lookalikes count as material too: what a lookalike shares with a fake (the scene) is
not what tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import faiss
import numpy as np

from .features import Features

if TYPE_CHECKING:
    from .index import Snapshot

#: Bits within which a keypoint is the negative material's (as ``COMMON_DISTANCE``).
MATERIAL_DISTANCE = 40


@dataclass(frozen=True)
class NegativeBank:
    """One worker's copy of the active negative bank (``index.negative_bank`` builds it)."""

    material: faiss.IndexBinaryFlat | None = None
    lookalikes: Snapshot | None = None  # every item with a picture, searched like entries
    size: int = 0  # items in the bank
    kinds: dict[int, str] = field(default_factory=dict)  # of the searched items, by id
    #: The material shown over pictures (overlays, frames, templates; not lookalikes,
    #: which are pictures of their own): where a stored picture is mostly this, it is an
    #: interface around a plain picture (``matcher._shared``).
    shown_over: faiss.IndexBinaryFlat | None = None
    _shared: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    _shown_over: dict[int, float] = field(default_factory=dict, repr=False, compare=False)

    def unvoting(self, descriptors: np.ndarray) -> np.ndarray:
        """Which of these (query) descriptors are negative material: they get no vote."""
        if self.material is None or not len(descriptors):
            return np.zeros(len(descriptors), bool)
        distances, _ = self.material.search(np.ascontiguousarray(descriptors), 1)
        return distances[:, 0] <= MATERIAL_DISTANCE

    def shared_points(self, image_id: int, keypoints: Features | None) -> np.ndarray:
        """Where a stored picture's keypoints are negative material (its pixels), kept for
        the last 512 pictures asked about (the bank is rebuilt when it changes)."""
        if self.material is None or keypoints is None or not len(keypoints):
            return np.zeros((0, 2), np.float32)
        return _remembered(self, image_id, keypoints)


def shown_over_share(bank: NegativeBank, image_id: int, keypoints: Features | None) -> float:
    """The share of a stored picture's keypoints that are material shown over pictures,
    kept for the last 512 pictures asked about (as ``shared_points``)."""
    if bank.shown_over is None or keypoints is None or not len(keypoints):
        return 0.0
    share = bank._shown_over.get(image_id)
    if share is None:
        if len(bank._shown_over) >= 512:
            bank._shown_over.clear()
        distances, _ = bank.shown_over.search(np.ascontiguousarray(keypoints.descriptors), 1)
        share = bank._shown_over[image_id] = float((distances[:, 0] <= MATERIAL_DISTANCE).mean())
    return share


def _remembered(bank: NegativeBank, image_id: int, keypoints: Features) -> np.ndarray:
    known = bank._shared.get(image_id)
    if known is None:
        if len(bank._shared) >= 512:
            bank._shared.clear()
        known = bank._shared[image_id] = keypoints.xy[bank.unvoting(keypoints.descriptors)]
    return known


def material_index(features: list[Features]) -> faiss.IndexBinaryFlat | None:
    """One flat index over the descriptors of every item of the bank."""
    kept = [f.descriptors for f in features if f is not None and len(f)]
    if not kept:
        return None
    index = faiss.IndexBinaryFlat(256)
    index.add(np.ascontiguousarray(np.vstack(kept)))
    return index


NO_NEGATIVES = NegativeBank()
