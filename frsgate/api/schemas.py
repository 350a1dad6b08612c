"""The shapes of what `/api/v1` answers, for the OpenAPI document (`/openapi.json`).

The routes build their JSON bodies as they always have (the `*_json` functions beside them,
`frsgate.ledger.http` for the ledger contract, `frsgate.api.errors.error_body` for errors);
these models describe those bodies so a client can rely on the document. They do not shape
anything: a route that returns a dict declares its model as `response_model`, and FastAPI
checks the dict against it on the way out.

Every model forbids keys it does not name. FastAPI's response check would otherwise drop a
key a route added and the schema forgot, silently; forbidden, it fails loudly (a 500 that the
functional tests hit at once). Nothing here sets `response_model_exclude_none`: `null` is part
of these bodies (a submission not yet dispatched has `"dispatched_at": null`).

Timestamps stay strings typed `date-time`: parsing them into `datetime` and writing them back
would change their text (`+00:00` would become `Z`). Keys that are present only sometimes (a
decision's `approver_role`, an error's `awaiting`) default to `None` and are left out of the
body when absent, as before.

`error_responses(...)` is the one place the error statuses of a route are documented.

What a client sends is bounded by the text types of `frsgate.api.fields`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from frsgate.domain import (
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    CaseStatus,
    DispositionKind,
    FlagCode,
    ProbeStatus,
    ProgramKind,
    ProgramStatus,
    ProviderKind,
    ReviewStatus,
    Role,
    SubjectRole,
    SubmissionStatus,
)
from frsgate.policy.decision import Outcome

# The text as the route wrote it (datetime.isoformat()); documented as a date-time.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Sha256Hex = Annotated[str, Field(description="SHA-256, 64 lowercase hexadecimal digits")]
# A calendar day as the route wrote it (date.isoformat()).
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
Base64 = Annotated[str, Field(description="Standard base64 (RFC 4648 section 4)")]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- the policy decision and the error body -------------------------------------------------


class CitationOut(_Out):
    """One rule that decided: its id, the memo section it encodes, what the user must do."""

    rule: str
    section: str
    message: str


class PolicyRefOut(_Out):
    """The policy pack a decision was made under."""

    pack: str
    sha256: Sha256Hex


class DecisionOut(_Out):
    """A policy decision (the DESIGN contract). `approver_role` and `approvals` are present
    only when `decision` is `needs_approval`."""

    decision: Outcome
    citations: list[CitationOut]
    policy: PolicyRefOut
    approver_role: str | None = Field(
        default=None,
        description="needs_approval only: who may approve (several roles are comma-joined)",
    )
    approvals: list[str] | None = Field(
        default=None, description="needs_approval only: the approval kinds that cure it"
    )


class AwaitingApprovalOut(_Out):
    """An approval request a read held for an approval waits for."""

    id: str
    kind: ApprovalKind
    approver_role: Role | None
    status: ApprovalStatus
    deadline: Timestamp | None
    overdue: bool


class ErrorOut(_Out):
    """Every error body. `decision` comes with a policy refusal (403) and a read held for an
    approval (409, with `awaiting`); `problems` lists each malformed field of a 422."""

    error: str = Field(description="The kind of error, e.g. PolicyDenied, ValidationFailed")
    message: str
    decision: DecisionOut | None = None
    awaiting: list[AwaitingApprovalOut] | None = None
    problems: list[str] | None = None


# --- probes -----------------------------------------------------------------------------


class ApprovalRefOut(_Out):
    """An approval request an act created."""

    id: str
    kind: ApprovalKind
    approver_role: Role | None


class ProbeOut(_Out):
    """A probe taken in (`POST /api/v1/probes`): stored, and waiting if `approvals` is not
    empty (a witness probe waits for a supervisor)."""

    id: str
    case_id: str | None
    program_code: str | None
    status: ProbeStatus
    subject_role: SubjectRole
    sha256: Sha256Hex = Field(description="Of the re-encoded image that is sealed and sent")
    original_sha256: Sha256Hex = Field(description="Of the bytes as received")
    media_type: str
    width: int
    height: int
    decision: DecisionOut
    approvals: list[ApprovalRefOut]


# --- submissions and candidate lists ----------------------------------------------------


class SubmissionOut(_Out):
    """One request to use an FRS, as recorded."""

    id: str
    case_id: str | None = Field(description="None: the use serves the probe's program")
    probe_id: str
    second_probe_id: str | None
    provider_id: str
    match_type: str
    program_code: str
    status: SubmissionStatus
    status_reason: str | None
    exigent: bool
    impracticable_reason: str | None = Field(
        description="Why no supervisor could approve before an exigent use (memo 4.C.3)"
    )
    provider_review_status_at_use: ReviewStatus | None = Field(
        description="OSDM's review of the provider when the request was decided"
    )
    attempts: int
    created_at: Timestamp
    dispatched_at: Timestamp | None
    finished_at: Timestamp | None


class SubmissionApprovalRefOut(ApprovalRefOut):
    """An approval request a submission waits for, with its deadline (exigent use)."""

    deadline: Timestamp | None


class CandidateListRefOut(_Out):
    """The candidate list a dispatched submission received (read it with
    `GET /api/v1/submissions/{id}/candidates`)."""

    id: str
    sandbox: bool = Field(description="Synthetic data from a sandbox FRS: never evidence")


class SubmissionResultOut(_Out):
    """The answer of `POST /api/v1/submissions`: 201 when dispatched, 202 when it waits for
    `approvals`. `candidate_list` is present only when the FRS answered with one."""

    submission: SubmissionOut
    decision: DecisionOut
    approvals: list[SubmissionApprovalRefOut]
    candidate_list: CandidateListRefOut | None = None


class WaitingForOut(_Out):
    """A pending approval request a submission (or one of its probes) waits for."""

    id: str
    kind: ApprovalKind
    status: ApprovalStatus
    approver_role: Role | None
    deadline: Timestamp | None


class ApprovalStateOut(_Out):
    """An approval request of a submission or its probes, whatever its status."""

    id: str
    kind: ApprovalKind
    status: ApprovalStatus


class SubmissionViewOut(SubmissionOut):
    """A submission with its purpose and the approvals it has and waits for."""

    purpose: str = Field(description="The case number, or program:CODE")
    waiting_for: list[WaitingForOut]
    approvals: list[ApprovalStateOut]


class SubmissionListOut(_Out):
    """The caller's own submissions, newest first."""

    submissions: list[SubmissionViewOut]


