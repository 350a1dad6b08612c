"""Face counting for probe intake: a probe photo must be an isolated facial image (memo §2).

OpenCV's frontal-face Haar cascade (the `alt2` model shipped with opencv-python) runs on a
grayscale copy scaled down to at most `working_pixels` pixels (80,000: 283x283 for a square
photo, 400x200 for two portraits side by side). Working at a bounded size bounds the cost for
large photos and keeps the answer stable across sizes (with the `default` cascade at full
resolution, 3000 px photos raised extra false faces).

Why `alt2`, 80,000 working pixels, scaleFactor 1.2, minNeighbors 5: swept over the bundled
frontal cascades, working sizes, scaleFactor 1.1–1.3 and minNeighbors 2–10 on the one-face
(square and portrait), two-face and no-face test photographs at sizes 256–4000 px, this is a
cheap setting in the middle of a region that gives 1 / 2 / 0 every time: scaleFactor 1.15–1.2
with minNeighbors 3–7, and 100,000 working pixels, all agree. `default`, the usual choice,
needed a 640 px side for the same answers and cost about 2.5 times as much CPU. The vault tests
check that neighbourhood, so a tuning that only works by luck fails them.

Faces narrower than the configured minimum (in original pixels) are not counted. The cascade's
training window (20 px for `alt2`) is a floor in working pixels, so on a large photo the
effective minimum is ``20 * sqrt(width * height / working_pixels)`` (about 80 px on a
1100x1100 photo, 245 px on a 4000x3000 one): an isolated facial image has a larger face.
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass

import cv2
import cv2.data
import numpy as np
from PIL import Image

from frsgate.errors import ConfigurationError

CASCADE_FILE = "haarcascade_frontalface_alt2.xml"
DEFAULT_SCALE_FACTOR = 1.2
DEFAULT_MIN_NEIGHBORS = 5
DEFAULT_WORKING_PIXELS = 80_000
MIN_WORKING_PIXELS = 96 * 96


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A detected face, in pixels of the image that was passed in (left, top, width, height)."""

    left: int
    top: int
    width: int
    height: int


class FaceDetector:
    """Counts frontal faces. Safe to share between threads: each thread gets its own cascade."""

    def __init__(
        self,
        *,
        scale_factor: float = DEFAULT_SCALE_FACTOR,
        min_neighbors: int = DEFAULT_MIN_NEIGHBORS,
        working_pixels: int = DEFAULT_WORKING_PIXELS,
        cascade_path: str | None = None,
    ) -> None:
        if scale_factor <= 1.0:
            raise ConfigurationError("face detector scale_factor must be greater than 1")
        if min_neighbors < 1:
            raise ConfigurationError("face detector min_neighbors must be at least 1")
        if working_pixels < MIN_WORKING_PIXELS:
            raise ConfigurationError(
                f"face detector working_pixels must be at least {MIN_WORKING_PIXELS}"
            )
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.working_pixels = working_pixels
        self.cascade_path = cascade_path or str(cv2.data.haarcascades) + CASCADE_FILE
        # CascadeClassifier objects keep per-call scratch state; one per thread avoids a lock
        # on the hot path while loading the XML only once per thread.
        self._local = threading.local()
        # Fail at construction, not on the first probe, if the file is bad.
        self.window = int(max(self._cascade().getOriginalWindowSize()))

    def _cascade(self) -> cv2.CascadeClassifier:
        cascade: cv2.CascadeClassifier | None = getattr(self._local, "cascade", None)
        if cascade is None:
            cascade = cv2.CascadeClassifier(self.cascade_path)
            if cascade.empty():
                raise ConfigurationError(
                    f"face detection cascade {self.cascade_path} could not be loaded"
                )
            self._local.cascade = cascade
        return cascade

    def detect(self, image: Image.Image, *, min_face_pixels: int) -> list[FaceBox]:
        """Return the faces at least `min_face_pixels` wide, in `image` coordinates."""
        gray = image if image.mode == "L" else image.convert("L")
        width, height = gray.size
        scale = min(1.0, math.sqrt(self.working_pixels / (width * height)))
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            gray = gray.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
        pixels = np.asarray(gray, dtype=np.uint8)
        min_side = max(self.window, round(min_face_pixels * scale))
        if min(pixels.shape) < min_side:
            return []
        found = self._cascade().detectMultiScale(
            pixels,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(min_side, min_side),
        )
        return [
            FaceBox(
                left=round(int(x) / scale),
                top=round(int(y) / scale),
                width=round(int(w) / scale),
                height=round(int(h) / scale),
            )
            for (x, y, w, h) in found
        ]


@functools.cache
def default_detector() -> FaceDetector:
    """The process-wide detector with the tuned defaults (the cascade XML is parsed lazily)."""
    return FaceDetector()
