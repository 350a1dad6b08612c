"""Request and response models of the report-of-investigation entry, the sharing register and
partner-run searches (memo 3, 4.E.1, 4.E.2), for the OpenAPI document.

Like `frsgate.api.schemas`, every response model forbids keys it does not name, so a key a
route adds and the model forgot fails loudly. Every request field is bounded.

The recipient and authority of a share, and the partner agency and system of a partner
search, are optional here on purpose: the memo governs them, so leaving one out is the policy
pack's refusal (403, citing `share.recipient`, `share.authority` or
`partner_search.frs_named`, and recorded on the ledger), never a parse error.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from frsgate.api.fields import Clean, RecordRef, Text
from frsgate.api.schemas import Sha256Hex, Timestamp
from frsgate.domain import LEAD_ONLY_NOTICE, PartnerResult, RoiStatus, ShareAuthorityKind


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


Name = Annotated[Clean, Field(max_length=256)]
CaseRef = Annotated[RecordRef, Field(description="The case number (or id)")]

# --- the report-of-investigation entry (memo 4.E.2) ------------------------------------------


class RoiFrsOut(_Out):
    provider_id: str
    provider_name: str
    sandbox: bool = Field(description="The answer came from the sandbox FRS: synthetic data")
    database: str | None = Field(description="The gallery the FRS says it searched")


class RoiFlagOut(_Out):
    code: str = Field(description="photo_old, low_score or close_scores")
    detail: str


class RoiDispositionOut(_Out):
    kind: str
    decided_by: str
    decided_at: Timestamp
    rationale: str
    traditional_means_compared: str | None
    verified_by: str | None
    verified_at: Timestamp | None
    verification_note: str | None


class RoiExaminationOut(_Out):
    examiner: str
    examined_at: Timestamp
    conclusion: str
    method: str
    limitations: str
    notes: str | None


class RoiCandidateOut(_Out):
    candidate_id: str
    rank: int
    score: float = Field(description="The FRS's similarity figure, not a probability")
    gallery_ref: str | None
    source_database: str | None
    photo_taken_on: dt.date | None
    flags: list[RoiFlagOut]
    disposition: RoiDispositionOut | None = Field(description="The current disposition")
    examinations: list[RoiExaminationOut]


class RoiCorroborationOut(_Out):
    kind: str
    source: str
    description: str
    obtained_by: str
    obtained_on: dt.date | None


class RoiLeadOut(_Out):
    lead_id: str
    candidate_rank: int
    status: str
    summary: str
    opened_by: str
    opened_at: Timestamp
    corroborations: list[RoiCorroborationOut]
    enforcement_note: str | None
    close_reason: str | None


class RoiShareOut(_Out):
    recipient: str
    authority_kind: str
    authority: str
    description: str
    shared_by: str
    shared_at: Timestamp


class RoiReportOut(_Out):
    """Everything the ROI entry of one FRS use says (memo 4.E.2)."""

    submission_id: str
    case_number: str
    case_title: str
    statutory_authority: str
    violation_codes: list[str]
    frs: RoiFrsOut
    searched_at: Timestamp
    requested_by: str
    match_type: str
    program_code: str = Field(description="The FRS program code (memo 4.E.3)")
    candidate_list_id: str | None
    negative: bool
    list_size: int
    probe_sha256: list[Sha256Hex]
    candidates: list[RoiCandidateOut]
    leads: list[RoiLeadOut]
    shares: list[RoiShareOut]
    comparison_score: float | None = Field(
        description="two_photo: the likeness score of the two photos (no candidate list)"
    )
    notice: str = Field(examples=[LEAD_ONLY_NOTICE])


class RoiFilingOut(_Out):
    """A filing of the entry in the case file: the text as filed is bound by its SHA-256."""

    id: str
    submission_id: str
    candidate_list_id: str | None
    status: RoiStatus
    filed_by: str | None
    filed_at: Timestamp | None
    case_system_ref: str | None = Field(description="Its reference in the case system")
    body_sha256: Sha256Hex | None = Field(description="SHA-256 of the text filed (UTF-8)")


class RoiFiledOut(RoiFilingOut):
    text: str = Field(description="The text filed, exactly as hashed in body_sha256")


class RoiOut(_Out):
    """The ROI entry of one use as its records stand now, and the filings of it so far."""

    investigative_lead_only: Literal[True]
    notice: str = Field(examples=[LEAD_ONLY_NOTICE])
    report: RoiReportOut
    filings: list[RoiFilingOut]


class RoiFilingIn(_In):
    case_system_ref: Annotated[
        Clean,
        Field(
            min_length=1,
            max_length=128,
            description="The entry's reference in the case management system",
            examples=["ROI-HSI-2026-000001-007"],
        ),
    ]


# --- the sharing register (memo 3) ------------------------------------------------------------


class ShareIn(_In):
    """A share of FRS information with another party. Name the lead or the FRS use (or both:
    then the lead must come from that use), the recipient agency, and the authority for it."""

    case: CaseRef
    lead_id: RecordRef | None = None
    submission_id: RecordRef | None = None
    recipient: Name | None = Field(
        default=None, description="The recipient agency (memo 3); refused by policy if left out"
    )
    authority_kind: ShareAuthorityKind | None = Field(
        default=None, description="statute, regulation or agreement; refused by policy if left out"
    )
    authority: Text | None = Field(
        default=None,
        description="The statute section, regulation or agreement id; refused by policy if "
        "left out",
    )
    description: Annotated[Text, Field(min_length=1, description="What was shared")]


class ShareOut(_Out):
    id: str
    case: str
    lead_id: str | None
    submission_id: str | None
    recipient: str
    authority_kind: ShareAuthorityKind
    authority: str
    description: str
    shared_by: str | None
    created_at: Timestamp


class ShareListOut(_Out):
    shares: list[ShareOut]


# --- searches partner agencies ran for a case (memo 4.E.1) -------------------------------------


class PartnerSearchIn(_In):
    """A search a partner agency ran on its FRS for one of our cases, noted like our own."""

    case: CaseRef
    partner_agency: Name | None = Field(
        default=None, description="Who ran the search; refused by policy if left out"
    )
    partner_system: Name | None = Field(
        default=None, description="The FRS the partner searched; refused by policy if left out"
    )
    searched_on: dt.date
    match_type: Annotated[Clean, Field(max_length=32)] | None = None
    result: PartnerResult
    candidate_count: Annotated[int, Field(ge=0, le=100_000)] | None = None
    summary: Annotated[Text, Field(min_length=1)]
    probe_sha256: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$", max_length=64)] | None = Field(
        default=None, description="SHA-256 of the probe given to the partner, if any"
    )


class PartnerSearchOut(_Out):
    id: str
    case: str
    partner_agency: str
    partner_system: str
    searched_on: dt.date
    match_type: str | None
    result: PartnerResult
    candidate_count: int | None
    summary: str
    probe_sha256: Sha256Hex | None
    recorded_by: str | None
    created_at: Timestamp


class PartnerSearchListOut(_Out):
    partner_searches: list[PartnerSearchOut]
