"""Candidate lists, candidates with their sealed images, dispositions and examinations."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from frsgate.domain import (
    Candidate,
    CandidateImage,
    CandidateList,
    CandidateListStatus,
    Disposition,
    Examination,
)
from frsgate.errors import NotFound
from frsgate.store.repositories.base import Repository
from frsgate.store.repositories.mapping import EntityMapper
from frsgate.store.schema.core import (
    candidate_images,
    candidate_lists,
    candidates,
    dispositions,
    examinations,
    submissions,
)

_IMAGE = EntityMapper(CandidateImage, candidate_images)


class CandidateListRepository(Repository[CandidateList]):
    label = "candidate list"
    mapper = EntityMapper(CandidateList, candidate_lists)

    def get_by_submission(self, submission_id: str) -> CandidateList:
        stmt = self._select().where(candidate_lists.c.submission_id == submission_id)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"submission {submission_id!r} has no candidate list")
        return self._load(row)

    def awaiting_review(self, requested_by: str | None = None) -> list[CandidateList]:
        """Lists not yet reviewed, optionally only those of one requester's submissions."""
        stmt = self._select().where(candidate_lists.c.status == CandidateListStatus.received.value)
        if requested_by is not None:
            theirs = select(submissions.c.id).where(submissions.c.requested_by == requested_by)
            stmt = stmt.where(candidate_lists.c.submission_id.in_(theirs))
        return self._many(stmt.order_by(candidate_lists.c.received_at, candidate_lists.c.id))


class CandidateRepository(Repository[Candidate]):
    label = "candidate"
    mapper = EntityMapper(Candidate, candidates)
    status_column = None

    def add_all(self, entries: Iterable[Candidate]) -> None:
        """Insert a whole list in one statement (one round trip, not one per candidate)."""
        rows = [self._row(e) for e in entries]
        if rows:
            self._insert_many(self.table, rows)

    def of_list(self, candidate_list_id: str) -> list[Candidate]:
        stmt = self._select().where(candidates.c.candidate_list_id == candidate_list_id)
        return self._many(stmt.order_by(candidates.c.rank))

    def add_image(self, image: CandidateImage) -> None:
        self._insert(candidate_images, _IMAGE.to_row(image), image.candidate_id)

    def add_images(self, images: Iterable[CandidateImage]) -> None:
        """Insert the sealed images of a list in one statement."""
        rows = [_IMAGE.to_row(i) for i in images]
        if rows:
            self._insert_many(candidate_images, rows)

    def get_image(self, candidate_id: str) -> CandidateImage:
        stmt = select(candidate_images).where(candidate_images.c.candidate_id == candidate_id)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"candidate {candidate_id!r} has no stored image")
        return _IMAGE.from_row(row)

    def delete_images_of_list(self, candidate_list_id: str) -> int:
        """Destroy the sealed images of a list's candidates (retention); returns how many."""
        ids = select(candidates.c.id).where(candidates.c.candidate_list_id == candidate_list_id)
        result = self.conn.execute(
            candidate_images.delete().where(candidate_images.c.candidate_id.in_(ids))
        )
        return int(result.rowcount)


class DispositionRepository(Repository[Disposition]):
    label = "disposition"
    mapper = EntityMapper(Disposition, dispositions)
    status_column = None

    def of_candidate(self, candidate_id: str) -> list[Disposition]:
        stmt = self._select().where(dispositions.c.candidate_id == candidate_id)
        return self._many(stmt.order_by(dispositions.c.created_at, dispositions.c.id))

    def current_of_list(self, candidate_list_id: str) -> dict[str, Disposition]:
        """Each candidate's disposition that no later one supersedes, keyed by candidate id."""
        in_list = select(candidates.c.id).where(candidates.c.candidate_list_id == candidate_list_id)
        stmt = self._select().where(dispositions.c.candidate_id.in_(in_list))
        found = self._many(stmt.order_by(dispositions.c.created_at, dispositions.c.id))
        superseded = {d.supersedes_id for d in found if d.supersedes_id is not None}
        return {d.candidate_id: d for d in found if d.id not in superseded}


class ExaminationRepository(Repository[Examination]):
    label = "examination"
    mapper = EntityMapper(Examination, examinations)
    status_column = None

    def of_candidate(self, candidate_id: str) -> list[Examination]:
        stmt = self._select().where(examinations.c.candidate_id == candidate_id)
        return self._many(stmt.order_by(examinations.c.created_at, examinations.c.id))
