"""Leads, corroborations, report-of-investigation entries and shares."""

from __future__ import annotations

from frsgate.domain import Corroboration, Lead, LeadStatus, RoiEntry, RoiStatus, Share
from frsgate.store.repositories.base import Repository
from frsgate.store.repositories.mapping import EntityMapper
from frsgate.store.schema.core import corroborations, leads, roi_entries, shares


class LeadRepository(Repository[Lead]):
    label = "lead"
    mapper = EntityMapper(Lead, leads)

    def of_case(self, case_id: str, *, status: LeadStatus | None = None) -> list[Lead]:
        stmt = self._select().where(leads.c.case_id == case_id)
        if status is not None:
            stmt = stmt.where(leads.c.status == status.value)
        return self._many(stmt.order_by(leads.c.created_at, leads.c.id))


class CorroborationRepository(Repository[Corroboration]):
    label = "corroboration"
    mapper = EntityMapper(Corroboration, corroborations)
    status_column = None

    def of_lead(self, lead_id: str) -> list[Corroboration]:
        stmt = self._select().where(corroborations.c.lead_id == lead_id)
        return self._many(stmt.order_by(corroborations.c.created_at, corroborations.c.id))


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


class ShareRepository(Repository[Share]):
    label = "share"
    mapper = EntityMapper(Share, shares)
    status_column = None

    def of_case(self, case_id: str) -> list[Share]:
        stmt = self._select().where(shares.c.case_id == case_id)
        return self._many(stmt.order_by(shares.c.created_at, shares.c.id))
