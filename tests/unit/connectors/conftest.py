"""Fixtures of the connector tests: probe images and provider terms."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from PIL import Image

from frsgate.connectors import MatchType, ProviderTerms
from frsgate.connectors.gallery import NEGATIVE_BELOW
from frsgate.connectors.sandbox import SandboxFaults, SandboxState, create_sandbox_app, with_faults
from frsgate.connectors.serve import serve_in_thread


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
    return positive_probe()


@pytest.fixture
def terms() -> ProviderTerms:
    return ProviderTerms(
        match_types=frozenset({MatchType.one_to_one, MatchType.two_photo, MatchType.one_to_many}),
        candidate_cap=20,
        law_enforcement_use=True,
    )


@pytest.fixture(scope="session")
def sandbox_app() -> FastAPI:
    """One sandbox FRS app for the session (seed 7, a small gallery: quick to draw)."""
    return create_sandbox_app(seed=7, gallery_size=200, extra_match_types=frozenset({"use_four"}))


@pytest.fixture(scope="session")
def sandbox_server(sandbox_app: FastAPI) -> Iterator[str]:
    """The session's sandbox FRS served by a real uvicorn in a thread; yields its base URL."""
    with serve_in_thread(sandbox_app) as url:
        yield url


@pytest.fixture
def sandbox_url(sandbox_app: FastAPI, sandbox_server: str) -> Iterator[str]:
    """The running sandbox, with no faults, an empty replay store and an empty request log."""
    state: SandboxState = sandbox_app.state.sandbox
    with_faults(sandbox_app, SandboxFaults())
    state.stored.clear()
    state.seen.clear()
    yield sandbox_server
    with_faults(sandbox_app, SandboxFaults())


@pytest.fixture
def sandbox_state(sandbox_app: FastAPI) -> SandboxState:
    state: SandboxState = sandbox_app.state.sandbox
    return state


def negative_probe() -> bytes:
    """A PNG whose SHA-256 falls in the sandbox's documented negative range."""
    for seed in range(10_000):
        image = png(seed)
        if hashlib.sha256(image).digest()[0] < NEGATIVE_BELOW:
            return image
    raise AssertionError("no negative probe among 10,000 seeds")


def positive_probe(start: int = 0) -> bytes:
    """A PNG outside the negative range (the sandbox returns candidates for it)."""
    for seed in range(start, start + 10_000):
        image = png(seed)
        if hashlib.sha256(image).digest()[0] >= NEGATIVE_BELOW:
            return image
    raise AssertionError("no positive probe among 10,000 seeds")


@pytest.fixture
def negative_png() -> bytes:
    return negative_probe()


@pytest.fixture
def positive_png() -> Callable[[int], bytes]:
    """`positive_png(n)`: the first positive probe from seed n on (distinct n, distinct bytes
    as long as the seeds are far enough apart)."""
    return positive_probe
