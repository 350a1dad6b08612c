"""The typed request model of a policy decision: who asks, to do what, to what, in which situation.

The services layer fills these frozen dataclasses from the domain and calls
`PolicyPack.decide(principal, action, resource, context)`. Nothing here knows Cedar: the
translation into Cedar entities and context lives in `frsgate.policy.translate`.

Fail-closed defaults: every boolean that would *permit* something defaults to False (an
attestation not stated is an attestation absent), so a fact the caller forgot to fill makes a
rule fire rather than silently pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# One vocabulary: the roles, case states, review states and approval kinds are the domain's
# own enums (the domain imports nothing, so the policy may lean on it without a cycle).
from frsgate.domain.approvals import ApprovalKind as ApprovalKind
from frsgate.domain.cases import CaseStatus as CaseStatus
from frsgate.domain.providers import ReviewStatus as ReviewStatus
from frsgate.domain.roles import Role as Role


class Action(StrEnum):
    """Every act of the system that a policy decides."""

    probe_create = "probe.create"
    submission_create = "submission.create"
    approval_decide = "approval.decide"
    provider_review = "provider.review"
    probe_image_view = "probe_image.view"
    candidates_view = "candidates.view"
    disposition_record = "disposition.record"
    examination_record = "examination.record"
    corroboration_record = "corroboration.record"
    lead_mark_enforcement_basis = "lead.mark_enforcement_basis"
    share_create = "share.create"
    export_run = "export.run"
    ledger_read = "ledger.read"
    ledger_alter = "ledger.alter"
    policy_pack_activate = "policy_pack.activate"
    policy_pack_request = "policy_pack.request"
    user_manage = "user.manage"
    queue_view = "queue.view"
    outcome_review = "outcome.review"
    submission_view = "submission.view"
    # Administration: the records the memo's duties rest on (who is trained, which cases and
    # programs are purposes, which FRS may be reached and how).
    case_manage = "case.manage"
    program_manage = "program.manage"
    program_assess = "program.assess"
    program_code_establish = "program_code.establish"
    certification_record = "certification.record"
    provider_manage = "provider.manage"
    # A monitoring system reads the service's counters (requests, decisions, dispatches).
    metrics_read = "metrics.read"
    # From candidate to lead (memo 3, 4.D, 4.E.2): a second reviewer's verification of a
    # disposition, opening and closing a lead, filing the report-of-investigation entry, and
    # recording a search a partner agency ran for a case.
    disposition_verify = "disposition.verify"
    lead_open = "lead.open"
    lead_close = "lead.close"
    roi_file = "roi.file"
    partner_search_record = "partner_search.record"
    # A case's own logs that are not FRS results (the searches partner agencies ran for it).
    case_records_view = "case_records.view"
    # The supervisor's routine review of the logs of their cases (memo 4.E.4): reading a
    # period's review, signing it off, referring findings to OPR; OPR reading the referrals
    # and recording what it found.
    log_review_read = "log_review.read"
    log_review_sign_off = "log_review.sign_off"
    log_review_refer = "log_review.refer"
    referral_view = "referral.view"
    referral_decide = "referral.decide"
    # The log format and the manner of its storage and accessibility, approved by IGP (fn2):
    # asking for the approval, deciding it, reading where it stands.
    log_format_request = "log_format.request"
    log_format_approve = "log_format.approve"
    log_format_view = "log_format.view"
    # An oversight report (memo 4.E.4, 4.E.5, fn2): the resource names which report.
    report_run = "report.run"


class ResourceKind(StrEnum):
    """What an act is done to; each action applies to exactly one kind (`RESOURCE_KIND`)."""

    probe = "probe"
    submission = "submission"
    approval = "approval"
    provider = "provider"
    candidate_list = "candidate_list"
    lead = "lead"
    share = "share"
    export = "export"
    ledger = "ledger"
    policy_pack = "policy_pack"
    account = "account"
    queue = "queue"
    case = "case"
    program = "program"
    program_code = "program_code"
    certification = "certification"
    metrics = "metrics"
    roi_entry = "roi_entry"
    partner_search = "partner_search"
    log_review = "log_review"
    referral = "referral"
    log_format = "log_format"
    report = "report"


RESOURCE_KIND: dict[Action, ResourceKind] = {
    Action.probe_create: ResourceKind.probe,
    Action.submission_create: ResourceKind.submission,
    Action.approval_decide: ResourceKind.approval,
    Action.provider_review: ResourceKind.provider,
    Action.probe_image_view: ResourceKind.probe,
    Action.candidates_view: ResourceKind.candidate_list,
    Action.disposition_record: ResourceKind.candidate_list,
    Action.examination_record: ResourceKind.candidate_list,
    Action.corroboration_record: ResourceKind.lead,
    Action.lead_mark_enforcement_basis: ResourceKind.lead,
    Action.share_create: ResourceKind.share,
    Action.export_run: ResourceKind.export,
    Action.ledger_read: ResourceKind.ledger,
    Action.ledger_alter: ResourceKind.ledger,
    Action.policy_pack_activate: ResourceKind.policy_pack,
    Action.policy_pack_request: ResourceKind.policy_pack,
    Action.user_manage: ResourceKind.account,
    Action.queue_view: ResourceKind.queue,
    Action.outcome_review: ResourceKind.submission,
    Action.submission_view: ResourceKind.submission,
    Action.case_manage: ResourceKind.case,
    Action.program_manage: ResourceKind.program,
    Action.program_assess: ResourceKind.program,
    Action.program_code_establish: ResourceKind.program_code,
    Action.certification_record: ResourceKind.certification,
    Action.provider_manage: ResourceKind.provider,
    Action.metrics_read: ResourceKind.metrics,
    Action.disposition_verify: ResourceKind.candidate_list,
    Action.lead_open: ResourceKind.lead,
    Action.lead_close: ResourceKind.lead,
    Action.roi_file: ResourceKind.roi_entry,
    Action.partner_search_record: ResourceKind.partner_search,
    Action.case_records_view: ResourceKind.case,
    Action.log_review_read: ResourceKind.log_review,
    Action.log_review_sign_off: ResourceKind.log_review,
    Action.log_review_refer: ResourceKind.log_review,
    Action.referral_view: ResourceKind.referral,
    Action.referral_decide: ResourceKind.referral,
    Action.log_format_request: ResourceKind.log_format,
    Action.log_format_approve: ResourceKind.log_format,
    Action.log_format_view: ResourceKind.log_format,
    Action.report_run: ResourceKind.report,
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The user asking. `certification_current` means the PALMS certification (memo 4.A.3) is
    on file and not expired; the three attestations are its parts."""

    user_id: str
    roles: frozenset[Role]
    training_completed: bool = False
    best_practices_attested: bool = False
    safeguards_attested: bool = False
    certification_current: bool = False
    active: bool = True


