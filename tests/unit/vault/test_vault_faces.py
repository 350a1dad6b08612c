"""The Haar cascade really counts 1 / 2 / 0 faces on the test photographs, robustly.

"Robustly" means: at every photo size from 256 to 4000 px, and for the tuned parameters'
neighbours too (scaleFactor 1.15–1.2, minNeighbors 3–7, 100,000 working pixels), so the
defaults sit on a plateau rather than on a lucky knife edge.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from frsgate.errors import ConfigurationError
from frsgate.vault.faces import (
    DEFAULT_MIN_NEIGHBORS,
    DEFAULT_SCALE_FACTOR,
    DEFAULT_WORKING_PIXELS,
    FaceDetector,
    default_detector,
)
from tests import images

MIN_FACE = 60


def photo(kind: str, side: int) -> Image.Image:
    """The test photographs, resized so the longest side of one tile is `side`."""
    if kind == "cat":
        base = Image.fromarray(np.asarray(skdata.chelsea(), dtype=np.uint8))
    else:
        base = Image.fromarray(images.astronaut_array())
    if kind == "portrait":  # 3:4, the usual shape of a probe photo, padded with gray
        padded = Image.new("RGB", (base.width, base.width * 4 // 3), (128, 128, 128))
        padded.paste(base, (0, (padded.height - base.height) // 2))
        base = padded
    scale = side / max(base.size)
    tile = base.resize(
        (round(base.width * scale), round(base.height * scale)), Image.Resampling.LANCZOS
    )
    if kind != "two":
        return tile
    pair = Image.new("RGB", (tile.width * 2, tile.height))
    pair.paste(tile, (0, 0))
    pair.paste(tile, (tile.width, 0))
    return pair


EXPECTED = {"one": 1, "portrait": 1, "two": 2, "cat": 0}


@pytest.mark.parametrize("side", [256, 320, 384, 512, 768, 1024, 2048, 4000])
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_default_detector_counts_faces_at_every_size(kind: str, side: int) -> None:
    faces = default_detector().detect(photo(kind, side), min_face_pixels=40)
    assert len(faces) == EXPECTED[kind]


@pytest.mark.parametrize(
    ("scale_factor", "min_neighbors", "working_pixels"),
    [
        (DEFAULT_SCALE_FACTOR - 0.05, DEFAULT_MIN_NEIGHBORS - 2, DEFAULT_WORKING_PIXELS),
        (DEFAULT_SCALE_FACTOR - 0.05, DEFAULT_MIN_NEIGHBORS + 2, DEFAULT_WORKING_PIXELS),
        (DEFAULT_SCALE_FACTOR, DEFAULT_MIN_NEIGHBORS - 2, DEFAULT_WORKING_PIXELS),
        (DEFAULT_SCALE_FACTOR, DEFAULT_MIN_NEIGHBORS + 2, DEFAULT_WORKING_PIXELS),
        (DEFAULT_SCALE_FACTOR, DEFAULT_MIN_NEIGHBORS, DEFAULT_WORKING_PIXELS * 5 // 4),
    ],
)
@pytest.mark.parametrize("side", [384, 2048])
def test_neighbouring_parameters_agree(
    scale_factor: float, min_neighbors: int, working_pixels: int, side: int
) -> None:
    detector = FaceDetector(
        scale_factor=scale_factor, min_neighbors=min_neighbors, working_pixels=working_pixels
    )
    counts = {
        kind: len(detector.detect(photo(kind, side), min_face_pixels=40)) for kind in EXPECTED
    }
    assert counts == EXPECTED


def test_boxes_are_in_original_coordinates() -> None:
    small = default_detector().detect(photo("one", 512), min_face_pixels=MIN_FACE)[0]
    large = default_detector().detect(photo("one", 2048), min_face_pixels=MIN_FACE)[0]
    # The astronaut's face is at about (175, 65), 100 px wide, in the 512 px photo.
    assert 160 <= small.left <= 190
    assert 50 <= small.top <= 80
    assert 85 <= small.width <= 115
    for a, b in ((small.left, large.left), (small.top, large.top), (small.width, large.width)):
        assert abs(a * 4 - b) <= 4 * 8


def test_min_face_pixels_filters_small_faces() -> None:
    image = photo("one", 512)  # face about 100 px
    assert len(default_detector().detect(image, min_face_pixels=90)) == 1
    assert default_detector().detect(image, min_face_pixels=130) == []


def test_image_smaller_than_min_face_has_no_face() -> None:
    assert default_detector().detect(Image.new("L", (40, 40)), min_face_pixels=MIN_FACE) == []


def test_grayscale_input_works() -> None:
    gray = photo("one", 512).convert("L")
    assert len(default_detector().detect(gray, min_face_pixels=MIN_FACE)) == 1


def test_shared_between_threads() -> None:
    detector = FaceDetector()
    image = photo("two", 512)
    cascades: set[int] = set()
    lock = threading.Lock()

    def count(_: int) -> int:
        found = len(detector.detect(image, min_face_pixels=MIN_FACE))
        with lock:
            cascades.add(id(detector._cascade()))
        return found

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(count, range(16)))
    assert results == [2] * 16
    assert len(cascades) >= 2  # each thread had its own classifier


def test_bad_parameters_and_cascade_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="scale_factor"):
        FaceDetector(scale_factor=1.0)
    with pytest.raises(ConfigurationError, match="min_neighbors"):
        FaceDetector(min_neighbors=0)
    with pytest.raises(ConfigurationError, match="working_pixels"):
        FaceDetector(working_pixels=50 * 50)
    with pytest.raises(ConfigurationError, match="could not be loaded"):
        FaceDetector(cascade_path="/nonexistent/cascade.xml")
