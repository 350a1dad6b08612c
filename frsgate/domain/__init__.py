"""The pure domain model of the memo: entities and explicit state machines (no web, no SQL).

Entities are mutable dataclasses (slots, keyword-only). A lifecycle change is a method on the
entity that asks the entity's `StateMachine` for the next state and then sets it, together with
the fields that go with it (who decided, when); an act the table does not allow raises
`IllegalTransition` naming the entity, the state and the act, and changes nothing. Ids are
strings with a readable prefix (`new_id("case")`), times are aware UTC datetimes.

This package imports nothing else of FRS Gate.
"""

from typing import Any

from frsgate.domain.approvals import (
    APPROVAL_MACHINE,
    Approval,
    ApprovalAct,
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
)
from frsgate.domain.cases import (
    CASE_MACHINE,
    PROGRAM_MACHINE,
    Case,
    CaseAct,
    CaseStatus,
    FrsProgramCode,
    Program,
    ProgramAct,
    ProgramKind,
    ProgramStatus,
)
from frsgate.domain.errors import (
    DomainError,
    IllegalTransition,
    InvalidEntity,
    RefusedValue,
    SelfApproval,
)
from frsgate.domain.leads import (
    LEAD_MACHINE,
    ROI_MACHINE,
    Corroboration,
    Lead,
    LeadAct,
    LeadStatus,
    RoiAct,
    RoiEntry,
    RoiStatus,
    Share,
    ShareAuthorityKind,
)
from frsgate.domain.people import USER_MACHINE, Certification, User, UserAct, UserStatus
from frsgate.domain.probes import (
    PROBE_MACHINE,
    CaptureSource,
    ImageEdit,
    Probe,
    ProbeAct,
    ProbeImage,
    ProbeStatus,
    RefusedCaptureSource,
    RefusedImageEdit,
    SubjectRole,
    initial_probe_status,
    parse_capture_source,
    parse_image_edit,
)
from frsgate.domain.providers import (
    PROVIDER_REVIEW_MACHINE,
    MatchType,
    Provider,
    ProviderKind,
    ProviderTerms,
    ReviewAct,
    ReviewStatus,
)
from frsgate.domain.results import (
    CANDIDATE_LIST_MACHINE,
    LEAD_ONLY_NOTICE,
    Candidate,
    CandidateImage,
    CandidateList,
    CandidateListAct,
    CandidateListStatus,
    Disposition,
    DispositionKind,
    Examination,
    ExaminationConclusion,
    parse_disposition_kind,
)
from frsgate.domain.roles import Role
from frsgate.domain.statemachine import StateMachine
from frsgate.domain.submissions import (
    SUBMISSION_MACHINE,
    Submission,
    SubmissionAct,
    SubmissionStatus,
)
from frsgate.domain.values import new_id, utc_now

# Every lifecycle of the model, for tests, documentation and the ledger's event catalogue.
MACHINES: tuple[StateMachine[Any, Any], ...] = (
    USER_MACHINE,
    CASE_MACHINE,
    PROGRAM_MACHINE,
    PROVIDER_REVIEW_MACHINE,
    PROBE_MACHINE,
    SUBMISSION_MACHINE,
    APPROVAL_MACHINE,
    CANDIDATE_LIST_MACHINE,
    LEAD_MACHINE,
    ROI_MACHINE,
)

__all__ = [
    "APPROVAL_MACHINE",
    "CANDIDATE_LIST_MACHINE",
    "CASE_MACHINE",
    "LEAD_MACHINE",
    "LEAD_ONLY_NOTICE",
    "MACHINES",
    "PROBE_MACHINE",
    "PROGRAM_MACHINE",
    "PROVIDER_REVIEW_MACHINE",
    "ROI_MACHINE",
    "SUBMISSION_MACHINE",
    "USER_MACHINE",
    "Approval",
    "ApprovalAct",
    "ApprovalKind",
    "ApprovalStatus",
    "ApprovalSubject",
    "Candidate",
    "CandidateImage",
    "CandidateList",
    "CandidateListAct",
    "CandidateListStatus",
    "CaptureSource",
    "Case",
    "CaseAct",
    "CaseStatus",
    "Certification",
    "Corroboration",
    "Disposition",
    "DispositionKind",
    "DomainError",
    "Examination",
    "ExaminationConclusion",
    "FrsProgramCode",
    "IllegalTransition",
    "ImageEdit",
    "InvalidEntity",
    "Lead",
    "LeadAct",
    "LeadStatus",
    "MatchType",
    "Probe",
    "ProbeAct",
    "ProbeImage",
    "ProbeStatus",
    "Program",
    "ProgramAct",
    "ProgramKind",
    "ProgramStatus",
    "Provider",
    "ProviderKind",
    "ProviderTerms",
    "RefusedCaptureSource",
    "RefusedImageEdit",
    "RefusedValue",
    "ReviewAct",
    "ReviewStatus",
    "RoiAct",
    "RoiEntry",
    "RoiStatus",
    "Role",
    "SelfApproval",
    "Share",
    "ShareAuthorityKind",
    "StateMachine",
    "SubjectRole",
    "Submission",
    "SubmissionAct",
    "SubmissionStatus",
    "User",
    "UserAct",
    "UserStatus",
    "initial_probe_status",
    "new_id",
    "parse_capture_source",
    "parse_disposition_kind",
    "parse_image_edit",
    "utc_now",
]