@dataclass(frozen=True, slots=True)
class Resource:
    """What the act is done to. `owner_id` is whoever made the request this act belongs to
    (the requester of an approval, of a pack activation or of a provider review; the account
    being managed; the submitter of a submission) and drives separation of duties."""

    kind: ResourceKind
    id: str
    owner_id: str | None = None


@dataclass(frozen=True, slots=True)
class CaseFacts:
    case_id: str
    status: CaseStatus
    under_hsi_authority: bool = False
    assigned_user_ids: frozenset[str] = frozenset()
    supervisor_ids: frozenset[str] = frozenset()  # every supervisor of the case (memo 4.E.4)


@dataclass(frozen=True, slots=True)
class ProgramFacts:
    """An established HSI program or task force (memo 4.A.1, second branch)."""

    code: str
    established: bool = False
    assessment_ref: str | None = None  # the privacy/civil-rights assessment of its FRS use
    use_without_case: bool = False  # the assessment covers FRS use without a case
    member_ids: frozenset[str] = frozenset()  # who works in the program or task force
    supervisor_id: str | None = None


@dataclass(frozen=True, slots=True)
class ProbeFacts:
    """Facts about the probe photo, as the collector stated them (the pack judges the statement
    itself: a subject role outside suspect/victim/witness is a cited refusal, not a parse error).
    `justification_flags` comes from `frsgate.policy.screening.screen_justification`."""

    subject_role: str
    capture_source: str = ""
    live_source: bool = False
    lawful_basis_recorded: bool = False
    isolated_facial_image: bool = False
    traditional_means_recorded: bool = False
    other_methods_exhausted: bool = False
    attestation_present: bool = False
    justification_present: bool = False
    justification_flags: frozenset[str] = frozenset()
    edited: bool = False
    composite: bool = False


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """An FRS provider: OSDM's review and the provider's own terms (memo 4.C.4)."""

    provider_id: str
    review_status: ReviewStatus = ReviewStatus.unreviewed
    law_enforcement_use_permitted: bool = False
    match_types: frozenset[str] = frozenset()
    candidate_cap: int | None = None
    accepts_edited_probes: bool = False


