"""Stage 2's descriptor index with a stored quantizer finds what per-worker lists find."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from server.matching.features import FeatureIndex, Features, Quantizer, extract

from ..conftest import demo_image

NAMES = ("rocket", "coffee", "astronaut", "chelsea")


def stored() -> list[tuple[int, int, Features]]:
    return [(10 + i, i, extract(demo_image(name))) for i, name in enumerate(NAMES)]


def test_quantizer_files_each_descriptor_under_its_nearest_centroid() -> None:
    descriptors = np.vstack([f.descriptors for *_, f in stored()])
    quantizer = Quantizer(1, Quantizer.train(descriptors, 64))
    assert (quantizer.assign(quantizer.centroids) == np.arange(64)).all()
    numbers = quantizer.assign(descriptors)
    assert numbers.dtype == np.uint16 and len(numbers) == len(descriptors)


def test_quantizer_needs_one_distinct_descriptor_per_list() -> None:
    descriptors = extract(demo_image("rocket")).descriptors
    with pytest.raises(ValueError, match="distinct descriptors"):
        Quantizer.train(np.vstack([descriptors[:10]] * 20), 64)


def test_training_moves_centroids_to_even_out_the_lists() -> None:
    """Sampled centroids leave common patterns crowded in a few long lists, which a
    query's keypoints probe most; the majority rounds spread them (bench/speed/stage2.py)."""
    descriptors = np.vstack([f.descriptors for *_, f in stored()])
    sampled = Quantizer(1, Quantizer.train(descriptors, 64, rounds=0))
    trained = Quantizer(2, Quantizer.train(descriptors, 64))

    def spread(quantizer: Quantizer) -> tuple[float, float]:
        """(list imbalance, mean distance of a descriptor to its centroid)"""
        distances, nearest = quantizer.flat.search(descriptors, 1)
        sizes = np.bincount(nearest[:, 0], minlength=64).astype(float)
        return (sizes**2).sum() * 64 / sizes.sum() ** 2, float(distances.mean())

    assert len(np.unique(trained.centroids, axis=0)) == 64  # one centroid per list number
    (even_before, near_before), (even_after, near_after) = spread(sampled), spread(trained)
    assert even_after < even_before
    assert near_after < near_before


def test_stored_lists_find_the_same_cropped_copy_as_lists_trained_in_the_worker() -> None:
    images = stored()
    quantizer = Quantizer(1, Quantizer.train(np.vstack([f.descriptors for *_, f in images]), 64))
    filed = [
        (entry, image, Features(f.xy, f.descriptors, quantizer.assign(f.descriptors)))
        for entry, image, f in images
    ]
    coffee = demo_image("coffee")
    window = coffee.crop((coffee.width // 4, 0, coffee.width, coffee.height * 3 // 4))
    query = extract(window)
    for index in (
        FeatureIndex(images),  # lists of its own
        FeatureIndex(filed, quantizer),  # lists read from the store
        FeatureIndex(images, quantizer),  # stored before the quantizer: assigned on load
    ):
        found = index.search(query, 12)
        assert found and found[0].entry_id == 11 and found[0].image_id == 1


def test_keypoints_read_back_on_demand_verify_only_the_candidates() -> None:
    images = stored()
    by_id = {image: f for _, image, f in images}
    asked: list[int] = []

    def keypoints(image_id: int) -> Features | None:
        asked.append(image_id)
        return by_id.get(image_id)

    coffee = demo_image("coffee")
    query = extract(coffee.crop((coffee.width // 4, 0, coffee.width, coffee.height * 3 // 4)))
    found = FeatureIndex(images, keypoints=keypoints).search(query, 12)
    assert found and found[0].image_id == 1
    assert 1 in asked and len(asked) <= 5  # only candidates with enough votes are read

    del by_id[1]  # removed from the store after the index was built: no match, no error
    assert all(c.image_id != 1 for c in FeatureIndex(images, keypoints=keypoints).search(query, 12))


def test_a_small_copy_is_enlarged_before_its_keypoints_are_taken() -> None:
    """ORB skips a 31 px border: a ~170 px copy (a shrunk window, say) kept few keypoints."""
    coffee = demo_image("coffee")
    window = coffee.crop((coffee.width // 8, coffee.height // 8, coffee.width, coffee.height))
    small = window.resize((170, round(170 * window.height / window.width)))
    query = extract(small)
    assert len(query) >= 200
    assert query.xy[:, 0].max() < small.width and query.xy[:, 1].max() < small.height
    found = FeatureIndex(stored()).search(query, 12)
    assert found and found[0].image_id == 1


def test_the_keypoints_of_a_box_are_given_in_the_whole_pictures_pixels() -> None:
    """A screenshot's photo is looked at on its own, then placed back where it was."""
    coffee = demo_image("coffee")
    photo = coffee.resize((200, round(200 * coffee.height / coffee.width)))
    page = Image.new("RGB", (600, 400), "white")
    page.paste(photo, (300, 120))
    box = (300, 120, 300 + photo.width, 120 + photo.height)
    query = extract(page, box)
    assert len(query) >= 200
    assert (query.xy >= box[:2]).all() and (query.xy < box[2:]).all()
    found = FeatureIndex(stored()).search(query, 12)
    assert found and found[0].image_id == 1


def test_frames_common_points_are_worked_out_ahead_and_agree_with_a_first_look() -> None:
    """A frame's common points (what it shares with three or more entries) are ready
    before any check asks, without reading its keypoints back, and are the same points a
    first look would compute."""
    coffee = demo_image("coffee")
    images = stored() + [(20 + k, 20 + k, extract(coffee)) for k in range(3)]
    by_id = {image: f for _, image, f in images}
    asked: list[int] = []

    def keypoints(image_id: int) -> Features | None:
        asked.append(image_id)
        return by_id.get(image_id)

    ahead = FeatureIndex(images, keypoints=keypoints)
    ahead.pin_common_points([(1, by_id[1])])
    pinned = ahead.common_points(1)
    assert asked == []  # nothing read back: worked out from the keypoints at load
    first_look = FeatureIndex(images, keypoints=keypoints).common_points(1)
    assert asked == [1]
    assert len(pinned) > 20 and np.array_equal(pinned, first_look)  # coffee is in 4 entries
