"""What the review routes take and answer (`frsgate.api.routes.review`): dispositions, their
verification, facial examinations and the review of a candidate list (memo 4.D.1, 4.D.2).

Request bodies are bounded by the text types of `frsgate.api.fields`. The disposition `kind`
and the examination `conclusion` are words, not enums, on purpose: a claim of identity
("positive identification") must reach the policy pack, which refuses it citing memo 4.D.2 and
records the refusal; a word that is neither a known value nor such a claim is a 422.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from frsgate.api.fields import Text, Word
from frsgate.api.schemas import (
    Day,
    FlagOut,
    Sha256Hex,
    Timestamp,
    _Out,
)
from frsgate.domain import (
    CandidateListStatus,
    DispositionKind,
    ExaminationConclusion,
)

_KINDS = ", ".join(k.value for k in DispositionKind)
_CONCLUSIONS = ", ".join(c.value for c in ExaminationConclusion)
Statement = Annotated[Text, Field(min_length=1)]

# --- requests -------------------------------------------------------------------------------


class DispositionIn(BaseModel):
    """A reviewer's disposition of one candidate (memo 4.D.2)."""

    model_config = ConfigDict(extra="forbid")

    kind: Annotated[Word, Field(min_length=1)] = Field(
        description=f"One of {_KINDS}. A candidate is never a positive identification: such "
        "a claim is refused by the policy (memo 4.D.2)",
        examples=["possible_match_lead"],
    )
    rationale: Statement = Field(description="Why the reviewer concludes so")
    traditional_means_compared: Text | None = Field(
        default=None,
        description="What information obtained by traditional means the candidate was "
        "compared with; required for possible_match_lead (memo 4.D.2)",
    )


class VerificationIn(BaseModel):
    """A second reviewer's verification of a disposition (memo 4.D.2)."""

    model_config = ConfigDict(extra="forbid")

    note: Statement = Field(description="What the second reviewer checked")


class ExaminationIn(BaseModel):
    """A biometric facial examination by a trained, authorized examiner (memo 4.D.1)."""

    model_config = ConfigDict(extra="forbid")

    method: Statement = Field(description="How the faces were compared")
    conclusion: Annotated[Word, Field(min_length=1)] = Field(
        description=f"One of {_CONCLUSIONS}: support for a source, never an identification",
        examples=["inconclusive"],
    )
    limitations: Statement = Field(
        description="What limits the comparison: image quality, pose, the age of the photo..."
    )
    notes: Text | None = None


# --- answers --------------------------------------------------------------------------------


class DispositionOut(_Out):
    """A disposition as recorded, with its verification."""

    id: str
    candidate_id: str
    kind: DispositionKind
    rationale: str
    traditional_means_compared: str | None
    supersedes_id: str | None = Field(description="The disposition this one replaced")
    decided_by: str | None = Field(description="The reviewer's username")
    created_at: Timestamp
    current: bool = Field(description="No later disposition supersedes it")
    verified: bool
    verified_by: str | None = Field(description="The second reviewer's username")
    verified_at: Timestamp | None
    verification_note: str | None


class ListStateOut(_Out):
    """The candidate list after the act."""

    id: str
    status: CandidateListStatus = Field(
        description="Stored status: `reviewed` once review was first completed"
    )
    reviewed: bool = Field(
        description="Every candidate has a current disposition (verified, when the policy "
        "requires a second reviewer)"
    )


class DispositionResultOut(_Out):
    """The answer of recording or verifying a disposition: the stored record, with its list's
    state after the act."""

    investigative_lead_only: Literal[True]
    disposition: DispositionOut
    candidate_list: ListStateOut


class ExaminationOut(_Out):
    """A facial examination as recorded."""

    id: str
    candidate_id: str
    examiner: str | None = Field(description="The examiner's username")
    conclusion: ExaminationConclusion
    method: str
    limitations: str
    notes: str | None
    created_at: Timestamp


class ExaminationResultOut(_Out):
    """The answer of recording an examination: the stored record."""

    investigative_lead_only: Literal[True]
    examination: ExaminationOut


class ReviewCandidateOut(_Out):
    """One candidate with everything its reviewers recorded."""

    id: str
    rank: int
    score: float = Field(description="The FRS's similarity in [0, 1]; not a probability")
    gallery_ref: str
    source_database: str
    image_sha256: Sha256Hex | None
    photo_taken_on: Day | None
    investigative_lead_only: Literal[True]
    flags: list[FlagOut]
    disposition: DispositionOut | None = Field(description="The current disposition")
    superseded: list[DispositionOut] = Field(
        description="The dispositions the current one replaced, newest first"
    )
    examinations: list[ExaminationOut]


class ReviewListOut(_Out):
    id: str
    status: CandidateListStatus
    reviewed_by: str | None = Field(description="Whose act first completed the review")
    reviewed_at: Timestamp | None
    sandbox: bool = Field(description="Synthetic data from a sandbox FRS: never evidence")
    size: int


class ReviewOut(_Out):
    """The review of a candidate list: every candidate, its disposition and examinations."""

    investigative_lead_only: Literal[True]
    notice: str
    submission_id: str
    purpose: str = Field(description="The case number, or program:CODE")
    candidate_list: ReviewListOut
    verification_required: bool = Field(
        description="The policy asks a second reviewer to verify each disposition"
    )
    reviewed: bool = Field(
        description="Every candidate has a current disposition (verified, when required)"
    )
    candidates: list[ReviewCandidateOut]
