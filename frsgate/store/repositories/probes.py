"""Probes and their sealed images, kept in separate tables so listings never load blobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from frsgate.domain import Probe, ProbeImage, ProbeStatus
from frsgate.errors import Conflict, NotFound
from frsgate.store.repositories.base import Repository
from frsgate.store.repositories.mapping import EntityMapper
from frsgate.store.schema.core import probe_images, probes

_IMAGE = EntityMapper(ProbeImage, probe_images)


class ProbeRepository(Repository[Probe]):
    label = "probe"
    mapper = EntityMapper(Probe, probes)

    def of_case(self, case_id: str) -> list[Probe]:
        stmt = self._select().where(probes.c.case_id == case_id)
        return self._many(stmt.order_by(probes.c.created_at, probes.c.id))

    def with_status(self, *statuses: ProbeStatus) -> list[Probe]:
        stmt = self._select().where(probes.c.status.in_([s.value for s in statuses]))
        return self._many(stmt.order_by(probes.c.created_at, probes.c.id))

    def created_before(self, at: datetime, *statuses: ProbeStatus) -> list[Probe]:
        """Probes older than `at` in the given states: candidates for retention purge."""
        stmt = self._select().where(probes.c.created_at < at)
        if statuses:
            stmt = stmt.where(probes.c.status.in_([s.value for s in statuses]))
        return self._many(stmt.order_by(probes.c.created_at, probes.c.id))

    # --- sealed images ---------------------------------------------------------------------

    def add_image(self, image: ProbeImage) -> None:
        self._insert(probe_images, _IMAGE.to_row(image), image.probe_id)

    def get_image(self, probe_id: str) -> ProbeImage:
        stmt = select(probe_images).where(probe_images.c.probe_id == probe_id)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"probe {probe_id!r} has no stored image (never stored, or purged)")
        return _IMAGE.from_row(row)

    def has_image(self, probe_id: str) -> bool:
        stmt = select(probe_images.c.probe_id).where(probe_images.c.probe_id == probe_id)
        return self.conn.execute(stmt).first() is not None

    def delete_image(self, probe_id: str) -> None:
        """Destroy the sealed image (retention purge); the probe's metadata and hash stay."""
        result = self.conn.execute(probe_images.delete().where(probe_images.c.probe_id == probe_id))
        if result.rowcount != 1:
            raise Conflict(f"probe {probe_id!r} has no stored image to delete")
