"""Revision 0002 on a ledger that already has entries: the head gets an empty frontier, the
next append reads the right edge from the stored nodes, and the log still verifies."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from frsgate.ledger import Actor, EntryDraft, EventTag, Ledger, Outcome
from frsgate.ledger.notes import CheckpointSigner
from frsgate.ledger.verify import verify_ledger
from frsgate.store.engine import make_engine
from frsgate.store.migrate import upgrade, upgrade_to_head


def _draft(n: int) -> EntryDraft:
    return EntryDraft(
        event=EventTag.SYSTEM_SERVICE_START,
        actor=Actor.system(),
        outcome=Outcome.SUCCEEDED,
        subject=f"system:test-{n}",
        component="tests",
        source="system",
    )


def test_upgrade_from_0001_keeps_an_existing_ledger_appendable(database_url: str) -> None:
    from alembic import command

    from frsgate.store.migrate import alembic_config

    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    signer = CheckpointSigner(Ed25519PrivateKey.generate(), "test.example/log")
    ledger = Ledger(engine, signer=signer, origin="test.example/log")
    for n in range(11):
        ledger.append(_draft(n))
    ledger.close()
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    upgrade(engine)  # 0001 -> 0002 with a head row already present
    ledger = Ledger(engine, signer=signer, origin="test.example/log")
    for n in range(11, 16):
        ledger.append(_draft(n))
    assert ledger.size() == 16
    ledger.checkpoint()
    ledger.close()
    report = verify_ledger(engine, signer.verifier)  # every leaf, node and root recomputed
    assert report.ok, report
    engine.dispose()
