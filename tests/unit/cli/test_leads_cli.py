"""`frsgate leads open|corroborate|enforcement-basis|close|show|list` on a demo installation whose
sandbox FRS answered one search: each act decided by the pack as the `--as` user and recorded
on the ledger under them (source "cli"); each refusal one line on stderr, exit status 2, its
decision on the ledger (memo 4.D.3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from images import astronaut_jpeg, astronaut_png, rotated_astronaut_jpeg

from frsgate.config import load_settings
from frsgate.connectors.sandbox import create_sandbox_app
from frsgate.connectors.serve import serve_in_thread
from frsgate.policy.facts import Action
from frsgate.services import review
from frsgate.services.administration import operator
from frsgate.services.bootstrap import (
    DEMO_CASE,
    DEMO_FRS_PROGRAM_CODE,
    DEMO_PROGRAM,
    SANDBOX_PROVIDER,
    initialize,
)
from frsgate.services.intake import ProbeRequest, create_probe
from frsgate.services.runtime import Runtime
from frsgate.services.submit import SubmissionLimits, SubmissionRequest, create_submission
from frsgate.store.unit import read_only
from tests.unit.cli.cli_acts import ledger as _ledger
from tests.unit.cli.cli_acts import ok as _ok
from tests.unit.cli.cli_acts import refused as _refused
from tests.unit.cli.cli_acts import run as _run


@pytest.fixture(scope="module")
def sandbox_port() -> Iterator[int]:
    with serve_in_thread(create_sandbox_app(seed=7, warm=False)) as url:
        yield int(url.rsplit(":", 1)[1].strip("/"))


@pytest.fixture
def dispositions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, sandbox_port: int
) -> dict[str, str]:
    """A demo installation, one search with candidates and alice's dispositions of the first
    two: a possible lead and a no-match, by kind."""
    monkeypatch.setenv("FRSGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FRSGATE_SANDBOX_FRS", "false")
    monkeypatch.setenv("FRSGATE_SANDBOX_FRS_PORT", str(sandbox_port))
    monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)
    settings = load_settings()
    initialize(settings, demo=True)
    with Runtime.open(settings, recover=False, periodic_checkpoints=False) as runtime:
        gate = runtime.gate
        alice = operator(gate, "alice", Action.probe_create, Action.submission_create)
        for image in (astronaut_png(), rotated_astronaut_jpeg(), astronaut_jpeg()):
            probe = create_probe(
                gate=gate, kek=runtime.kek, limits=runtime.image_limits, caller=alice, image=image,
                request=ProbeRequest(
                    case=DEMO_CASE, subject_role="suspect", capture_source="recorded_video_still",
                    lawful_basis="still from CCTV footage obtained by subpoena 2026-114",
                    traditional_means="records checks and a canvass of the port",
                    attestation=True, justification="suspect seen loading undeclared goods",
                    program_code=DEMO_PROGRAM,
                ),
            ).probe  # fmt: skip
            done = create_submission(
                gate=gate, dispatcher=runtime.dispatcher,
                limits=SubmissionLimits.from_settings(settings, runtime.policy), caller=alice,
                request=SubmissionRequest(
                    probe_id=probe.id, provider=SANDBOX_PROVIDER, match_type="one_to_many",
                    program_code=DEMO_FRS_PROGRAM_CODE, justification="identify the suspect",
                ),
            )  # fmt: skip
            with read_only(gate.engine) as uow:
                clist = uow.candidate_lists.get_by_submission(done.submission.id)
                candidates = [c.id for c in uow.candidates.of_list(clist.id)]
            if len(candidates) >= 2:
                reviewer = operator(gate, "alice", Action.disposition_record)
                possible = review.record_disposition(
                    gate=gate, caller=reviewer, candidate_id=candidates[0],
                    kind="possible_match_lead", rationale="resembles the suspect",
                    traditional_means_compared="compared with the port badge photo",
                ).disposition  # fmt: skip
                other = review.record_disposition(
                    gate=gate, caller=reviewer, candidate_id=candidates[1], kind="no_match",
                    rationale="another person",
                ).disposition  # fmt: skip
                return {"possible_match_lead": possible.id, "no_match": other.id}
    raise AssertionError("the sandbox answered no probe variant with candidates")


def _corroborate(lead: str, user: str, kind: str) -> list[str]:
    return ["leads", "corroborate", lead, "--as", user, "--kind", kind,
            "--source", "State DMV record", "--description", "address matches the badge holder",
            "--obtained-by", "SA Alice Agent", "--obtained-on", "2026-10-05"]  # fmt: skip


def test_a_lead_from_the_command_line(dispositions: dict[str, str]) -> None:
    before = len(_ledger())
    opened = json.loads(_ok("leads", "open", dispositions["possible_match_lead"], "--as", "alice",
                            "--summary", "check the port badge log", "--json"))  # fmt: skip
    lead = opened["id"]
    assert opened["status"] == "investigative_lead"
    [created] = [e for e in _ledger(before) if e["event"] == "lead:record:create"]
    assert created["source"] == "cli"
    assert created["details"]["record"]["id"] == lead

    # memo 4.D.3: no enforcement before corroboration, nor on the FRS's own data.
    _refused(["leads", "enforcement-basis", lead, "--as", "alice", "--note", "go"],
             "lead.corroborated")  # fmt: skip
    _refused(_corroborate(lead, "alice", "frs_result"), "corroboration.independent_source")
    _refused(_corroborate(lead, "erin", "records_check"), "duty.corroboration_record")

    out = _ok(*_corroborate(lead, "alice", "records_check"))
    assert out.startswith("recorded corroboration_")
    assert f"{lead} case={DEMO_CASE} status=corroborated" in out
    out = _ok("leads", "enforcement-basis", lead, "--as", "sam", "--note", "warrant sought")
    assert out.startswith(f"marked {lead} case={DEMO_CASE} status=enforcement_basis")
    assert "corroborations=records_check" in out

    shown = json.loads(_ok("leads", "show", lead, "--as", "alice", "--json"))
    assert shown["status"] == "enforcement_basis"
    assert [c["kind"] for c in shown["corroborations"]] == ["records_check"]
    listed = _ok("leads", "list", DEMO_CASE, "--as", "alice")
    assert listed.splitlines() == [_ok("leads", "show", lead, "--as", "alice").strip()]
    _refused(["leads", "list", DEMO_CASE, "--as", "sue"], "purpose.case_assignment")

    out = _ok("leads", "close", lead, "--as", "alice", "--reason", "arrest made")
    assert out.startswith(f"closed {lead} case={DEMO_CASE} status=closed")


def test_refusals_and_bad_input_are_one_line(dispositions: dict[str, str]) -> None:
    _refused(["leads", "open", dispositions["no_match"], "--as", "alice", "--summary", "s"],
             "lead.requires_possible_lead")  # fmt: skip
    _refused(["leads", "open", dispositions["possible_match_lead"], "--as", "erin",
              "--summary", "s"], "duty.lead_open")  # fmt: skip
    lead = json.loads(_ok("leads", "open", dispositions["possible_match_lead"], "--as", "alice",
                          "--summary", "s", "--json"))["id"]  # fmt: skip
    before = len(_ledger())
    for args in (
        [*_corroborate(lead, "alice", "hunch")],
        [*_corroborate(lead, "alice", "records_check")[:-1], "5 October"],
        ["leads", "show", "lead_missing", "--as", "alice"],
    ):
        result = _run(*args)
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: "), result.output
        assert len(result.output.strip().splitlines()) == 1
    assert len(_ledger()) == before  # malformed or unknown: nothing decided, nothing recorded
    again = _run("leads", "open", dispositions["possible_match_lead"], "--as", "alice",
                 "--summary", "s")  # fmt: skip
    assert again.exit_code == 2
    assert lead in again.output
