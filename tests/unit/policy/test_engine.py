"""The engine: decisions, citations, needs_approval, fail-closed fallbacks, batches."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import cedarpy
import pytest

from frsgate.errors import ValidationFailed
from frsgate.policy import (
    DEFAULT_PACK_DIR,
    Outcome,
    PackInvalid,
    PolicyPack,
    default_pack,
    load_pack,
)
from frsgate.policy.facts import (
    Action,
    Approvals,
    CaseFacts,
    CaseStatus,
    Context,
    DecisionRequest,
    Grant,
    LedgerReadFacts,
    LedgerScope,
    Principal,
    ProbeFacts,
    ProviderFacts,
    Resource,
    ResourceKind,
    ReviewStatus,
    Role,
    SubmissionFacts,
)
from frsgate.policy.scenarios import SCENARIO_FILE, load_scenarios

AGENT = Principal("agent-1", frozenset({Role.agent}), True, True, True, True)
SUPERVISOR = Principal("super-1", frozenset({Role.supervisor}), True, True, True, True)
SUBMISSION = Resource(ResourceKind.submission, "sub-1")


def submission_context(**probe: object) -> Context:
    return Context(
        case=CaseFacts("case-1", CaseStatus.open, True, frozenset({"agent-1"}), "super-1"),
        probe=dataclasses.replace(
            ProbeFacts(
                "suspect",
                capture_source="booking_photo",
                lawful_basis_recorded=True,
                isolated_facial_image=True,
                traditional_means_recorded=True,
                attestation_present=True,
                justification_present=True,
            ),
            **probe,
        ),
        provider=ProviderFacts(
            "frs-1", ReviewStatus.approved, True, frozenset({"one_to_many"}), 50
        ),
        submission=SubmissionFacts(
            "one_to_many",
            program_code="PC",
            program_code_established=True,
            requested_candidates=20,
        ),
    )


@pytest.fixture(scope="module")
def pack() -> PolicyPack:
    return default_pack()


def test_a_complete_submission_is_allowed_and_names_the_pack(pack: PolicyPack) -> None:
    decision = pack.decide(AGENT, Action.submission_create, SUBMISSION, submission_context())
    assert decision.decision is Outcome.allow
    assert decision.to_dict()["policy"] == {"pack": "hsi-2021", "sha256": pack.sha256}


def test_a_witness_probe_needs_a_supervisor(pack: PolicyPack) -> None:
    ctx = submission_context(subject_role="witness", other_methods_exhausted=True)
    decision = pack.decide(AGENT, Action.submission_create, SUBMISSION, ctx)
    assert decision.decision is Outcome.needs_approval
    assert decision.approver_role == "supervisor"
    assert decision.approvals == ("witness_probe",)
    assert decision.rules == ("probe.witness_approval",)


def test_a_granted_witness_approval_cures_it(pack: PolicyPack) -> None:
    ctx = dataclasses.replace(
        submission_context(subject_role="witness", other_methods_exhausted=True),
        approvals=Approvals(witness_probe=Grant("super-1", frozenset({Role.supervisor}))),
    )
    assert pack.decide(AGENT, Action.submission_create, SUBMISSION, ctx).allowed


def test_an_approval_by_the_requester_does_not_count(pack: PolicyPack) -> None:
    both = Principal("both-1", frozenset({Role.agent, Role.supervisor}), True, True, True, True)
    ctx = dataclasses.replace(
        submission_context(subject_role="witness", other_methods_exhausted=True),
        case=CaseFacts("case-1", CaseStatus.open, True, frozenset({"both-1"}), "super-1"),
        approvals=Approvals(witness_probe=Grant("both-1", frozenset({Role.supervisor}))),
    )
    decision = pack.decide(both, Action.submission_create, SUBMISSION, ctx)
    assert decision.decision is Outcome.needs_approval


def test_a_non_curable_rule_wins_over_a_curable_one(pack: PolicyPack) -> None:
    ctx = dataclasses.replace(
        submission_context(subject_role="witness", other_methods_exhausted=True),
        provider=ProviderFacts(
            "frs-1", ReviewStatus.not_approved, True, frozenset({"one_to_many"}), 50
        ),
    )
    decision = pack.decide(AGENT, Action.submission_create, SUBMISSION, ctx)
    assert decision.decision is Outcome.deny
    assert set(decision.rules) == {"probe.witness_approval", "provider.not_approved"}


def test_a_role_without_the_act_is_told_which_rule(pack: PolicyPack) -> None:
    decision = pack.decide(AGENT, Action.ledger_read, Resource(ResourceKind.ledger, "main"))
    assert decision.decision is Outcome.deny
    # Who reads the log at all, and who reads the whole of it (memo fn2).
    assert set(decision.rules) == {"duty.ledger_read", "ledger.whole_log_auditors"}
    assert {c.section for c in decision.citations} == {"fn2"}


def test_a_missing_fact_is_named(pack: PolicyPack) -> None:
    with pytest.raises(ValidationFailed, match=r"context\.probe"):
        pack.decide(AGENT, Action.probe_create, Resource(ResourceKind.probe, "p"), Context())


def test_the_resource_kind_must_fit_the_action(pack: PolicyPack) -> None:
    with pytest.raises(ValidationFailed, match="applies to a submission"):
        pack.decide(AGENT, Action.submission_create, Resource(ResourceKind.probe, "p"))


def test_decide_many_matches_decide(pack: PolicyPack) -> None:
    witness = submission_context(subject_role="witness", other_methods_exhausted=True)
    requests = [
        DecisionRequest(AGENT, Action.submission_create, SUBMISSION, submission_context()),
        DecisionRequest(AGENT, Action.ledger_read, Resource(ResourceKind.ledger, "main")),
        DecisionRequest(AGENT, Action.submission_create, SUBMISSION, witness),
        # A supervisor reads the entries of a case they supervise (memo 4.E.4).
        DecisionRequest(
            SUPERVISOR,
            Action.ledger_read,
            Resource(ResourceKind.ledger, "case:HSI-1"),
            Context(ledger=LedgerReadFacts(scope=LedgerScope.case, decider_supervises=True)),
        ),
    ]
    assert pack.decide_many(requests) == [pack.decide_request(r) for r in requests]
    assert [d.decision for d in pack.decide_many(requests)] == [
        Outcome.allow,
        Outcome.deny,
        Outcome.needs_approval,
        Outcome.allow,
    ]


def _copy_pack(tmp_path: Path) -> Path:
    folder = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


OPR = Principal("opr-1", frozenset({Role.opr}))
LEDGER = Resource(ResourceKind.ledger, "main")


def test_an_evaluation_error_fails_closed(tmp_path: Path) -> None:
    folder = _copy_pack(tmp_path)
    with (folder / "general.cedar").open("a") as f:  # overflows at run time, for every request
        f.write(
            '\n@id("test.overflow")\n@section("1")\n@message("m")\n'
            'forbid (principal, action == Action::"ledger.read", resource)\n'
            'when { 9223372036854775807 + principal.user_id.like("*").toLong() > 0 };\n'
        )
    with pytest.raises(PackInvalid):  # the validator catches that one...
        load_pack(folder)
    folder = _copy_pack(tmp_path / "again")
    with (folder / "general.cedar").open("a") as f:  # ...but not an overflow of Longs
        f.write(
            '\n@id("test.overflow")\n@section("1")\n@message("m")\n'
            'forbid (principal, action == Action::"ledger.read", resource)\n'
            "when { 9223372036854775807 + 1 > 0 };\n"
        )
    decision = load_pack(folder).decide(OPR, Action.ledger_read, LEDGER)
    assert decision.decision is Outcome.deny
    assert decision.rules == ("pack.evaluation_error",)


def test_no_grant_is_a_cited_deny(tmp_path: Path) -> None:
    # Without its duty rule, an agent reading the ledger matches no rule at all.
    folder = _copy_pack(tmp_path)
    duties = folder / "duties.cedar"
    text = duties.read_text()
    start = text.index('@id("duty.ledger_read")')
    duties.write_text(text[:start] + text[text.index('@id("review.osdm_only")') :])
    decision = load_pack(folder).decide(AGENT, Action.ledger_read, LEDGER)
    assert decision.decision is Outcome.deny
    assert decision.rules == ("duty.no_grant",)
    assert decision.citations[0].section == "1"
    assert "no rule" not in decision.citations[0].message.lower()


def test_every_scenario_request_conforms_to_the_schema(pack: PolicyPack) -> None:
    # The translator and schema.cedarschema describe the same context for every action.
    schema = pack.compiled.schema
    seen = set()
    for scenario in load_scenarios(pack.compiled.folder / SCENARIO_FILE):
        r = scenario.request
        request = pack.translator.request(r.principal, r.action, r.resource, r.context)
        entities = pack.translator.entities_for(r.principal)
        result = cedarpy.is_authorized(request, pack.compiled.policy_set, entities, schema)
        assert not result.diagnostics.errors, (scenario.name, result.diagnostics.errors)
        assert result.allowed == (scenario.expect is Outcome.allow), scenario.name
        seen.add(r.action)
    assert seen == set(Action)


def test_the_per_action_sets_decide_like_the_whole_pack(pack: PolicyPack) -> None:
    for scenario in load_scenarios(pack.compiled.folder / SCENARIO_FILE):
        r = scenario.request
        request = pack.translator.request(r.principal, r.action, r.resource, r.context)
        entities = pack.translator.entities_for(r.principal)
        whole = cedarpy.is_authorized(request, pack.compiled.policy_set, entities)
        split = cedarpy.is_authorized(request, pack.compiled.action_sets[r.action], entities)
        assert whole.decision == split.decision, scenario.name
        assert sorted(whole.diagnostics.reasons) == sorted(split.diagnostics.reasons)


def test_allow_has_no_citations_and_deny_always_has(pack: PolicyPack) -> None:
    allow = pack.decide(AGENT, Action.submission_create, SUBMISSION, submission_context())
    assert allow.to_dict()["citations"] == []
    assert "approver_role" not in allow.to_dict()
    deny = pack.decide(AGENT, Action.ledger_alter, LEDGER)
    assert deny.to_dict()["citations"] == [
        {
            "rule": "ledger.append_only",
            "section": "4.E.1",
            "message": pack.rule("ledger.append_only").message,
        }
    ]


def test_the_cure_shortcut_agrees_with_a_second_evaluation(pack: PolicyPack) -> None:
    assert pack.compiled.grant_roles is not None  # this pack is shaped for the shortcut
    general = PolicyPack(dataclasses.replace(pack.compiled, grant_roles=None))
    scenarios = load_scenarios(pack.compiled.folder / SCENARIO_FILE)
    outcomes = set()
    for scenario in scenarios:
        for roles in (scenario.request.principal.roles, frozenset({Role.examiner})):
            principal = dataclasses.replace(scenario.request.principal, roles=roles)
            request = dataclasses.replace(scenario.request, principal=principal)
            assert pack.decide_request(request) == general.decide_request(request), scenario.name
            outcomes.add(pack.decide_request(request).decision)
    assert outcomes == set(Outcome)


def test_a_pack_reading_approvals_outside_a_cure_takes_the_general_path(tmp_path: Path) -> None:
    folder = _copy_pack(tmp_path)
    with (folder / "general.cedar").open("a") as f:
        f.write(
            '\n@id("test.reads_approvals")\n@section("4.B.2")\n@message("m")\n'
            'forbid (principal, action == Action::"probe.create", resource)\n'
            "when { context.approvals.witness_probe.granted &&\n"
            '  context.probe.subject_role == "victim" };\n'
        )
    assert load_pack(folder).compiled.grant_roles is None


def test_an_unknown_role_is_refused_by_name(pack: PolicyPack) -> None:
    king = Principal("k-1", frozenset({"king"}))  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="unknown role"):
        pack.decide(king, Action.ledger_read, LEDGER)
