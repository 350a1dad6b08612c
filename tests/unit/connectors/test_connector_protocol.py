"""The connector protocol types: match types, requests, candidate lists, lead-only labels."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from frsgate.connectors import (
    LEAD_ONLY_NOTICE,
    Candidate,
    CandidateList,
    ComparisonResult,
    ConnectorError,
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
from frsgate.connectors.protocol import check_match_type_name, sniff_media_type
from frsgate.errors import FrsGateError, ValidationFailed

NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


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


def test_match_types_are_the_memo_uses() -> None:
    assert {m.value for m in MatchType} == {"one_to_one", "two_photo", "one_to_many"}


def test_extra_match_type_name_accepted_when_well_formed(probe: bytes) -> None:
    request = _request(probe, match_type="redacted_use_4")
    assert request.match_type == "redacted_use_4"
    assert check_match_type_name("redacted_use_4") == "redacted_use_4"
    with pytest.raises(ValidationFailed, match="not a valid name"):
        check_match_type_name("Bad Name")


def test_two_photo_is_not_a_search(probe: bytes) -> None:
    with pytest.raises(ValidationError, match="use compare"):
        _request(probe, match_type=MatchType.two_photo)


def test_one_to_one_needs_a_subject(probe: bytes) -> None:
    with pytest.raises(ValidationError, match="subject_ref"):
        _request(probe, match_type=MatchType.one_to_one)
    assert _request(probe, match_type="one_to_one", subject_ref="g-1").subject_ref == "g-1"
    with pytest.raises(ValidationError, match="takes no subject_ref"):
        _request(probe, subject_ref="g-1")


def test_probe_must_be_png_or_jpeg(probe: bytes) -> None:
    with pytest.raises(ValidationError, match="neither PNG nor JPEG"):
        _request(b"GIF89a....")
    assert _request(probe).probe_media_type == "image/png"
    assert sniff_media_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"


def test_probe_never_in_repr(probe: bytes) -> None:
    text = repr(_request(probe))
    assert "probe=" not in text
    assert repr(probe[:8])[2:-1] not in text


def test_idempotency_key_shape(probe: bytes) -> None:
    assert new_idempotency_key() != new_idempotency_key()
    with pytest.raises(ValidationError, match="idempotency key"):
        _request(probe, idempotency_key="short")
    with pytest.raises(ValidationError, match="idempotency key"):
        _request(probe, idempotency_key="x" * 20 + " spaces")


def test_candidate_image_and_type_go_together(make_png: Callable[[int], bytes]) -> None:
    image = make_png(3)
    with pytest.raises(ValidationError, match="together"):
        Candidate(rank=1, score=0.5, gallery_ref="g", image=image, source_database="db")
    with pytest.raises(ValidationError, match="not PNG or JPEG"):
        Candidate(
            rank=1,
            score=0.5,
            gallery_ref="g",
            image=image,
            media_type="image/gif",
            source_database="db",
        )
    with pytest.raises(ValidationError):
        Candidate(rank=1, score=1.5, gallery_ref="g", source_database="db")
    candidate = Candidate(
        rank=1,
        score=0.5,
        gallery_ref="g",
        image=image,
        media_type="image/png",
        source_database="db",
    )
    assert "image=" not in repr(candidate)


def _list(candidates: tuple[Candidate, ...] = ()) -> CandidateList:
    return CandidateList(
        provider_id="p",
        idempotency_key="k" * 16,
        started_at=NOW,
        ended_at=NOW,
        attempts=1,
        sandbox=False,
        match_type="one_to_many",
        database="db",
        candidates=candidates,
    )


def test_candidate_list_is_lead_only_and_empty_is_negative() -> None:
    empty = _list()
    assert empty.investigative_lead_only is True
    assert empty.notice == LEAD_ONLY_NOTICE == "Not a positive identification — memo 4.D.2"
    assert empty.is_negative
    one = _list((Candidate(rank=1, score=0.9, gallery_ref="g", source_database="db"),))
    assert not one.is_negative
    with pytest.raises(ValidationError):
        CandidateList(**{**empty.model_dump(), "investigative_lead_only": False})
    with pytest.raises(ValidationError):
        CandidateList(**{**empty.model_dump(), "notice": "positive identification"})


def test_comparison_is_lead_only() -> None:
    result = ComparisonResult(
        provider_id="p",
        idempotency_key="k" * 16,
        started_at=NOW,
        ended_at=NOW,
        attempts=1,
        sandbox=True,
        score=0.4,
    )
    assert result.investigative_lead_only is True
    assert result.notice == LEAD_ONLY_NOTICE
    assert result.match_type == "two_photo"


def test_terms_refuse_bad_match_type_names() -> None:
    with pytest.raises(ValidationError, match="not a valid name"):
        ProviderTerms(
            match_types=frozenset({"One To Many"}), candidate_cap=5, law_enforcement_use=True
        )
    with pytest.raises(ValidationError):
        ProviderTerms(match_types=frozenset(), candidate_cap=0, law_enforcement_use=True)


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (FrsTimeout, "frs_timeout"),
        (FrsUnavailable, "frs_unavailable"),
        (FrsProtocolError, "frs_protocol_error"),
        (FrsRejected, "frs_rejected"),
        (FrsTermsViolation, "frs_terms_violation"),
        (TermsRefused, "frs_terms_refused"),
    ],
)
def test_errors_are_typed_and_distinct(cls: type[ConnectorError], code: str) -> None:
    error = cls("provider 'p' did something", provider_id="p", attempts=2, status_code=503)
    assert isinstance(error, ConnectorError)
    assert isinstance(error, FrsGateError)
    assert error.code == code
    assert (error.provider_id, error.attempts, error.status_code) == ("p", 2, 503)
    assert str(error) == "provider 'p' did something"
