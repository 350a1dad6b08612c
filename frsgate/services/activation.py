"""Whether the loaded policy pack version is active: IGP approved exactly it (memo fn2).

A pack's identity is its id and the SHA-256 of its files; the approval's subject names both,
so a changed rule is a new identity that needs a new approval before it takes effect.
"""

from __future__ import annotations

from frsgate.domain import Approval, ApprovalStatus, ApprovalSubject
from frsgate.policy.engine import PolicyPack
from frsgate.store.unit import UnitOfWork


def pack_subject(pack: PolicyPack) -> str:
    return f"{pack.id}@{pack.sha256}"


def activation_of(uow: UnitOfWork, pack: PolicyPack) -> Approval | None:
    """The approved activation of exactly this pack version, if any."""
    for approval in uow.approvals.for_subject(ApprovalSubject.policy_pack, pack_subject(pack)):
        if approval.status is ApprovalStatus.approved:
            return approval
    return None
