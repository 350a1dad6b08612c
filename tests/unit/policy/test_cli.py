"""`frsgate policy test | explain | rules | show` on the policy sub-app."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frsgate.cli.policy import app
from frsgate.errors import ValidationFailed
from frsgate.policy import DEFAULT_PACK_DIR, default_pack

runner = CliRunner()

REQUEST = {
    "principal": {
        "user_id": "agent-1",
        "roles": ["agent"],
        "training_completed": True,
        "best_practices_attested": True,
        "safeguards_attested": True,
        "certification_current": True,
    },
    "action": "probe.create",
    "resource": {"kind": "probe", "id": "probe-1"},
    "context": {
        "case": {
            "case_id": "HSI-1",
            "status": "open",
            "under_hsi_authority": True,
            "assigned_user_ids": ["agent-1"],
        },
        "probe": {
            "subject_role": "witness",
            "other_methods_exhausted": True,
            "attestation_present": True,
            "lawful_basis_recorded": True,
            "isolated_facial_image": True,
            "traditional_means_recorded": True,
            "justification": "Witness to a warehouse theft.",
        },
    },
}


def test_policy_test_runs_the_pack_scenarios() -> None:
    result = runner.invoke(app, ["test"])
    assert result.exit_code == 0, result.output
    match = re.search(r"(\d+)/(\d+) scenarios pass", result.output)
    assert match is not None
    assert match.group(1) == match.group(2)
    assert int(match.group(2)) >= 80


def test_policy_test_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    scenarios = folder / "scenarios.yaml"
    text = scenarios.read_text()
    scenarios.write_text(text.replace("cites: [lead.corroborated]", "cites: [share.authority]"))
    result = runner.invoke(app, ["test", "--pack", str(folder)])
    assert result.exit_code == 1
    assert "FAIL enforcement on an uncorroborated lead" in result.output
    assert "expected ['share.authority']" in result.output


def test_explain_prints_the_decision_and_its_citations(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))
    result = runner.invoke(app, ["explain", str(path)])
    assert result.exit_code == 0, result.output
    assert "needs_approval" in result.output
    assert "approval needed from a supervisor (witness_probe)" in result.output
    assert "probe.witness_approval — memo 4.B.2" in result.output
    assert default_pack().sha256 in result.output


def test_explain_json_is_the_decision_contract(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))
    result = runner.invoke(app, ["explain", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["decision"] == "needs_approval"
    assert out["citations"][0]["rule"] == "probe.witness_approval"
    assert out["policy"] == {"pack": "hsi-2021", "sha256": default_pack().sha256}


def test_explain_names_a_bad_field(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps({**REQUEST, "action": "probe.destroy"}))
    result = runner.invoke(app, ["explain", str(path)])
    assert isinstance(result.exception, ValidationFailed)
    assert "probe.destroy" in str(result.exception)


@pytest.mark.parametrize("rule", ["lead.corroborated", "grant.agent", "probe.witness_approval"])
def test_rules_lists_each_rule_with_its_section(rule: str) -> None:
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if f" {rule} " in line)
    assert default_pack().rule(rule).section in line


def test_show_prints_the_identity() -> None:
    result = runner.invoke(app, ["show"])
    assert result.exit_code == 0
    assert f"sha256:   {default_pack().sha256}" in result.output
