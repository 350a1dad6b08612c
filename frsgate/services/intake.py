"""Probe intake: check the request, ask the policy, validate and seal the image, store it.

Order matters. Shape checks come first (an unknown capture source word, an image that is not
one still photo of one face), so malformed input is refused with a message that names the
problem and nothing is recorded. Everything the memo governs — who the photo depicts, a live
or surveillance source, a composite, the lawful basis, the traditional means tried, the
attestation and the justification — is then decided by the policy through the decision point,
cited and on the ledger; a denial stores nothing more. Only an allowed (or waiting) probe is
sealed and stored, with its record, in the decision's transaction. A witness probe or a
flagged justification is stored awaiting a supervisor of the case (memo 4.B.2, 4.B.3) with an
approval request in the supervisor's queue.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from frsgate.domain import (
    Approval,
    ApprovalSubject,
    CaptureSource,
    ImageEdit,
    Probe,
    ProbeImage,
    ProbeStatus,
    RefusedCaptureSource,
    RefusedImageEdit,
    SubjectRole,
)
from frsgate.domain.errors import InvalidEntity
from frsgate.domain.values import new_id
from frsgate.errors import NotFound, ValidationFailed
from frsgate.ledger import EntryDraft, EventTag, Outcome
from frsgate.policy.decision import Decision
from frsgate.policy.decision import Outcome as DecisionOutcome
from frsgate.policy.facts import Action, Resource, ResourceKind
from frsgate.services import facts, lookup, purposes
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.services.purposes import Purpose
from frsgate.services.records import approval_request_draft
from frsgate.store.unit import UnitOfWork, unit_of_work
from frsgate.vault import ImageLimits, KeyEncryptionKey, probe_aad, seal
from frsgate.vault.images import validate_and_reencode

COMPONENT = "services.intake"


@dataclass(frozen=True, slots=True)
class ProbeRequest:
    """What the collector states about a probe photo (memo 2, 4.A.2, 4.B)."""

    case: str | None  # case id or case number; None: the program's own use (memo 4.A.1)
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


def _read_source(value: str) -> CaptureSource | RefusedCaptureSource:
    """The capture source as stated; live and surveillance sources are kept so the policy
    refuses them with its citation (memo 4.B.4). An unknown word is a shape error."""
    for enum in (CaptureSource, RefusedCaptureSource):
        if value in enum.__members__:
            return enum(value)
    known = ", ".join([*CaptureSource, *RefusedCaptureSource])
    raise InvalidEntity("probe", "capture_source", f"{value!r} is not one of {known}")


def _read_edit(value: str) -> ImageEdit | RefusedImageEdit:
    """The image edit as stated; composites, sketches and lookalikes are refused by the
    policy (memo 2: a probe photo is an isolated facial image)."""
    for enum in (ImageEdit, RefusedImageEdit):
        if value in enum.__members__:
            return enum(value)
    known = ", ".join([*ImageEdit, *RefusedImageEdit])
    raise InvalidEntity("probe", "image_edit", f"{value!r} is not one of {known}")


def _record_refused_image(
    gate: Gate, caller: Caller, request: ProbeRequest, image: bytes, reason: str
) -> None:
    with unit_of_work(gate.engine) as uow:
        try:
            case = lookup.case(uow, request.case) if request.case else None
        except NotFound:
            case = None  # the refusal of the image is recorded all the same
        gate.record(
            uow,
            [
                draft(
                    caller,
                    EventTag.PROBE_INTAKE_REFUSE,
                    outcome=Outcome.DENIED,
                    action=Action.probe_create,
                    subject="probe:refused",
                    component=COMPONENT,
                    case=case.number if case is not None else None,
                    program_code=request.program_code or None,
                    details={
                        "reason": reason[:500],
                        "received_sha256": hashlib.sha256(image).hexdigest(),
                        "received_size": len(image),
                        "case_ref": request.case,
                    },
                )
            ],
        )


def create_probe(
    *,
    gate: Gate,
    kek: KeyEncryptionKey,
    limits: ImageLimits,
    caller: Caller,
    request: ProbeRequest,
    image: bytes,
) -> ProbeResult:
    """Take in one probe photo for a case; returns the stored probe and the decision."""
    capture_source = _read_source(request.capture_source)
    image_edit = _read_edit(request.image_edit)
    # The image is checked before anything is decided: a refused image names its problem
    # (422), stores nothing, and is on the ledger with its reason and the SHA-256 of the bytes
    # received (never the bytes).
    try:
        clean = validate_and_reencode(image, limits=limits)
    except ValidationFailed as refused:
        _record_refused_image(gate, caller, request, image, refused.message)
        raise
    probe_id = new_id("probe")
    stated = facts.probe(
        subject_role=request.subject_role,
        capture_source=capture_source,
        lawful_basis=request.lawful_basis,
        traditional_means=request.traditional_means,
        other_methods_exhausted=request.other_methods_exhausted,
        attestation=request.attestation,
        justification=request.justification,
        image_edit=image_edit,
    )
    where: list[Purpose] = []

    def ask(uow: UnitOfWork) -> Ask:
        # The caller's row first, as a submission takes it (then its case's): one order of
        # locks for both acts. (bench/crash.py found a deadlock when a probe's foreign-key
        # checks met a submission's FOR UPDATE of the same rows in the other order; row locks
        # are FOR NO KEY UPDATE now, which such checks do not wait for, and the order stays.)
        uow.users.lock(caller.user_id)
        purpose = purposes.stated(uow, case_ref=request.case, program_code=request.program_code)
        where.append(purpose)
        return Ask(
            action=Action.probe_create,
            resource=Resource(kind=ResourceKind.probe, id=probe_id, owner_id=caller.user_id),
            contexts=[purpose.context(probe=stated)],
            subject=f"probe:{probe_id}",
            component=COMPONENT,
            case=purpose.case_number,
            program_code=request.program_code or None,
            details={
                "purpose": purpose.ref,
                "probe_sha256": clean.sha256,
                "original_sha256": clean.original_sha256,
                "subject_role": request.subject_role,
                "capture_source": capture_source.value,
                "edit": image_edit.value,
            },
        )

    def store(uow: UnitOfWork, ruling: Ruling) -> tuple[ProbeResult, list[EntryDraft]]:
        # Allowed, or waiting for a supervisor (witness 4.B.2, flagged justification 4.B.3):
        # only then are the stated values parsed into a probe.
        purpose = where[0]
        waiting = ruling.decision.decision is DecisionOutcome.needs_approval
        at = gate.now()
        # The policy refuses live sources and composites, so an allowed probe has neither.
        assert isinstance(capture_source, CaptureSource)
        assert isinstance(image_edit, ImageEdit)
        probe = Probe(
            id=probe_id,
            case_id=purpose.case.id if purpose.case is not None else None,
            program_code=request.program_code or None,
            submitted_by=caller.user_id,
            subject_role=SubjectRole(request.subject_role),
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
            status=ProbeStatus.pending_approval if waiting else ProbeStatus.active,
            created_at=at,
        )
        approvals = [
            Approval(
                id=new_id("approval"),
                kind=facts.approval_kind_for_cure(name),
                subject_kind=ApprovalSubject.probe,
                subject_id=probe_id,
                case_id=purpose.case.id if purpose.case is not None else None,
                program_id=purpose.program_id,
                requester_id=caller.user_id,
                assigned_to=purpose.approver_for(caller.user),
                reason=request.justification,
                requested_at=at,
            )
            for name in (ruling.decision.approvals if waiting else ())
        ]
        sealed = seal(clean.data, kek=kek, associated_data=probe_aad(probe_id))
        drafts = [
            draft(
                caller,
                EventTag.PROBE_RECORD_CREATE,
                action=Action.probe_create,
                subject=f"probe:{probe_id}",
                component=COMPONENT,
                case=purpose.case_number,
                program_code=request.program_code or None,
                details={
                    "purpose": purpose.ref,
                    "probe_sha256": clean.sha256,
                    "original_sha256": clean.original_sha256,
                    "subject_role": probe.subject_role.value,
                    "capture_source": capture_source.value,
                    "status": probe.status.value,
                    "media_type": clean.media_type,
                    "width": clean.width,
                    "height": clean.height,
                    "approval_ids": [a.id for a in approvals],
                },
            )
        ]
        number = purpose.case_number
        drafts += [approval_request_draft(gate, caller, a, number, COMPONENT) for a in approvals]
        uow.probes.add(probe)
        uow.probes.add_image(
            ProbeImage(probe_id=probe_id, sealed=sealed.to_bytes(), key_ref=kek.kek_id_hex)
        )
        for approval in approvals:
            uow.approvals.add(approval)
        return ProbeResult(probe=probe, decision=ruling.decision, approvals=approvals), drafts

    return gate.enforce(caller, ask=ask, act=store, wait=store).result
