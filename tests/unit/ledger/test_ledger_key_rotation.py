"""Rotating the ledger's signing key: the handover checkpoint is signed by both keys, old
checkpoints keep verifying with the published history, new ones are signed by the new key only,
and a retired key cannot extend the log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from conftest import make_draft
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, insert, select
from typer.testing import CliRunner

from frsgate.cli.ledger import app
from frsgate.config import load_settings
from frsgate.keyfiles import write_private_file
from frsgate.ledger import Ledger
from frsgate.ledger.merkle import InvalidProof
from frsgate.ledger.notes import (
    Checkpoint,
    CheckpointSigner,
    KeyHistory,
    load_or_create_signing_key,
    sign_checkpoint,
)
from frsgate.ledger.verify import verify_ledger
from frsgate.services.ledger_keys import (
    _pem,
    _pending_path,
    history_path,
    key_history,
    rotate_ledger_key,
)
from frsgate.store.migrate import alembic_config
from frsgate.store.schema.ledger import ledger_checkpoints, ledger_entries

runner = CliRunner()


@pytest.fixture
def home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine
) -> Path:
    with engine.begin() as conn:
        command.stamp(alembic_config(conn), "head")
    monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    return tmp_path / "home"


def _signer() -> CheckpointSigner:
    settings = load_settings()
    return load_or_create_signing_key(settings.ledger_key_path, name=settings.ledger_origin)


def _grow(engine: Engine, start: int, count: int) -> None:
    settings = load_settings()
    with Ledger(engine, signer=_signer(), origin=settings.ledger_origin) as ledger:
        ledger.append_many([make_draft(n) for n in range(start, start + count)])
        ledger.checkpoint()


def _notes(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(ledger_checkpoints.c.tree_size, ledger_checkpoints.c.note))
        return {int(s): str(n) for s, n in rows}


def test_old_checkpoints_verify_with_the_history_and_new_ones_with_the_new_key(
    home: Path, engine: Engine
) -> None:
    _grow(engine, 0, 10)
    old = _signer().verifier
    done = rotate_ledger_key(load_settings(), engine)
    new = _signer().verifier
    assert (done.retired, done.new) == (old.verifier_string, new.verifier_string)
    assert done.handover_size == 11  # the ten entries and the rotation's own record
    _grow(engine, 100, 5)
    notes = _notes(engine)
    assert sorted(notes) == [10, 11, 16]
    # The handover carries both signatures; before it the old key alone, after it the new.
    assert old.open(notes[11]) == new.open(notes[11])
    with pytest.raises(InvalidProof, match="another key"):
        new.open(notes[10])
    with pytest.raises(InvalidProof, match="another key"):
        old.open(notes[16])
    history = key_history(load_settings())
    assert [k.retired_at for k in history.keys] == [11, None]
    assert verify_ledger(engine, history, parallel=False).ok
    assert not verify_ledger(engine, new, parallel=False).ok
    assert not verify_ledger(engine, old, parallel=False).ok
    with engine.connect() as conn:
        entry = conn.execute(select(ledger_entries.c.entry).where(ledger_entries.c.seq == 10))
        record = json.loads(entry.scalar_one())
    assert record["event"] == "ledger:key:rotate"
    assert record["details"] == {"retired_key": old.verifier_string, "new_key": new.verifier_string}
    assert not (home / "keys" / "ledger-ed25519.pem.next").exists()


def test_a_retired_key_cannot_extend_the_log(home: Path, engine: Engine) -> None:
    _grow(engine, 0, 4)
    retired_pem = (home / "keys" / "ledger-ed25519.pem").read_bytes()
    rotate_ledger_key(load_settings(), engine)
    _grow(engine, 10, 6)
    # Someone holding the retired private key signs a checkpoint of the grown log.
    key = serialization.load_pem_private_key(retired_pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    settings = load_settings()
    with Ledger(engine, signer=_signer(), origin=settings.ledger_origin) as ledger:
        ledger.append(make_draft(99))
        size, root = ledger.size(), ledger.root()
    forged = sign_checkpoint(CheckpointSigner(key, settings.ledger_origin),
                             Checkpoint(settings.ledger_origin, size, root))  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            insert(ledger_checkpoints).values(
                tree_size=size, root=root, note=forged.note, created_at=datetime.now(UTC)
            )
        )
    report = verify_ledger(engine, key_history(settings), parallel=False)
    assert not report.ok
    assert "retired at tree size 5" in (report.problem or "")


def test_an_interrupted_rotation_finishes_when_run_again(home: Path, engine: Engine) -> None:
    _grow(engine, 0, 3)
    settings = load_settings()
    old = _signer().verifier
    # As if the last run stopped after writing the history, before putting the key in place.
    nxt = Ed25519PrivateKey.generate()
    write_private_file(_pending_path(settings), _pem(nxt))
    history_path(settings).write_text(f"{old.verifier_string} 3\n")
    history_path(settings).chmod(0o600)
    done = rotate_ledger_key(settings, engine)
    assert done.new == CheckpointSigner(nxt, settings.ledger_origin).verifier.verifier_string
    assert _signer().verifier.verifier_string == done.new
    assert not _pending_path(settings).exists()


def test_the_cli_publishes_the_history_and_verifies_with_it(
    home: Path, engine: Engine, tmp_path: Path
) -> None:
    _grow(engine, 0, 6)
    old = runner.invoke(app, ["key"]).output.strip()
    rotated = runner.invoke(app, ["rotate-key"])
    assert rotated.exit_code == 0, rotated.output
    assert "valid up to tree size 7" in rotated.output
    _grow(engine, 50, 2)
    published = runner.invoke(app, ["key", "--history"]).output
    lines = published.splitlines()
    assert lines[0] == f"{old} 7"
    assert lines[1].endswith(" current")
    assert KeyHistory.parse(published).current.verifier_string == lines[1].split(" ")[0]
    assert runner.invoke(app, ["verify", "--no-witness"]).exit_code == 0
    saved = tmp_path / "history.txt"
    saved.write_text(published)
    ok = runner.invoke(app, ["verify", "--no-witness", "--key-history", str(saved)])
    assert ok.exit_code == 0, ok.output
    only_old = runner.invoke(app, ["verify", "--no-witness", "--key", old])
    assert only_old.exit_code == 1
    both = runner.invoke(app, ["verify", "--key", old, "--key-history", str(saved)])
    assert both.exit_code == 2
