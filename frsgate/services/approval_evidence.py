"""What a decider reads beside an approval request: the request and the evidence it rests on.

A supervisor approves a witness probe (memo 4.B.2), a flagged justification (4.B.3), exigent use
of an FRS OSDM has not approved (4.C.3) or a rate-limit lift (4.B.4) on the record: the probe's
intake answers (lawful basis, traditional means tried, other methods exhausted, the attestation,
the justification) and its SHA-256, and the use it serves (case, purpose, match type, provider,
requester). `evidence` reads one approval with that record for the decider's page.

It is decided exactly as deciding the approval is (`services.approvals.ask_to_decide`:
`approval.decide`, or IGP's `policy_pack.activate` / `log_format.approve`), so only someone the
pack lets decide the request reads what it rests on, and a refusal cites the rule that refuses
(another case's supervisor: `approval.case_supervisor`; the requester: `approval.*_not_own`).
The decision entry says `read` (nothing was decided), and the read itself is recorded as what
a decider was shown (`queue:items:read`, with the probes' SHA-256). Like a queue read and a
decision, it first records an escalation that is due (`services.escalation`). Seeing the probe
photo is a further read of its own (`services.reads.probe_image`, `probe_image.view`).

`directory` gives the names a queue shows beside ids (usernames, provider names, case numbers):
an unrecorded lookup of labels, never of case data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from frsgate.domain import (
    Approval,
    ApprovalKind,
    ApprovalSubject,
    Probe,
    ReviewStatus,
    Submission,
)
from frsgate.ledger import EntryDraft, EventTag
from frsgate.services import escalation, queues
from frsgate.services.approvals import PendingApproval, ask_to_decide
from frsgate.services.casework import Names
from frsgate.services.gate import Ask, Caller, Gate, Ruling
from frsgate.services.submit import SubmissionLimits
from frsgate.store.unit import UnitOfWork, read_only


@dataclass(frozen=True, slots=True)
class Use:
    """A use of an FRS the approval concerns: waiting on it, or (exigent use) already made."""

    submission: Submission
    case_number: str | None
    provider_name: str
    provider_review_status: ReviewStatus


@dataclass(frozen=True, slots=True)
class ApprovalEvidence:
    """One approval as its decider reads it, with the records it rests on."""

    item: PendingApproval  # the approval, its case, overdue and escalation (as in a queue)
    purpose: str | None  # "case:<number>" or "program:<code>"
    approver_role: str | None  # who decides it, by the pack
    probes: list[Probe] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    names: Names = field(default_factory=Names)
    volume: queues.Volume | None = None  # a rate-limit lift: the requester's recent volume

    @property
    def approval(self) -> Approval:
        return self.item.approval


def evidence(
    *, gate: Gate, caller: Caller, approval_id: str, limits: SubmissionLimits | None = None
) -> ApprovalEvidence:
    """`approval_id` with what its decider decides on, for someone the pack lets decide it
    (see the module docstring); decided and recorded. `limits`: the configured rate limits,
    shown beside a rate-limit lift's volume."""
    held: list[tuple[Approval, bool]] = []

    def ask(uow: UnitOfWork) -> Ask:
        approval = uow.approvals.get(approval_id)
        escalated, drafts = escalation.observe(uow, gate, caller, [approval])
        gate.record(uow, drafts)
        is_escalated = approval.id in escalated
        held.append((approval, is_escalated))
        question = ask_to_decide(uow, caller, approval, escalated=is_escalated)
        # The decider reads the request: the same question as deciding it, marked as a read.
        return replace(question, details={**question.details, "read": True})

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[ApprovalEvidence, list[EntryDraft]]:
        approval, is_escalated = held[0]
        request = ruling.ask.contexts[0].approval_request
        item = PendingApproval(
            approval,
            ruling.ask.case,
            approval.is_overdue(gate.now()),
            escalation_due_at=escalation.due_at(gate, approval),
            escalated=is_escalated,
            escalated_to_decider=request is not None
            and request.decider_escalated
            and not request.decider_supervises,
        )
        probes, uses = _records(uow, approval)
        names = Names.read(uow, [
            approval.requester_id, approval.assigned_to, approval.approver_id,
            *(p.submitted_by for p in probes), *(u.submission.requested_by for u in uses),
        ])  # fmt: skip
        volume = (
            queues.volume_of(uow, gate, approval, limits)
            if approval.kind is ApprovalKind.rate_limit_override
            else None
        )
        role = gate.approver_role(approval.kind)
        shown = ApprovalEvidence(
            item=item,
            purpose=str(ruling.ask.details.get("purpose") or "") or None,
            approver_role=role.value if role is not None else None,
            probes=probes,
            uses=uses,
            names=names,
            volume=volume,
        )
        entry = ruling.act_entry(
            caller, EventTag.QUEUE_ITEMS_READ,
            details={"queue": "approvals", "items": 1, "approval": approval.id,
                     "probe_sha256": [p.sha256 for p in probes],
                     "submissions": [u.submission.id for u in uses]},
        )  # fmt: skip
        return shown, [entry]

    return gate.enforce(caller, ask=ask, act=read).result


def _records(uow: UnitOfWork, approval: Approval) -> tuple[list[Probe], list[Use]]:
    """The probes and uses an approval concerns: a probe's approval, the probe and the uses
    waiting on it (memo 4.B.2, 4.B.3); a use's approval, the use and its probes (4.C.3)."""
    if approval.subject_kind is ApprovalSubject.probe:
        probe = uow.probes.get(approval.subject_id)
        return [probe], [_use(uow, s) for s in uow.submissions.of_probe(probe.id)]
    if approval.subject_kind is ApprovalSubject.submission:
        sub = uow.submissions.get(approval.subject_id)
        return [uow.probes.get(pid) for pid in sub.probe_ids], [_use(uow, sub)]
    return [], []  # a rate-limit lift (user or case), a pack version, a log format


def _use(uow: UnitOfWork, sub: Submission) -> Use:
    provider = uow.providers.get(sub.provider_id)
    number = uow.cases.get(sub.case_id).number if sub.case_id else None
    return Use(sub, number, provider.name, provider.review_status)


@dataclass(frozen=True, slots=True)
class Directory:
    """Labels for ids a queue shows: usernames, provider names, case numbers."""

    users: Names = field(default_factory=Names)
    providers: Mapping[str, str] = field(default_factory=dict)
    cases: Mapping[str, str] = field(default_factory=dict)

    def user(self, user_id: str | None) -> str:
        return self.users.of(user_id) or "—"

    def provider(self, provider_id: str | None) -> str:
        return self.providers.get(provider_id or "", provider_id or "—")

    def case(self, case_id: str | None) -> str:
        return self.cases.get(case_id or "", case_id or "—")


def directory(
    gate: Gate,
    *,
    users: Iterable[str | None] = (),
    providers: Iterable[str | None] = (),
    cases: Iterable[str | None] = (),
) -> Directory:
    """The labels of the ids given (those that exist), read in one transaction."""
    with read_only(gate.engine) as uow:
        names = Names.read(uow, users)
        provider_names = {
            pid: provider.name for pid in {p for p in providers if p}
            if (provider := uow.providers.find(pid)) is not None
        }  # fmt: skip
        numbers = {
            cid: case.number for cid in {c for c in cases if c}
            if (case := uow.cases.find(cid)) is not None
        }  # fmt: skip
    return Directory(names, provider_names, numbers)
