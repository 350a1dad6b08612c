"""The engine: decisions, citations, needs_approval, fail-closed fallbacks, batches."""

from __future__ import annotations

import dataclasses

import pytest

from frsgate.errors import ValidationFailed
from frsgate.policy import Outcome, PolicyPack, default_pack
from frsgate.policy.facts import (
    Action,
    Approvals,
    CaseFacts,
    CaseStatus,
    Context,
    DecisionRequest,
    Grant,
    Principal,
    ProbeFacts,
    ProviderFacts,
    Resource,
    ResourceKind,
    ReviewStatus,
    Role,
    SubjectRole,
    SubmissionFacts,
)

AGENT = Principal("agent-1", frozenset({Role.agent}), True, True, True, True)
SUPERVISOR = Principal("super-1", frozenset({Role.supervisor}), True, True, True, True)
SUBMISSION = Resource(ResourceKind.submission, "sub-1")


def submission_context(**probe: object) -> Context:
    return Context(
        case=CaseFacts("case-1", CaseStatus.open, True, frozenset({"agent-1"}), "super-1"),
        probe=dataclasses.replace(
            ProbeFacts(
                SubjectRole.suspect,
                traditional_means_recorded=True,
                attestation_present=True,
                justification_present=True,
            ),
            **probe,
        ),
        provider=ProviderFacts(
            "frs-1", ReviewStatus.approved, True, frozenset({"one_to_many"}), 50
        ),
        submission=SubmissionFacts("one_to_many", program_code="PC", requested_candidates=20),
    )


@pytest.fixture(scope="module")
def pack() -> PolicyPack:
    return default_pack()


def test_a_complete_submission_is_allowed_and_names_the_pack(pack: PolicyPack) -> None:
    decision = pack.decide(AGENT, Action.submission_create, SUBMISSION, submission_context())
    assert decision.decision is Outcome.allow
    assert decision.to_dict()["policy"] == {"pack": "hsi-2021", "sha256": pack.sha256}


def test_a_witness_probe_needs_a_supervisor(pack: PolicyPack) -> None:
    ctx = submission_context(subject_role=SubjectRole.witness, other_methods_exhausted=True)
    decision = pack.decide(AGENT, Action.submission_create, SUBMISSION, ctx)
    assert decision.decision is Outcome.needs_approval
    assert decision.approver_role == "supervisor"
    assert decision.approvals == ("witness",)
    assert decision.rules == ("probe.witness_approval",)


def test_a_granted_witness_approval_cures_it(pack: PolicyPack) -> None:
    ctx = dataclasses.replace(
        submission_context(subject_role=SubjectRole.witness, other_methods_exhausted=True),
        approvals=Approvals(witness=Grant("super-1", frozenset({Role.supervisor}))),
    )
    assert pack.decide(AGENT, Action.submission_create, SUBMISSION, ctx).allowed


def test_an_approval_by_the_requester_does_not_count(pack: PolicyPack) -> None:
    both = Principal("both-1", frozenset({Role.agent, Role.supervisor}), True, True, True, True)
    ctx = dataclasses.replace(
        submission_context(subject_role=SubjectRole.witness, other_methods_exhausted=True),
        case=CaseFacts("case-1", CaseStatus.open, True, frozenset({"both-1"}), "super-1"),
        approvals=Approvals(witness=Grant("both-1", frozenset({Role.supervisor}))),
    )
    decision = pack.decide(both, Action.submission_create, SUBMISSION, ctx)
    assert decision.decision is Outcome.needs_approval


def test_a_non_curable_rule_wins_over_a_curable_one(pack: PolicyPack) -> None:
    ctx = dataclasses.replace(
        submission_context(subject_role=SubjectRole.witness, other_methods_exhausted=True),
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
    assert decision.rules == ("duty.ledger_read",)
    assert decision.citations[0].section == "fn2"


def test_a_missing_fact_is_named(pack: PolicyPack) -> None:
    with pytest.raises(ValidationFailed, match=r"context\.probe"):
        pack.decide(AGENT, Action.probe_create, Resource(ResourceKind.probe, "p"), Context())


def test_the_resource_kind_must_fit_the_action(pack: PolicyPack) -> None:
    with pytest.raises(ValidationFailed, match="applies to a submission"):
        pack.decide(AGENT, Action.submission_create, Resource(ResourceKind.probe, "p"))


def test_decide_many_matches_decide(pack: PolicyPack) -> None:
    witness = submission_context(subject_role=SubjectRole.witness, other_methods_exhausted=True)
    requests = [
        DecisionRequest(AGENT, Action.submission_create, SUBMISSION, submission_context()),
        DecisionRequest(AGENT, Action.ledger_read, Resource(ResourceKind.ledger, "main")),
        DecisionRequest(AGENT, Action.submission_create, SUBMISSION, witness),
        DecisionRequest(SUPERVISOR, Action.ledger_read, Resource(ResourceKind.ledger, "main")),
    ]
    assert pack.decide_many(requests) == [pack.decide_request(r) for r in requests]
    assert [d.decision for d in pack.decide_many(requests)] == [
        Outcome.allow,
        Outcome.deny,
        Outcome.needs_approval,
        Outcome.allow,
    ]
