"""Fixtures for ledger tests: a signer and a ledger over the per-test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from frsgate.ledger import Actor, EntryDraft, EventTag, Ledger, Outcome
from frsgate.ledger.notes import CheckpointSigner

ORIGIN = "frsgate.test/ledger"


@pytest.fixture
def signer() -> CheckpointSigner:
    return CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN)


@pytest.fixture
def ledger(engine: Engine, signer: CheckpointSigner) -> Iterator[Ledger]:
    with Ledger(engine, signer=signer, origin=ORIGIN) as led:
        yield led


def make_draft(n: int = 0, **overrides: object) -> EntryDraft:
    """A plausible entry: an agent's submission intent, numbered in its details."""
    fields: dict[str, object] = {
        "event": EventTag.SUBMISSION_DISPATCH_INTENT,
        "actor": Actor(id=f"user-{n % 7}", role="agent"),
        "outcome": Outcome.ALLOWED,
        "subject": f"submission:{n}",
        "component": "services.submit",
        "source": "127.0.0.1",
        "case": "HSI-2026-0001",
        "submission": f"s-{n}",
        "provider": "sandbox",
        "details": {"n": n, "match_type": "one_to_many", "probe_sha256": "ab" * 32},
    }
    fields.update(overrides)
    return EntryDraft(**fields)  # type: ignore[arg-type]


@pytest.fixture(name="draft")
def draft_factory() -> object:
    """`draft(n, **overrides)` builds a plausible EntryDraft."""
    return make_draft
