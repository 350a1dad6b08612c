"""A constraint the database enforces becomes a `Conflict` that names the entity and says what
to do, without the database's own text (tables, constraint names, values): that text is in
the server log only. No `/api/v1` route can provoke one (the services look every reference up
first and ids are random), so the mapping is tested on the repositories."""

from __future__ import annotations

import dataclasses
import logging

import pytest
import store_graph
from sqlalchemy import Engine
from store_graph import Graph

from frsgate.errors import Conflict
from frsgate.store.unit import unit_of_work

# What SQLite and PostgreSQL say about a constraint, none of which a client may see.
DRIVER_WORDS = ("constraint", "FOREIGN KEY", "UNIQUE", "violates", "pkey", "fkey", "Key (")


@pytest.fixture
def stored(engine: Engine) -> Graph:
    g = store_graph.build()
    with unit_of_work(engine) as uow:
        store_graph.store(uow, g)
    return g


def _message(exc: pytest.ExceptionInfo[Conflict]) -> str:
    message = exc.value.message
    for word in DRIVER_WORDS:
        assert word.lower() not in message.lower(), message
    return message


def test_a_duplicate_names_the_entity_not_the_constraint(
    engine: Engine, stored: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(Conflict) as exc,
        unit_of_work(engine) as uow,
    ):
        uow.users.add(stored.igp)
    message = _message(exc)
    assert message.startswith(f"cannot add user {stored.igp.id!r}: "), message
    assert "already exists" in message
    # The operator still has the driver's reason, without the values it was given.
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "cannot add user" in logged
    assert "constraint" in logged.lower()


def test_a_dangling_reference_says_to_check_the_ids(engine: Engine, stored: Graph) -> None:
    orphan = dataclasses.replace(stored.probe2, id="prb_orphan", case_id="case_missing")
    with pytest.raises(Conflict) as exc, unit_of_work(engine) as uow:
        uow.probes.add(orphan)
    message = _message(exc)
    assert message.startswith("cannot add probe 'prb_orphan': "), message
    assert "does not exist" in message
    assert "check the ids" in message
