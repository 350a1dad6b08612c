"""`Idempotency-Key` on the acts over HTTP: a retry answers the first response again without a
second act, ledger entry or dispatch; another request under the same key, a malformed key and
a request racing the first are refused; keys are per user and per route."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

import httpx
import pytest
from harness import Gateway, Sandbox
from helpers import post_probe, probe_form, submission_body
from images import astronaut_jpeg, astronaut_png

import frsgate.api.routes.submissions as submission_routes
from frsgate.errors import StoreError
from frsgate.services.errors import RateLimited

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def _events(gateway: Gateway) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(0, ledger.size())]


def _count(gateway: Gateway, event: str) -> int:
    return Counter(e["event"] for e in _events(gateway))[event]


def _probe(client: httpx.Client) -> dict[str, Any]:
    response = post_probe(client, astronaut_jpeg())
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _submit(client: httpx.Client, body: dict[str, Any], key: str | None) -> httpx.Response:
    headers = {KEY: key} if key is not None else {}
    return client.post("/api/v1/submissions", json=body, headers=headers)


def _post_probe(client: httpx.Client, image: bytes, key: str, **form: Any) -> httpx.Response:
    return client.post(
        "/api/v1/probes",
        data=probe_form(**form),
        files={"image": ("probe.jpg", image, "image/jpeg")},
        headers={KEY: key},
    )


def test_a_retried_submission_answers_the_first_response(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = _probe(alice)
        body = submission_body(probe["id"])
        first = _submit(alice, body, "retry-1")
        assert first.status_code == 201, first.text
        assert REPLAYED not in first.headers
        size = gateway.runtime.ledger.size()
        # The same request, its fields in another order and a default spelled out.
        again = _submit(alice, dict(reversed(body.items())) | {"exigent": False}, "retry-1")
        assert gateway.runtime.ledger.size() == size
        assert again.status_code == 201
        assert again.headers[REPLAYED] == "true"
        assert again.content == first.content
        mine = alice.get("/api/v1/submissions").json()["submissions"]
    assert [s["id"] for s in mine] == [first.json()["submission"]["id"]]
    assert _count(gateway, "submission:dispatch:intent") == 1


def test_a_retried_probe_answers_the_first_response(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        first = _post_probe(alice, astronaut_jpeg(), "probe-1")
        assert first.status_code == 201, first.text
        size = gateway.runtime.ledger.size()
        again = _post_probe(alice, astronaut_jpeg(), "probe-1")
        assert (again.status_code, again.json()) == (201, first.json())
        assert again.headers[REPLAYED] == "true"
        assert gateway.runtime.ledger.size() == size
        # Other image bytes under the same key are another request.
        other_image = _post_probe(alice, astronaut_png(), "probe-1")
        other_form = _post_probe(alice, astronaut_jpeg(), "probe-1", justification="another")
    for refused in (other_image, other_form):
        assert refused.status_code == 409, refused.text
        assert "different request" in refused.json()["message"]
    assert gateway.runtime.ledger.size() == size
    assert _count(gateway, "probe:record:create") == 1


def test_the_same_key_with_another_submission_is_a_conflict(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = _probe(alice)
        first = _submit(alice, submission_body(probe["id"]), "reused")
        assert first.status_code == 201, first.text
        size = gateway.runtime.ledger.size()
        other = _submit(alice, submission_body(probe["id"], justification="other"), "reused")
    assert other.status_code == 409, other.text
    assert other.json()["error"] == "Conflict"
    assert "Idempotency-Key was already used with a different request" in other.json()["message"]
    assert gateway.runtime.ledger.size() == size
    assert _count(gateway, "submission:dispatch:intent") == 1


def test_a_recorded_refusal_is_replayed_too(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = _probe(alice)
    with gateway.client("aaron") as aaron:  # certification lapsed: denied (memo 4.A.3)
        denied = _submit(aaron, submission_body(probe["id"]), "lapsed")
        assert denied.status_code == 403, denied.text
        size = gateway.runtime.ledger.size()
        again = _submit(aaron, submission_body(probe["id"]), "lapsed")
    assert (again.status_code, again.json()) == (403, denied.json())
    assert again.headers[REPLAYED] == "true"
    assert gateway.runtime.ledger.size() == size


def test_keys_are_per_user_and_per_route(gateway: Gateway) -> None:
    with gateway.client("alice") as alice, gateway.client("sam") as sam:
        mine = _post_probe(alice, astronaut_jpeg(), "shared-key")
        his = _post_probe(sam, astronaut_jpeg(), "shared-key")
        assert mine.status_code == his.status_code == 201, (mine.text, his.text)
        assert REPLAYED not in his.headers
        assert mine.json()["id"] != his.json()["id"]
        # The same key on the other route is another key.
        sub = _submit(alice, submission_body(mine.json()["id"]), "shared-key")
        assert sub.status_code == 201, sub.text
        assert REPLAYED not in sub.headers
    assert _count(gateway, "probe:record:create") == 2


def test_without_a_key_every_request_acts(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = _probe(alice)
        first = _submit(alice, submission_body(probe["id"]), None)
        second = _submit(alice, submission_body(probe["id"]), None)
    assert first.status_code == second.status_code == 201
    assert first.json()["submission"]["id"] != second.json()["submission"]["id"]
    assert REPLAYED not in second.headers
    assert _count(gateway, "submission:dispatch:intent") == 2


@pytest.mark.parametrize(
    "key",
    [b"", b"x" * 129, "clé".encode(), b"tab\there"],
    ids=["empty", "too-long", "not-ascii", "control-character"],
)
def test_a_malformed_key_is_422_naming_the_header(gateway: Gateway, key: bytes) -> None:
    with gateway.client("alice") as alice:
        size = gateway.runtime.ledger.size()
        response = alice.post(
            "/api/v1/submissions", json=submission_body("probe_x"), headers={KEY.encode(): key}
        )
    assert response.status_code == 422, response.text
    assert "Idempotency-Key" in response.json()["message"]
    assert gateway.runtime.ledger.size() == size


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RuntimeError("boom"), 500),
        (StoreError("database unavailable"), 503),
        (RateLimited("rate limit reached", retry_after_seconds=60), 429),
    ],
    ids=["unexpected", "store", "rate-limited"],
)
def test_a_failure_releases_the_key_for_a_retry(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch, error: Exception, status: int
) -> None:
    def failing(**_: Any) -> Any:
        raise error

    with gateway.client("alice") as alice:
        probe = _probe(alice)
    # A connection of its own: the server closes it after an unexpected error's 500.
    with gateway.client("alice") as alice, monkeypatch.context() as patched:
        patched.setattr(submission_routes, "create_submission", failing)
        failed = _submit(alice, submission_body(probe["id"]), "after-failure")
    assert failed.status_code == status, failed.text
    with gateway.client("alice") as alice:
        retried = _submit(alice, submission_body(probe["id"]), "after-failure")
    assert retried.status_code == 201, retried.text
    assert REPLAYED not in retried.headers
    assert _count(gateway, "submission:dispatch:intent") == 1


def _race(n: int, send: Any) -> list[httpx.Response]:
    """`send()` from `n` threads at once; their responses."""
    barrier = threading.Barrier(n)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        response = send()
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(responses) == n
    return responses


def test_concurrent_submissions_with_one_key_act_once(gateway: Gateway, sandbox: Sandbox) -> None:
    # The FRS answers slowly, so the other requests arrive while the first is in progress.
    sandbox.inject("delay_ms=800")
    with gateway.client("alice") as alice:
        probe = _probe(alice)
    body = submission_body(probe["id"])

    def send() -> httpx.Response:
        with gateway.client("alice") as client:
            return _submit(client, body, "racing")

    responses = _race(4, send)
    acted = [r for r in responses if r.status_code == 201]
    busy = [r for r in responses if r.status_code == 409]
    assert len(acted) + len(busy) == len(responses), [r.text for r in responses]
    assert busy, "no request met the first one in progress"
    for r in busy:
        assert "a request with this Idempotency-Key is in progress" in r.json()["message"]
    assert len({r.content for r in acted}) == 1
    with gateway.client("alice") as alice:
        after = _submit(alice, body, "racing")
    assert after.status_code == 201
    assert after.headers[REPLAYED] == "true"
    assert _count(gateway, "submission:dispatch:intent") == 1


def test_concurrent_probes_with_one_key_act_once(gateway: Gateway) -> None:
    def send() -> httpx.Response:
        with gateway.client("alice") as client:
            return _post_probe(client, astronaut_jpeg(), "racing-probe")

    responses = _race(6, send)
    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    for r in responses:
        if r.status_code == 409:
            assert "in progress" in r.json()["message"]
    assert _count(gateway, "probe:record:create") == 1
