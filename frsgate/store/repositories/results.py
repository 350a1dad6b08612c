"""Candidate lists, candidates with their sealed images, dispositions and examinations.

Reads that serve a whole case or list take a collection of ids and answer with one query per
kind of record (in chunks of `IN_CHUNK` ids), never one query per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Column, ColumnElement, select

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

# Ids bound per statement: far below SQLite's limit of 32766 host parameters.
IN_CHUNK = 5000

E = TypeVar("E")


class BatchRepository(Repository[E]):
    """A repository that also reads the rows of many parents at once."""

    def _many_in(
        self, column: Column[Any], ids: Iterable[str], *order_by: ColumnElement[Any]
    ) -> list[E]:
        """Every row whose `column` is one of `ids`, in `order_by` order within each chunk."""
        wanted = sorted(set(ids))
        found: list[E] = []
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            found.extend(self._many(self._select().where(column.in_(chunk)).order_by(*order_by)))
        return found


def grouped(ids: Iterable[str], rows: Iterable[E], key: Callable[[E], str]) -> dict[str, list[E]]:
    """`rows` grouped by `key`, with an empty list for each id that has none (order kept)."""
    groups: dict[str, list[E]] = {i: [] for i in ids}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


class CandidateListRepository(BatchRepository[CandidateList]):
    label = "candidate list"
    mapper = EntityMapper(CandidateList, candidate_lists)

    def get_by_submission(self, submission_id: str) -> CandidateList:
        stmt = self._select().where(candidate_lists.c.submission_id == submission_id)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"submission {submission_id!r} has no candidate list")
        return self._load(row)

    def of_submissions(self, submission_ids: Iterable[str]) -> dict[str, CandidateList]:
        """The candidate list of each submission that has one, keyed by submission id."""
        found = self._many_in(
            candidate_lists.c.submission_id,
            submission_ids,
            candidate_lists.c.received_at,
            candidate_lists.c.id,
        )
        return {cl.submission_id: cl for cl in found}

    def awaiting_review(self, requested_by: str | None = None) -> list[CandidateList]:
        """Lists not yet reviewed, optionally only those of one requester's submissions."""
        stmt = self._select().where(candidate_lists.c.status == CandidateListStatus.received.value)
        if requested_by is not None:
            theirs = select(submissions.c.id).where(submissions.c.requested_by == requested_by)
            stmt = stmt.where(candidate_lists.c.submission_id.in_(theirs))
        return self._many(stmt.order_by(candidate_lists.c.received_at, candidate_lists.c.id))


class CandidateRepository(BatchRepository[Candidate]):
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

    def of_lists(self, candidate_list_ids: Iterable[str]) -> dict[str, list[Candidate]]:
        """The candidates of each list, by rank, keyed by list id (every id given is a key)."""
        ids = list(candidate_list_ids)
        found = self._many_in(candidates.c.candidate_list_id, ids, candidates.c.rank)
        return grouped(ids, found, lambda c: c.candidate_list_id)

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


class DispositionRepository(BatchRepository[Disposition]):
    label = "disposition"
    mapper = EntityMapper(Disposition, dispositions)
    status_column = None

    def of_candidate(self, candidate_id: str) -> list[Disposition]:
        stmt = self._select().where(dispositions.c.candidate_id == candidate_id)
        return self._many(stmt.order_by(dispositions.c.created_at, dispositions.c.id))

    def current_of_candidate(self, candidate_id: str) -> Disposition | None:
        """The candidate's disposition that no other supersedes; None before the first."""
        return _current(self.of_candidate(candidate_id)).get(candidate_id)

    def of_candidates(self, candidate_ids: Iterable[str]) -> dict[str, list[Disposition]]:
        """Every disposition of each candidate, oldest first, keyed by candidate id (every id
        given is a key)."""
        ids = list(candidate_ids)
        found = self._many_in(
            dispositions.c.candidate_id, ids, dispositions.c.created_at, dispositions.c.id
        )
        return grouped(ids, found, lambda d: d.candidate_id)

    def current_of_candidates(self, candidate_ids: Iterable[str]) -> dict[str, Disposition]:
        """Each candidate's current disposition, keyed by candidate id (those with one)."""
        ids = list(candidate_ids)
        found = self._many_in(
            dispositions.c.candidate_id, ids, dispositions.c.created_at, dispositions.c.id
        )
        return _current(found)

    def current_of_list(self, candidate_list_id: str) -> dict[str, Disposition]:
        """Each candidate's disposition that no later one supersedes, keyed by candidate id."""
        in_list = select(candidates.c.id).where(candidates.c.candidate_list_id == candidate_list_id)
        stmt = self._select().where(dispositions.c.candidate_id.in_(in_list))
        return _current(self._many(stmt.order_by(dispositions.c.created_at, dispositions.c.id)))


def _current(found: list[Disposition]) -> dict[str, Disposition]:
    """The current disposition of each candidate: the one no other supersedes. Should two
    stand unsuperseded (a race between reviewers), the later one counts."""
    superseded = {d.supersedes_id for d in found if d.supersedes_id is not None}
    return {d.candidate_id: d for d in found if d.id not in superseded}


class ExaminationRepository(BatchRepository[Examination]):
    label = "examination"
    mapper = EntityMapper(Examination, examinations)
    status_column = None

    def of_candidate(self, candidate_id: str) -> list[Examination]:
        stmt = self._select().where(examinations.c.candidate_id == candidate_id)
        return self._many(stmt.order_by(examinations.c.created_at, examinations.c.id))

    def of_candidates(self, candidate_ids: Iterable[str]) -> dict[str, list[Examination]]:
        """Every examination of each candidate, oldest first, keyed by candidate id (every id
        given is a key)."""
        ids = list(candidate_ids)
        found = self._many_in(
            examinations.c.candidate_id, ids, examinations.c.created_at, examinations.c.id
        )
        return grouped(ids, found, lambda e: e.candidate_id)
