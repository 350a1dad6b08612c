"""A record that is missing fails closed: each fact the services derive from a record that is
not there takes the value that makes its rule fire, and the pack denies."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from frsgate.domain import (
    CaptureSource,
    Case,
    ImageEdit,
    Role,
    User,
)
from frsgate.policy.engine import PolicyPack, default_pack
from frsgate.policy.facts import (
    Action,
    Context,
    Principal,
    ProviderFacts,
    Resource,
    ResourceKind,
    ReviewStatus,
    SubmissionFacts,
)
from frsgate.services import facts

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
AGENT = User(
    id="user_a", username="a", display_name="A", roles=frozenset({Role.agent}), created_at=NOW
)
CASE = Case(
    id="case_1", number="HSI-1", title="t", statutory_authority="18 USC 545",
    under_hsi_authority=True, supervisor_ids=("user_s",), assigned_user_ids=("user_a",),
    opened_by="user_s", created_at=NOW,
)  # fmt: skip
CERTIFIED = Principal("user_a", frozenset({Role.agent}), True, True, True, True)
SUBMISSION = Resource(ResourceKind.submission, "sub_1", owner_id="user_a")
CANDIDATES = Resource(ResourceKind.candidate_list, "clist_1", owner_id="user_a")


@pytest.fixture(scope="module")
def pack() -> PolicyPack:
    return default_pack()


def _probe_facts() -> Context:
    return Context(
        case=facts.case(CASE),
        probe=facts.probe(
            subject_role="suspect", capture_source=CaptureSource.booking_photo,
            lawful_basis="warrant 26-1", traditional_means="records checks",
            other_methods_exhausted=None, attestation=True, justification="smuggling suspect",
            image_edit=ImageEdit.none,
        ),
        provider=ProviderFacts("p1", ReviewStatus.approved, True, frozenset({"one_to_many"}), 20),
        submission=SubmissionFacts(
            "one_to_many", program_code="HSI-FRS", program_code_established=True
        ),
        now=NOW,
    )  # fmt: skip


def test_the_baseline_is_allowed(pack: PolicyPack) -> None:
    assert pack.decide(CERTIFIED, Action.submission_create, SUBMISSION, _probe_facts()).allowed


def test_no_certification_on_record_is_denied(pack: PolicyPack) -> None:
    principal = facts.principal(AGENT, None, NOW)
    decision = pack.decide(principal, Action.submission_create, SUBMISSION, _probe_facts())
    assert not decision.allowed
    assert "certification.current" in decision.rules


def test_an_unknown_program_is_not_a_purpose(pack: PolicyPack) -> None:
    context = dataclasses.replace(_probe_facts(), case=None, program=facts.program(None, "TF-X"))
    decision = pack.decide(CERTIFIED, Action.submission_create, SUBMISSION, context)
    assert {"purpose.program_established", "purpose.program_assessed"} <= set(decision.rules)


def test_no_purpose_at_all_is_denied(pack: PolicyPack) -> None:
    context = dataclasses.replace(_probe_facts(), case=None, program=facts.program(None, None))
    decision = pack.decide(CERTIFIED, Action.submission_create, SUBMISSION, context)
    assert "purpose.required" in decision.rules


def test_a_program_code_outside_the_registry_is_denied(pack: PolicyPack) -> None:
    base = _probe_facts()
    assert base.submission is not None
    context = dataclasses.replace(
        base, submission=dataclasses.replace(base.submission, program_code_established=False)
    )
    decision = pack.decide(CERTIFIED, Action.submission_create, SUBMISSION, context)
    assert decision.rules == ("submission.program_code_established",)


def test_no_candidate_cap_on_record_refuses_any_request_for_candidates(pack: PolicyPack) -> None:
    base = _probe_facts()
    assert base.submission is not None
    assert base.provider is not None
    context = dataclasses.replace(
        base,
        provider=dataclasses.replace(base.provider, candidate_cap=None),
        submission=dataclasses.replace(base.submission, requested_candidates=1),
    )
    decision = pack.decide(CERTIFIED, Action.submission_create, SUBMISSION, context)
    assert decision.rules == ("provider.terms_candidate_cap",)


def test_an_exigent_use_without_a_recorded_review_status_is_judged_unreviewed(
    pack: PolicyPack,
) -> None:
    base = _probe_facts()
    assert base.submission is not None
    use = dataclasses.replace(
        base.submission, exigent=True, exigent_reason="fleeing",
        provider_review_status_at_use=None, used_at=NOW - timedelta(hours=48),
    )  # fmt: skip
    context = dataclasses.replace(base, submission=use)
    decision = pack.decide(CERTIFIED, Action.candidates_view, CANDIDATES, context)
    assert decision.rules == ("exigent.approval_overdue",)


def test_no_approval_on_record_grants_nothing(pack: PolicyPack) -> None:
    base = _probe_facts()
    assert base.probe is not None
    witness = dataclasses.replace(
        base, probe=dataclasses.replace(base.probe, subject_role="witness",
                                        other_methods_exhausted=True),
        approvals=facts.approvals([], {}),
    )  # fmt: skip
    decision = pack.decide(CERTIFIED, Action.submission_create, SUBMISSION, witness)
    assert decision.decision.value == "needs_approval"
    assert decision.rules == ("probe.witness_approval",)


def test_a_disabled_account_is_denied_everything(pack: PolicyPack) -> None:
    disabled = dataclasses.replace(AGENT)
    disabled.disable()
    principal = facts.principal(disabled, None, NOW)
    decision = pack.decide(principal, Action.submission_create, SUBMISSION, _probe_facts())
    assert "account.active" in decision.rules