class CandidateListSummaryOut(_Out):
    """What the FRS answered: the gallery it searched and what it said about its data."""

    id: str
    provider_id: str
    match_type: str
    database: str | None
    sandbox: bool = Field(description="Synthetic data from a sandbox FRS: never evidence")
    provider_notice: str | None
    comparison_score: float | None = Field(description="two_photo: the likeness, in [0, 1]")
    received_at: Timestamp
    size: int
    negative: bool = Field(description="The FRS found nobody: a result, and recorded as one")


class FlagOut(_Out):
    """Something a reviewer should weigh before treating a candidate as a possible lead
    (settings `FRSGATE_FLAG_*`)."""

    code: FlagCode
    detail: str = Field(description="One sentence naming the figures")


class CurrentDispositionOut(_Out):
    """A candidate's current disposition, in brief (the review shows it whole)."""

    id: str
    kind: DispositionKind
    by: str | None = Field(description="The reviewer's username")
    at: Timestamp
    verified: bool = Field(description="A second reviewer verified it (memo 4.D.2)")


class CandidateOut(_Out):
    """One candidate, as the FRS ranked it: a lead, never an identification."""

    id: str
    rank: int
    score: float = Field(description="The FRS's similarity in [0, 1]; not a probability")
    gallery_ref: str
    source_database: str
    image_sha256: Sha256Hex | None
    image: str | None = Field(description="The path of the candidate's image, if it has one")
    investigative_lead_only: Literal[True] = Field(
        description="Always true: a candidate is never a positive identification (memo 4.D.2)"
    )
    photo_taken_on: Day | None = Field(
        description="When the gallery photo was taken, if the FRS said"
    )
    flags: list[FlagOut]
    disposition: CurrentDispositionOut | None = Field(
        description="The candidate's current disposition; null before the first"
    )


