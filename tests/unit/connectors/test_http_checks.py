"""The HTTP connector's retries, limits and response checks, over an in-process transport."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from frsgate.connectors import (
    FrsProtocolError,
    FrsRejected,
    FrsTimeout,
    FrsUnavailable,
    MatchType,
    ProviderTerms,
    SearchRequest,
    new_idempotency_key,
)
from frsgate.connectors.http import HttpConnector
from frsgate.errors import ValidationFailed

Handler = Callable[[httpx.Request], httpx.Response]


def _request(probe: bytes, **overrides: object) -> SearchRequest:
    fields: dict[str, object] = {
        "submission_id": "sub-1",
        "probe": probe,
        "match_type": MatchType.one_to_many,
        "max_candidates": 10,
        "idempotency_key": new_idempotency_key(),
    }
    fields.update(overrides)
    return SearchRequest(**fields)  # type: ignore[arg-type]


def _candidate(rank: int, score: float, image: bytes | None = None, **extra: Any) -> Any:
    candidate: dict[str, Any] = {
        "rank": rank,
        "score": score,
        "gallery_ref": f"g-{rank}",
        "source_database": "mugshots",
    }
    if image is not None:
        candidate["image"] = {"media_type": "image/png", "data": base64.b64encode(image).decode()}
    candidate.update(extra)
    return candidate


def _answer(candidates: list[Any], **extra: Any) -> httpx.Response:
    body = {
        "protocol": "frsgate-connector/1",
        "provider": "acme",
        "database": "mugshots",
        "match_type": "one_to_many",
        "sandbox": False,
        "candidates": candidates,
    }
    body.update(extra)
    return httpx.Response(200, json=body)


class Recorder:
    """A transport that answers from a list of handlers and keeps every request."""

    def __init__(self, *answers: Handler | httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return answer(request) if callable(answer) else answer


def _connector(
    recorder: Recorder, terms: ProviderTerms, sleeps: list[float] | None = None, **options: Any
) -> HttpConnector:
    settings: dict[str, Any] = {
        "provider_id": "acme",
        "terms": terms,
        "transport": httpx.MockTransport(recorder),
        "sleep": (sleeps if sleeps is not None else []).append,
        "rng": random.Random(1),
        "accept_sandbox_data": False,
    }
    settings.update(options)
    return HttpConnector("https://frs.example", **settings)


def test_request_on_the_wire(terms: ProviderTerms, probe: bytes) -> None:
    recorder = Recorder(_answer([]))
    request = _request(probe, max_candidates=500)
    _connector(recorder, terms, api_key=SecretStr("tok-1")).search(request)
    sent = recorder.requests[0]
    assert sent.url.path == "/v1/search"
    assert sent.headers["Idempotency-Key"] == request.idempotency_key
    assert sent.headers["Authorization"] == "Bearer tok-1"
    assert sent.headers["FRS-Protocol"] == "frsgate-connector/1"
    body = json.loads(sent.content)
    assert body["max_candidates"] == terms.candidate_cap  # clamped to the terms' cap
    assert body["probe"]["media_type"] == "image/png"
    assert base64.b64decode(body["probe"]["data"]) == probe
    assert "submission_id" not in body  # internal identifiers stay inside the gateway


def test_backoff_grows_with_jitter_and_honours_retry_after(
    terms: ProviderTerms, probe: bytes
) -> None:
    sleeps: list[float] = []
    busy = httpx.Response(503)
    recorder = Recorder(
        busy, busy, busy, httpx.Response(429, headers={"Retry-After": "1"}), _answer([])
    )
    connector = _connector(
        recorder, terms, sleeps, max_attempts=5, backoff_base_s=0.1, backoff_max_s=1.5
    )
    assert connector.search(_request(probe)).attempts == 5
    assert len(sleeps) == 4
    for attempt, slept in enumerate(sleeps[:3], start=1):
        assert 0 <= slept <= 0.1 * 2 ** (attempt - 1)
    assert sleeps[3] >= 1.0
    assert len({r.headers["Idempotency-Key"] for r in recorder.requests}) == 1


def test_transport_timeouts_and_connect_errors(terms: ProviderTerms, probe: bytes) -> None:
    def read_timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(FrsTimeout, match="did not answer"):
        _connector(Recorder(read_timeout), terms, max_attempts=1).search(_request(probe))
    recorder = Recorder(refused, _answer([]))
    assert _connector(recorder, terms).search(_request(probe)).attempts == 2


def test_client_errors_are_rejections_with_the_providers_message(
    terms: ProviderTerms, probe: bytes
) -> None:
    answer = httpx.Response(403, json={"error": {"code": "forbidden", "message": "no\nentry"}})
    recorder = Recorder(answer)
    with pytest.raises(FrsRejected, match="refused /v1/search with 403: forbidden: no entry"):
        _connector(recorder, terms).search(_request(probe))
    assert len(recorder.requests) == 1


def test_unexpected_status_is_a_protocol_error(terms: ProviderTerms, probe: bytes) -> None:
    redirect = httpx.Response(302, headers={"Location": "https://elsewhere.example/"})
    with pytest.raises(FrsProtocolError, match="unexpected status 302"):
        _connector(Recorder(redirect), terms).search(_request(probe))


def test_response_size_limit(terms: ProviderTerms, probe: bytes) -> None:
    big = _answer([_candidate(1, 0.9)], notice="x" * 400)
    with pytest.raises(FrsProtocolError, match="byte limit"):
        _connector(Recorder(big), terms, max_response_bytes=200).search(_request(probe))


@pytest.mark.parametrize(
    ("candidates", "problem"),
    [
        ([{"rank": 1, "score": 0.9}], "does not match the schema at candidates.0.gallery_ref"),
        ([_candidate(1, "0.9")], "does not match the schema at candidates.0.score"),
        ([_candidate(1, 1.2)], "does not match the schema at candidates.0.score"),
        ([_candidate(1, 0.9), _candidate(3, 0.8)], "candidate 2 has rank 3"),
        ([_candidate(1, 0.5), _candidate(2, 0.8)], "scores rise at rank 2"),
    ],
)
def test_malformed_candidates_are_refused(
    terms: ProviderTerms, probe: bytes, candidates: list[Any], problem: str
) -> None:
    with pytest.raises(FrsProtocolError, match=problem):
        _connector(Recorder(_answer(candidates)), terms).search(_request(probe))


def test_candidate_images_are_checked(
    terms: ProviderTerms, probe: bytes, make_png: Callable[[int], bytes]
) -> None:
    image = make_png(9)
    good = _connector(Recorder(_answer([_candidate(1, 0.9, image)])), terms)
    assert good.search(_request(probe)).candidates[0].image == image
    lying = _candidate(1, 0.9, b"\xff\xd8\xff\xe0jpeg")
    with pytest.raises(FrsProtocolError, match="image is image/jpeg, labelled image/png"):
        _connector(Recorder(_answer([lying])), terms).search(_request(probe))
    unasked = _connector(Recorder(_answer([_candidate(1, 0.9, image)])), terms)
    with pytest.raises(FrsProtocolError, match="not asked"):
        unasked.search(_request(probe, include_images=False))


def test_answer_must_echo_the_match_type(terms: ProviderTerms, probe: bytes) -> None:
    answer = _answer([], match_type="one_to_one")
    with pytest.raises(FrsProtocolError, match="answered match type 'one_to_one'"):
        _connector(Recorder(answer), terms).search(_request(probe))


def test_sandbox_label_rules(terms: ProviderTerms, probe: bytes) -> None:
    with pytest.raises(FrsProtocolError, match="labelled its answer as sandbox data"):
        _connector(Recorder(_answer([], sandbox=True)), terms).search(_request(probe))
    strict = _connector(
        Recorder(_answer([])), terms, accept_sandbox_data=True, require_sandbox_data=True
    )
    with pytest.raises(FrsProtocolError, match="without the sandbox label"):
        strict.search(_request(probe))


def test_unknown_response_fields_are_ignored(terms: ProviderTerms, probe: bytes) -> None:
    answer = _answer([_candidate(1, 0.9, vendor_extra=1)], vendor_field="x")
    assert len(_connector(Recorder(answer), terms).search(_request(probe)).candidates) == 1


def test_bad_settings_are_refused(terms: ProviderTerms) -> None:
    with pytest.raises(ValidationFailed, match="timeout_s"):
        HttpConnector("https://x.example", provider_id="p", terms=terms, timeout_s=0)
    with pytest.raises(ValidationFailed, match="max_attempts"):
        HttpConnector("https://x.example", provider_id="p", terms=terms, max_attempts=0)


def test_unavailable_carries_no_probe(terms: ProviderTerms, probe: bytes) -> None:
    with pytest.raises(FrsUnavailable) as info:
        _connector(Recorder(httpx.Response(502)), terms, max_attempts=2).search(_request(probe))
    assert "after 2 attempts" in info.value.message
    assert base64.b64encode(probe).decode()[:40] not in info.value.message
