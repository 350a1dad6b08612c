"""What comes back from an FRS and how people judge it (memo 2 and 4.D).

A candidate list is never a positive identification (memo 2, 4.D.2): each candidate receives a
disposition that can at most make it a *possible match* worth a lead. Only a trained and
authorized examiner records a biometric facial examination (memo 4.D.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from frsgate.domain.errors import InvalidEntity, RefusedValue
from frsgate.domain.statemachine import StateMachine
from frsgate.domain.values import require_aware, require_sha256, require_text


class CandidateListStatus(StrEnum):
    received = "received"  # awaiting review by the requester
    reviewed = "reviewed"  # every candidate has a disposition
    purged = "purged"  # removed under retention


class CandidateListAct(StrEnum):
    complete_review = "complete_review"
    purge = "purge"


CANDIDATE_LIST_MACHINE: StateMachine[CandidateListStatus, CandidateListAct] = StateMachine(
    "candidate list",
    CandidateListStatus,
    CandidateListAct,
    {
        (CandidateListStatus.received, CandidateListAct.complete_review): (
            CandidateListStatus.reviewed
        ),
        (CandidateListStatus.received, CandidateListAct.purge): CandidateListStatus.purged,
        (CandidateListStatus.reviewed, CandidateListAct.purge): CandidateListStatus.purged,
    },
)


@dataclass(slots=True, kw_only=True)
class CandidateList:
    """The ranked list an FRS returned for one submission; lead-only (memo 2)."""

    id: str
    submission_id: str
    provider_id: str
    match_type: str
    database: str | None = None  # the gallery the FRS searched, as it named it
    comparison_score: float | None = None  # two_photo: the likeness score, in [0, 1]
    sandbox: bool = False  # synthetic data from a sandbox FRS: never evidence
    provider_notice: str | None = None  # what the FRS said about its data, verbatim
    status: CandidateListStatus = CandidateListStatus.received
    received_at: datetime
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    purged_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.comparison_score is not None and not 0.0 <= self.comparison_score <= 1.0:
            raise InvalidEntity("candidate_list", "comparison_score", "must be within [0, 1]")
        for name in ("received_at", "reviewed_at", "purged_at"):
            require_aware("candidate_list", name, getattr(self, name))

    def complete_review(self, *, by: str, at: datetime) -> None:
        require_aware("candidate_list", "reviewed_at", at)
        self.status = CANDIDATE_LIST_MACHINE.apply(self.status, CandidateListAct.complete_review)
        self.reviewed_by, self.reviewed_at = by, at

    def purge(self, *, at: datetime) -> None:
        require_aware("candidate_list", "purged_at", at)
        self.status = CANDIDATE_LIST_MACHINE.apply(self.status, CandidateListAct.purge)
        self.purged_at = at


@dataclass(slots=True, kw_only=True)
class Candidate:
    """One entry of a candidate list, as the FRS ranked it."""

    id: str
    candidate_list_id: str
    rank: int  # 1 = the FRS's most likely
    score: float  # the FRS's similarity figure in [0, 1]; not a probability of identity
    gallery_ref: str  # the FRS's opaque reference to the gallery record
    source_database: str
    image_sha256: str | None = None  # of the candidate image, sealed in `CandidateImage`
    media_type: str | None = None

    def __post_init__(self) -> None:
        if self.rank < 1:
            raise InvalidEntity("candidate", "rank", "must be at least 1")
        if not 0.0 <= self.score <= 1.0:
            raise InvalidEntity("candidate", "score", "must be within [0, 1]")
        require_text("candidate", "gallery_ref", self.gallery_ref)
        require_text("candidate", "source_database", self.source_database)
        require_sha256("candidate", "image_sha256", self.image_sha256, optional=True)
        if (self.image_sha256 is None) != (self.media_type is None):
            raise InvalidEntity(
                "candidate", "media_type", "and image_sha256 come together or not at all"
            )


@dataclass(slots=True, kw_only=True)
class CandidateImage:
    """The sealed gallery image of a candidate; reading it is itself a ledger entry."""

    candidate_id: str
    sealed: bytes = field(repr=False)
    key_ref: str

    def __post_init__(self) -> None:
        if not self.sealed:
            raise InvalidEntity("candidate_image", "sealed", "must not be empty")
        require_text("candidate_image", "key_ref", self.key_ref)


# The notice every candidate, list, print view and export carries (memo 4.D.2): defined once.
LEAD_ONLY_NOTICE = "Not a positive identification — memo 4.D.2"


class DispositionKind(StrEnum):
    """What a reviewer may conclude. There is deliberately no "positive identification"."""

    no_match = "no_match"
    possible_match_lead = "possible_match_lead"  # memo 4.D.3: only ever an investigative lead
    inconclusive = "inconclusive"


_IDENTIFICATION_WORDS = frozenset(
    {"positive_identification", "identification", "identified", "match", "positive_match"}
)


def parse_disposition_kind(value: str) -> DispositionKind:
    """The disposition named `value`; any claim of identification is refused (memo 4.D.2)."""
    if value.strip().lower().replace(" ", "_").replace("-", "_") in _IDENTIFICATION_WORDS:
        raise RefusedValue(
            "disposition",
            value,
            "memo 4.D.2",
            "no candidate list is considered a positive identification; record "
            "possible_match_lead and corroborate it by traditional means",
        )
    try:
        return DispositionKind(value)
    except ValueError:
        known = ", ".join(DispositionKind)
        raise InvalidEntity("disposition", "kind", f"{value!r} is not one of {known}") from None


@dataclass(slots=True, kw_only=True)
class Disposition:
    """A reviewer's judgement on one candidate; a later one may supersede it."""

    id: str
    candidate_id: str
    decided_by: str
    kind: DispositionKind
    rationale: str
    # memo 4.D.2: candidates are compared with information from traditional means.
    traditional_means_compared: str | None = None
    supersedes_id: str | None = None
    created_at: datetime

    def __post_init__(self) -> None:
        require_text("disposition", "rationale", self.rationale)
        if self.kind is DispositionKind.possible_match_lead:
            require_text(
                "disposition", "traditional_means_compared", self.traditional_means_compared
            )
        if self.supersedes_id == self.id:
            raise InvalidEntity("disposition", "supersedes_id", "cannot supersede itself")
        require_aware("disposition", "created_at", self.created_at)


class ExaminationConclusion(StrEnum):
    """Facial examination outcomes, phrased as support, never as identity (memo 4.D.2)."""

    supports_same_source = "supports_same_source"
    inconclusive = "inconclusive"
    supports_different_source = "supports_different_source"


@dataclass(slots=True, kw_only=True)
class Examination:
    """A biometric facial examination by a trained, authorized examiner (memo 4.D.1)."""

    id: str
    candidate_id: str
    examiner_id: str
    conclusion: ExaminationConclusion
    method: str
    notes: str | None = None
    created_at: datetime

    def __post_init__(self) -> None:
        require_text("examination", "method", self.method)
        require_aware("examination", "created_at", self.created_at)
