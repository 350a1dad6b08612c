"""What comes back from an FRS and how people judge it (memo 2 and 4.D).

A candidate list is never a positive identification (memo 2, 4.D.2): each candidate receives a
disposition that can at most make it a *possible match* worth a lead. Only a trained and
authorized examiner records a biometric facial examination (memo 4.D.1). `review_flags` names
what should make a reviewer more careful about a candidate (an old gallery photo, a low score,
scores the FRS barely separates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from frsgate.domain.errors import DomainError, InvalidEntity, RefusedValue
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
    photo_taken_on: date | None = None  # when the gallery photo was taken, if the FRS says

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


IDENTIFICATION_WORDS = frozenset(
    {"positive_identification", "identification", "identified", "match", "positive_match"}
)


def parse_disposition_kind(value: str) -> DispositionKind:
    """The disposition named `value`; any claim of identification is refused (memo 4.D.2)."""
    if value.strip().lower().replace(" ", "_").replace("-", "_") in IDENTIFICATION_WORDS:
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
    # A second reviewer's verification (memo 4.D.2): never the one who decided.
    verified_by: str | None = None
    verified_at: datetime | None = None
    verification_note: str | None = None

    def __post_init__(self) -> None:
        require_text("disposition", "rationale", self.rationale)
        if self.kind is DispositionKind.possible_match_lead:
            require_text(
                "disposition", "traditional_means_compared", self.traditional_means_compared
            )
        if self.supersedes_id == self.id:
            raise InvalidEntity("disposition", "supersedes_id", "cannot supersede itself")
        require_aware("disposition", "created_at", self.created_at)
        require_aware("disposition", "verified_at", self.verified_at)
        if (self.verified_by is None) != (self.verified_at is None):
            raise InvalidEntity(
                "disposition", "verified_by", "and verified_at come together or not at all"
            )
        if self.verified_by is None and self.verification_note is not None:
            raise InvalidEntity("disposition", "verification_note", "needs a verification")
        if self.verified_by is not None and self.verified_by == self.decided_by:
            raise InvalidEntity(
                "disposition", "verified_by", "must be another reviewer than decided_by"
            )

    @property
    def verified(self) -> bool:
        return self.verified_by is not None

    def verify(self, *, by: str, at: datetime, note: str) -> None:
        """A second reviewer confirms this disposition (memo 4.D.2); once, never its author."""
        require_text("disposition", "verified_by", by)
        require_aware("disposition", "verified_at", at)
        require_text("disposition", "verification_note", note)
        if by == self.decided_by:
            raise DomainError(
                f"user {by} recorded disposition {self.id} and cannot verify it; "
                "another reviewer must (memo 4.D.2)"
            )
        if self.verified_by is not None:
            raise DomainError(
                f"disposition {self.id} was already verified by {self.verified_by}; "
                "record a new disposition to change the judgement"
            )
        self.verified_by, self.verified_at, self.verification_note = by, at, note


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
    limitations: str  # what limits the comparison: image quality, pose, age of the photo...
    notes: str | None = None
    created_at: datetime

    def __post_init__(self) -> None:
        require_text("examination", "method", self.method)
        require_text("examination", "limitations", self.limitations)
        require_aware("examination", "created_at", self.created_at)


# --- review flags --------------------------------------------------------------------------


class FlagCode(StrEnum):
    photo_old = "photo_old"
    low_score = "low_score"
    close_scores = "close_scores"


@dataclass(frozen=True, slots=True)
class Flag:
    """Something a reviewer should weigh before treating a candidate as a possible match."""

    code: FlagCode
    detail: str  # one plain sentence naming the figures


@dataclass(frozen=True, slots=True, kw_only=True)
class FlagThresholds:
    """When `review_flags` raises each flag (settings `FRSGATE_FLAG_*`)."""

    photo_age_years: int = 5
    low_score: float = 0.6
    close_score_margin: float = 0.02
    close_score_count: int = 3

    def __post_init__(self) -> None:
        if self.photo_age_years < 0:
            raise InvalidEntity("flag_thresholds", "photo_age_years", "must be 0 or more")
        if not 0.0 <= self.low_score <= 1.0:
            raise InvalidEntity("flag_thresholds", "low_score", "must be within [0, 1]")
        if not 0.0 <= self.close_score_margin <= 1.0:
            raise InvalidEntity("flag_thresholds", "close_score_margin", "must be within [0, 1]")
        if self.close_score_count < 2:
            raise InvalidEntity("flag_thresholds", "close_score_count", "must be at least 2")


# Scores are decimal figures held as binary floats: 0.92 - 0.90 is 0.0200000000000000018.
_SCORE_TOLERANCE = 1e-9


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _whole_years(earlier: date, later: date) -> int:
    years = later.year - earlier.year
    return years - 1 if (later.month, later.day) < (earlier.month, earlier.day) else years


def review_flags(
    candidates: Iterable[Candidate], searched_on: date, thresholds: FlagThresholds
) -> dict[str, list[Flag]]:
    """The flags of each candidate of one list, keyed by candidate id (an empty list when none).

    - `photo_old`: the gallery photo was taken more than `photo_age_years` years before the
      search (a person can look very different: Woodruff was matched on an 8-year-old photo);
    - `low_score`: the score is below `low_score`;
    - `close_scores`: at least `close_score_count` candidates, this one among them, score
      within `close_score_margin` of the top score, so the ranking among them means little.
    """
    if isinstance(searched_on, datetime):
        searched_on = searched_on.date()
    listed = list(candidates)
    flags: dict[str, list[Flag]] = {c.id: [] for c in listed}
    if not listed:
        return flags
    cutoff = _years_before(searched_on, thresholds.photo_age_years)
    top = max(c.score for c in listed)
    close = [c for c in listed if top - c.score <= thresholds.close_score_margin + _SCORE_TOLERANCE]
    crowded = {c.id for c in close} if len(close) >= thresholds.close_score_count else set()
    lowest_close = min(c.score for c in close)
    for c in listed:
        found = flags[c.id]
        if c.photo_taken_on is not None and c.photo_taken_on < cutoff:
            age = _whole_years(c.photo_taken_on, searched_on)
            found.append(
                Flag(
                    FlagCode.photo_old,
                    f"The gallery photo was taken on {c.photo_taken_on.isoformat()}, {age} "
                    f"years before the search on {searched_on.isoformat()} (more than "
                    f"{thresholds.photo_age_years} years).",
                )
            )
        if c.score < thresholds.low_score:
            found.append(
                Flag(
                    FlagCode.low_score,
                    f"The score {c.score:g} is below {thresholds.low_score:g}.",
                )
            )
        if c.id in crowded:
            found.append(
                Flag(
                    FlagCode.close_scores,
                    f"{len(close)} candidates score within {thresholds.close_score_margin:g} "
                    f"of the top score {top:g} ({lowest_close:g} to {top:g}); the FRS barely "
                    "separates them.",
                )
            )
    return flags
