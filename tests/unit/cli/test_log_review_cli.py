"""`frsgate log-review ...`, `frsgate referrals ...` and `frsgate policy log-format ...` on a
demo installation: each act decided by the pack as the `--as` user and recorded under them
(source "cli"); a refusal is one line on stderr, exit status 2, its decision on the ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frsgate.config import load_settings
from frsgate.services.bootstrap import initialize
from tests.unit.cli.cli_acts import ledger as _ledger
from tests.unit.cli.cli_acts import ok as _ok
from tests.unit.cli.cli_acts import refused as _refused
from tests.unit.cli.cli_acts import run as _run

PERIOD = "2026-01-05"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FRSGATE_SANDBOX_FRS", "false")
    monkeypatch.setenv("FRSGATE_CHECKPOINT_INTERVAL_SECONDS", "0")
    monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)
    initialize(load_settings(), demo=True)
    return tmp_path / "home"


def test_review_sign_off_and_referral(home: Path) -> None:
    shown = _ok("log-review", "show", "--as", "sam", "--period", PERIOD)
    assert "checkpoint: tree_size=" in shown
    assert "signed off: no" in shown
    signed = _ok("log-review", "sign-off", "--as", "sam", "--period", PERIOD)
    assert signed.startswith(f"signed off {PERIOD} ")
    again = _run("log-review", "sign-off", "--as", "sam", "--period", PERIOD)
    assert again.exit_code == 2
    assert "already signed off" in again.output
    _refused(["log-review", "show", "--as", "sue", "--period", PERIOD, "--supervisor", "sam"],
             "log_review.own_review")  # fmt: skip
    made = _ok("log-review", "refer", "--as", "sam", "--period", PERIOD, "--reasons", "look")
    referral = made.split()[1]
    _refused(["referrals", "outcome", referral, "--as", "sam", "--outcome", "closed",
              "--note", "n"], "duty.referral_decide")  # fmt: skip
    listed = json.loads(_ok("referrals", "list", "--as", "otto", "--json"))
    assert [r["id"] for r in listed] == [referral]
    decided = _ok("referrals", "outcome", referral, "--as", "otto", "--outcome", "closed",
                  "--note", "advised the agent")  # fmt: skip
    assert "outcome=closed" in decided
    [entry] = [e for e in _ledger() if e["event"] == "oversight:review:sign"]
    assert (entry["source"], entry["details"]["period"]) == ("cli", PERIOD)


def test_log_format_from_the_command_line(home: Path) -> None:
    assert "status:   not approved" in _ok("policy", "log-format", "show", "--as", "ada")
    asked = _ok("policy", "log-format", "request", "--as", "ada", "--reason", "go live")
    assert asked.startswith("requested approval_")
    assert "status:   pending" in _ok("policy", "log-format", "show", "--as", "ivan")
    _refused(["policy", "log-format", "show", "--as", "alice"], "duty.log_format_view")