class CandidateListOut(_Out):
    """A candidate list. Every list is an investigative lead only, never a positive
    identification (memo 4.D.2): `investigative_lead_only` is always true."""

    investigative_lead_only: Literal[True]
    notice: str
    submission: SubmissionOut
    candidate_list: CandidateListSummaryOut
    candidates: list[CandidateOut]


# --- approvals and queues ---------------------------------------------------------------


class ApprovalOut(_Out):
    """An approval request and, once decided, who decided and when."""

    id: str
    kind: ApprovalKind
    status: ApprovalStatus
    subject_kind: ApprovalSubject
    subject_id: str
    case_id: str | None
    requester_id: str
    assigned_to: str | None
    approver_role: Role | None
    approver_id: str | None
    reason: str
    requested_at: Timestamp
    deadline: Timestamp | None
    decided_at: Timestamp | None


class PendingApprovalOut(ApprovalOut):
    """An approval in a decider's queue, with its case number and whether it is overdue; for
    an exigent use's after-the-fact approval (memo 4.C.3), when it escalates to the next
    supervisor up if still pending, whether it has, and whether it is in this queue because it
    was escalated to the caller."""

    case_number: str | None
    overdue: bool
    escalation_due_at: Timestamp | None = Field(
        description="FRSGATE_EXIGENT_ESCALATION_HOURS after the deadline (exigent use only)"
    )
    escalated: bool
    escalated_to_you: bool = Field(
        description="In your queue as the next supervisor up of those who decide it"
    )


class ApprovalListOut(_Out):
    """The approvals the caller may decide, overdue first."""

    approvals: list[PendingApprovalOut]


class ApprovalDecisionOut(_Out):
    """A decided approval and what followed: the submissions it let go to the FRS, or the
    ids of those it refused."""

    approval: ApprovalOut
    late: bool = Field(description="Decided after its deadline (recorded as late)")
    dispatched: list[SubmissionOut]
    rejected_submissions: list[str]


class RoiUnfiledOut(_Out):
    """An FRS use of a case whose results are not yet noted in a filed report-of-investigation
    entry, past the pack's `roi_filing_deadline_days` (memo 4.E.2)."""

    kind: Literal["roi_unfiled"]
    submission: str
    case: str = Field(description="The case number")
    agent: str = Field(description="Who made the submission (username)")
    received_at: Timestamp = Field(description="When the results arrived")
    days_overdue: int = Field(description="Whole days past the deadline (0: less than one)")


class VolumeOut(_Out):
    """The requester's recent volume of submissions, which a rate-limit lift is judged on."""

    requester_last_hour: int
    requester_last_day: int
    requester_last_week: int
    case_last_hour: int | None = Field(description="None for a program's use without a case")
    refused_last_day: int = Field(description="Rate-limit refusals of the requester, last 24 h")
    limit_per_user_per_hour: int | None
    limit_per_case_per_hour: int | None


class RateLimitItemOut(_Out):
    """A rate-limit lift asked of the supervisor (memo 4.B.4), with the volume to judge it."""

    kind: Literal["rate_limit_override"]
    approval: PendingApprovalOut
    volume: VolumeOut


class ReviewPeriodOut(_Out):
    """A log review period (memo 4.E.4): named by its start date, `[starts_at, ends_at)` UTC."""

    start: str = Field(description="The period's start date (YYYY-MM-DD), its name")
    days: int
    starts_at: Timestamp
    ends_at: Timestamp


class MissedReviewOut(_Out):
    """A finished period a supervisor under the caller did not sign off although their cases
    had uses, refused attempts or reads in it (memo 4.E.4)."""

    kind: Literal["log_review_missed"]
    supervisor_id: str
    supervisor: str = Field(description="The supervisor's username")
    period: ReviewPeriodOut
    entries: int = Field(description="Reviewable entries of their cases in the period")


