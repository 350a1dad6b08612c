"""Activating a policy pack version: requested by an administrator or the privacy office,
approved by another IGP user, recorded in the ledger (memo fn2; DESIGN "Who uses it": igp
approves policy-pack versions).

A pack's identity is its id and the SHA-256 of its files. Until the pack the service loaded has
an approved activation on record, the gate denies every act except the activation itself,
citing fn2: a changed rule never takes effect unreviewed.
"""

from __future__ import annotations

from frsgate.domain import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    Role,
)
from frsgate.domain.values import new_id
from frsgate.errors import Conflict, PermissionDenied
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.engine import PolicyPack
from frsgate.services.gate import Caller, draft
from frsgate.services.runtime import Runtime
from frsgate.store.unit import UnitOfWork, read_only, unit_of_work

COMPONENT = "services.policy_admin"


def pack_subject(pack: PolicyPack) -> str:
    return f"{pack.id}@{pack.sha256}"


def activation_of(uow: UnitOfWork, pack: PolicyPack) -> Approval | None:
    """The approved activation of exactly this pack version, if any."""
    for approval in uow.approvals.for_subject(ApprovalSubject.policy_pack, pack_subject(pack)):
        if approval.status is ApprovalStatus.approved:
            return approval
    return None


def is_active(runtime: Runtime) -> bool:
    with read_only(runtime.engine) as uow:
        return activation_of(uow, runtime.policy) is not None


def request_activation(runtime: Runtime, caller: Caller, *, reason: str) -> Approval:
    """Ask IGP to approve the loaded pack version; admins and IGP users may ask."""
    if not caller.user.roles & {Role.admin, Role.igp}:
        raise PermissionDenied("only an administrator or the privacy office may request activation")
    pack = runtime.policy
    with read_only(runtime.engine) as uow:
        existing = uow.approvals.for_subject(ApprovalSubject.policy_pack, pack_subject(pack))
    for a in existing:
        if a.status in (ApprovalStatus.pending, ApprovalStatus.approved):
            raise Conflict(
                f"pack {pack.id} {pack.sha256[:12]} already has a {a.status.value} activation "
                f"request ({a.id})"
            )
    approval = Approval(
        id=new_id("approval"),
        kind=ApprovalKind.policy_pack_activation,
        subject_kind=ApprovalSubject.policy_pack,
        subject_id=pack_subject(pack),
        requester_id=caller.user_id,
        reason=reason,
        requested_at=runtime.now(),
    )
    entry = draft(
        caller,
        EventTag.APPROVAL_REQUEST_CREATE,
        subject=f"approval:{approval.id}",
        component=COMPONENT,
        details={
            "kind": approval.kind.value,
            "pack": pack.id,
            "version": pack.version,
            "sha256": pack.sha256,
            "approver_role": Role.igp.value,
        },
    )
    with unit_of_work(runtime.engine) as uow:
        uow.approvals.add(approval)
        runtime.ledger.append_in(uow.conn, [entry])
    return approval


def activation_draft(runtime: Runtime, caller: Caller, approval: Approval) -> EntryDraft | None:
    """After IGP approved: the activation's ledger entry naming the pack and its hash, or None
    when the approval is for another version than the one loaded (it takes effect when that
    version is loaded)."""
    pack = runtime.policy
    if approval.subject_id != pack_subject(pack):
        return None
    return draft(
        caller,
        EventTag.POLICY_PACK_ACTIVATE,
        subject=f"policy_pack:{pack.id}",
        component=COMPONENT,
        details={
            "pack": pack.id,
            "version": pack.version,
            "sha256": pack.sha256,
            "approval": approval.id,
            "requested_by": approval.requester_id,
        },
    )
