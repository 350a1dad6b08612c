"""The HTTP connector under random provider answers (Hypothesis): whatever a provider sends
back — any status, any headers, any bytes, JSON of any shape, a candidate list with any ranks,
scores, dates and images — a search, a comparison or a health check either gives its result or
raises a `ConnectorError` naming the provider. Nothing else may come out: the dispatcher records
connector errors as the outcome of a use, and anything else would leave it unrecorded."""

from __future__ import annotations

import base64
import io
import json
import random
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from frsgate.connectors import (
    CandidateList,
    ConnectorError,
    MatchType,
    ProviderTerms,
    SearchRequest,
    new_idempotency_key,
)
from frsgate.connectors.http import HttpConnector
from frsgate.connectors.protocol import ComparisonResult, HealthStatus

pytestmark = pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TERMS = ProviderTerms(
    match_types=frozenset({MatchType.one_to_one, MatchType.two_photo, MatchType.one_to_many}),
    candidate_cap=5,
    law_enforcement_use=True,
)


def _png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (shade, shade, shade)).save(out, format="PNG")
    return out.getvalue()


PROBE = _png(10)
IMAGE = _png(200)

_json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_json = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Header values as bytes: providers can send any octet, and httpx decodes them as Latin-1 —
# where "²" (0xB2) is a digit to `str.isdigit` but not to `int` or `float`.
_header_values = st.binary(min_size=0, max_size=12).filter(
    lambda b: b"\r" not in b and b"\n" not in b and b"\x00" not in b
) | st.sampled_from([b"1", b"99999999999", b"\xb2", b"1\xb9", b"-1", b"1.5", b"\xd9\xa3"])


@st.composite
def _image(draw: st.DrawFn) -> dict[str, str]:
    """A candidate image: most often a good one, else bad base64, bytes that are no image, or
    a media type that does not match."""
    if draw(st.booleans()):
        return {"media_type": "image/png", "data": base64.b64encode(IMAGE).decode()}
    data = draw(st.sampled_from([IMAGE, PROBE[:40], b"", b"GIF89a...."]) | st.binary(max_size=16))
    text = base64.b64encode(data).decode()
    if draw(st.booleans()):
        text = draw(st.sampled_from([text + "=", text[:-1], "!" + text, text.replace("A", "-")]))
    media_type = draw(st.sampled_from(["image/png", "image/jpeg", "image/gif", ""]))
    return {"media_type": media_type, "data": text}


@st.composite
def _search_body(draw: st.DrawFn) -> dict[str, Any]:
    """A search answer by the protocol, then with up to three of its parts made wrong."""
    scores = sorted(draw(st.lists(st.floats(0.0, 1.0), max_size=7)), reverse=True)
    candidates: list[dict[str, Any]] = []
    for rank, score in enumerate(scores, start=1):
        candidate: dict[str, Any] = {
            "rank": rank,
            "score": score,
            "gallery_ref": draw(st.text(min_size=1, max_size=30)),
            "source_database": draw(st.text(min_size=1, max_size=10)),
        }
        if draw(st.booleans()):
            candidate["image"] = draw(_image())
        if draw(st.booleans()):
            candidate["photo_taken_on"] = draw(st.dates()).isoformat()
        candidates.append(candidate)
    body: dict[str, Any] = {
        "protocol": "frsgate-connector/1",
        "provider": draw(st.text(min_size=1, max_size=20)),
        "database": draw(st.text(min_size=1, max_size=20)),
        "match_type": "one_to_many",
        "sandbox": draw(st.booleans()),
        "candidates": candidates,
    }
    if draw(st.booleans()):
        body["notice"] = draw(st.text(max_size=600))
    for _ in range(draw(st.integers(0, 3))):
        target = body
        if candidates and draw(st.booleans()):
            target = draw(st.sampled_from(candidates))
        key = draw(st.sampled_from([*target, "extra"]))
        target[key] = draw(
            _json
            | st.sampled_from(
                [0, -1, 1.5, "1", "2020-02-30", "two_photo", "frsgate-connector/2", "", None]
            )
        )
    return body


@st.composite
def _answer(draw: st.DrawFn) -> httpx.Response:
    """A provider's whole answer: status, headers and body."""
    status = draw(st.sampled_from([200] * 6 + [201, 204, 302, 400, 404, 429, 500, 503]))
    kind = draw(st.sampled_from(["protocol", "json", "bytes", "error"]))
    if kind == "protocol":
        content = json.dumps(draw(_search_body())).encode()
    elif kind == "json":
        content = json.dumps(draw(_json)).encode()
    elif kind == "error":
        error = {"code": draw(st.text(max_size=120)), "message": draw(st.text(max_size=50))}
        content = json.dumps({"error": draw(st.sampled_from([error, draw(_json)]))}).encode()
    else:
        content = draw(st.binary(max_size=256))
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json")]
    for name in draw(st.lists(st.sampled_from([b"retry-after", b"content-length"]), max_size=2)):
        headers.append((name, draw(_header_values)))
    event(f"{status} {kind}")
    return httpx.Response(status, headers=headers, content=content)


