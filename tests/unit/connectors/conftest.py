"""Fixtures of the connector tests: probe images and provider terms."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from frsgate.connectors import MatchType, ProviderTerms


def png(seed: int, size: int = 32) -> bytes:
    """A small PNG whose pixels depend on `seed` (distinct seeds give distinct bytes)."""
    image = Image.new("RGB", (size, size), ((seed * 37) % 256, (seed * 91) % 256, seed % 256))
    image.putpixel((seed % size, (seed // size) % size), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def make_png() -> Callable[..., bytes]:
    return png


@pytest.fixture
def probe() -> bytes:
    return png(1)


@pytest.fixture
def terms() -> ProviderTerms:
    return ProviderTerms(
        match_types=frozenset({MatchType.one_to_one, MatchType.two_photo, MatchType.one_to_many}),
        candidate_cap=20,
        law_enforcement_use=True,
    )
