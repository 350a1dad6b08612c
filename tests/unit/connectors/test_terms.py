"""Provider terms enforced on what goes out and on what comes back (memo 4.C.4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frsgate.connectors import (
    Candidate,
    CandidateList,
    FrsProtocolError,
    FrsTermsViolation,
    MatchType,
    ProviderTerms,
    SearchRequest,
    TermsRefused,
    enforce_compare_outgoing,
    enforce_terms_incoming,
    enforce_terms_outgoing,
    new_idempotency_key,
)

NOW = datetime(2024, 1, 2, tzinfo=UTC)


def _request(
    probe: bytes, match_type: str = "one_to_many", max_candidates: int = 10
) -> SearchRequest:
    return SearchRequest(
        submission_id="s",
        probe=probe,
        match_type=match_type,
        max_candidates=max_candidates,
        idempotency_key=new_idempotency_key(),
        subject_ref="g-1" if match_type == MatchType.one_to_one else None,
    )


def _list(count: int, match_type: str = "one_to_many") -> CandidateList:
    return CandidateList(
        provider_id="p",
        idempotency_key="k" * 16,
        started_at=NOW,
        ended_at=NOW,
        attempts=1,
        sandbox=False,
        match_type=match_type,
        database="db",
        candidates=tuple(
            Candidate(rank=i + 1, score=0.9 - i / 100, gallery_ref=f"g{i}", source_database="db")
            for i in range(count)
        ),
    )


def test_outgoing_clamps_to_cap(probe: bytes, terms: ProviderTerms) -> None:
    clamped = enforce_terms_outgoing(_request(probe, max_candidates=50), terms, provider_id="p")
    assert clamped.max_candidates == terms.candidate_cap == 20
    kept = enforce_terms_outgoing(_request(probe, max_candidates=5), terms, provider_id="p")
    assert kept.max_candidates == 5


def test_outgoing_refuses_match_type_outside_terms(probe: bytes) -> None:
    terms = ProviderTerms(
        match_types=frozenset({"one_to_one"}), candidate_cap=5, law_enforcement_use=True
    )
    with pytest.raises(TermsRefused, match="does not allow match type 'one_to_many'") as info:
        enforce_terms_outgoing(_request(probe), terms, provider_id="acme")
    assert "memo 4.C.4" in str(info.value)
    assert info.value.provider_id == "acme"
    with pytest.raises(TermsRefused, match="two_photo"):
        enforce_compare_outgoing(terms, provider_id="acme")


def test_outgoing_allows_configured_extra_type(probe: bytes) -> None:
    terms = ProviderTerms(
        match_types=frozenset({"redacted_use_4"}), candidate_cap=10, law_enforcement_use=True
    )
    request = _request(probe, match_type="redacted_use_4")
    assert enforce_terms_outgoing(request, terms, provider_id="p") is request


def test_outgoing_refuses_without_law_enforcement_use(probe: bytes) -> None:
    terms = ProviderTerms(
        match_types=frozenset(MatchType), candidate_cap=5, law_enforcement_use=False
    )
    with pytest.raises(TermsRefused, match="law-enforcement use"):
        enforce_terms_outgoing(_request(probe), terms, provider_id="p")
    with pytest.raises(TermsRefused, match="law-enforcement use"):
        enforce_compare_outgoing(terms, provider_id="p")


def test_incoming_within_limits_passes(terms: ProviderTerms) -> None:
    result = _list(3)
    assert enforce_terms_incoming(result, terms, requested_max=3) is result
    assert enforce_terms_incoming(_list(0), terms, requested_max=3).is_negative


def test_incoming_more_than_cap_is_refused(terms: ProviderTerms) -> None:
    with pytest.raises(FrsTermsViolation, match="21 candidates, more than the cap of 20"):
        enforce_terms_incoming(_list(21), terms, requested_max=20)


def test_incoming_more_than_requested_is_a_protocol_error(terms: ProviderTerms) -> None:
    with pytest.raises(FrsProtocolError, match="5 were requested"):
        enforce_terms_incoming(_list(6), terms, requested_max=5)


def test_incoming_match_type_outside_terms_is_refused() -> None:
    terms = ProviderTerms(
        match_types=frozenset({"one_to_one"}), candidate_cap=5, law_enforcement_use=True
    )
    with pytest.raises(FrsTermsViolation, match="match type 'one_to_many'"):
        enforce_terms_incoming(_list(1), terms, requested_max=5)
