"""`frsgate init --demo` seeds its providers reviewed as OSDM records a review (memo 4.C.1-4.C.3):
a structured review, read back with `frsgate providers show NAME --as ada`, whose content says
it is synthetic; on the ledger as one decision entry with the provider's record before and
after and the review, like OSDM's review through the API. Running init again adds nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from frsgate.cli.main import app
from frsgate.config import load_settings
from frsgate.services.bootstrap import (
    NOT_APPROVED_PROVIDER,
    SANDBOX_PROVIDER,
    UNREVIEWED_PROVIDER,
)
from frsgate.services.runtime import Runtime

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FRSGATE_SANDBOX_FRS", "false")
    monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)
    result = runner.invoke(app, ["init", "--demo"])
    assert result.exit_code == 0, result.output
    return tmp_path / "home"


def _show(name: str) -> dict[str, Any]:
    result = runner.invoke(app, ["providers", "show", name, "--as", "ada", "--json"])
    assert result.exit_code == 0, result.output
    shown: dict[str, Any] = json.loads(result.output)
    return shown


def _ledger() -> list[dict[str, Any]]:
    with Runtime.open(load_settings(), recover=False, periodic_checkpoints=False) as runtime:
        ledger = runtime.ledger
        return [json.loads(e) for e in ledger.entries(0, ledger.size())]


def _user_id(username: str) -> str:
    result = runner.invoke(app, ["users", "show", username, "--as", "ada", "--json"])
    assert result.exit_code == 0, result.output
    user_id: str = json.loads(result.output)["id"]
    return user_id


def test_the_demo_providers_carry_structured_synthetic_reviews(home: Path) -> None:
    olga = _user_id("olga")
    sandbox = _show(SANDBOX_PROVIDER)
    assert sandbox["review_status"] == "approved"
    [review] = sandbox["reviews"]
    assert review["decision"] == "approved"
    assert review["reviewer_id"] == olga
    assert review["rationale"]
    # Everything an approval rests on is stated, and each statement says it is synthetic.
    for part in ("capabilities", "demographic_differentials", "data_handling", "retention"):
        assert "synthetic" in review[part], (part, review[part])
    [evidence] = review["accuracy_evidence"]
    assert evidence["source"] == "sandbox: synthetic accuracy evidence for development"
    assert "synthetic" in evidence["reference"].lower()
    # The terms OSDM accepted are the terms that bind the provider (memo 4.C.4).
    assert review["terms"] == sandbox["terms"]

    refused = _show(NOT_APPROVED_PROVIDER)
    assert refused["review_status"] == "not_approved"
    [no] = refused["reviews"]
    assert no["decision"] == "not_approved"
    assert no["rationale"] == "terms allow data resale"
    assert "synthetic" in no["accuracy_evidence"][0]["source"]

    unreviewed = _show(UNREVIEWED_PROVIDER)
    assert unreviewed["review_status"] == "unreviewed"
    assert unreviewed["reviews"] == []

    # The plain listing shows the review line too.
    plain = runner.invoke(app, ["providers", "show", SANDBOX_PROVIDER, "--as", "ada"])
    assert plain.exit_code == 0, plain.output
    assert f"approved by {olga}" in plain.output


def test_each_review_is_one_ledger_entry_with_before_and_after(home: Path) -> None:
    reviews = {
        entry["provider"]: entry
        for entry in _ledger()
        if entry["event"].startswith("provider:review:")
    }
    sandbox, refused = _show(SANDBOX_PROVIDER), _show(NOT_APPROVED_PROVIDER)
    assert set(reviews) == {sandbox["id"], refused["id"]}
    for provider, status in ((sandbox, "approved"), (refused, "not_approved")):
        entry = reviews[provider["id"]]
        assert entry["event"] == "provider:review:decide"
        assert entry["actor"]["id"] == _user_id("olga")
        details = entry["details"]
        assert details["before"]["review_status"] == "unreviewed"
        assert details["after"]["review_status"] == status
        assert details["review"] == provider["reviews"][0]


def test_init_again_adds_no_review(home: Path) -> None:
    before = _show(SANDBOX_PROVIDER)["reviews"]
    again = runner.invoke(app, ["init", "--demo"])
    assert again.exit_code == 0, again.output
    assert _show(SANDBOX_PROVIDER)["reviews"] == before
