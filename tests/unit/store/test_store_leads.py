"""The reads that serve a whole case or list: one query per kind of record, whatever the number
of candidates or leads, each answer keyed and ordered as the services need it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
import store_graph
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError
from store_graph import Graph, at

from frsgate.domain import CorroborationKind, PartnerResult
from frsgate.store.repositories import results
from frsgate.store.schema.core import leads, partner_searches
from frsgate.store.unit import UnitOfWork, unit_of_work


@contextmanager
def counted(uow: UnitOfWork) -> Iterator[list[str]]:
    """The SELECT statements run on the unit of work's connection inside the block."""
    seen: list[str] = []

    def log(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = uow.conn.engine
    event.listen(engine, "before_cursor_execute", log)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", log)


def test_current_disposition_of_one_candidate(uow: UnitOfWork, graph: Graph) -> None:
    assert uow.dispositions.current_of_candidate(graph.candidate.id) == graph.disposition2
    assert uow.dispositions.current_of_candidate(graph.candidate2.id) is None
    verified = uow.dispositions.get(graph.disposition2.id)
    assert verified.verified_by == graph.supervisor.id


def test_dispositions_and_examinations_of_many_candidates(uow: UnitOfWork, graph: Graph) -> None:
    ids = [graph.candidate.id, graph.candidate2.id]
    with counted(uow) as selects:
        every = uow.dispositions.of_candidates(ids)
        current = uow.dispositions.current_of_candidates(ids)
        exams = uow.examinations.of_candidates(ids)
    assert len(selects) == 3
    assert every == {
        graph.candidate.id: [graph.disposition, graph.disposition2],
        graph.candidate2.id: [],
    }
    assert current == {graph.candidate.id: graph.disposition2}
    assert exams == {graph.candidate.id: [graph.examination], graph.candidate2.id: []}
    assert uow.dispositions.of_candidates([]) == {}
    assert uow.examinations.of_candidates([]) == {}


def test_candidates_and_lists_of_many(uow: UnitOfWork, graph: Graph) -> None:
    other = store_graph.build("b")
    store_graph.store(uow, other)
    lists = [graph.candidate_list.id, other.candidate_list.id, "cl_none"]
    with counted(uow) as selects:
        by_list = uow.candidates.of_lists(lists)
        by_submission = uow.candidate_lists.of_submissions(
            [graph.submission.id, other.submission.id, "sub_none"]
        )
    assert len(selects) == 2
    assert by_list == {
        graph.candidate_list.id: [graph.candidate, graph.candidate2],
        other.candidate_list.id: [other.candidate, other.candidate2],
        "cl_none": [],
    }
    assert by_list[graph.candidate_list.id][0].photo_taken_on == date(2017, 6, 30)
    assert by_submission == {
        graph.submission.id: graph.candidate_list,
        other.submission.id: other.candidate_list,
    }


def test_reads_of_many_ids_are_chunked(
    uow: UnitOfWork, graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = store_graph.build("b")
    store_graph.store(uow, other)
    monkeypatch.setattr(results, "IN_CHUNK", 1)
    ids = [graph.candidate.id, other.candidate.id, graph.candidate2.id]
    with counted(uow) as selects:
        every = uow.dispositions.of_candidates(ids)
    assert len(selects) == 3
    assert every[other.candidate.id] == [other.disposition, other.disposition2]
    assert every[graph.candidate2.id] == []


def test_leads_of_a_submission_and_a_disposition(uow: UnitOfWork, graph: Graph) -> None:
    assert uow.leads.of_submission(graph.submission.id) == [graph.lead]
    assert uow.leads.of_submission("sub_none") == []
    assert uow.leads.of_disposition(graph.disposition2.id) == [graph.lead]
    assert uow.leads.of_disposition(graph.disposition.id) == []


def test_corroborations_of_many_leads(uow: UnitOfWork, graph: Graph) -> None:
    later = dataclasses.replace(
        graph.corroboration,
        id="cor_2",
        kind=CorroborationKind.frs_result,
        obtained_on=None,
        created_at=at(30),
    )
    uow.corroborations.add(later)
    with counted(uow) as selects:
        found = uow.corroborations.of_leads([graph.lead.id, "lead_none"])
    assert len(selects) == 1
    assert found == {graph.lead.id: [graph.corroboration, later], "lead_none": []}
    # The stored flag follows the kind (memo 4.D.3), for anyone reading the table itself.
    flags = uow.conn.execute(
        text("SELECT id, independent_of_frs FROM corroborations ORDER BY id")
    ).all()
    assert [(r[0], bool(r[1])) for r in flags] == [
        (graph.corroboration.id, True),
        ("cor_2", False),
    ]


def test_partner_searches_of_a_case(uow: UnitOfWork, graph: Graph) -> None:
    earlier = dataclasses.replace(
        graph.partner_search,
        id="psr_0",
        searched_on=date(2026, 1, 5),
        result=PartnerResult.negative,
        candidate_count=None,
        match_type=None,
        probe_sha256=None,
        created_at=at(40),
    )
    uow.partner_searches.add(earlier)
    assert uow.partner_searches.of_case(graph.case.id) == [earlier, graph.partner_search]
    assert uow.partner_searches.of_case("case_none") == []


def test_database_refuses_a_negative_count_and_the_old_lead_status(engine: Engine) -> None:
    g = store_graph.build()
    with unit_of_work(engine) as uow:
        store_graph.store(uow, g)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(partner_searches.update().values(candidate_count=-1))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(leads.update().values(status="open"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(leads.update().values(submission_id=None))
