"""Leads, corroborations, report-of-investigation entries, shares and partner searches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, select

from frsgate.domain import (
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    Corroboration,
    Lead,
    LeadStatus,
    PartnerSearch,
    RoiEntry,
    RoiStatus,
    Share,
)
from frsgate.store.repositories.base import Repository
from frsgate.store.repositories.mapping import EntityMapper
from frsgate.store.repositories.results import BatchRepository, grouped
from frsgate.store.schema.core import (
    approvals,
    candidate_lists,
    case_supervisors,
    cases,
    corroborations,
    leads,
    partner_searches,
    roi_entries,
    shares,
    submissions,
    users,
)


class LeadRepository(Repository[Lead]):
    label = "lead"
    mapper = EntityMapper(Lead, leads)

    def of_case(self, case_id: str, *, status: LeadStatus | None = None) -> list[Lead]:
        stmt = self._select().where(leads.c.case_id == case_id)
        if status is not None:
            stmt = stmt.where(leads.c.status == status.value)
        return self._many(stmt.order_by(leads.c.created_at, leads.c.id))

    def of_submission(self, submission_id: str) -> list[Lead]:
        """Leads opened from this submission's candidates, oldest first."""
        stmt = self._select().where(leads.c.submission_id == submission_id)
        return self._many(stmt.order_by(leads.c.created_at, leads.c.id))

    def of_disposition(self, disposition_id: str) -> list[Lead]:
        """Leads opened on this disposition (at most one is expected), oldest first."""
        stmt = self._select().where(leads.c.disposition_id == disposition_id)
        return self._many(stmt.order_by(leads.c.created_at, leads.c.id))


class CorroborationRepository(BatchRepository[Corroboration]):
    label = "corroboration"
    # `independent_of_frs` follows from the kind; it is written for readers of the table.
    mapper = EntityMapper(Corroboration, corroborations, extra_columns=("independent_of_frs",))
    status_column = None

    def _row(self, entity: Corroboration) -> dict[str, Any]:
        return self.mapper.to_row(entity) | {"independent_of_frs": entity.independent_of_frs}

    def of_lead(self, lead_id: str) -> list[Corroboration]:
        stmt = self._select().where(corroborations.c.lead_id == lead_id)
        return self._many(stmt.order_by(corroborations.c.created_at, corroborations.c.id))

    def of_leads(self, lead_ids: Iterable[str]) -> dict[str, list[Corroboration]]:
        """Every corroboration of each lead, oldest first, keyed by lead id (every id given is
        a key)."""
        ids = list(lead_ids)
        found = self._many_in(
            corroborations.c.lead_id, ids, corroborations.c.created_at, corroborations.c.id
        )
        return grouped(ids, found, lambda c: c.lead_id)


class RoiEntryRepository(Repository[RoiEntry]):
    label = "report-of-investigation entry"
    mapper = EntityMapper(RoiEntry, roi_entries)

    def of_case(self, case_id: str, *, status: RoiStatus | None = None) -> list[RoiEntry]:
        stmt = self._select().where(roi_entries.c.case_id == case_id)
        if status is not None:
            stmt = stmt.where(roi_entries.c.status == status.value)
        return self._many(stmt.order_by(roi_entries.c.created_at, roi_entries.c.id))

    def of_submission(self, submission_id: str) -> list[RoiEntry]:
        """Entries noting this submission's results (memo 4.E.2); empty means not yet noted."""
        stmt = self._select().where(roi_entries.c.submission_id == submission_id)
        return self._many(stmt.order_by(roi_entries.c.created_at, roi_entries.c.id))

    def unfiled_for_supervisor(
        self, supervisor_id: str, received_before: datetime
    ) -> list[UnfiledResult]:
        """The results of the FRS uses of the cases `supervisor_id` supervises that arrived
        before `received_before` and have no filed entry yet (memo 4.E.2, 4.E.4), oldest
        first: one statement, whatever the number of cases and uses. A use whose exigent
        approval a supervisor refused is left out: its results may not be used, so its entry
        cannot be filed (memo 4.C.3)."""
        theirs = select(case_supervisors.c.case_id).where(
            case_supervisors.c.user_id == supervisor_id
        )
        filed = exists().where(
            and_(
                roi_entries.c.submission_id == submissions.c.id,
                roi_entries.c.status == RoiStatus.filed.value,
            )
        )
        refused = exists().where(
            and_(
                approvals.c.subject_kind == ApprovalSubject.submission.value,
                approvals.c.subject_id == submissions.c.id,
                approvals.c.kind == ApprovalKind.exigent_provider.value,
                approvals.c.status == ApprovalStatus.denied.value,
            )
        )
        stmt = (
            select(
                submissions.c.id,
                cases.c.number,
                users.c.username,
                candidate_lists.c.received_at,
            )
            .select_from(
                submissions.join(
                    candidate_lists, candidate_lists.c.submission_id == submissions.c.id
                )
                .join(cases, cases.c.id == submissions.c.case_id)
                .join(users, users.c.id == submissions.c.requested_by)
            )
            .where(submissions.c.case_id.in_(theirs))
            .where(candidate_lists.c.received_at < received_before)
            .where(~filed)
            .where(~refused)
            .order_by(candidate_lists.c.received_at, submissions.c.id)
        )
        return [
            UnfiledResult(
                submission_id=row.id,
                case_number=row.number,
                requested_by=row.username,
                received_at=row.received_at,
            )
            for row in self.conn.execute(stmt)
        ]


@dataclass(frozen=True, slots=True)
class UnfiledResult:
    """An FRS use of a case whose results are not yet noted in a filed ROI entry."""

    submission_id: str
    case_number: str
    requested_by: str  # the username of who made the submission
    received_at: datetime


class ShareRepository(Repository[Share]):
    label = "share"
    mapper = EntityMapper(Share, shares)
    status_column = None

    def of_case(self, case_id: str) -> list[Share]:
        stmt = self._select().where(shares.c.case_id == case_id)
        return self._many(stmt.order_by(shares.c.created_at, shares.c.id))


class PartnerSearchRepository(Repository[PartnerSearch]):
    label = "partner search"
    mapper = EntityMapper(PartnerSearch, partner_searches)
    status_column = None

    def of_case(self, case_id: str) -> list[PartnerSearch]:
        """The case's partner searches in the order they were searched, then recorded."""
        stmt = self._select().where(partner_searches.c.case_id == case_id)
        order = (partner_searches.c.searched_on, partner_searches.c.created_at)
        return self._many(stmt.order_by(*order, partner_searches.c.id))
