"""The sandbox FRS app: protocol answers, determinism, labels, idempotency, faults."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from frsgate.connectors.gallery import AVATAR_SIZE, SyntheticGallery
from frsgate.connectors.sandbox import (
    SANDBOX_DATABASE,
    SANDBOX_NOTICE,
    SandboxFaults,
    create_sandbox_app,
    with_faults,
)
from frsgate.connectors.serve import serve_in_thread
from frsgate.errors import ValidationFailed

KEY = "key-0123456789abcdef"


@pytest.fixture
def app(sandbox_app: FastAPI) -> FastAPI:
    return sandbox_app


@pytest.fixture
def client(sandbox_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_url) as http_client:
        yield http_client


@contextmanager
def _client_of(app: FastAPI) -> Iterator[httpx.Client]:
    with serve_in_thread(app) as url, httpx.Client(base_url=url) as http_client:
        yield http_client


def _body(probe: bytes, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "match_type": "one_to_many",
        "max_candidates": 10,
        "probe": {"media_type": "image/png", "data": base64.b64encode(probe).decode()},
    }
    body.update(overrides)
    return body


def _search(client: httpx.Client, body: dict[str, Any], key: str = KEY) -> Any:
    return client.post("/v1/search", json=body, headers={"Idempotency-Key": key})


def test_search_answer_is_labelled_and_well_formed(client: httpx.Client, probe: bytes) -> None:
    response = _search(client, _body(probe))
    assert response.status_code == 200
    assert response.headers["FRS-Sandbox"] == "synthetic"
    data = response.json()
    assert data["sandbox"] is True
    assert data["notice"] == SANDBOX_NOTICE == "SANDBOX DATA — synthetic gallery, not real people"
    assert data["database"] == SANDBOX_DATABASE == "frsgate-sandbox-synthetic"
    candidates = data["candidates"]
    assert 1 <= len(candidates) <= 10
    assert [c["rank"] for c in candidates] == list(range(1, len(candidates) + 1))
    scores = [c["score"] for c in candidates]
    assert all(0 < s < 1 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(scores)
    assert len({c["gallery_ref"] for c in candidates}) == len(candidates)
    image = Image.open(io.BytesIO(base64.b64decode(candidates[0]["image"]["data"])))
    assert image.format == "PNG"
    assert image.size == (AVATAR_SIZE, AVATAR_SIZE)


def test_same_probe_same_list_across_apps(probe: bytes) -> None:
    with _client_of(create_sandbox_app(seed=3, gallery_size=100)) as first:
        a = _search(first, _body(probe), key="a" * 20).json()
    with _client_of(create_sandbox_app(seed=3, gallery_size=100)) as second:
        b = _search(second, _body(probe), key="b" * 20).json()
    assert a == b
    with _client_of(create_sandbox_app(seed=4, gallery_size=100)) as other:
        c = _search(other, _body(probe), key="c" * 20).json()
    assert c != a


def test_different_probes_and_seeds_differ(positive_png: Callable[[int], bytes]) -> None:
    gallery = SyntheticGallery(seed=3, size=100)
    one = gallery.search(positive_png(0), match_type="one_to_many", max_candidates=20)
    two = gallery.search(positive_png(500), match_type="one_to_many", max_candidates=20)
    assert one != two
    assert gallery.avatar(5) == SyntheticGallery(seed=3, size=100).avatar(5)
    assert gallery.avatar(5) != SyntheticGallery(seed=4, size=100).avatar(5)
    assert gallery.avatar(5) != gallery.avatar(6)


def test_negative_probe_returns_empty_list(client: httpx.Client, negative_png: bytes) -> None:
    response = _search(client, _body(negative_png))
    assert response.status_code == 200
    assert response.json()["candidates"] == []
    assert response.json()["sandbox"] is True


def test_max_candidates_honoured(client: httpx.Client, probe: bytes) -> None:
    assert len(_search(client, _body(probe, max_candidates=1)).json()["candidates"]) == 1


def test_images_left_out_when_not_asked(client: httpx.Client, probe: bytes) -> None:
    data = _search(client, _body(probe, include_images=False)).json()
    assert data["candidates"]
    assert all("image" not in c for c in data["candidates"])


def test_one_to_one_verifies_the_subject(client: httpx.Client, probe: bytes) -> None:
    data = _search(client, _body(probe, match_type="one_to_one", subject_ref="sbx-000042")).json()
    assert [c["gallery_ref"] for c in data["candidates"]] == ["sbx-000042"]
    unknown = _search(
        client, _body(probe, match_type="one_to_one", subject_ref="sbx-999999"), key="u" * 20
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_subject"


def test_match_types_offered(client: httpx.Client, probe: bytes) -> None:
    assert _search(client, _body(probe, match_type="use_four")).status_code == 200
    refused = _search(client, _body(probe, match_type="two_photo"), key="t" * 20)
    assert refused.status_code == 422
    assert "two_photo is /v1/compare" in refused.json()["error"]["message"]
    health = client.get("/v1/health").json()
    assert health["match_types"] == ["one_to_many", "one_to_one", "two_photo", "use_four"]
    assert health["sandbox"] is True


def test_compare_is_symmetric_and_labelled(
    client: httpx.Client, positive_png: Callable[[int], bytes]
) -> None:
    a, b = positive_png(0), positive_png(300)

    def score(x: bytes, y: bytes, key: str) -> Any:
        body = {
            "image_a": {"media_type": "image/png", "data": base64.b64encode(x).decode()},
            "image_b": {"media_type": "image/png", "data": base64.b64encode(y).decode()},
        }
        return client.post("/v1/compare", json=body, headers={"Idempotency-Key": key}).json()

    ab, ba = score(a, b, "1" * 20), score(b, a, "2" * 20)
    assert ab["score"] == ba["score"]
    assert 0 < ab["score"] < 1
    assert ab["sandbox"] is True
    assert ab["notice"] == SANDBOX_NOTICE
    assert score(a, a, "3" * 20)["score"] == 0.99


def test_idempotency_key_replays_and_guards(
    client: httpx.Client, app: FastAPI, positive_png: Callable[[int], bytes]
) -> None:
    first = _search(client, _body(positive_png(0)))
    again = _search(client, _body(positive_png(0)))
    assert again.content == first.content
    reused = _search(client, _body(positive_png(400)))
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    missing = client.post("/v1/search", json=_body(positive_png(0)))
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "idempotency_key_invalid"
    assert missing.json()["sandbox"] is True
    short = _search(client, _body(positive_png(0)), key="short")
    assert short.status_code == 400
    keys = [key for _, key, _ in app.state.sandbox.seen]
    assert keys == [KEY, KEY, KEY]


def test_invalid_body_gets_a_protocol_error_body(client: httpx.Client, probe: bytes) -> None:
    response = _search(client, _body(probe, max_candidates=0))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert "max_candidates" in response.json()["error"]["message"]


def test_bad_base64_refused(client: httpx.Client) -> None:
    body = _body(b"")
    body["probe"]["data"] = "not base64!!"
    response = _search(client, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_image"


def test_api_key_required_when_configured(probe: bytes) -> None:
    with _client_of(create_sandbox_app(api_key="s3cret-token")) as client:
        refused = client.get("/v1/health")
        assert refused.status_code == 401
        assert refused.headers["FRS-Sandbox"] == "synthetic"
        ok = client.get("/v1/health", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200


def test_fault_status_then_success(client: httpx.Client, app: FastAPI, probe: bytes) -> None:
    with_faults(app, SandboxFaults(status=503, fail_times=1))
    assert _search(client, _body(probe)).status_code == 503
    assert _search(client, _body(probe)).status_code == 200


def test_fault_bodies(client: httpx.Client, app: FastAPI, probe: bytes) -> None:
    with_faults(app, SandboxFaults(malformed=True))
    malformed = _search(client, _body(probe))
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        malformed.json()
    with_faults(app, SandboxFaults(wrong_schema=True))
    assert _search(client, _body(probe)).json()["candidates"] == "none"
    with_faults(app, SandboxFaults(extra_candidates=3))
    assert len(_search(client, _body(probe, max_candidates=2)).json()["candidates"]) == 5


def test_fault_spec_parsing() -> None:
    faults = SandboxFaults.parse("delay_ms=250, status=503,fail_times=2,malformed")
    assert faults == SandboxFaults(delay_ms=250, status=503, fail_times=2, malformed=True)
    assert SandboxFaults.parse("") == SandboxFaults()
    assert not SandboxFaults.parse("").active
    with pytest.raises(ValidationFailed, match="unknown sandbox fault 'explode'"):
        SandboxFaults.parse("explode")
    with pytest.raises(ValidationFailed, match="whole number"):
        SandboxFaults.parse("delay_ms=soon")


def test_gallery_scores_strictly_descend_for_many_probes(
    positive_png: Callable[[int], bytes],
) -> None:
    gallery = SyntheticGallery(seed=0, size=50)
    for seed in range(0, 2000, 40):
        probe = positive_png(seed)
        hits = gallery.search(probe, match_type="one_to_many", max_candidates=50)
        scores = [hit.score for hit in hits]
        assert 3 <= len(hits) <= 20
        assert all(0 < s < 1 for s in scores)
        assert all(a > b for a, b in itertools.pairwise(scores))
        assert hashlib.sha256(probe).digest()[0] >= 0x20
