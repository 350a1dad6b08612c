"""Limits before work: a body over its route's limit is answered 413 while it arrives —
before it is parsed and before the bearer token is checked — and the service's memory does
not grow with what a client sends."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import images
import pytest
from harness import Gateway
from helpers import post_probe, submission_body
from processes import Served, serving

from frsgate.api.limits import FORM_OVERHEAD_BYTES, JSON_LIMIT_BYTES, BodyLimit

MIB = 1024 * 1024
CHUNK = 64 * 1024


def _assert_payload_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["error"] == "PayloadTooLarge"
    assert f"limit of {limit} bytes" in body["message"]


def _chunks(total: int) -> Iterator[bytes]:
    """`total` bytes in CHUNK pieces; a generator, so httpx streams it (chunked encoding, no
    Content-Length)."""
    left = total
    while left > 0:
        piece = b"x" * min(CHUNK, left)
        left -= len(piece)
        yield piece


def test_oversized_json_without_a_token_is_413_not_401(gateway: Gateway) -> None:
    padding = "x" * (JSON_LIMIT_BYTES + 1)
    with gateway.anonymous() as anonymous:
        response = anonymous.post(
            "/api/v1/submissions", json={"probe_id": "p", "justification": padding}
        )
    _assert_payload_too_large(response, JSON_LIMIT_BYTES)
    # The answer of a request the service never read whole still carries its request id.
    assert response.headers["X-Request-ID"]


def test_oversized_chunked_body_is_cut_at_the_limit(gateway: Gateway) -> None:
    with gateway.anonymous() as anonymous:
        response = anonymous.post(
            "/api/v1/submissions",
            content=_chunks(8 * MIB),
            headers={"Content-Type": "application/json"},
        )
    _assert_payload_too_large(response, JSON_LIMIT_BYTES)


def test_a_small_json_body_still_reaches_the_route(gateway: Gateway) -> None:
    with gateway.anonymous() as anonymous:
        anonymous_small = anonymous.post("/api/v1/submissions", json=submission_body("p"))
    assert anonymous_small.status_code == 401, anonymous_small.text
    # Just under the limit: the route reads it, and its own validation refuses the field.
    with gateway.client("alice") as alice:
        body = submission_body("p")
        overhead = len(json.dumps(body).encode()) - len(body["justification"])
        body["justification"] = "x" * (JSON_LIMIT_BYTES - overhead - 1)
        assert len(json.dumps(body).encode()) < JSON_LIMIT_BYTES
        response = alice.post("/api/v1/submissions", json=body)
    assert response.status_code == 422, response.text
    assert "justification" in response.json()["message"]


def test_oversized_probe_upload_is_413_naming_the_limit(gateway: Gateway) -> None:
    limit = gateway.settings.max_probe_bytes + FORM_OVERHEAD_BYTES
    with gateway.client("alice") as alice:
        response = post_probe(alice, images.oversized_jpeg(limit + 1))
    _assert_payload_too_large(response, limit)


def test_probe_uploads_under_the_limit_still_work(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        created = post_probe(alice, images.astronaut_jpeg())
        assert created.status_code == 201, created.text
        # An image just over the image limit is still under the body limit: the route reads
        # it and refuses it itself (recorded; see test_bad_input).
        over_image = post_probe(alice, images.oversized_jpeg(gateway.settings.max_probe_bytes + 1))
    assert over_image.status_code == 422, over_image.text
    assert "over the limit" in over_image.json()["message"]


# --- the middleware on its own: what the header says is never trusted ------------------------


class _Recorder:
    """An ASGI app that reads the whole body and answers 200 with its length."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        size = 0
        while True:
            message = await receive()
            self.messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})


def _call(
    app: BodyLimit, path: str, headers: list[tuple[bytes, bytes]], chunks: int
) -> tuple[list[dict[str, Any]], int]:
    """Run one POST through `app`, the client offering `chunks` CHUNKs; return what was sent
    back and how many chunks the app took from the client."""
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    taken = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal taken
        taken += 1
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": taken < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent, taken


def test_a_content_length_lie_is_cut_at_the_limit() -> None:
    inner = _Recorder()
    app = BodyLimit(inner, max_probe_bytes=1024)
    sent, taken = _call(app, "/api/v1/submissions", [(b"content-length", b"10")], 1000)
    assert sent[0]["status"] == 413
    assert b"limit of %d bytes" % JSON_LIMIT_BYTES in sent[1]["body"]
    assert len(sent) == 2  # only the 413: what the app says after the cut is dropped
    # Read one chunk past the limit, not the rest; the app was told the client had gone.
    assert taken == JSON_LIMIT_BYTES // CHUNK + 1
    assert inner.messages[-1] == {"type": "http.disconnect"}


def test_a_content_length_over_the_limit_is_refused_before_reading() -> None:
    inner = _Recorder()
    app = BodyLimit(inner, max_probe_bytes=1024)
    length = str(1024 + FORM_OVERHEAD_BYTES + 1).encode()
    sent, taken = _call(app, "/api/v1/probes", [(b"content-length", length)], 1000)
    assert sent[0]["status"] == 413
    assert taken == 0
    assert not inner.messages


def test_a_body_at_the_limit_reaches_the_app() -> None:
    inner = _Recorder()
    app = BodyLimit(inner, max_probe_bytes=1024)
    chunks = JSON_LIMIT_BYTES // CHUNK
    sent, taken = _call(app, "/api/v1/ledger/entries", [], chunks)
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == str(JSON_LIMIT_BYTES).encode()
    assert taken == chunks


# --- a real `frsgate serve` process: memory ---------------------------------------------------


def _memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


@pytest.fixture
def one_process(tmp_path: Path, database_url: str) -> Iterator[Served]:
    """`frsgate serve` with one process: the pid that serves is the pid started."""
    with serving(tmp_path, database_url, workers=1) as running:
        yield running


GROWTH_LIMIT_KIB = 20 * 1024


@pytest.mark.slow
def test_a_50_mb_body_without_a_token_does_not_grow_the_server(one_process: Served) -> None:
    pid = one_process.process.pid
    with httpx.Client(base_url=one_process.url, timeout=60) as client:
        # Warm up: the first answers load what they need once.
        for _ in range(3):
            warm = client.post("/api/v1/submissions", content=_chunks(2 * MIB))
            assert warm.status_code == 413, f"{warm.text}\n{one_process.stderr()}"
        time.sleep(0.2)
        before = _memory_kib(pid, "VmRSS")
        # Reset the peak, so VmHWM afterwards is the most the request made the process hold.
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        response = client.post(
            "/api/v1/submissions",
            content=_chunks(50 * MIB),
            headers={"Content-Type": "application/json"},
        )
    _assert_payload_too_large(response, JSON_LIMIT_BYTES)
    peak = _memory_kib(pid, "VmHWM")
    after = _memory_kib(pid, "VmRSS")
    assert after - before < GROWTH_LIMIT_KIB, (before, after)
    assert peak - before < GROWTH_LIMIT_KIB, (before, peak)
    # And the service still answers.
    assert httpx.get(f"{one_process.url}/readyz", timeout=5).status_code == 200
