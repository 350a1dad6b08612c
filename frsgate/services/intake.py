"""Probe intake: check the request, ask the policy, validate and seal the image, store it.

Order matters. Field and image checks come first, so bad input is refused with a message that
names the problem and nothing is stored. Then the policy decides (and the decision is on the
ledger); a denial stores nothing more. Only then is the image sealed and the probe stored, after
its ledger entry is durable. A witness probe or a flagged justification is stored awaiting a
supervisor (memo 4.B.2, 4.B.3) with an approval request in the supervisor's queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from frsgate.domain import (
    Approval,
    ApprovalSubject,
    CaptureSource,
    ImageEdit,
    Probe,
    ProbeImage,
    ProbeStatus,
    SubjectRole,
    parse_capture_source,
    parse_image_edit,
)
from frsgate.domain.errors import InvalidEntity
from frsgate.domain.values import new_id
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.decision import Decision
from frsgate.policy.decision import Outcome as DecisionOutcome
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services import facts, lookup
from frsgate.services.gate import Caller, decision_draft, draft, evaluate, raise_if_denied
from frsgate.services.runtime import Runtime
from frsgate.store.unit import read_only, unit_of_work
from frsgate.vault import probe_aad, seal
from frsgate.vault.images import validate_and_reencode

COMPONENT = "services.intake"


@dataclass(frozen=True, slots=True)
class ProbeRequest:
    """What the collector states about a probe photo (memo 2, 4.A.2, 4.B)."""

    case: str  # case id or case number
    subject_role: str
    capture_source: str
    lawful_basis: str
    traditional_means: str
    attestation: bool
    justification: str
    image_edit: str = "none"
    other_methods_exhausted: str | None = None
    program_code: str | None = None


@dataclass(frozen=True, slots=True)
class ProbeResult:
    probe: Probe
    decision: Decision
    approvals: list[Approval] = field(default_factory=list)


def _parse_role(value: str) -> SubjectRole:
    try:
        return SubjectRole(value)
    except ValueError:
        known = ", ".join(SubjectRole)
        raise InvalidEntity("probe", "subject_role", f"{value!r} is not one of {known}") from None


def create_probe(
    runtime: Runtime, caller: Caller, request: ProbeRequest, image: bytes
) -> ProbeResult:
    """Take in one probe photo for a case; returns the stored probe and the decision."""
    subject_role = _parse_role(request.subject_role)
    capture_source: CaptureSource = parse_capture_source(request.capture_source)  # memo 4.B.4
    image_edit: ImageEdit = parse_image_edit(request.image_edit)  # memo 2: no composites
    for name in ("lawful_basis", "traditional_means", "justification"):
        if not getattr(request, name).strip():
            raise InvalidEntity("probe", name, "is required")

    with read_only(runtime.engine) as uow:
        case = lookup.case(uow, request.case)
        program = lookup.program(uow, request.program_code)
    clean = validate_and_reencode(image, limits=runtime.image_limits)

    probe_facts = facts.probe(
        subject_role=subject_role.value,
        capture_source=capture_source,
        traditional_means=request.traditional_means,
        other_methods_exhausted=request.other_methods_exhausted,
        attestation=request.attestation,
        justification=request.justification,
        image_edit=image_edit,
    )
    probe_id = new_id("probe")
    context = Context(
        case=facts.case(case),
        program=facts.program(program, request.program_code),
        probe=probe_facts,
    )
    decision = evaluate(
        runtime,
        caller,
        Action.probe_create,
        Resource(kind=ResourceKind.probe, id=probe_id, owner_id=caller.user_id),
        context,
    )
    drafts = [
        decision_draft(
            caller,
            Action.probe_create,
            decision,
            subject=f"probe:{probe_id}",
            component=COMPONENT,
            case=case.number,
            program_code=request.program_code,
            details={"probe_sha256": clean.sha256, "original_sha256": clean.original_sha256},
        )
    ]
    if decision.decision is DecisionOutcome.deny:
        runtime.ledger.append_many(drafts)  # the refusal is on the record; nothing is stored
        raise_if_denied(decision)
    at = runtime.now()
    needs_approval = decision.decision is DecisionOutcome.needs_approval
    probe = Probe(
        id=probe_id,
        case_id=case.id,
        program_code=request.program_code,
        submitted_by=caller.user_id,
        subject_role=subject_role,
        capture_source=capture_source,
        lawful_basis=request.lawful_basis,
        traditional_means=request.traditional_means,
        other_methods_exhausted=request.other_methods_exhausted,
        attestation=request.attestation,
        justification=request.justification,
        image_edit=image_edit,
        media_type=clean.media_type,
        width=clean.width,
        height=clean.height,
        original_sha256=clean.original_sha256,
        sha256=clean.sha256,
        status=ProbeStatus.pending_approval if needs_approval else ProbeStatus.active,
        created_at=at,
    )
    approvals = [
        Approval(
            id=new_id("approval"),
            kind=facts.approval_kind_for_cure(name),
            subject_kind=ApprovalSubject.probe,
            subject_id=probe_id,
            case_id=case.id,
            requester_id=caller.user_id,
            assigned_to=case.supervisor_id if case.supervisor_id != caller.user_id else None,
            reason=request.justification,
            requested_at=at,
        )
        for name in (decision.approvals if needs_approval else ())
    ]
    sealed = seal(clean.data, kek=runtime.kek, associated_data=probe_aad(probe_id))
    drafts.append(
        draft(
            caller,
            EventTag.PROBE_RECORD_CREATE,
            action=Action.probe_create,
            subject=f"probe:{probe_id}",
            component=COMPONENT,
            case=case.number,
            program_code=request.program_code,
            details={
                "probe_sha256": clean.sha256,
                "original_sha256": clean.original_sha256,
                "subject_role": subject_role.value,
                "capture_source": capture_source.value,
                "status": probe.status.value,
                "media_type": clean.media_type,
                "width": clean.width,
                "height": clean.height,
                "approval_ids": [a.id for a in approvals],
            },
        )
    )
    drafts += [_approval_request_draft(caller, a, case.number) for a in approvals]
    # The decision, the probe's record and its approval requests commit with the probe.
    with unit_of_work(runtime.engine) as uow:
        uow.probes.add(probe)
        uow.probes.add_image(
            ProbeImage(probe_id=probe_id, sealed=sealed.to_bytes(), key_ref=runtime.kek.kek_id_hex)
        )
        for approval in approvals:
            uow.approvals.add(approval)
        runtime.ledger.append_in(uow.conn, drafts)
    return ProbeResult(probe=probe, decision=decision, approvals=approvals)


def _approval_request_draft(caller: Caller, approval: Approval, case_number: str) -> EntryDraft:
    return draft(
        caller,
        EventTag.APPROVAL_REQUEST_CREATE,
        subject=f"approval:{approval.id}",
        component=COMPONENT,
        case=case_number,
        details={
            "kind": approval.kind.value,
            "subject_kind": approval.subject_kind.value,
            "subject_id": approval.subject_id,
            "approver_role": approval.approver_role.value,
            "assigned_to": approval.assigned_to,
        },
    )
