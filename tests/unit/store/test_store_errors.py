"""What the store refuses, and how it says so: missing ids, duplicates, dangling references,
lost races, values outside an enum, naive times; and that a failed unit of work leaves nothing."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
import store_graph
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, StatementError
from store_graph import Graph

from frsgate.domain import CaseStatus
from frsgate.errors import Conflict, NotFound, StoreError
from frsgate.store.schema.core import cases, users
from frsgate.store.unit import UnitOfWork, unit_of_work


@pytest.fixture
def stored(engine: Engine) -> Graph:
    g = store_graph.build()
    with unit_of_work(engine) as uow:
        store_graph.store(uow, g)
    return g


def test_missing_ids_are_named(uow: UnitOfWork) -> None:
    with pytest.raises(NotFound, match=r"^case 'case_nope' does not exist$"):
        uow.cases.get("case_nope")
    with pytest.raises(NotFound, match="report-of-investigation entry 'x' does not exist"):
        uow.roi_entries.get("x")
    with pytest.raises(NotFound, match="case number 'HSI-0' does not exist"):
        uow.cases.get_by_number("HSI-0")
    with pytest.raises(NotFound, match="no stored image"):
        uow.probes.get_image("prb_nope")
    assert uow.submissions.find("sub_nope") is None


def test_duplicates_are_conflicts(engine: Engine, stored: Graph) -> None:
    with pytest.raises(Conflict, match="cannot add case 'case_other'"), unit_of_work(engine) as uow:
        uow.cases.add(dataclasses.replace(stored.case, id="case_other"))  # same number
    with pytest.raises(Conflict, match="cannot add user"), unit_of_work(engine) as uow:
        uow.users.add(stored.igp)
    with pytest.raises(Conflict, match="cannot add probe"), unit_of_work(engine) as uow:
        uow.probes.add_image(stored.probe_image)


def test_dangling_references_are_refused(engine: Engine, stored: Graph) -> None:
    orphan = dataclasses.replace(stored.probe2, id="prb_orphan", case_id="case_missing")
    with (
        pytest.raises(Conflict, match="cannot add probe 'prb_orphan'"),
        unit_of_work(engine) as uow,
    ):
        uow.probes.add(orphan)


def test_lost_race_is_a_conflict_naming_the_current_state(engine: Engine, stored: Graph) -> None:
    with unit_of_work(engine) as uow:
        first = uow.cases.get(stored.case.id)
        second = uow.cases.get(stored.case.id)
        first.reopen()
        uow.cases.update(first, expected_status=CaseStatus.closed)
        second.reopen()
        with pytest.raises(Conflict, match=r"changed meanwhile: it is now 'open', not 'closed'"):
            uow.cases.update(second, expected_status=CaseStatus.closed)
    with unit_of_work(engine) as uow:
        assert uow.cases.get(stored.case.id, lock=True).status is CaseStatus.open


def test_update_of_a_missing_entity(uow: UnitOfWork) -> None:
    ghost = store_graph.build().lead
    with pytest.raises(NotFound, match="lead 'lead' does not exist"):
        uow.leads.update(ghost)
    with pytest.raises(NotFound, match="candidate 'cand' does not exist"):
        uow.candidates.update(store_graph.build().candidate)


def test_failed_unit_of_work_leaves_nothing(engine: Engine) -> None:
    g = store_graph.build()

    def add_then_fail() -> None:
        with unit_of_work(engine) as uow:
            uow.users.add(g.supervisor)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        add_then_fail()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar_one() == 0


def test_database_refuses_values_outside_an_enum(engine: Engine, stored: Graph) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(cases.update().where(cases.c.id == stored.case.id).values(status="paused"))


def test_naive_times_never_reach_the_database(engine: Engine, stored: Graph) -> None:
    naive = datetime(2026, 1, 1)
    with pytest.raises(StatementError) as caught, engine.begin() as conn:
        conn.execute(cases.update().where(cases.c.id == stored.case.id).values(closed_at=naive))
    assert isinstance(caught.value.orig, StoreError)
    assert "aware UTC" in str(caught.value.orig)