class SupervisorQueueOut(_Out):
    """A supervisor's cases: approvals (overdue first), the overdue ones again, the overdue
    exigent approvals escalated to the caller as the next supervisor up, the rate-limit lifts
    with the requester's volume, submissions whose outcome is unknown after a crash, and
    results whose ROI entry is overdue."""

    approvals: list[PendingApprovalOut]
    overdue: list[PendingApprovalOut]
    escalated: list[PendingApprovalOut]
    rate_limits: list[RateLimitItemOut]
    outcome_unknown: list[SubmissionOut]
    roi_unfiled: list[RoiUnfiledOut]
    missed_reviews: list[MissedReviewOut] = Field(
        default=[], description="Log reviews the supervisors under the caller missed (4.E.4)"
    )


class ProviderOut(_Out):
    """An FRS provider, its terms and OSDM's review of it."""

    id: str
    name: str
    kind: ProviderKind
    review_status: ReviewStatus
    match_types: list[str]
    candidate_cap: int
    law_enforcement_use: bool
    terms_ref: str
    reviewed_by: str | None
    # The structured review just recorded (absent from the queue and from a re-review).
    review: ProviderReviewOut | None = None


class OsdmQueueOut(_Out):
    """FRS providers waiting for OSDM's review."""

    providers: list[ProviderOut]


class ProviderTlsOut(_Out):
    """How FRS Gate reaches the provider over TLS (paths on the gateway's host)."""

    verify: bool
    ca_bundle: str | None
    client_cert: str | None
    client_key: str | None


class ProviderTermsOut(_Out):
    """The terms that bind the provider's use (memo 4.C.4)."""

    match_types: list[str]
    candidate_cap: int
    law_enforcement_use: bool
    edited_probes_allowed: bool
    terms_ref: str


class AccuracyEvidenceOut(_Out):
    source: str
    reference: str
    summary: str


class ProviderReviewOut(_Out):
    """OSDM's structured review of an FRS (memo 4.C.1-4.C.3, fn1)."""

    id: str
    provider_id: str
    decision: ReviewStatus
    reviewer_id: str
    decided_at: Timestamp
    capabilities: str
    terms: ProviderTermsOut
    accuracy_evidence: list[AccuracyEvidenceOut]
    demographic_differentials: str
    data_handling: str
    retention: str
    rationale: str


class ProviderRecordOut(_Out):
    """A provider as an administrator keeps it; the API key only as its fingerprint."""

    id: str
    name: str
    kind: ProviderKind
    base_url: str | None
    tls: ProviderTlsOut
    api_key_fingerprint: str | None
    registered_by: str | None
    terms: ProviderTermsOut
    review_status: ReviewStatus
    reviewed_by: str | None
    reviewed_at: Timestamp | None
    review_note: str | None
    created_at: Timestamp


class ProviderDetailOut(ProviderRecordOut):
    """One provider with OSDM's reviews of it, oldest first."""

    reviews: list[ProviderReviewOut]


class ProviderRecordListOut(_Out):
    providers: list[ProviderRecordOut]


class ProviderCheckOut(_Out):
    """A connectivity check of the provider's health route, through its connector."""

    provider_id: str
    name: str
    ok: bool
    reason: str
    database: str | None
    match_types: list[str]


# --- policy -------------------------------------------------------------------------------


class PolicyPackOut(_Out):
    """The loaded policy pack."""

    id: str
    version: str
    sha256: Sha256Hex
    active: bool


class PolicyActivationOut(_Out):
    """The request to IGP to approve the loaded pack."""

    approval: ApprovalOut
    pack: PolicyPackOut


# --- the ledger contract (docs/audit-log-format.md; frsgate.ledger.http) -------------------


class CheckpointOut(_Out):
    """A signed C2SP checkpoint of the log."""

    origin: str
    tree_size: int
    root: Base64
    note: str = Field(description="The signed note (C2SP signed-note), verbatim")


