"""`frsgate case disclose CASE` on a demo installation: the package written for a supervisor of
the case (JSON that the offline verifier accepts, or its PDF); another case's supervisor and a
package leaving the agency without its authority refused on one line, exit status 2, with the
refusal on the ledger."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frsgate.cli.main import app
from frsgate.config import load_settings
from frsgate.ledger.view import LedgerView
from frsgate.services.bootstrap import DEMO_CASE, initialize
from frsgate.store.engine import make_engine

runner = CliRunner()
VERIFY = Path(__file__).resolve().parents[3] / "tools" / "verify_disclosure.py"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FRSGATE_SANDBOX_FRS", "false")
    monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)
    initialize(load_settings(), demo=True)
    return tmp_path


def _refusals() -> list[dict[str, object]]:
    engine = make_engine(load_settings().effective_database_url)
    try:
        with LedgerView(engine) as view:
            entries = [json.loads(e) for e in view.entries(0, view.size())]
    finally:
        engine.dispose()
    return [
        e for e in entries
        if e["event"] == "policy:decision:evaluate" and e["outcome"] == "denied"
    ]  # fmt: skip


def test_the_case_supervisor_writes_a_package_the_offline_verifier_accepts(home: Path) -> None:
    out = home / "package.json"
    result = runner.invoke(app, ["case", "disclose", DEMO_CASE, "--out", str(out), "--as", "sam"])
    assert result.exit_code == 0, result.output
    assert f"case {DEMO_CASE}" in result.output
    package = json.loads(out.read_text(encoding="utf-8"))
    assert package["format"] == "frsgate-disclosure/1"
    assert package["ledger"]["entries"]  # the export itself, at least
    key = package["ledger"]["public_key"]
    checked = subprocess.run(
        [sys.executable, str(VERIFY), str(out), "--key", key],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr

    pdf = home / "package.pdf"
    result = runner.invoke(
        app, ["case", "disclose", DEMO_CASE, "--out", str(pdf), "--format", "pdf", "--as", "sam"]
    )
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_refusals_are_one_line_and_on_the_ledger(home: Path) -> None:
    out = home / "package.json"
    other = runner.invoke(app, ["case", "disclose", DEMO_CASE, "--out", str(out), "--as", "sue"])
    assert other.exit_code == 2
    assert "supervisor" in other.output
    leaving = runner.invoke(
        app,
        ["case", "disclose", DEMO_CASE, "--out", str(out), "--as", "sam",
         "--recipient", "U.S. Attorney's Office"],
    )  # fmt: skip
    assert leaving.exit_code == 2
    assert not out.exists()
    cited = [[c["rule"] for c in e["citations"]] for e in _refusals()]  # type: ignore[union-attr]
    assert ["export.case_supervisor"] in cited
    assert ["export.authority"] in cited
    bad = runner.invoke(
        app, ["case", "disclose", DEMO_CASE, "--out", str(out), "--format", "xml", "--as", "sam"]
    )
    assert bad.exit_code == 2
