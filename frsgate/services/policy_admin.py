"""Activating a policy pack version: requested by an administrator or the privacy office,
approved by another IGP user, recorded in the ledger (memo fn2; DESIGN "Who uses it": igp
approves policy-pack versions).

A pack's identity is its id and the SHA-256 of its files. Until the pack the service loaded has
an approved activation on record, the gate denies every act except the activation itself,
citing fn2: a changed rule never takes effect unreviewed. Who may ask is the pack's rule
`duty.policy_pack_request`; who may approve, `pack.igp_only` and `pack.not_own_request`.
"""

from __future__ import annotations

from frsgate.domain import Approval, ApprovalKind, ApprovalStatus, ApprovalSubject
from frsgate.domain.values import new_id
from frsgate.errors import Conflict
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services.activation import pack_subject
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.policy_admin"


def request_activation(*, gate: Gate, caller: Caller, reason: str) -> Approval:
    """Ask IGP to approve the loaded pack version (decided: `policy_pack.request`)."""
    pack = gate.policy
    subject = pack_subject(pack)

    def ask(uow: UnitOfWork) -> Ask:
        return Ask(
            action=Action.policy_pack_request,
            resource=Resource(kind=ResourceKind.policy_pack, id=subject, owner_id=caller.user_id),
            contexts=[Context()],
            subject=f"policy_pack:{pack.id}",
            component=COMPONENT,
            details={"pack": pack.id, "version": pack.version, "sha256": pack.sha256},
        )

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[Approval, list[EntryDraft]]:
        approval = open_igp_request(
            uow, gate, caller, ApprovalKind.policy_pack_activation, ApprovalSubject.policy_pack,
            subject, reason, what=f"pack {pack.id} {pack.sha256[:12]}", request="activation",
        )  # fmt: skip
        entry = draft(
            caller,
            EventTag.APPROVAL_REQUEST_CREATE,
            action=Action.policy_pack_request,
            subject=f"approval:{approval.id}",
            component=COMPONENT,
            details={
                "kind": approval.kind.value,
                "pack": pack.id,
                "version": pack.version,
                "sha256": pack.sha256,
                "approver_role": _role_value(gate, approval),
            },
        )
        return approval, [entry]

    return gate.enforce(caller, ask=ask, act=act).result


def open_igp_request(
    uow: UnitOfWork,
    gate: Gate,
    caller: Caller,
    kind: ApprovalKind,
    subject_kind: ApprovalSubject,
    subject_id: str,
    reason: str,
    *,
    what: str,
    request: str,
) -> Approval:
    """Store a request for IGP to approve one governance subject (a pack version, the log
    format: memo fn2), once: a pending or approved request for the same subject is a 409
    naming it (`what` and `request` word the message)."""
    for a in uow.approvals.for_subject(subject_kind, subject_id):
        if a.status in (ApprovalStatus.pending, ApprovalStatus.approved):
            raise Conflict(f"{what} already has a {a.status.value} {request} request ({a.id})")
    approval = Approval(
        id=new_id("approval"),
        kind=kind,
        subject_kind=subject_kind,
        subject_id=subject_id,
        requester_id=caller.user_id,
        reason=reason,
        requested_at=gate.now(),
    )
    uow.approvals.add(approval)
    return approval


def _role_value(gate: Gate, approval: Approval) -> str | None:
    role = gate.approver_role(approval.kind)
    return role.value if role is not None else None


def activation_draft(gate: Gate, caller: Caller, approval: Approval) -> EntryDraft | None:
    """After IGP approved: the activation's ledger entry naming the pack and its hash, or None
    when the approval is for another version than the one loaded (it takes effect when that
    version is loaded)."""
    pack = gate.policy
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
