"""FRS providers, their OSDM review (memo 4.C.1-4.C.3) and their terms (memo 4.C.4)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from frsgate.domain.errors import InvalidEntity
from frsgate.domain.statemachine import StateMachine
from frsgate.domain.values import require_aware, require_text


class MatchType(StrEnum):
    """The three uses the memo names (memo 2).

    The memo's fourth use is redacted; a provider's terms may name it (or another use) as a
    further lower-case slug, so match types are stored and compared as plain strings and
    these members are the well-known ones.
    """

    one_to_one = "one_to_one"  # verify a person against a selected image in a database
    two_photo = "two_photo"  # compare the likeness between two submitted images
    one_to_many = "one_to_many"  # identify an unknown person against a gallery


_MATCH_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def require_match_type_name(entity: str, field: str, value: str) -> None:
    """A match type is a slug of 1-40 characters a-z, 0-9 and _, starting with a letter."""
    if not _MATCH_TYPE_NAME.fullmatch(value):
        raise InvalidEntity(
            entity, field, f"{value!r} is not a match type name (a-z, 0-9, _; 1-40 chars)"
        )


def api_key_fingerprint(api_key: str) -> str:
    """What may be shown of an API key: the first 16 hex digits of its SHA-256. Enough to tell
    two keys apart on the ledger, useless for calling the provider."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:16]


class ProviderKind(StrEnum):
    sandbox = "sandbox"  # the development stand-in shipped with FRS Gate; never a real FRS
    http = "http"


class ReviewStatus(StrEnum):
    unreviewed = "unreviewed"  # usable only in exigent circumstances with supervisor approval
    pending = "pending"  # submitted to OSDM; still not approved
    approved = "approved"  # on the OSDM approved FRS list (memo 4.C.2)
    not_approved = "not_approved"  # prohibited, even in exigent circumstances (memo 4.C.3)
    # OSDM took an approved FRS off the list pending a re-review: no use at all, exigent or
    # not, until OSDM decides again (pack rule `provider.suspended`).
    suspended = "suspended"


class ReviewAct(StrEnum):
    submit_for_review = "submit_for_review"
    approve = "approve"
    not_approve = "not_approve"
    suspend = "suspend"


