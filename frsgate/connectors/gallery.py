"""The synthetic gallery behind the sandbox FRS: drawn avatars, not real people.

Identity `i` of a gallery with seed `s` is always the same picture: its drawing is driven by a
RNG seeded with `"{s}:{i}"`. Avatars are drawn on first use and cached, so a search stays in the
low milliseconds. Every avatar has a magenta frame, so a sandbox image is recognisable as such
wherever it ends up.

The matching rules are deterministic functions of the SHA-256 of the probe bytes:

- a probe whose digest's first byte is below `NEGATIVE_BELOW` (0x20, one probe in eight) gets
  no candidates: the negative result;
- otherwise `one_to_many` (and any extra gallery match type) returns
  `min(max_candidates, 3 + digest[1] % 18)` distinct identities, picked by a RNG seeded from
  the digest and the match type, with scores strictly descending in (0, 1);
- `one_to_one` returns the selected identity alone, scored from the digest and the reference;
- `compare` scores a pair symmetrically; identical images score 0.99.

Each identity also has a photo date (`photo_taken_on`), counted back from `PHOTO_DATES_BEFORE`
by a RNG seeded with `"{s}:{i}:photo"`: three in five are under 5 years old, about one in seven
5 to 8 years, and one in four older than 8 years (up to 15), so review flags for old photos
show up in any list of a few candidates.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from PIL import Image, ImageDraw

NEGATIVE_BELOW: Final = 0x20
# A fixed day, not today: the same identity has the same photo date whenever it is asked.
PHOTO_DATES_BEFORE: Final = date(2026, 1, 1)
_YEAR_DAYS: Final = 365
AVATAR_SIZE: Final = 64
_FRAME = (255, 0, 255)
_SKIN = ((255, 224, 189), (234, 192, 134), (198, 134, 66), (141, 85, 36), (92, 56, 30))


@dataclass(frozen=True, slots=True)
class Hit:
    index: int
    score: float


class SyntheticGallery:
    """`size` synthetic identities, referenced as `sbx-000000` ... by the sandbox."""

    def __init__(self, *, seed: int, size: int) -> None:
        if size < 1:
            raise ValueError("gallery size must be at least 1")
        self.seed = seed
        self.size = size
        self._avatars: dict[int, bytes] = {}

    @staticmethod
    def ref(index: int) -> str:
        return f"sbx-{index:06d}"

    def index_of(self, ref: str) -> int | None:
        if not ref.startswith("sbx-") or not ref[4:].isdigit():
            return None
        index = int(ref[4:])
        return index if 0 <= index < self.size else None

    def photo_taken_on(self, index: int) -> date:
        """The day identity `index`'s gallery photo was taken (see the module docstring)."""
        rng = random.Random(f"{self.seed}:{index}:photo")  # noqa: S311 - synthetic dates
        draw = rng.random()
        if draw < 0.6:
            days = rng.randrange(0, 5 * _YEAR_DAYS)
        elif draw < 0.75:
            days = rng.randrange(5 * _YEAR_DAYS + 2, 8 * _YEAR_DAYS)
        else:
            days = rng.randrange(8 * _YEAR_DAYS + 3, 15 * _YEAR_DAYS)
        return PHOTO_DATES_BEFORE - timedelta(days=days)

    @property
    def drawn(self) -> int:
        """How many avatars are drawn and cached."""
        return len(self._avatars)

    def avatar(self, index: int) -> bytes:
        """The PNG of identity `index`, drawn once and cached."""
        cached = self._avatars.get(index)
        if cached is None:
            cached = self._avatars[index] = self._draw(index)
        return cached

    def _draw(self, index: int) -> bytes:
        rng = random.Random(f"{self.seed}:{index}")  # noqa: S311 - synthetic art, not security
        size = AVATAR_SIZE
        background = tuple(rng.randrange(150, 256) for _ in range(3))
        image = Image.new("RGB", (size, size), background)
        draw = ImageDraw.Draw(image)
        skin = rng.choice(_SKIN)
        hair = tuple(rng.randrange(0, 120) for _ in range(3))
        w = rng.randrange(30, 42)
        h = rng.randrange(38, 48)
        left, top = (size - w) // 2, (size - h) // 2 + 4
        draw.ellipse((left - 2, top - 6, left + w + 2, top + h // 2), fill=hair)
        draw.ellipse((left, top, left + w, top + h), fill=skin)
        eye_y = top + h // 3 + rng.randrange(-2, 3)
        gap = rng.randrange(6, 10)
        eye_color = tuple(rng.randrange(0, 100) for _ in range(3))
        for x in (size // 2 - gap, size // 2 + gap):
            draw.ellipse((x - 3, eye_y - 2, x + 3, eye_y + 2), fill=(255, 255, 255))
            draw.ellipse((x - 1, eye_y - 1, x + 1, eye_y + 1), fill=eye_color)
        mouth_y = top + (2 * h) // 3 + rng.randrange(0, 4)
        mouth_w = rng.randrange(6, 12)
        draw.arc(
            (size // 2 - mouth_w, mouth_y - 4, size // 2 + mouth_w, mouth_y + 4),
            start=20,
            end=160,
            fill=(120, 30, 30),
            width=2,
        )
        draw.rectangle((0, 0, size - 1, size - 1), outline=_FRAME, width=3)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    def search(self, probe: bytes, *, match_type: str, max_candidates: int) -> list[Hit]:
        """The deterministic gallery search of the module docstring."""
        digest = hashlib.sha256(probe).digest()
        if digest[0] < NEGATIVE_BELOW:
            return []
        count = min(max_candidates, 3 + digest[1] % 18, self.size)
        rng = random.Random(digest + match_type.encode())  # noqa: S311 - deterministic picks
        indices = rng.sample(range(self.size), count)
        score = 0.55 + 0.4 * digest[2] / 255
        hits = []
        for index in indices:
            hits.append(Hit(index, round(score, 4)))
            # Keep scores strictly descending and above zero even after rounding.
            score = max(score * rng.uniform(0.8, 0.97) - 0.0001, 0.0001 * (count - len(hits)))
        return hits

    def extra_hits(self, probe: bytes, count: int, *, after: list[Hit]) -> list[Hit]:
        """`count` more low-scored identities not in `after` (fault injection: too many)."""
        taken = {hit.index for hit in after}
        rng = random.Random(hashlib.sha256(probe).digest())  # noqa: S311
        pool = [i for i in range(self.size) if i not in taken]
        low = after[-1].score if after else 0.5
        picks = rng.sample(pool, min(count, len(pool)))
        return [Hit(i, round(low * 0.5 / (n + 1), 4)) for n, i in enumerate(picks)]

    def verify(self, probe: bytes, index: int) -> list[Hit]:
        """one_to_one: the selected identity alone, or nothing for a negative probe."""
        digest = hashlib.sha256(probe).digest()
        if digest[0] < NEGATIVE_BELOW:
            return []
        pair = hashlib.sha256(digest + self.ref(index).encode()).digest()
        return [Hit(index, round(0.05 + 0.9 * pair[0] / 255, 4))]

    @staticmethod
    def compare(a: bytes, b: bytes) -> float:
        """A symmetric likeness score of two images; identical bytes score 0.99."""
        if a == b:
            return 0.99
        first, second = sorted((hashlib.sha256(a).digest(), hashlib.sha256(b).digest()))
        pair = hashlib.sha256(first + second).digest()
        return round(0.02 + 0.9 * pair[0] / 255, 4)
