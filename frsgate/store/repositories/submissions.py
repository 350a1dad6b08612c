"""Submissions: the queues and counts the submission gate and recovery need."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from frsgate.domain import Submission, SubmissionStatus
from frsgate.errors import NotFound
from frsgate.store.repositories.base import Repository
from frsgate.store.repositories.mapping import EntityMapper
from frsgate.store.schema.core import submissions


class SubmissionRepository(Repository[Submission]):
    label = "submission"
    mapper = EntityMapper(Submission, submissions)

    def get_by_idempotency_key(self, key: str) -> Submission:
        stmt = self._select().where(submissions.c.idempotency_key == key)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"no submission has idempotency key {key!r}")
        return self._load(row)

    def of_case(self, case_id: str) -> list[Submission]:
        stmt = self._select().where(submissions.c.case_id == case_id)
        return self._many(stmt.order_by(submissions.c.created_at, submissions.c.id))

    def of_user(self, user_id: str) -> list[Submission]:
        stmt = self._select().where(submissions.c.requested_by == user_id)
        return self._many(stmt.order_by(submissions.c.created_at, submissions.c.id))

    def of_probe(self, probe_id: str) -> list[Submission]:
        either = (submissions.c.probe_id == probe_id) | (submissions.c.second_probe_id == probe_id)
        stmt = self._select().where(either)
        return self._many(stmt.order_by(submissions.c.created_at, submissions.c.id))

    def with_status(self, *statuses: SubmissionStatus) -> list[Submission]:
        stmt = self._select().where(submissions.c.status.in_([s.value for s in statuses]))
        return self._many(stmt.order_by(submissions.c.created_at, submissions.c.id))

    def in_flight(self) -> list[Submission]:
        """Dispatch intents without an outcome: what start-up recovery must resolve."""
        return self.with_status(SubmissionStatus.dispatching)

    def exigent_users_of(self, provider_id: str) -> list[str]:
        """Who used `provider_id` in exigent circumstances (they asked, in effect, for its
        review, memo 4.C.3 and fn1), in the order of their first such use."""
        stmt = (
            select(submissions.c.requested_by, func.min(submissions.c.created_at).label("first"))
            .where(submissions.c.provider_id == provider_id, submissions.c.exigent)
            .group_by(submissions.c.requested_by)
            .order_by("first")
        )
        return [str(row[0]) for row in self.conn.execute(stmt)]

    def exigent_since(self, since: datetime) -> list[Submission]:
        """Exigent submissions (memo 4.C.3) since a time, for the supervisor's review."""
        stmt = self._select().where(submissions.c.exigent, submissions.c.created_at >= since)
        return self._many(stmt.order_by(submissions.c.created_at, submissions.c.id))

    def count_by_user_since(
        self, user_id: str, since: datetime, *statuses: SubmissionStatus
    ) -> int:
        """How many submissions `user_id` requested at or after `since` (rate limits)."""
        return self._count(submissions.c.requested_by == user_id, since, statuses)

    def count_by_case_since(
        self, case_id: str, since: datetime, *statuses: SubmissionStatus
    ) -> int:
        """How many submissions were requested for `case_id` at or after `since`."""
        return self._count(submissions.c.case_id == case_id, since, statuses)

    def counts_since(self, user_id: str, case_id: str | None, since: datetime) -> tuple[int, int]:
        """(by the user, on the case) since a time, in one round trip (rate limits); without
        a case, the second count is of the uses that serve no case."""
        recent = submissions.c.created_at >= since
        by_user = select(func.count()).select_from(submissions)
        by_case = select(func.count()).select_from(submissions)
        stmt = select(
            by_user.where(submissions.c.requested_by == user_id, recent).scalar_subquery(),
            by_case.where(submissions.c.case_id == case_id, recent).scalar_subquery(),
        )
        row = self.conn.execute(stmt).one()
        return int(row[0]), int(row[1])

    def _count(
        self,
        who: ColumnElement[bool],
        since: datetime,
        statuses: tuple[SubmissionStatus, ...],
    ) -> int:
        stmt = select(func.count()).select_from(submissions)
        stmt = stmt.where(who, submissions.c.created_at >= since)
        if statuses:
            stmt = stmt.where(submissions.c.status.in_([s.value for s in statuses]))
        return int(self.conn.execute(stmt).scalar_one())