PROVIDER_REVIEW_MACHINE: StateMachine[ReviewStatus, ReviewAct] = StateMachine(
    "provider",
    ReviewStatus,
    ReviewAct,
    {
        # memo 4.C.3: an FRS used in exigent circumstances is submitted for subsequent review.
        (ReviewStatus.unreviewed, ReviewAct.submit_for_review): ReviewStatus.pending,
        (ReviewStatus.pending, ReviewAct.approve): ReviewStatus.approved,
        (ReviewStatus.pending, ReviewAct.not_approve): ReviewStatus.not_approved,
        # Re-review (changed terms, say) takes an approved FRS off the list until decided.
        (ReviewStatus.approved, ReviewAct.submit_for_review): ReviewStatus.pending,
        # Suspension stops use at once; OSDM's next review decides (never via `pending`,
        # where exigent use would be allowed again).
        (ReviewStatus.approved, ReviewAct.suspend): ReviewStatus.suspended,
        (ReviewStatus.pending, ReviewAct.suspend): ReviewStatus.suspended,
        (ReviewStatus.unreviewed, ReviewAct.suspend): ReviewStatus.suspended,
        (ReviewStatus.suspended, ReviewAct.approve): ReviewStatus.approved,
        (ReviewStatus.suspended, ReviewAct.not_approve): ReviewStatus.not_approved,
        # not_approved is final on purpose: were it re-reviewable it would pass through
        # `pending`, where exigent use is allowed, and memo 4.C.3 forbids that outright.
    },
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderTerms:
    """The terms and conditions of an FRS that bind its use (memo 4.C.4)."""

    match_types: frozenset[str]  # MatchType members and any configured further use
    candidate_cap: int  # most candidates one search may return
    law_enforcement_use: bool  # the terms permit law-enforcement use at all
    reference: str  # where the full terms are kept (contract, URL, document id)
    # The terms accept edited (e.g. enhanced) probe photos; not stated means not accepted.
    edited_probes_allowed: bool = False

    def __post_init__(self) -> None:
        if not self.match_types:
            raise InvalidEntity("provider", "match_types", "must allow at least one match type")
        for name in self.match_types:
            require_match_type_name("provider", "match_types", name)
        if self.candidate_cap < 1:
            raise InvalidEntity("provider", "candidate_cap", "must be at least 1")
        require_text("provider", "terms_ref", self.reference)

    def allows(self, match_type: str) -> bool:
        return self.law_enforcement_use and match_type in self.match_types


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderTls:
    """How FRS Gate reaches an `http` provider over TLS: certificate verification is on unless
    turned off on purpose; an extra CA bundle and a client certificate (mutual TLS) are files
    on the gateway's host, named by path."""

    verify: bool = True
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None

    def __post_init__(self) -> None:
        if self.client_key is not None and self.client_cert is None:
            raise InvalidEntity("provider", "client_key", "needs a client certificate too")
        if not self.verify and self.ca_bundle is not None:
            raise InvalidEntity(
                "provider", "ca_bundle", "is unused when verification is turned off"
            )


@dataclass(slots=True, kw_only=True)
class Provider:
    """A third-party FRS reachable only through FRS Gate."""

    id: str
    name: str
    kind: ProviderKind
    base_url: str | None = None
    tls: ProviderTls = field(default_factory=lambda: ProviderTls())
    # The API key is kept sealed under the vault's key-encryption key; the record carries only
    # its fingerprint (the first 16 hex digits of its SHA-256), which is what logs and the
    # ledger may show.
    api_key_fingerprint: str | None = None
    registered_by: str | None = None
    terms: ProviderTerms
    review_status: ReviewStatus = ReviewStatus.unreviewed
    reviewed_by: str | None = None  # the osdm user who decided
    reviewed_at: datetime | None = None
    review_note: str | None = None
    created_at: datetime

    def __post_init__(self) -> None:
        require_text("provider", "name", self.name)
        require_aware("provider", "created_at", self.created_at)
        require_aware("provider", "reviewed_at", self.reviewed_at)
        if self.kind is ProviderKind.http and not self.base_url:
            raise InvalidEntity("provider", "base_url", "is required for an http provider")

    @property
    def is_approved(self) -> bool:
        return self.review_status is ReviewStatus.approved

    @property
    def is_prohibited(self) -> bool:
        """Reviewed and not approved: no use at all, not even exigent (memo 4.C.3)."""
        return self.review_status is ReviewStatus.not_approved

    def submit_for_review(self) -> None:
        self.review_status = PROVIDER_REVIEW_MACHINE.apply(
            self.review_status, ReviewAct.submit_for_review
        )

    def approve(self, *, by: str, at: datetime, note: str | None = None) -> None:
        self._decide(ReviewAct.approve, by=by, at=at, note=note)

    def not_approve(self, *, by: str, at: datetime, note: str) -> None:
        require_text("provider", "review_note", note)
        self._decide(ReviewAct.not_approve, by=by, at=at, note=note)

    def suspend(self, *, by: str, at: datetime, note: str) -> None:
        """OSDM takes the FRS off the approved list at once, pending its re-review."""
        require_text("provider", "review_note", note)
        self._decide(ReviewAct.suspend, by=by, at=at, note=note)

    def take_review(self, review: ProviderReview) -> None:
        """OSDM's structured decision (memo 4.C.1-4.C.3): the status follows it, and unless it
        suspends the FRS, the terms OSDM accepted become the terms that bind its use (4.C.4)."""
        if review.provider_id != self.id:
            raise InvalidEntity("provider_review", "provider_id", "names another provider")
        act = _REVIEW_ACTS[review.decision]
        if self.review_status is ReviewStatus.unreviewed and act is not ReviewAct.suspend:
            self.submit_for_review()  # a decision is the end of a review: begin it first
        self._decide(act, by=review.reviewer_id, at=review.decided_at, note=review.rationale)
        if review.decision is not ReviewStatus.suspended:
            self.terms = review.terms

    def _decide(self, act: ReviewAct, *, by: str, at: datetime, note: str | None) -> None:
        require_aware("provider", "reviewed_at", at)
        self.review_status = PROVIDER_REVIEW_MACHINE.apply(self.review_status, act)
        self.reviewed_by = by
        self.reviewed_at = at
        self.review_note = note


@dataclass(frozen=True, slots=True, kw_only=True)
class AccuracyEvidence:
    """One piece of evidence of an FRS's accuracy OSDM weighed: e.g. NIST FRTE 1:N results or a
    demographic-differentials report, with the document it is taken from."""

    source: str  # e.g. "NIST FRTE 1:N", "vendor test report"
    reference: str  # the document: report number, URL, file id
    summary: str = ""

    def __post_init__(self) -> None:
        require_text("provider_review", "accuracy_evidence.source", self.source)
        require_text("provider_review", "accuracy_evidence.reference", self.reference)


# The decisions a review records, with what each one makes the provider's status.
REVIEW_DECISIONS = (ReviewStatus.approved, ReviewStatus.not_approved, ReviewStatus.suspended)
_REVIEW_ACTS = {
    ReviewStatus.approved: ReviewAct.approve,
    ReviewStatus.not_approved: ReviewAct.not_approve,
    ReviewStatus.suspended: ReviewAct.suspend,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderReview:
    """OSDM's structured review of an FRS (memo 4.C.1-4.C.3; fn1: the review process of the
    PIA): what it can do, its terms, the evidence of its accuracy, how it handles and keeps
    data, the rationale, the decision, who decided and when. An approval must rest on all of
    them; a refusal or a suspension needs its rationale."""

    id: str
    provider_id: str
    decision: ReviewStatus
    reviewer_id: str
    decided_at: datetime
    capabilities: str
    terms: ProviderTerms
    accuracy_evidence: tuple[AccuracyEvidence, ...] = ()
    demographic_differentials: str = ""
    data_handling: str = ""
    retention: str = ""
    rationale: str

    def __post_init__(self) -> None:
        require_aware("provider_review", "decided_at", self.decided_at)
        require_text("provider_review", "rationale", self.rationale)
        if self.decision not in REVIEW_DECISIONS:
            allowed = ", ".join(d.value for d in REVIEW_DECISIONS)
            raise InvalidEntity(
                "provider_review", "decision", f"{self.decision.value!r} is not one of {allowed}"
            )
        if self.decision is ReviewStatus.approved:
            # memo 4.C.1: an FRS is approved only after review; fn1: the review weighs its
            # accuracy and its handling of data. An approval without them is no review.
            require_text("provider_review", "capabilities", self.capabilities)
            if not self.accuracy_evidence:
                raise InvalidEntity(
                    "provider_review", "accuracy_evidence",
                    "an approval must cite at least one piece of accuracy evidence",
                )  # fmt: skip
            require_text(
                "provider_review", "demographic_differentials", self.demographic_differentials
            )
            require_text("provider_review", "data_handling", self.data_handling)
            require_text("provider_review", "retention", self.retention)