@dataclass(frozen=True, slots=True)
class SubmissionFacts:
    """A submission to an FRS. `used_at` is when an exigent submission reached the provider;
    it starts the deadline for a supervisor's after-the-fact approval (memo 4.C.3)."""

    match_type: str
    program_code: str | None = None
    program_code_established: bool = False  # in OSDM's registry and valid (memo 4.E.3)
    exigent: bool = False
    exigent_reason: str | None = None
    prior_approval_impracticable: bool = False
    impracticable_reason: str | None = None
    requested_candidates: int = 0
    # OSDM's review of the provider when the FRS was used (memo 4.C.3 judges the use as it
    # happened; a later approval of the provider does not excuse it). None: not recorded,
    # which is judged as unreviewed (fail closed).
    provider_review_status_at_use: ReviewStatus | None = None
    used_at: datetime | None = None
    # The exigent-use approval, once a supervisor decided it after the fact (memo 4.C.3).
    exigent_approval_denied: bool = False


@dataclass(frozen=True, slots=True)
class Grant:
    """An approval already given: who gave it, with which roles, when."""

    approver_id: str
    approver_roles: frozenset[Role]
    granted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Approvals:
    """Approvals already granted for this request, by kind (fields named as `ApprovalKind`)."""

    witness_probe: Grant | None = None
    flagged_justification: Grant | None = None
    exigent_provider: Grant | None = None


@dataclass(frozen=True, slots=True)
class ApprovalRequestFacts:
    """The approval being decided by `approval.decide` (its requester is `Resource.owner_id`),
    and the decider's relation to the case (or program) it belongs to (memo 4.E.4)."""

    kind: ApprovalKind
    decider_supervises: bool = False  # the decider supervises its case or program
    # An overdue exigent approval was escalated (the escalation is on the ledger) and the
    # decider is the next supervisor up of those who decide it (memo 4.C.3, 4.E.4).
    decider_escalated: bool = False


@dataclass(frozen=True, slots=True)
class DispositionFacts:
    """What the reviewer claims, as stated: a claim of identification is refused (4.D.2)."""

    kind: str
    comparison_recorded: bool = False  # compared with traditionally obtained information (4.D.2)
    # disposition.verify: the verifier recorded the disposition themselves (two persons, 4.D.2).
    own_disposition: bool = False


@dataclass(frozen=True, slots=True)
class CorroborationFacts:
    """The corroboration as stated; the pack names the kinds that are not independent of the
    FRS (another FRS result, a lineup or show-up built from the candidate, the examiner's own
    comparison), memo 4.D.3."""

    kind: str
    description_present: bool = False


@dataclass(frozen=True, slots=True)
class LeadFacts:
    # lead.mark_enforcement_basis: the stored lead is corroborated and at least one stored
    # corroboration of it exists (memo 4.D.3).
    corroborated: bool = False
    # lead.open: the disposition is the candidate's current one and says possible lead.
    from_possible_lead: bool = False
    # lead.open: the pack requires a second reviewer and none has verified the disposition.
    verification_pending: bool = True


@dataclass(frozen=True, slots=True)
class ShareFacts:
    recipient: str  # the recipient agency, as stated ("" when none is named)
    authority_recorded: bool = False  # statute, regulation or agreement named (memo 3)


