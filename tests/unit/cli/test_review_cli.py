"""`frsgate review dispose|verify|examine|show` on a demo installation whose sandbox FRS answered
one search: each act decided by the pack as the `--as` user and recorded on the ledger under
them (source "cli"); each refusal one line on stderr, exit status 2, its decision on the
ledger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from images import astronaut_jpeg, astronaut_png, rotated_astronaut_jpeg

from frsgate.config import load_settings
from frsgate.connectors.sandbox import create_sandbox_app
from frsgate.connectors.serve import serve_in_thread
from frsgate.domain import LEAD_ONLY_NOTICE
from frsgate.policy.facts import Action
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
def searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, sandbox_port: int
) -> tuple[str, list[str]]:
    """A demo installation and one completed search with candidates: the submission id and
    its candidates' ids, by rank."""
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
                gate=gate,
                kek=runtime.kek,
                limits=runtime.image_limits,
                caller=alice,
                image=image,
                request=ProbeRequest(
                    case=DEMO_CASE,
                    subject_role="suspect",
                    capture_source="recorded_video_still",
                    lawful_basis="still from CCTV footage obtained by subpoena 2026-114",
                    traditional_means="records checks and a canvass of the port",
                    attestation=True,
                    justification="suspect seen loading undeclared goods",
                    program_code=DEMO_PROGRAM,
                ),
            ).probe
            done = create_submission(
                gate=gate,
                dispatcher=runtime.dispatcher,
                limits=SubmissionLimits.from_settings(settings, runtime.policy),
                caller=alice,
                request=SubmissionRequest(
                    probe_id=probe.id,
                    provider=SANDBOX_PROVIDER,
                    match_type="one_to_many",
                    program_code=DEMO_FRS_PROGRAM_CODE,
                    justification="identify the suspect",
                ),
            )
            with read_only(gate.engine) as uow:
                clist = uow.candidate_lists.get_by_submission(done.submission.id)
                candidates = [c.id for c in uow.candidates.of_list(clist.id)]
            if len(candidates) >= 2:
                return done.submission.id, candidates
    raise AssertionError("the sandbox answered no probe variant with candidates")


def test_review_from_the_command_line(searched: tuple[str, list[str]]) -> None:
    submission, candidates = searched
    first, second = candidates[0], candidates[1]
    before = len(_ledger())
    out = _ok(
        "review",
        "dispose",
        first,
        "--as",
        "alice",
        "--kind",
        "possible_match_lead",
        "--rationale",
        "same scar on the left cheek",
        "--compared",
        "DMV record and port access log",
    )
    assert out.startswith("recorded disposition_")
    assert f"candidate={first} kind=possible_match_lead supersedes=- list_reviewed=no" in out
    disposition = out.split()[1]
    [created] = [e for e in _ledger(before) if e["event"] == "disposition:record:create"]
    assert created["source"] == "cli"
    assert created["details"]["record"]["id"] == disposition

    _refused(
        [
            "review",
            "dispose",
            second,
            "--as",
            "alice",
            "--kind",
            "positive identification",
            "--rationale",
            "it is him",
        ],
        "disposition.no_positive_identification",
    )
    _refused(
        ["review", "verify", disposition, "--as", "alice", "--note", "mine"],
        "disposition.verify_not_own",
    )
    _refused(
        [
            "review",
            "examine",
            first,
            "--as",
            "alice",
            "--method",
            "m",
            "--conclusion",
            "inconclusive",
            "--limitations",
            "l",
        ],
        "examination.examiner_only",
    )
    odd = _run("review", "dispose", second, "--as", "alice", "--kind", "maybe", "--rationale", "r")
    assert odd.exit_code == 2
    assert "no_match, possible_match_lead, inconclusive" in odd.output

    out = _ok("review", "verify", disposition, "--as", "sam", "--note", "checked the DMV record")
    assert out.startswith(f"verified {disposition}")
    out = _ok(
        "review",
        "examine",
        first,
        "--as",
        "erin",
        "--method",
        "morphological comparison",
        "--conclusion",
        "supports same source",
        "--limitations",
        "gallery photo 9 years old",
    )
    assert "conclusion=supports_same_source" in out
    for candidate in candidates[1:]:
        out = _ok(
            "review",
            "dispose",
            candidate,
            "--as",
            "alice",
            "--kind",
            "no_match",
            "--rationale",
            "different nose and brow",
        )
    assert out.rstrip().endswith("list_reviewed=yes")

    shown = _ok("review", "show", submission, "--as", "sam").splitlines()
    assert shown[0] == f"# {LEAD_ONLY_NOTICE}"
    assert shown[1].endswith("status=reviewed reviewed=yes")
    assert "disposition=possible_match_lead by alice (verified)" in shown[2]
    assert "examinations=1" in shown[2]
    assert len(shown) == 2 + len(candidates)
    body = json.loads(_ok("review", "show", submission, "--as", "erin", "--json"))
    assert body["reviewed"] is True
    assert body["candidates"][0]["examinations"][0]["examiner"] == "erin"
    assert all(c["investigative_lead_only"] is True for c in body["candidates"])
    _refused(["review", "show", submission, "--as", "olga"], "duty.candidates_view")
    events = [e["event"] for e in _ledger(before) if e["outcome"] == "succeeded"]
    assert events.count("disposition:record:create") == len(candidates)
    assert events.count("disposition:record:verify") == 1
    assert events.count("examination:record:create") == 1
    assert events.count("disposition:records:view") == 2