class LedgerEntryOut(_Out):
    """One entry: its canonical JSON text and its RFC 9162 leaf hash."""

    seq: int
    entry: str
    leaf_hash: Base64


class LedgerEntriesOut(_Out):
    """Entries with start <= seq < end."""

    start: int
    end: int
    tree_size: int
    entries: list[LedgerEntryOut]


class InclusionProofOut(_Out):
    """RFC 9162 inclusion proof of one leaf in the tree of `tree_size` leaves."""

    leaf_index: int
    tree_size: int
    hashes: list[Base64]


class ConsistencyProofOut(_Out):
    """RFC 9162 consistency proof that the tree of `first_size` leaves is a prefix of the
    tree of `tree_size` leaves."""

    first_size: int
    tree_size: int
    hashes: list[Base64]


class CaseLedgerEntryOut(_Out):
    """One entry of a case: its canonical JSON text, leaf hash and inclusion proof against the
    page's checkpoint."""

    seq: int
    entry: str
    leaf_hash: Base64
    proof: InclusionProofOut


class CaseLedgerOut(_Out):
    """A page of one case's ledger entries (memo 4.E.4), with a signed checkpoint that covers
    them; `next_cursor` is the `cursor` of the next page (None: this is the last)."""

    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)

    case: str = Field(description="The case number")
    from_: str | None = Field(alias="from", description="As asked: a date or RFC 3339 time")
    to: str | None
    cursor: int | None
    next_cursor: int | None
    checkpoint: CheckpointOut
    entries: list[CaseLedgerEntryOut]


# --- administration: accounts ----------------------------------------------------------------


class UserOut(_Out):
    """A user account: who signs in (username, e-mail, OIDC identity), their roles, status
    and front-line supervisor (memo 4.E.4)."""

    id: str
    username: str
    display_name: str
    office: str | None
    email: str | None
    roles: list[Role]
    status: Literal["active", "disabled"]
    supervisor: str | None = Field(description="The supervisor's username")
    supervisor_id: str | None
    oidc_issuer: str | None
    oidc_subject: str | None
    created_at: Timestamp


class UserListOut(_Out):
    users: list[UserOut]


# --- administration: PALMS certifications (memo 4.A.3) -----------------------------------


class CertificationOut(_Out):
    """A PALMS certification on file: its dates (null: not made), until when it runs, and
    whether it is current now (`missing` says what keeps it from being so)."""

    id: str
    user_id: str
    username: str
    course: str
    course_id: str | None
    palms_reference: str | None
    training_completed_at: Timestamp | None
    best_practices_attested_at: Timestamp | None
    safeguards_attested_at: Timestamp | None
    expires_at: Timestamp
    recorded_at: Timestamp
    recorded_by: str | None
    current: bool
    missing: list[str]


class CertificationListOut(_Out):
    certifications: list[CertificationOut]


class CertificationImportOut(_Out):
    """What an import did: the file's SHA-256, its rows, how many were new (listed) and how
    many the store already held (unchanged)."""

    sha256: Sha256Hex
    rows: int
    new: int
    unchanged: int
    certifications: list[CertificationOut] = Field(description="The new certifications")


# --- administration: cases, programs, FRS program codes (memo 4.A.1, 4.E.3) ---------------


class CaseOut(_Out):
    """A case: an HSI investigation an FRS use may serve while it is open (memo 4.A.1).
    People are named by username."""

    id: str
    number: str
    title: str
    statutory_authority: str
    violation_codes: list[str]
    under_hsi_authority: bool = Field(description="Stated when the case is opened (memo 1, 3)")
    status: CaseStatus
    supervisor: str | None = Field(description="The lead supervisor (the first of supervisors)")
    supervisors: list[str] = Field(
        description="Who supervises the case and decides its approvals, the lead first"
    )
    assigned: list[str] = Field(description="The agents and examiners who work the case")
    opened_by: str | None
    created_at: Timestamp
    closed_at: Timestamp | None


class CaseListOut(_Out):
    cases: list[CaseOut]