@dataclass(frozen=True, slots=True)
class PartnerSearchFacts:
    """A search a partner agency ran for a case: who ran it and on which FRS (memo 4.E.1)."""

    partner_recorded: bool = False
    system_recorded: bool = False


@dataclass(frozen=True, slots=True)
class ExportFacts:
    external: bool = False
    authority_recorded: bool = False
    # The exporting user supervises every case whose records the export holds: a supervisor
    # exports only the cases they supervise (memo 4.E.4); OPR and IGP any.
    decider_supervises: bool = False


class LedgerScope(StrEnum):
    """What a `ledger.read` reads: the whole log (its contract routes), or one case's entries."""

    all = "all"
    case = "case"


@dataclass(frozen=True, slots=True)
class LedgerReadFacts:
    """A read of the ledger. Not stated means the whole log, the strictest scope (fail closed):
    supervisors read their own cases' entries only (memo 4.E.4), OPR and IGP all (4.E.5, fn2)."""

    scope: LedgerScope = LedgerScope.all
    decider_supervises: bool = False  # the reader supervises the case read


@dataclass(frozen=True, slots=True)
class LogReviewFacts:
    """A supervisor's review of a period's logs (memo 4.E.4), from the stored records: whose
    review it is, and whether that supervisor supervises every case the act names (the case a
    read narrows to, the entries and submissions a referral concerns)."""

    own_review: bool = False  # the review is the decider's own (they are its supervisor)
    reviewer_supervises: bool = False  # its supervisor supervises every case the act names


@dataclass(frozen=True, slots=True)
class ReferralFacts:
    """A referral to OPR (memo 4.E.4): whether the decider is the supervisor who made it."""

    own_referral: bool = False


class ChangeOp(StrEnum):
    """What an administrative act does to a record (`ChangeFacts.op`)."""

    view = "view"  # read the records (a list, one record)
    create = "create"
    update = "update"
    grant = "grant"  # a role added to an account
    revoke = "revoke"
    disable = "disable"
    enable = "enable"
    assign = "assign"  # a user added to a case or a program
    unassign = "unassign"
    close = "close"
    reopen = "reopen"
    suspend = "suspend"
    check = "check"  # a provider's connectivity check


@dataclass(frozen=True, slots=True)
class ChangeFacts:
    """An administrative change as it would leave the stored record, read from the record and
    the request together: the account's roles once changed (separation of duties), whether the
    decider supervises the case changed, whether the record is about the decider themself."""

    op: ChangeOp
    roles_after: frozenset[Role] = frozenset()
    decider_supervises: bool = False
    own_record: bool = False
    # certification.record: every row of the import names a known user, an approved course
    # and dates it may hold (memo 4.A.3); not stated means not checked, which fails closed.
    well_formed: bool = False


@dataclass(frozen=True, slots=True)
class Context:
    """The situation of the request. Fill what the action needs; `PolicyPack.decide` names a
    missing fact the action cannot be decided without. `now` defaults to the current time."""

    case: CaseFacts | None = None
    program: ProgramFacts | None = None
    probe: ProbeFacts | None = None
    provider: ProviderFacts | None = None
    submission: SubmissionFacts | None = None
    approvals: Approvals = field(default_factory=Approvals)
    approval_request: ApprovalRequestFacts | None = None
    disposition: DispositionFacts | None = None
    corroboration: CorroborationFacts | None = None
    lead: LeadFacts | None = None
    share: ShareFacts | None = None
    export: ExportFacts | None = None
    partner_search: PartnerSearchFacts | None = None
    log_review: LogReviewFacts | None = None  # log_review.* (memo 4.E.4)
    referral: ReferralFacts | None = None  # referral.view
    queue: str | None = None  # which queue `queue.view` reads
    ledger: LedgerReadFacts = field(default_factory=LedgerReadFacts)  # what `ledger.read` reads
    report: str | None = None  # which report `report.run` runs (supervisor, opr, igp, annual)
    change: ChangeFacts | None = None  # an administrative act's change
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """One request, as a value (for batches, scenario files and `frsgate policy explain`)."""

    principal: Principal
    action: Action
    resource: Resource
    context: Context = field(default_factory=Context)
