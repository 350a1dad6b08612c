"""Enforcing a provider's terms on what goes out to an FRS and on what comes back (memo 4.C.4).

The policy pack decides whether a use is allowed; these checks are the connector's own guard so
that nothing outside the terms leaves the gateway, and nothing outside them is accepted back,
even if a caller skipped the policy. Both fail closed.

Documented behaviour for a response with too many candidates: the whole response is refused
with `FrsTermsViolation` (more than the cap) or `FrsProtocolError` (more than requested but
within the cap). It is never silently truncated: a provider that ignores the cap has broken its
terms, and the excess images of people must not be kept.
"""

from __future__ import annotations

from frsgate.connectors.errors import FrsProtocolError, FrsTermsViolation, TermsRefused
from frsgate.connectors.protocol import CandidateList, MatchType, ProviderTerms, SearchRequest


def _check_use(match_type: str, terms: ProviderTerms, provider_id: str) -> None:
    if not terms.law_enforcement_use:
        raise TermsRefused(
            f"provider {provider_id!r} does not permit law-enforcement use under its terms; "
            "nothing was sent (memo 4.C.4)",
            provider_id=provider_id,
        )
    if match_type not in terms.match_types:
        allowed = ", ".join(sorted(terms.match_types)) or "none"
        raise TermsRefused(
            f"provider {provider_id!r} does not allow match type {match_type!r} under its terms "
            f"(allowed: {allowed}); nothing was sent (memo 4.C.4)",
            provider_id=provider_id,
        )


def enforce_terms_outgoing(
    request: SearchRequest, terms: ProviderTerms, *, provider_id: str
) -> SearchRequest:
    """Refuse a search the terms do not allow; clamp `max_candidates` to the cap."""
    _check_use(request.match_type, terms, provider_id)
    if request.max_candidates > terms.candidate_cap:
        return request.model_copy(update={"max_candidates": terms.candidate_cap})
    return request


def enforce_compare_outgoing(terms: ProviderTerms, *, provider_id: str) -> None:
    """Refuse a 2-photo comparison the terms do not allow."""
    _check_use(MatchType.two_photo, terms, provider_id)


def enforce_terms_incoming(
    result: CandidateList, terms: ProviderTerms, requested_max: int
) -> CandidateList:
    """Refuse a candidate list that breaks the terms or the request; return it unchanged."""
    provider = result.provider_id
    if result.match_type not in terms.match_types:
        raise FrsTermsViolation(
            f"provider {provider!r} answered with match type {result.match_type!r}, which its "
            "terms do not allow; response refused (memo 4.C.4)",
            provider_id=provider,
            attempts=result.attempts,
        )
    count = len(result.candidates)
    if count > terms.candidate_cap:
        raise FrsTermsViolation(
            f"provider {provider!r} returned {count} candidates, more than the cap of "
            f"{terms.candidate_cap} in its terms; response refused (memo 4.C.4)",
            provider_id=provider,
            attempts=result.attempts,
        )
    if count > requested_max:
        raise FrsProtocolError(
            f"provider {provider!r} returned {count} candidates but {requested_max} were "
            "requested; response refused",
            provider_id=provider,
            attempts=result.attempts,
        )
    return result