class ProgramOut(_Out):
    """A program or task force and its privacy/civil-rights assessment: a purpose for FRS
    use only once IGP approved that assessment (`status` assessed; memo 4.A.1)."""

    id: str
    code: str
    name: str
    kind: ProgramKind
    status: ProgramStatus
    assessment_ref: str = Field(description="The assessment document on record")
    assessment_approved_by: str | None
    assessment_approved_at: Timestamp | None
    use_without_case: bool
    supervisor: str | None
    members: list[str]
    registered_by: str | None
    created_at: Timestamp


class ProgramListOut(_Out):
    programs: list[ProgramOut]


class ProgramCodeOut(_Out):
    """An FRS program code OSDM established (memo 4.E.3); a submission must name one that is
    valid when it is made."""

    code: str
    description: str
    established_by: str
    valid_from: Timestamp
    valid_until: Timestamp | None
    valid_now: bool
    created_at: Timestamp


class ProgramCodeListOut(_Out):
    program_codes: list[ProgramCodeOut]


# --- the responses= of the routes ----------------------------------------------------------

Responses = dict[int | str, dict[str, Any]]

_ERRORS: dict[int, dict[str, Any]] = {
    400: {
        "model": ErrorOut,
        "description": "The body cannot be parsed at all: JSON that is not UTF-8, or a "
        "malformed multipart form (nothing is recorded; a readable body with a wrong field "
        "is a 422)",
    },
    401: {
        "model": ErrorOut,
        "description": "No bearer token, or one that is not valid",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    403: {
        "model": ErrorOut,
        "description": "Refused: by the policy pack (`decision.citations` names the memo "
        "sections), or the act is not the caller's to do (nobody decides their own request)",
    },
    404: {"model": ErrorOut, "description": "No such record (or not one the caller may know)"},
    409: {
        "model": ErrorOut,
        "description": "A conflict with the record's state or an Idempotency-Key; or a read "
        "held for an approval (`awaiting` names the approval requests it waits for)",
    },
    413: {
        "model": ErrorOut,
        "description": "The body is over the route's size limit (the message names it); "
        "refused before the body is read or the token is checked (nothing is recorded)",
    },
    422: {
        "model": ErrorOut,
        "description": "Malformed input: `problems` names each field (nothing is recorded)",
    },
    429: {
        "model": ErrorOut,
        "description": "Past a rate limit (memo 4.B.4); a supervisor is told",
        "headers": {
            "Retry-After": {
                "description": "Seconds until the window allows another submission",
                "schema": {"type": "integer"},
            }
        },
    },
    503: {
        "model": ErrorOut,
        "description": "The audit ledger cannot be written (the disk is full, the database is "
        "read-only, or a lock or statement timed out; the message names which) or the identity "
        "provider cannot be reached: nothing was done. Retry later; service resumes by itself",
        "headers": {
            "Retry-After": {
                "description": "Seconds after which a retry may succeed (a ledger fault)",
                "schema": {"type": "integer"},
            }
        },
    },
}


def error_responses(*statuses: int) -> Responses:
    """The error responses of a route: 401, 403, 422 and 503 (every act and logged read writes
    the ledger, which may be unavailable), which every `/api/v1` route can answer, and
    `statuses` besides (404 for an id, 409, 413 for a route that takes a body, 429). A route
    that takes a body (413) can also answer 400: a body it cannot parse at all."""
    body = {400} if 413 in statuses else set()
    return {status: _ERRORS[status] for status in sorted({401, 403, 422, 503, *body, *statuses})}


def json_response(model: type[BaseModel], description: str) -> dict[str, Any]:
    """A JSON success response, for routes that answer a `JSONResponse` themselves."""
    return {"model": model, "description": description}


_BINARY = {"schema": {"type": "string", "format": "binary"}}


def image_response(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A 200 whose body is a JPEG or PNG image."""
    response: dict[str, Any] = {
        "description": description,
        "content": {"image/jpeg": _BINARY, "image/png": _BINARY},
    }
    if headers:
        response["headers"] = headers
    return response
