"""Approvals: each approver's queue, overdue requests, the approvals of a subject."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_

from frsgate.domain import Approval, ApprovalKind, ApprovalStatus, ApprovalSubject
from frsgate.store.repositories.base import Repository
from frsgate.store.repositories.mapping import EntityMapper
from frsgate.store.schema.core import approvals

_PENDING = ApprovalStatus.pending.value


class ApprovalRepository(Repository[Approval]):
    label = "approval"
    mapper = EntityMapper(Approval, approvals)

    def pending_for(
        self,
        approver_id: str,
        *,
        kinds: Iterable[ApprovalKind] | None = None,
        include_unassigned: bool = True,
    ) -> list[Approval]:
        """Pending requests this approver may decide: assigned to them, or to nobody in
        particular; never their own (nobody approves their own request)."""
        whose = approvals.c.assigned_to == approver_id
        if include_unassigned:
            whose = or_(whose, approvals.c.assigned_to.is_(None))
        stmt = self._select().where(
            approvals.c.status == _PENDING, whose, approvals.c.requester_id != approver_id
        )
        if kinds is not None:
            stmt = stmt.where(approvals.c.kind.in_([k.value for k in kinds]))
        return self._many(stmt.order_by(approvals.c.requested_at, approvals.c.id))

    def pending(self, *kinds: ApprovalKind) -> list[Approval]:
        stmt = self._select().where(approvals.c.status == _PENDING)
        if kinds:
            stmt = stmt.where(approvals.c.kind.in_([k.value for k in kinds]))
        return self._many(stmt.order_by(approvals.c.requested_at, approvals.c.id))

    def overdue(self, at: datetime) -> list[Approval]:
        """Pending requests whose deadline has passed (exigent approvals, memo 4.C.3)."""
        stmt = self._select().where(
            approvals.c.status == _PENDING,
            approvals.c.deadline.is_not(None),
            approvals.c.deadline <= at,
        )
        return self._many(stmt.order_by(approvals.c.deadline, approvals.c.id))

    def for_subject(self, kind: ApprovalSubject, subject_id: str) -> list[Approval]:
        stmt = self._select().where(
            approvals.c.subject_kind == kind.value, approvals.c.subject_id == subject_id
        )
        return self._many(stmt.order_by(approvals.c.requested_at, approvals.c.id))

    def requested_by(self, user_id: str) -> list[Approval]:
        stmt = self._select().where(approvals.c.requester_id == user_id)
        return self._many(stmt.order_by(approvals.c.requested_at, approvals.c.id))
