"""`frsgate cases ...`, `frsgate programs ...` and `frsgate program-codes ...` on a demo
installation, run through the root command with Typer's CliRunner: each act decided by the
pack as the `--as` user and recorded on the ledger under them (source "cli"), each refusal one
line on stderr with exit status 2 and its decision on the ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from frsgate.config import load_settings
from frsgate.services.bootstrap import initialize
from tests.unit.cli.cli_acts import ledger as _ledger
from tests.unit.cli.cli_acts import ok as _ok
from tests.unit.cli.cli_acts import refused as _refused
from tests.unit.cli.cli_acts import run as _run


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FRSGATE_SANDBOX_FRS", "false")
    monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)
    initialize(load_settings(), demo=True)
    return tmp_path / "home"


def _size() -> int:
    return len(_ledger())


def test_cases_from_the_command_line(home: Path) -> None:
    before = _size()
    out = _ok("cases", "add", "HSI-2026-000555", "--as", "ada", "--title", "Wildlife trafficking",
              "--authority", "16 U.S.C. 3372", "--hsi-authority", "--supervisor", "sam",
              "--violation", "16USC3372", "--agent", "alice")  # fmt: skip
    assert out.startswith("opened HSI-2026-000555 status=open hsi_authority=yes supervisors=sam")
    assert "assigned=alice" in out
    [created] = [e for e in _ledger(before) if e["event"] == "case:record:create"]
    assert created["source"] == "cli"
    assert created["case"] == "HSI-2026-000555"
    assert created["details"]["before"] is None
    assert created["details"]["after"]["violation_codes"] == ["16USC3372"]

    # --hsi-authority is never assumed.
    missing = _run("cases", "add", "HSI-2026-000556", "--as", "ada", "--title", "t",
                   "--authority", "a", "--supervisor", "sam")  # fmt: skip
    assert missing.exit_code == 2
    assert "--hsi-authority" in missing.output

    out = _ok("cases", "assign", "HSI-2026-000555", "erin", "--as", "sam")
    assert "assigned=alice,erin" in out
    out = _ok("cases", "unassign", "HSI-2026-000555", "alice", "--as", "sam")
    assert "assigned=erin" in out
    out = _ok("cases", "update", "HSI-2026-000555", "--as", "sam", "--title", "Ivory")
    assert "title='Ivory'" in out
    assert "status=closed" in _ok("cases", "close", "HSI-2026-000555", "--as", "sam",
                                  "--reason", "indicted")  # fmt: skip
    assert "status=open" in _ok("cases", "reopen", "HSI-2026-000555", "--as", "sam",
                                "--reason", "appeal")  # fmt: skip
    shown = json.loads(_ok("cases", "show", "HSI-2026-000555", "--as", "ada", "--json"))
    assert shown["title"] == "Ivory"
    assert shown["assigned"] == ["erin"]
    mine = _ok("cases", "list", "--as", "sam", "--mine").splitlines()
    assert [line.split()[0] for line in mine] == ["HSI-2026-000001", "HSI-2026-000555"]
    events = [e["event"] for e in _ledger(before) if e["event"] != "policy:decision:evaluate"]
    assert events == [
        "case:record:create", "case:assignment:add", "case:assignment:add",
        "case:assignment:remove", "case:record:update", "case:status:change",
        "case:status:change", "case:records:view", "case:records:view",
    ]  # fmt: skip

    _refused(["cases", "close", "HSI-2026-000555", "--as", "sue", "--reason", "x"],
             "case.supervisor_own")  # fmt: skip
    _refused(["cases", "list", "--as", "sue"], "case.supervisor_own")  # none is sue's
    assert _ok("cases", "list", "--as", "sue", "--mine") == ""
    _refused(["cases", "assign", "HSI-2026-000555", "alice", "--as", "alice"], "duty.case_manage")
    _refused(["cases", "unassign", "HSI-2026-000555", "erin", "--as", "otto"], "opr.read_only")
    bad = _run("cases", "assign", "HSI-2026-000555", "olga", "--as", "ada")
    assert bad.exit_code == 2
    assert "olga is neither an agent nor an examiner" in bad.output
    unknown = _run("cases", "show", "HSI-2099-000001", "--as", "ada")
    assert unknown.exit_code == 2
    assert "HSI-2099-000001" in unknown.output


def test_case_supervisors_from_the_command_line(home: Path) -> None:
    before = _size()
    out = _ok("cases", "add", "HSI-2026-000557", "--as", "ada", "--title", "Two supervisors",
              "--authority", "18 U.S.C. 545", "--hsi-authority", "--supervisor", "sam",
              "--supervisor", "sue")  # fmt: skip
    assert "supervisors=sam,sue" in out
    [created] = [e for e in _ledger(before) if e["event"] == "case:record:create"]
    sam_id, sue_id = created["details"]["after"]["supervisor_ids"]
    # Either manages it now; sam may not take himself off.
    assert "supervisors=sam" in _ok("cases", "remove-supervisor", "HSI-2026-000557", "sue",
                                    "--as", "sam")  # fmt: skip
    _refused(["cases", "remove-supervisor", "HSI-2026-000557", "sam", "--as", "sam"],
             "case.supervisor_own")  # fmt: skip
    _refused(["cases", "add-supervisor", "HSI-2026-000557", "sue", "--as", "sue"],
             "case.supervisor_own")  # fmt: skip
    before = _size()
    out = _ok("cases", "add-supervisor", "HSI-2026-000557", "sue", "--as", "sam")
    assert out.startswith("added supervisor sue: HSI-2026-000557")
    assert "supervisors=sam,sue" in out
    [entry] = [e for e in _ledger(before) if e["event"] == "case:record:update"]
    assert entry["source"] == "cli"
    assert entry["details"]["before"]["supervisor_ids"] == [sam_id]
    assert entry["details"]["after"]["supervisor_ids"] == [sam_id, sue_id]
    out = _ok("cases", "update", "HSI-2026-000557", "--as", "ada", "--supervisor", "sue")
    assert "supervisors=sue " in out
    last = _run("cases", "remove-supervisor", "HSI-2026-000557", "sue", "--as", "ada")
    assert last.exit_code == 2, last.output
    assert "last supervisor of case HSI-2026-000557" in last.output
    assert len(last.output.strip().splitlines()) == 1
    none = _run("cases", "add", "HSI-2026-000558", "--as", "ada", "--title", "t",
                "--authority", "a", "--hsi-authority")  # fmt: skip
    assert none.exit_code == 2
    assert "--supervisor" in none.output


def test_programs_from_the_command_line(home: Path) -> None:
    before = _size()
    out = _ok("programs", "add", "TF-AIR", "--as", "ada", "--name", "Airport task force",
              "--document", "PIA-TF-AIR", "--kind", "task_force", "--use-without-case",
              "--supervisor", "sam", "--member", "alice")  # fmt: skip
    assert "TF-AIR kind=task_force status=pending_assessment" in out
    _refused(["programs", "approve-assessment", "TF-AIR", "--as", "ada", "--document",
              "PIA-TF-AIR"], "program.assess_igp_only")  # fmt: skip
    _refused(["programs", "add", "TF-SAM", "--as", "sam", "--name", "n", "--document", "d"],
             "duty.program_manage")  # fmt: skip
    stale = _run("programs", "approve-assessment", "TF-AIR", "--as", "ivan", "--document", "X")
    assert stale.exit_code == 2
    assert "PIA-TF-AIR" in stale.output
    out = _ok("programs", "approve-assessment", "TF-AIR", "--as", "ivan", "--document",
              "PIA-TF-AIR")  # fmt: skip
    assert "status=assessed approved_by=ivan" in out.replace("assessment=PIA-TF-AIR ", "")
    out = _ok("programs", "revise-assessment", "TF-AIR", "--as", "ada", "--document",
              "PIA-TF-AIR-R1", "--reason", "scope widened")  # fmt: skip
    assert "status=pending_assessment" in out
    assert "approved_by=-" in out
    assert "members=alice,erin" in _ok("programs", "add-member", "TF-AIR", "erin", "--as", "ada")
    assert "members=erin" in _ok("programs", "remove-member", "TF-AIR", "alice", "--as", "ada")
    listed = _ok("programs", "list", "--as", "ada", "--status", "pending_assessment")
    assert [line.split()[0] for line in listed.splitlines()] == ["TF-AIR"]
    shown = json.loads(_ok("programs", "show", "TF-AIR", "--as", "ada", "--json"))
    assert shown["assessment_ref"] == "PIA-TF-AIR-R1"
    assert shown["registered_by"] == "ada"
    events = [e["event"] for e in _ledger(before) if e["event"] != "policy:decision:evaluate"]
    assert events == [
        "program:record:create", "program:assessment:approve", "program:record:update",
        "program:record:update", "program:record:update", "program:records:view",
        "program:records:view",
    ]  # fmt: skip


def test_program_codes_from_the_command_line(home: Path) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    out = _ok("program-codes", "add", "HSI-FRS-CLI", "--as", "olga", "--description", "cli")
    assert "HSI-FRS-CLI valid_now=yes" in out
    assert "established_by=olga" in out
    backwards = _run("program-codes", "add", "HSI-FRS-X", "--as", "olga", "--description", "x",
                     "--valid-from", tomorrow, "--valid-until", "2020-01-01")  # fmt: skip
    assert backwards.exit_code == 2
    assert "valid_until" in backwards.output
    naive = _run("program-codes", "add", "HSI-FRS-X", "--as", "olga", "--description", "x",
                 "--valid-from", "2026-01-01T00:00:00")  # fmt: skip
    assert naive.exit_code == 2
    assert "time zone" in naive.output
    _refused(["program-codes", "add", "HSI-FRS-ADA", "--as", "ada", "--description", "x"],
             "duty.program_code_establish")  # fmt: skip
    before = _size()
    out = _ok("program-codes", "close", "HSI-FRS-CLI", "--as", "olga")
    assert "valid_now=no" in out
    [entry] = [e for e in _ledger(before) if e["event"] == "program:code:establish"]
    assert entry["details"]["before"]["valid_until"] is None
    assert entry["details"]["after"]["valid_until"] is not None
    codes = _ok("program-codes", "list", "--as", "olga").splitlines()
    assert [line.split()[0] for line in codes] == ["HSI-FRS-CLI", "HSI-FRS-DEMO"]
    shown = json.loads(_ok("program-codes", "show", "HSI-FRS-DEMO", "--as", "olga", "--json"))
    assert shown["valid_now"] is True
