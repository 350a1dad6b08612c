"""The HTTP connector against the sandbox FRS served by a real uvicorn: answers and faults."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from frsgate.connectors import (
    FrsConnector,
    FrsProtocolError,
    FrsRejected,
    FrsTermsViolation,
    FrsTimeout,
    FrsUnavailable,
    MatchType,
    ProviderTerms,
    SearchRequest,
    TermsRefused,
    new_idempotency_key,
)
from frsgate.connectors.http import HttpConnector
from frsgate.connectors.sandbox import (
    SANDBOX_DATABASE,
    SANDBOX_NOTICE,
    SandboxFaults,
    SandboxState,
    create_sandbox_app,
    with_faults,
)
from frsgate.connectors.serve import serve_in_thread

Sleeps = list[float]


@pytest.fixture
def sleeps() -> Sleeps:
    return []


@pytest.fixture
def connect(
    sandbox_url: str, terms: ProviderTerms, sleeps: Sleeps
) -> Iterator[Callable[..., HttpConnector]]:
    """Build connectors to the running sandbox; backoff sleeps are recorded, not slept."""
    made: list[HttpConnector] = []

    def build(**options: object) -> HttpConnector:
        settings: dict[str, object] = {
            "provider_id": "sandbox",
            "terms": terms,
            "timeout_s": 2.0,
            "max_attempts": 3,
            "sleep": sleeps.append,
        }
        settings.update(options)
        connector = HttpConnector(sandbox_url, **settings)  # type: ignore[arg-type]
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


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


def test_connector_fits_the_protocol(connect: Callable[..., HttpConnector]) -> None:
    assert isinstance(connect(), FrsConnector)


def test_search_returns_labelled_lead_only_list(
    connect: Callable[..., HttpConnector], probe: bytes
) -> None:
    result = connect().search(_request(probe))
    assert result.sandbox is True
    assert result.provider_notice == SANDBOX_NOTICE
    assert result.database == SANDBOX_DATABASE
    assert result.investigative_lead_only is True
    assert result.notice == "Not a positive identification — memo 4.D.2"
    assert result.provider_id == "sandbox"
    assert result.attempts == 1
    assert result.started_at <= result.ended_at
    assert 1 <= len(result.candidates) <= 10
    first = result.candidates[0]
    assert first.image is not None
    assert first.image.startswith(b"\x89PNG")
    assert first.media_type == "image/png"
    assert first.source_database == SANDBOX_DATABASE


def test_same_probe_same_list(connect: Callable[..., HttpConnector], probe: bytes) -> None:
    connector = connect()
    one = connector.search(_request(probe))
    two = connector.search(_request(probe))
    assert one.idempotency_key != two.idempotency_key
    assert one.candidates == two.candidates


def test_negative_result_is_an_empty_list(
    connect: Callable[..., HttpConnector], negative_png: bytes
) -> None:
    result = connect().search(_request(negative_png))
    assert result.is_negative
    assert result.candidates == ()
    assert result.sandbox is True


def test_one_to_one_and_compare_and_health(
    connect: Callable[..., HttpConnector], probe: bytes
) -> None:
    connector = connect()
    verified = connector.search(
        _request(probe, match_type=MatchType.one_to_one, subject_ref="sbx-000010")
    )
    assert [c.gallery_ref for c in verified.candidates] == ["sbx-000010"]
    comparison = connector.compare(probe, probe, idempotency_key=new_idempotency_key())
    assert comparison.score == 0.99
    assert comparison.sandbox is True
    assert comparison.investigative_lead_only is True
    health = connector.health()
    assert health.ok
    assert health.sandbox
    assert MatchType.two_photo in health.match_types


def test_unknown_subject_is_rejected(connect: Callable[..., HttpConnector], probe: bytes) -> None:
    request = _request(probe, match_type=MatchType.one_to_one, subject_ref="nobody")
    with pytest.raises(FrsRejected, match="refused /v1/search with 404: unknown_subject") as info:
        connect().search(request)
    assert info.value.status_code == 404


def test_timeout_when_the_server_delays(
    connect: Callable[..., HttpConnector], sandbox_app: FastAPI, probe: bytes
) -> None:
    with_faults(sandbox_app, SandboxFaults(delay_ms=600))
    connector = connect(timeout_s=0.15, max_attempts=2)
    with pytest.raises(FrsTimeout, match=r"did not answer /v1/search within 0.15 s") as info:
        connector.search(_request(probe))
    assert info.value.attempts == 2
    assert "after 2 attempts" in str(info.value)


def test_slow_trickling_response_is_a_timeout(
    connect: Callable[..., HttpConnector], sandbox_app: FastAPI, probe: bytes
) -> None:
    # Each piece arrives well within the read timeout; the whole body does not.
    with_faults(sandbox_app, SandboxFaults(trickle_ms=80))
    with pytest.raises(FrsTimeout, match="too slow"):
        connect(timeout_s=0.3, max_attempts=1).search(_request(probe))


def test_503_then_success_retries_with_the_same_key(
    connect: Callable[..., HttpConnector],
    sandbox_app: FastAPI,
    sandbox_state: SandboxState,
    probe: bytes,
    sleeps: Sleeps,
) -> None:
    with_faults(sandbox_app, SandboxFaults(status=503, fail_times=2))
    request = _request(probe)
    result = connect().search(request)
    assert result.attempts == 3
    assert len(sleeps) == 2
    keys = [key for path, key, _ in sandbox_state.seen if path == "/v1/search"]
    assert keys == [request.idempotency_key] * 3


def test_persistent_503_gives_up_after_max_attempts(
    connect: Callable[..., HttpConnector], sandbox_app: FastAPI, probe: bytes, sleeps: Sleeps
) -> None:
    with_faults(sandbox_app, SandboxFaults(status=503))
    with pytest.raises(FrsUnavailable, match=r"answered 503 .*after 3 attempts") as info:
        connect().search(_request(probe))
    assert info.value.attempts == 3
    assert info.value.status_code == 503
    assert len(sleeps) == 2


def test_persistent_500_is_not_retried(
    connect: Callable[..., HttpConnector],
    sandbox_app: FastAPI,
    sandbox_state: SandboxState,
    probe: bytes,
    sleeps: Sleeps,
) -> None:
    with_faults(sandbox_app, SandboxFaults(status=500))
    with pytest.raises(FrsUnavailable, match="failed with 500 on /v1/search: injected_fault"):
        connect().search(_request(probe))
    assert len(sandbox_state.seen) == 1
    assert sleeps == []


def test_malformed_json_is_a_protocol_error(
    connect: Callable[..., HttpConnector], sandbox_app: FastAPI, probe: bytes
) -> None:
    with_faults(sandbox_app, SandboxFaults(malformed=True))
    with pytest.raises(FrsProtocolError, match="not valid JSON") as info:
        connect().search(_request(probe))
    assert info.value.attempts == 1


def test_wrong_schema_is_a_protocol_error(
    connect: Callable[..., HttpConnector], sandbox_app: FastAPI, probe: bytes
) -> None:
    with_faults(sandbox_app, SandboxFaults(wrong_schema=True))
    with pytest.raises(FrsProtocolError, match="does not match the schema"):
        connect().search(_request(probe))


def test_more_candidates_than_the_cap_is_refused(
    connect: Callable[..., HttpConnector], sandbox_app: FastAPI, probe: bytes
) -> None:
    capped = ProviderTerms(
        match_types=frozenset({MatchType.one_to_many}), candidate_cap=3, law_enforcement_use=True
    )
    with_faults(sandbox_app, SandboxFaults(extra_candidates=2))
    with pytest.raises(FrsTermsViolation, match="more than the cap of 3"):
        connect(terms=capped).search(_request(probe, max_candidates=50))


def test_disallowed_match_type_is_refused_before_sending(
    connect: Callable[..., HttpConnector], sandbox_state: SandboxState, probe: bytes
) -> None:
    narrow = ProviderTerms(
        match_types=frozenset({MatchType.one_to_one}), candidate_cap=3, law_enforcement_use=True
    )
    connector = connect(terms=narrow)
    with pytest.raises(TermsRefused, match="nothing was sent"):
        connector.search(_request(probe))
    with pytest.raises(TermsRefused, match="two_photo"):
        connector.compare(probe, probe, idempotency_key=new_idempotency_key())
    assert list(sandbox_state.seen) == []


def test_sandbox_data_refused_where_not_accepted(
    connect: Callable[..., HttpConnector], probe: bytes
) -> None:
    with pytest.raises(FrsProtocolError, match="labelled its answer as sandbox data"):
        connect(accept_sandbox_data=False).search(_request(probe))


def test_connection_refused_is_unavailable(
    terms: ProviderTerms, probe: bytes, sleeps: Sleeps
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on `port` now.
    with (
        HttpConnector(
            f"http://127.0.0.1:{port}", provider_id="gone", terms=terms, sleep=sleeps.append
        ) as connector,
        pytest.raises(FrsUnavailable, match=r"'gone' could not be reached .*after 3 attempts"),
    ):
        connector.search(_request(probe))
    assert len(sleeps) == 2


def test_api_key_sent_and_never_shown(terms: ProviderTerms, probe: bytes) -> None:
    with serve_in_thread(create_sandbox_app(api_key="k-123456")) as url:
        with HttpConnector(
            url, provider_id="p", terms=terms, api_key=SecretStr("k-123456")
        ) as connector:
            assert connector.health().ok
            assert "k-123456" not in repr(connector)
        with (
            HttpConnector(
                url, provider_id="p", terms=terms, api_key=SecretStr("zz-not-the-key-9")
            ) as bad,
            pytest.raises(FrsRejected, match="401") as info,
        ):
            bad.search(_request(probe))
        assert "zz-not-the-key-9" not in str(info.value)
