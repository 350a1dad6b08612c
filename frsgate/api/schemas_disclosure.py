"""The disclosure package's JSON (format `frsgate-disclosure/1`) as response models.

The same shape `docs/disclosure-package.md` documents field by field and
`tools/verify_disclosure.py` checks; declared here so the OpenAPI document carries it and a
client can validate a package before verifying its proofs. Every record names the ledger entry
that recorded it (`ledger_seq`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DisclosedFlagOut(_Out):
    code: str
    detail: str


class DisclosedVerificationOut(_Out):
    id: str
    verified_by: str
    verification_note: str | None
    verified_at: str | None
    ledger_seq: int | None


class DisclosedDispositionOut(_Out):
    id: str
    candidate_id: str
    decided_by: str
    kind: str
    rationale: str
    traditional_means_compared: str | None
    supersedes_id: str | None
    created_at: str | None
    ledger_seq: int | None
    verification: DisclosedVerificationOut | None


class DisclosedExaminationOut(_Out):
    id: str
    candidate_id: str
    examiner_id: str
    conclusion: str
    method: str
    limitations: str
    notes: str | None
    created_at: str | None
    ledger_seq: int | None


class DisclosedCandidateOut(_Out):
    id: str
    rank: int
    score: float
    gallery_ref: str
    source_database: str
    image_sha256: str | None
    photo_taken_on: str | None
    investigative_lead_only: Literal[True]
    flags: list[DisclosedFlagOut]
    dispositions: list[DisclosedDispositionOut]
    examinations: list[DisclosedExaminationOut]


class DisclosedResultOut(_Out):
    candidate_list_id: str
    negative: bool
    database: str | None
    sandbox: bool
    comparison_score: float | None
    received_at: str | None
    probe_sha256: list[str]
    ledger_seq: int | None
    candidates: list[DisclosedCandidateOut]


class DisclosedSubmissionOut(_Out):
    id: str
    provider_id: str
    provider_name: str
    match_type: str
    program_code: str
    requested_by: str
    created_at: str | None
    dispatched_at: str | None
    status: str
    exigent: bool
    probe_sha256: list[str]


class DisclosedFilingOut(_Out):
    id: str
    submission_id: str
    case_system_ref: str | None
    body: str
    filed_by: str | None
    filed_at: str | None
    ledger_seq: int | None


class DisclosedUseOut(_Out):
    submission: DisclosedSubmissionOut
    result: DisclosedResultOut | None
    roi_filings: list[DisclosedFilingOut]


class DisclosedCorroborationOut(_Out):
    id: str
    lead_id: str
    kind: str
    source: str
    description: str
    obtained_by: str
    obtained_on: str | None
    recorded_by: str
    created_at: str | None
    ledger_seq: int | None


class DisclosedStatusChangeOut(_Out):
    id: str
    status: str
    enforcement_note: str | None = None
    close_reason: str | None = None
    by: str | None
    at: str | None
    ledger_seq: int | None


class DisclosedLeadOut(_Out):
    id: str
    case_id: str
    submission_id: str
    candidate_id: str
    disposition_id: str
    summary: str
    status: str
    opened_by: str
    created_at: str | None
    ledger_seq: int | None
    corroborations: list[DisclosedCorroborationOut]
    status_changes: list[DisclosedStatusChangeOut]


class DisclosedShareOut(_Out):
    id: str
    case_id: str
    lead_id: str | None
    submission_id: str | None
    recipient: str
    authority_kind: str
    authority: str
    description: str
    shared_by: str
    created_at: str | None
    ledger_seq: int | None


class DisclosedPartnerSearchOut(_Out):
    id: str
    case_id: str
    partner_agency: str
    partner_system: str
    searched_on: str
    match_type: str | None
    result: str
    candidate_count: int | None
    summary: str
    probe_sha256: str | None
    recorded_by: str
    created_at: str | None
    ledger_seq: int | None


class DisclosedCaseOut(_Out):
    number: str
    title: str
    statutory_authority: str
    violation_codes: list[str]


class DisclosedProofOut(_Out):
    """RFC 9162 inclusion proof (DESIGN: `{"leaf_index", "tree_size", "hashes"}`)."""

    leaf_index: int
    tree_size: int
    hashes: list[str]


class DisclosedEntryOut(_Out):
    seq: int
    entry: str  # the entry's canonical JSON text, exactly the bytes its leaf hashes
    proof: DisclosedProofOut


class DisclosedLedgerOut(_Out):
    origin: str
    public_key: str  # the note verifier key; check it against the one the agency publishes
    checkpoint: str  # the C2SP signed note
    tree_size: int
    root_hash: str
    entries: list[DisclosedEntryOut]


class DisclosureOut(_Out):
    """A case's disclosure package (docs/disclosure-package.md)."""

    format: Literal["frsgate-disclosure/1"]
    generated_at: str
    generated_by: str
    notice: str
    case: DisclosedCaseOut
    uses: list[DisclosedUseOut]
    leads: list[DisclosedLeadOut]
    shares: list[DisclosedShareOut]
    partner_searches: list[DisclosedPartnerSearchOut]
    ledger: DisclosedLedgerOut
