"""Fixtures of the store tests: a unit of work on a fresh database, and a stored graph."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import store_graph
from sqlalchemy import Engine

from frsgate.store.unit import UnitOfWork, unit_of_work


@pytest.fixture
def uow(engine: Engine) -> Iterator[UnitOfWork]:
    """One open transaction on a fresh database holding every table."""
    with unit_of_work(engine) as work:
        yield work


@pytest.fixture
def graph(uow: UnitOfWork) -> store_graph.Graph:
    """Every entity, stored through the repositories in the `uow` transaction."""
    g = store_graph.build()
    store_graph.store(uow, g)
    return g
