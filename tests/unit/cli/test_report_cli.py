"""`frsgate report ...` on a demo installation: each report run as the `--as` user, decided by
the pack and recorded on the ledger under them (source "cli"); JSON, CSV and PDF written; the
full verification on request; a refusal one line on stderr with exit status 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from frsgate.config import load_settings
from frsgate.domain import LEAD_ONLY_NOTICE
from frsgate.services.bootstrap import initialize
from tests.unit.cli.cli_acts import ledger, ok, refused, run


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FRSGATE_SANDBOX_FRS", "false")
    monkeypatch.setenv("FRSGATE_CHECKPOINT_INTERVAL_SECONDS", "0")
    monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)
    initialize(load_settings(), demo=True)


def test_opr_runs_its_report_as_json_with_a_full_verification(demo: None) -> None:
    before = len(ledger())
    out = ok(
        "report",
        "opr",
        "--as",
        "otto",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--verify-full",
    )
    body = json.loads(out[out.index("{") :].rsplit("}", 1)[0] + "}")
    assert body["kind"] == "opr"
    assert body["notice"] == LEAD_ONLY_NOTICE
    assert body["period"] == {
        "first_day": "2026-01-01",
        "last_day": "2026-12-31",
        "start": "2026-01-01T00:00:00+00:00",
        "end": "2027-01-01T00:00:00+00:00",
    }
    check = body["ledger"]["verification"]
    assert check["method"] == "full"
    assert check["ok"] is True
    assert "ledger OK" in check["statement"]
    run_entries = [e for e in ledger(before) if e["event"] == "report:record:create"]
    assert [(e["actor"]["id"], e["source"], e["details"]["report"]) for e in run_entries] == [
        (run_entries[0]["actor"]["id"], "cli", "opr")
    ]
    assert run_entries[0]["seq"] < body["ledger"]["checkpoint"]["tree_size"]


def test_csv_and_pdf_are_written(demo: None, tmp_path: Path) -> None:
    sheet, paper = tmp_path / "annual.csv", tmp_path / "igp.pdf"
    ok("report", "annual", "--as", "ivan", "--format", "csv", "--output", str(sheet))
    rows = list(csv.reader(io.StringIO(sheet.read_text(encoding="utf-8"))))
    assert rows[0] == ["section", "report"]
    assert ["kind", "annual"] in rows
    ok("report", "igp", "--as", "ivan", "--format", "pdf", "--output", str(paper))
    assert "IGP report" in PdfReader(paper).pages[0].extract_text()


def test_a_pdf_needs_a_file_and_a_refusal_is_one_line(demo: None) -> None:
    result = run("report", "opr", "--as", "otto", "--format", "pdf")
    assert result.exit_code == 2
    assert "--output" in result.output
    refused(["report", "opr", "--as", "sam"], "report.opr_only")
