"""`frsgate roi ...`, `frsgate shares ...` and `frsgate partner-searches ...` on a demo
installation with a use the sandbox FRS answered: each act decided by the pack as the `--as`
user and recorded on the ledger under them (source "cli"), each refusal one line on stderr with
exit status 2 and its decision on the ledger."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from images import astronaut_jpeg
from pypdf import PdfReader

from frsgate.api.app import create_app
from frsgate.config import load_settings
from frsgate.connectors.sandbox import create_sandbox_app
from frsgate.connectors.serve import serve_in_thread
from frsgate.domain import LEAD_ONLY_NOTICE
from frsgate.reports.roi import TITLE
from frsgate.services.bootstrap import (
    DEMO_CASE,
    DEMO_FRS_PROGRAM_CODE,
    DEMO_PROGRAM,
    initialize,
)
from frsgate.services.runtime import Runtime
from frsgate.services.tokens import issue_local_token
from frsgate.store.unit import read_only
from tests.unit.cli.cli_acts import ledger as _ledger
from tests.unit.cli.cli_acts import ok as _ok
from tests.unit.cli.cli_acts import refused as _refused
from tests.unit.cli.cli_acts import run as _run


@pytest.fixture
def use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[str]:
    """A demo installation and one submission of the demo case that the sandbox answered."""
    with serve_in_thread(create_sandbox_app(seed=7)) as sandbox_url:
        monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
        monkeypatch.setenv("FRSGATE_SANDBOX_FRS", "false")
        monkeypatch.setenv("FRSGATE_SANDBOX_FRS_PORT", str(urlparse(sandbox_url).port))
        monkeypatch.setenv("FRSGATE_CHECKPOINT_INTERVAL_SECONDS", "0")
        monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)
        settings = load_settings()
        initialize(settings, demo=True)
        with Runtime.open(settings, periodic_checkpoints=False) as runtime:
            with read_only(runtime.engine) as uow:
                alice = uow.users.get_by_username("alice")
            token = issue_local_token(settings, alice.id)
            with (
                serve_in_thread(create_app(runtime)) as url,
                httpx.Client(
                    base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
                ) as client,
            ):
                probe = client.post(
                    "/api/v1/probes",
                    data=_probe_form(),
                    files={"image": ("probe.jpg", astronaut_jpeg(), "image/jpeg")},
                )
                assert probe.status_code == 201, probe.text
                done = client.post(
                    "/api/v1/submissions",
                    json={"probe_id": probe.json()["id"], "provider": "sandbox",
                          "match_type": "one_to_many", "program_code": DEMO_FRS_PROGRAM_CODE,
                          "justification": "identify the suspect loading undeclared goods"},
                )  # fmt: skip
                assert done.status_code == 201, done.text
        yield str(done.json()["submission"]["id"])


def _probe_form() -> dict[str, str]:
    return {
        "case": DEMO_CASE,
        "subject_role": "suspect",
        "capture_source": "recorded_video_still",
        "lawful_basis": "still from CCTV footage obtained by subpoena 2026-114",
        "traditional_means": "records checks and canvass of the port workers; no identification",
        "attestation": "true",
        "justification": "suspect seen loading undeclared goods at the port on 2026-10-02",
        "program_code": DEMO_PROGRAM,
    }


def _size() -> int:
    return len(_ledger())


def test_roi_show_and_file(use: str, tmp_path: Path) -> None:
    before = _size()
    text = _ok("roi", "show", use, "--as", "alice")
    assert text.startswith(TITLE)
    assert LEAD_ONLY_NOTICE in text
    assert DEMO_CASE in text
    assert DEMO_FRS_PROGRAM_CODE in text
    [read] = [e for e in _ledger(before) if e["event"] == "roi:entry:view"]
    assert read["source"] == "cli"
    assert read["submission"] == use

    shown = json.loads(_ok("roi", "show", use, "--as", "alice", "--format", "json"))
    assert shown["report"]["submission_id"] == use
    assert shown["investigative_lead_only"] is True
    assert shown["filings"] == []

    no_out = _run("roi", "show", use, "--as", "alice", "--format", "pdf")
    assert no_out.exit_code == 2
    assert "--out" in no_out.output
    pdf = tmp_path / "roi.pdf"
    _ok("roi", "show", use, "--as", "alice", "--format", "pdf", "--out", str(pdf))
    pages = PdfReader(io.BytesIO(pdf.read_bytes())).pages
    assert LEAD_ONLY_NOTICE in pages[0].extract_text()

    before = _size()
    filed = _ok("roi", "file", use, "--as", "alice", "--case-system-ref", "ICM-ROI-9")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert filed.startswith("filed roi_")
    assert f"ref=ICM-ROI-9 sha256={digest}" in filed
    [entry] = [e for e in _ledger(before) if e["event"] == "roi:entry:file"]
    assert entry["source"] == "cli"
    assert entry["details"]["record"]["body_sha256"] == digest
    again = json.loads(_ok("roi", "show", use, "--as", "alice", "--format", "json"))
    assert [f["body_sha256"] for f in again["filings"]] == [digest]

    _refused(["roi", "file", use, "--as", "erin", "--case-system-ref", "X"], "duty.roi_file")
    _refused(["roi", "show", use, "--as", "olga"], "duty.candidates_view")
    missing = _run("roi", "show", "sub_nope", "--as", "alice")
    assert missing.exit_code == 2
    assert missing.output.startswith("error: ")


def test_shares_from_the_command_line(use: str) -> None:
    before = _size()
    out = _ok("shares", "create", DEMO_CASE, "--as", "alice", "--submission", use,
              "--recipient", "CBP Newark", "--authority-kind", "statute",
              "--authority", "19 U.S.C. 1628",
              "--description", "top candidate reference")  # fmt: skip
    assert out.startswith("shared share_")
    assert "to='CBP Newark'" in out
    [created] = [e for e in _ledger(before) if e["event"] == "share:record:create"]
    assert created["source"] == "cli"
    assert created["details"]["record"]["recipient"] == "CBP Newark"

    _refused(["shares", "create", DEMO_CASE, "--as", "alice", "--submission", use,
              "--authority-kind", "statute", "--authority", "19 U.S.C. 1628",
              "--description", "d"], "share.recipient")  # fmt: skip
    _refused(["shares", "create", DEMO_CASE, "--as", "alice", "--submission", use,
              "--recipient", "CBP Newark", "--description", "d"], "share.authority")  # fmt: skip

    lines = _ok("shares", "list", DEMO_CASE, "--as", "sam").strip().splitlines()
    assert len(lines) == 1
    assert "authority=statute:'19 U.S.C. 1628'" in lines[0]
    listed = json.loads(_ok("shares", "list", DEMO_CASE, "--as", "alice", "--json"))
    assert [s["recipient"] for s in listed["shares"]] == ["CBP Newark"]
    _refused(["shares", "list", DEMO_CASE, "--as", "sue"], "purpose.case_assignment")


def test_partner_searches_from_the_command_line(use: str) -> None:
    before = _size()
    out = _ok("partner-searches", "record", DEMO_CASE, "--as", "alice",
              "--partner", "New Jersey State Police", "--system", "NJ ROIC FRS",
              "--searched-on", "2026-10-03", "--result", "candidates",
              "--candidate-count", "4", "--summary", "four candidates returned")  # fmt: skip
    assert out.startswith("recorded psearch_")
    assert "result=candidates candidates=4 by=alice" in out
    [noted] = [e for e in _ledger(before) if e["event"] == "partner:search:record"]
    assert noted["details"]["record"]["searched_on"] == "2026-10-03"

    _refused(["partner-searches", "record", DEMO_CASE, "--as", "alice",
              "--partner", "NJSP", "--searched-on", "2026-10-03", "--result", "unknown",
              "--summary", "s"], "partner_search.frs_named")  # fmt: skip
    bad = _run("partner-searches", "record", DEMO_CASE, "--as", "alice", "--partner", "NJSP",
               "--system", "S", "--searched-on", "2026-10-03", "--result", "negative",
               "--candidate-count", "2", "--summary", "s")  # fmt: skip
    assert bad.exit_code == 2
    assert "candidate_count" in bad.output

    lines = _ok("partner-searches", "list", DEMO_CASE, "--as", "alice").strip().splitlines()
    assert len(lines) == 1
    assert "partner='New Jersey State Police'" in lines[0]
    listed = json.loads(_ok("partner-searches", "list", DEMO_CASE, "--as", "otto", "--json"))
    assert listed["partner_searches"][0]["partner_system"] == "NJ ROIC FRS"
    _refused(["partner-searches", "list", DEMO_CASE, "--as", "sue"], "purpose.case_assignment")
