"""Every entity goes into the store and comes back equal, field for field, type for type."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest
import store_graph
from store_graph import Graph

from frsgate.store.repositories.base import Repository
from frsgate.store.unit import UnitOfWork

# (graph attribute, unit-of-work repository) for every entity with its own table.
ENTITIES = [
    ("agent", "users"),
    ("supervisor", "users"),
    ("examiner", "users"),
    ("certification", "certifications"),
    ("program", "programs"),
    ("case", "cases"),
    ("provider", "providers"),
    ("probe", "probes"),
    ("probe2", "probes"),
    ("submission", "submissions"),
    ("approval", "approvals"),
    ("candidate_list", "candidate_lists"),
    ("candidate", "candidates"),
    ("candidate2", "candidates"),
    ("disposition", "dispositions"),
    ("disposition2", "dispositions"),
    ("examination", "examinations"),
    ("lead", "leads"),
    ("corroboration", "corroborations"),
    ("roi_entry", "roi_entries"),
    ("share", "shares"),
    ("partner_search", "partner_searches"),
]


def _shape(value: Any) -> Any:
    """The type structure of a value: what equality alone would not catch (str vs enum...)."""
    if isinstance(value, tuple | frozenset | list):
        return (type(value), frozenset(_shape(v) for v in value))
    if isinstance(value, datetime):
        return (datetime, "aware")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value),
            tuple(_shape(getattr(value, f.name)) for f in dataclasses.fields(value)),
        )
    return type(value)


def assert_round_trip(loaded: Any, original: Any) -> None:
    assert loaded == original
    for field in dataclasses.fields(original):
        got, want = getattr(loaded, field.name), getattr(original, field.name)
        assert _shape(got) == _shape(want), field.name
        if isinstance(got, datetime):
            assert got.tzinfo is UTC, f"{field.name} is not returned as UTC"
            assert got == want
        if isinstance(want, Enum):
            assert got is want, field.name


@pytest.mark.parametrize(("attr", "repo"), ENTITIES, ids=[a for a, _ in ENTITIES])
def test_entity_round_trip(uow: UnitOfWork, graph: Graph, attr: str, repo: str) -> None:
    original = getattr(graph, attr)
    repository: Repository[Any] = getattr(uow, repo)
    assert_round_trip(repository.get(original.id), original)


def test_every_domain_entity_is_round_tripped() -> None:
    graph_types = {type(getattr(store_graph.build(), f.name)) for f in dataclasses.fields(Graph)}
    tested = {type(getattr(store_graph.build(), attr)) for attr, _ in ENTITIES}
    from frsgate.domain import CandidateImage, ProbeImage

    # Images have their own round-trip tests below; everything else is in ENTITIES.
    assert graph_types - tested == {ProbeImage, CandidateImage}


def test_times_keep_microseconds_and_come_back_as_utc(uow: UnitOfWork, graph: Graph) -> None:
    loaded = uow.cases.get(graph.case.id)
    assert loaded.created_at == store_graph.T0_UTC
    assert loaded.created_at.microsecond == 123456
    assert loaded.created_at.tzinfo is UTC


def test_sealed_images_round_trip(uow: UnitOfWork, graph: Graph) -> None:
    image = uow.probes.get_image(graph.probe2.id)
    assert image == graph.probe_image
    assert type(image.sealed) is bytes
    cand = uow.candidates.get_image(graph.candidate.id)
    assert cand == graph.candidate_image
    assert type(cand.sealed) is bytes


def test_round_trip_of_updates_after_transitions(uow: UnitOfWork, graph: Graph) -> None:
    case = uow.cases.get(graph.case.id)
    case.reopen()
    case.unassign(graph.examiner.id)
    case.assign(graph.supervisor.id)
    case.violation_codes = ("CE-09",)
    uow.cases.update(case, expected_status="closed")
    assert_round_trip(uow.cases.get(case.id), case)
    assert uow.cases.get(case.id).assigned_user_ids == (graph.agent.id, graph.supervisor.id)

    provider = uow.providers.get(graph.provider.id)
    provider.submit_for_review()
    provider.terms = dataclasses.replace(provider.terms, candidate_cap=5)
    uow.providers.update(provider, expected_status="approved")
    assert_round_trip(uow.providers.get(provider.id), provider)

    user = uow.users.get(graph.examiner.id)
    user.enable()
    user.revoke(next(iter(user.roles)))
    uow.users.update(user)
    assert_round_trip(uow.users.get(user.id), user)
    assert uow.users.get(user.id).roles == frozenset()


def test_every_domain_table_has_a_repository() -> None:
    import frsgate.store.repositories as repos
    from frsgate.store.schema import core
    from frsgate.store.schema.base import metadata

    mapped = {
        getattr(repos, name).mapper.table.name
        for name in repos.__all__
        if name.endswith("y") and hasattr(getattr(repos, name), "mapper")
    }
    # Child rows a repository stores beside its entity, and the provider's sealed API key and
    # reviews (written by their own small repositories, which read no entity mapper).
    children = {
        "user_roles",
        "case_supervisors",
        "case_assignments",
        "program_members",
        "probe_images",
        "candidate_images",
        "provider_secrets",
        "provider_reviews",
    }
    domain_tables = {t.name for t in metadata.tables.values() if getattr(core, t.name, None) is t}
    assert mapped | children == domain_tables
