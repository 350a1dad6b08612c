"""`frsgate queue supervisor` and `frsgate case ledger CASE` on a demo installation: the same
JSON as the routes, decided and recorded like them; a refusal is one line, exit status 2, and on
the ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from frsgate.cli.main import app
from frsgate.config import load_settings
from frsgate.ledger.merkle import b64decode, leaf_hash, verify_inclusion
from frsgate.ledger.view import LedgerView
from frsgate.services.bootstrap import DEMO_CASE, initialize
from frsgate.store.engine import make_engine

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FRSGATE_SANDBOX_FRS", "false")
    monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)
    initialize(load_settings(), demo=True)
    return tmp_path


def _entries() -> list[dict[str, Any]]:
    engine = make_engine(load_settings().effective_database_url)
    try:
        with LedgerView(engine) as view:
            return [json.loads(e) for e in view.entries(0, view.size())]
    finally:
        engine.dispose()


def test_the_supervisor_reads_their_queue(home: Path) -> None:
    result = runner.invoke(app, ["queue", "supervisor", "--as", "sam"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert {"approvals", "overdue", "escalated", "rate_limits", "outcome_unknown",
            "roi_unfiled"} <= set(body)  # fmt: skip
    last = _entries()[-1]
    assert (last["event"], last["details"]["queue"]) == ("queue:items:read", "supervisor")
    refused = runner.invoke(app, ["queue", "supervisor", "--as", "alice"])
    assert refused.exit_code == 2
    assert "supervisor" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_a_case_page_with_proofs_for_its_supervisor_only(home: Path) -> None:
    result = runner.invoke(app, ["case", "ledger", DEMO_CASE, "--limit", "3", "--as", "sam"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["case"] == DEMO_CASE
    assert len(body["entries"]) == 3
    root = b64decode(body["checkpoint"]["root"])
    for item in body["entries"]:
        raw = item["entry"].encode("utf-8")
        assert json.loads(raw)["case"] == DEMO_CASE
        proof = item["proof"]
        verify_inclusion(item["seq"], proof["tree_size"], leaf_hash(raw),
                         [b64decode(h) for h in proof["hashes"]], root)  # fmt: skip
    following = runner.invoke(app, ["case", "ledger", DEMO_CASE, "--cursor",
                                    str(body["next_cursor"]), "--as", "sam"])  # fmt: skip
    assert following.exit_code == 0, following.output
    assert min(e["seq"] for e in json.loads(following.stdout)["entries"]) > body["next_cursor"]
    refused = runner.invoke(app, ["case", "ledger", DEMO_CASE, "--as", "sue"])
    assert refused.exit_code == 2
    assert "supervisors of that case" in refused.stderr
    last = _entries()[-1]
    assert (last["outcome"], last["case"]) == ("denied", DEMO_CASE)
    assert [c["rule"] for c in last["citations"]] == ["ledger.case_supervisor"]
    bad = runner.invoke(app, ["case", "ledger", DEMO_CASE, "--from", "soon", "--as", "sam"])
    assert bad.exit_code == 2
    assert "from" in bad.stderr
