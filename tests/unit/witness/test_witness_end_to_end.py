"""The ledger and a witness over HTTP: checkpoints cosigned as the log grows (with consistency
proofs), the cosignature kept in the stored note, and `frsgate ledger verify` failing, by name,
on each way a database writer can hide history: checkpoints deleted, entries cut off, a second
view of the log."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, delete, select
from typer.testing import CliRunner

from frsgate.cli.ledger import app as ledger_app
from frsgate.config import load_settings
from frsgate.ledger import Actor, EntryDraft, EventTag, Ledger, Outcome
from frsgate.ledger.cosignature import Cosigner
from frsgate.ledger.notes import CheckpointSigner, load_or_create_signing_key
from frsgate.ledger.view import LedgerView
from frsgate.ledger.witnessed import check_witnessed
from frsgate.services.witnessing import WitnessClient, witness_checkpoint, witness_latest
from frsgate.store.engine import make_engine
from frsgate.store.migrate import alembic_config
from frsgate.store.schema import metadata
from frsgate.store.schema.ledger import ledger_checkpoints
from frsgate.witness.core import Witness, WitnessStore
from frsgate.witness.http import create_witness_app

ORIGIN = "frsgate.example/ledger"  # the settings' default origin
runner = CliRunner()


def _draft(n: int) -> EntryDraft:
    return EntryDraft(
        event=EventTag.CASE_RECORDS_VIEW, actor=Actor(f"user-{n % 3}", "agent"),
        outcome=Outcome.ALLOWED, subject=f"case:{n}", component="tests", source="cli",
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine
) -> Path:
    with engine.begin() as conn:
        command.stamp(alembic_config(conn), "head")
    monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    return tmp_path / "home"


@pytest.fixture
def signer(home: Path) -> CheckpointSigner:
    settings = load_settings()
    return load_or_create_signing_key(settings.ledger_key_path, name=settings.ledger_origin)


@pytest.fixture
def ledger(engine: Engine, signer: CheckpointSigner) -> Iterator[Ledger]:
    with Ledger(engine, signer=signer, origin=ORIGIN) as led:
        yield led


@pytest.fixture
def witness(tmp_path: Path, signer: CheckpointSigner) -> Iterator[WitnessClient]:
    cosigner = Cosigner(Ed25519PrivateKey.generate(), "witness.test/w1")
    store = WitnessStore(tmp_path / "witness" / "witness.sqlite3")
    app = create_witness_app(Witness(store, cosigner, {ORIGIN: signer.verifier}))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield WitnessClient(f"http://127.0.0.1:{port}", cosigner.verifier)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def _grow(ledger: Ledger, start: int, count: int) -> None:
    ledger.append_many([_draft(n) for n in range(start, start + count)])


def test_checkpoints_are_cosigned_as_the_log_grows(
    ledger: Ledger, witness: WitnessClient, signer: CheckpointSigner
) -> None:
    _grow(ledger, 0, 7)
    first = ledger.checkpoint()
    line = witness_checkpoint(ledger, first, witness)
    stored = ledger.latest_checkpoint()
    assert stored is not None
    assert line in stored.note
    assert witness.verifier.timestamp_in(stored.note) > 0
    _grow(ledger, 7, 30)
    ledger.checkpoint()
    witness_latest(ledger, [witness])  # from size 7, with a consistency proof to 37
    latest = witness.latest(ORIGIN)
    assert latest.note is not None
    assert latest.note.split("\n")[1] == "37"
    with LedgerView(ledger.engine) as view:
        report = check_witnessed(view, signer.verifier, ORIGIN, [latest])
    assert report.ok, report.summary()
    assert report.checked == ("witness.test/w1 at size 37",)


def _witnessed_log(ledger: Ledger, witness: WitnessClient, size: int = 12) -> None:
    _grow(ledger, 0, size)
    witness_checkpoint(ledger, ledger.checkpoint(), witness)


def test_verify_fails_when_the_checkpoints_are_gone(
    ledger: Ledger, witness: WitnessClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _witnessed_log(ledger, witness)
    monkeypatch.setenv("FRSGATE_WITNESSES", f"{witness.url} {witness.verifier.verifier_string}")
    ok = runner.invoke(ledger_app, ["verify"])
    assert ok.exit_code == 0, ok.output
    assert "witnessed: witness.test/w1 at size 12" in ok.output
    with engine.begin() as conn:
        conn.execute(delete(ledger_checkpoints))
    # The tree alone still checks out: that is the hole witnessing closes.
    assert runner.invoke(ledger_app, ["verify", "--no-witness"]).exit_code == 0
    bad = runner.invoke(ledger_app, ["verify"])
    assert bad.exit_code == 1
    assert "12 entries but no checkpoint" in bad.output


def test_a_shorter_or_forked_log_is_named(
    ledger: Ledger,
    witness: WitnessClient,
    signer: CheckpointSigner,
    second_database_url: str,
) -> None:
    _witnessed_log(ledger, witness, size=12)
    latest = witness.latest(ORIGIN)
    other = make_engine(second_database_url)
    metadata.create_all(other)
    try:
        with Ledger(other, signer=signer, origin=ORIGIN) as forked:
            forked.append_many([_draft(n) for n in range(8)])  # shorter: 8 < 12
            forked.checkpoint()
            with LedgerView(other) as view:
                short = check_witnessed(view, signer.verifier, ORIGIN, [latest])
            assert not short.ok
            assert "fewer than the 12 witness witness.test/w1 cosigned" in short.summary()
            forked.append_many([_draft(n + 100) for n in range(4)])  # 12, another history
            forked.checkpoint()
            with LedgerView(other) as view:
                split = check_witnessed(view, signer.verifier, ORIGIN, [latest])
            assert not split.ok
            assert "split view at size 12" in split.summary()
            assert len(split.problems) == 1
            # And the witness refuses to cosign the second view.
            refused = forked.latest_checkpoint()
            assert refused is not None
            answer = witness.add_checkpoint(12, [], refused.note)
            assert answer.status_code == 409
    finally:
        other.dispose()


def test_an_unreachable_or_unconfigured_witness_fails_verify_by_name(
    ledger: Ledger, engine: Engine
) -> None:
    _grow(ledger, 0, 3)
    ledger.checkpoint()
    nobody = Cosigner(Ed25519PrivateKey.generate(), "witness.test/gone").verifier
    port = _free_port()
    gone = runner.invoke(
        ledger_app, ["verify", "--witness", f"http://127.0.0.1:{port} {nobody.verifier_string}"]
    )
    assert gone.exit_code == 1
    assert "witness witness.test/gone: unreachable" in gone.output
    none = runner.invoke(ledger_app, ["verify"])
    assert none.exit_code == 1
    assert "no witness is configured" in none.output
    bad = runner.invoke(ledger_app, ["verify", "--witness", "not-a-url"])
    assert bad.exit_code == 2
    with engine.connect() as conn:
        assert conn.execute(select(ledger_checkpoints.c.tree_size)).scalars().all() == [3]


def test_a_saved_cosigned_checkpoint_checks_offline(
    ledger: Ledger, witness: WitnessClient, tmp_path: Path
) -> None:
    _witnessed_log(ledger, witness, size=5)
    saved = tmp_path / "cosigned.note"
    note = witness.latest(ORIGIN).note
    assert note is not None
    saved.write_text(note)
    key = witness.verifier.verifier_string
    ok = runner.invoke(ledger_app, ["verify", "--witnessed", str(saved), "--witness-key", key])
    assert ok.exit_code == 0, ok.output
    half = runner.invoke(ledger_app, ["verify", "--witnessed", str(saved)])
    assert half.exit_code == 2
    assert "go together" in half.output
