"""`frsgate ledger ...` commands, run on the sub-app with Typer's CliRunner."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from frsgate.cli.ledger import app
from frsgate.config import load_settings
from frsgate.ledger import EntryDraft, Ledger, NoteVerifier, verify_consistency, verify_inclusion
from frsgate.ledger.merkle import leaf_hash
from frsgate.ledger.notes import load_or_create_signing_key
from frsgate.store.migrate import alembic_config
from frsgate.store.schema.ledger import ledger_entries

Draft = Callable[..., EntryDraft]
runner = CliRunner()


@pytest.fixture
def home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine
) -> Path:
    # The `engine` fixture builds the tables from code; record them as the migrations' head,
    # as `frsgate init` would, since the commands refuse a database init has not made.
    with engine.begin() as conn:
        command.stamp(alembic_config(conn), "head")
    monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    return tmp_path / "home"


@pytest.fixture
def local_ledger(home: Path, engine: Engine) -> Iterator[Ledger]:
    settings = load_settings()
    signer = load_or_create_signing_key(settings.ledger_key_path, name=settings.ledger_origin)
    with Ledger(engine, signer=signer, origin=settings.ledger_origin) as ledger:
        yield ledger


def test_key_prints_a_verifier_string_and_keeps_the_key(home: Path) -> None:
    first = runner.invoke(app, ["key"])
    assert first.exit_code == 0, first.output
    verifier = NoteVerifier.parse(first.output.strip())
    assert verifier.name == load_settings().ledger_origin
    assert (home / "keys" / "ledger-ed25519.pem").stat().st_mode & 0o777 == 0o600
    assert runner.invoke(app, ["key"]).output == first.output


def test_checkpoint_verify_and_tamper(
    local_ledger: Ledger, engine: Engine, draft: Draft, tmp_path: Path
) -> None:
    local_ledger.append_many([draft(i) for i in range(12)])
    note_file = tmp_path / "published.note"
    result = runner.invoke(app, ["checkpoint", "--output", str(note_file)])
    assert result.exit_code == 0, result.output
    assert result.output == note_file.read_text()
    assert result.output.split("\n")[1] == "12"

    ok = runner.invoke(app, ["verify", "--no-witness", "--checkpoint", str(note_file)])
    assert ok.exit_code == 0, ok.output
    assert "12 entries" in ok.output

    with engine.begin() as conn:
        conn.execute(
            update(ledger_entries).where(ledger_entries.c.seq == 7).values(entry=b'{"v":1}')
        )
    bad = runner.invoke(app, ["verify", "--no-witness", "--checkpoint", str(note_file)])
    assert bad.exit_code == 1
    assert "seq 7" in bad.output


def test_verify_with_an_explicit_key_and_bad_inputs(
    local_ledger: Ledger, draft: Draft, tmp_path: Path
) -> None:
    local_ledger.append(draft(0))
    key = runner.invoke(app, ["key"]).output.strip()
    assert runner.invoke(app, ["verify", "--no-witness", "--key", key]).exit_code == 0
    assert runner.invoke(app, ["verify", "--key", "nonsense"]).exit_code == 2
    forged = tmp_path / "forged.note"
    forged.write_text("frsgate.example/ledger\n1\nAAAA\n\n\u2014 x AAAA\n")
    assert runner.invoke(app, ["verify", "--checkpoint", str(forged)]).exit_code == 2


def test_verify_without_a_key_is_bad_input(home: Path) -> None:
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 2
    assert "missing" in result.output


def test_proofs_are_printed_as_contract_json(local_ledger: Ledger, draft: Draft) -> None:
    local_ledger.append_many([draft(i) for i in range(9)])
    result = runner.invoke(app, ["prove-inclusion", "5", "--tree-size", "7"])
    assert result.exit_code == 0, result.output
    proof = json.loads(result.output)
    assert set(proof) == {"leaf_index", "tree_size", "hashes"}
    hashes = [base64.b64decode(h) for h in proof["hashes"]]
    verify_inclusion(5, 7, leaf_hash(local_ledger.entry(5)), hashes, local_ledger.root(7))

    result = runner.invoke(app, ["prove-consistency", "3", "9"])
    assert result.exit_code == 0, result.output
    proof = json.loads(result.output)
    hashes = [base64.b64decode(h) for h in proof["hashes"]]
    verify_consistency(3, 9, hashes, local_ledger.root(3), local_ledger.root(9))

    assert runner.invoke(app, ["prove-inclusion", "9"]).exit_code == 2
    assert runner.invoke(app, ["prove-consistency", "5", "4"]).exit_code == 2


def test_export_writes_canonical_json_lines(local_ledger: Ledger, draft: Draft) -> None:
    local_ledger.append_many([draft(i) for i in range(6)])
    result = runner.invoke(app, ["export", "--start", "2", "--end", "5"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [2, 3, 4]
    assert [line.encode() for line in lines] == [local_ledger.entry(s) for s in (2, 3, 4)]
    everything = runner.invoke(app, ["export"])
    assert len(everything.output.splitlines()) == 6
    assert runner.invoke(app, ["export", "--start", "4", "--end", "1"]).exit_code == 2


def test_verify_index_finds_an_index_row_changed_behind_the_appender(
    local_ledger: Ledger, engine: Engine, draft: Draft
) -> None:
    from frsgate.ledger import Citation, Outcome
    from frsgate.store.schema.ledger import ledger_index

    denied = {"outcome": Outcome.DENIED, "citations": [Citation("r.x", "4.B.1", "no")]}
    local_ledger.append_many([draft(i, **(denied if i == 3 else {})) for i in range(9)])
    ok = runner.invoke(app, ["verify", "--no-witness", "--index"])
    assert ok.exit_code == 0, ok.output
    assert "ledger index OK: 9 entries" in ok.output
    # The tree still verifies: only the derived row changed, which a report would count.
    with engine.begin() as conn:
        conn.execute(
            update(ledger_index).where(ledger_index.c.seq == 5).values(case_number="HSI-OTHER")
        )
    assert runner.invoke(app, ["verify", "--no-witness"]).exit_code == 0
    bad = runner.invoke(app, ["verify", "--no-witness", "--index"])
    assert bad.exit_code == 1
    assert "seq 5" in bad.output
    assert "case_number" in bad.output