_COMPARE = {
    "protocol": st.sampled_from(["frsgate-connector/1", "frsgate-connector/1", "x"]),
    "provider": st.text(max_size=5),
    "score": st.floats(-0.5, 1.5) | st.text(max_size=3),
    "sandbox": st.booleans() | st.none(),
}
_HEALTH = {
    "protocol": st.just("frsgate-connector/1"),
    "provider": st.text(max_size=5),
    "status": st.sampled_from(["ok", "degraded", "down"]),
    "sandbox": st.booleans(),
    "database": st.text(max_size=5),
    "match_types": st.lists(st.text(max_size=5)) | _json,
}


def _connector(answers: list[httpx.Response]) -> HttpConnector:
    """A connector whose provider gives `answers` in turn (the last one again after that)."""
    served = iter(answers)
    last = answers[-1]

    def provider(request: httpx.Request) -> httpx.Response:
        return next(served, last)

    return HttpConnector(
        "https://frs.example",
        provider_id="acme",
        terms=TERMS,
        transport=httpx.MockTransport(provider),
        max_attempts=2,
        max_response_bytes=4096,
        sleep=lambda _seconds: None,
        rng=random.Random(1),
    )


def _search(connector: HttpConnector) -> CandidateList:
    request = SearchRequest(
        submission_id="sub-1",
        probe=PROBE,
        match_type=MatchType.one_to_many,
        max_candidates=5,
        idempotency_key=new_idempotency_key(),
    )
    return connector.search(request)


def _outcome(call: Any) -> Any:
    """The call's result, or None after a `ConnectorError` naming the provider."""
    try:
        result = call()
    except ConnectorError as error:
        refusal = error
    else:
        event("answered")
        return result
    assert "acme" in refusal.message, refusal.message
    event(f"refused: {type(refusal).__name__}")
    return None


@FUZZ
@given(answers=st.lists(_answer(), min_size=1, max_size=2))
def test_any_answer_to_a_search_is_a_result_or_a_connector_error(
    answers: list[httpx.Response],
) -> None:
    with _connector(answers) as connector:
        result = _outcome(lambda: _search(connector))
    if result is not None:
        assert isinstance(result, CandidateList)
        assert len(result.candidates) <= TERMS.candidate_cap
        assert [c.rank for c in result.candidates] == list(range(1, len(result.candidates) + 1))
        assert all(0.0 <= c.score <= 1.0 for c in result.candidates)


@FUZZ
@given(
    body=_json | _search_body() | st.fixed_dictionaries(_COMPARE) | st.fixed_dictionaries(_HEALTH),
    status=st.sampled_from([200, 200, 400, 503]),
)
def test_any_answer_to_a_comparison_or_health_check_is_a_result_or_a_connector_error(
    body: Any, status: int
) -> None:
    answer = httpx.Response(status, content=json.dumps(body).encode())
    with _connector([answer]) as connector:
        compared = _outcome(lambda: connector.compare(PROBE, IMAGE, idempotency_key="k" * 20))
        health = _outcome(connector.health)
    assert compared is None or isinstance(compared, ComparisonResult)
    assert health is None or isinstance(health, HealthStatus)


def test_a_good_answer_passes() -> None:
    """The generators above can produce answers the connector takes: a refusal of everything
    would pass the properties without testing them."""
    body = {
        "protocol": "frsgate-connector/1",
        "provider": "acme",
        "database": "mugshots",
        "match_type": "one_to_many",
        "sandbox": False,
        "candidates": [
            {"rank": 1, "score": 0.9, "gallery_ref": "g1", "source_database": "mugshots"}
        ],
    }
    with _connector([httpx.Response(200, json=body)]) as connector:
        assert len(_search(connector).candidates) == 1


@pytest.mark.parametrize("header", [b"retry-after", b"content-length"])
def test_a_non_ascii_digit_in_a_header_is_no_crash(header: bytes) -> None:
    """Found by the search property above: "²" (Latin-1 0xB2) passes `str.isdigit`, and
    `int`/`float` then raised ValueError out of the connector."""
    answer = httpx.Response(503 if header == b"retry-after" else 200, headers=[(header, b"\xb2")])
    with _connector([answer]) as connector, pytest.raises(ConnectorError) as caught:
        _search(connector)
    assert "acme" in caught.value.message
