"""The pack's own scenario file: every scenario passes, and every rule is shown both ways."""

from __future__ import annotations

from functools import cache

import pytest

from frsgate.policy import Outcome, PolicyPack, default_pack
from frsgate.policy.facts import Role
from frsgate.policy.scenarios import SCENARIO_FILE, Scenario, check, load_scenarios

# Rules that forbid an act outright: no request for their act is ever allowed, by design.
ALWAYS_DENY = {"ledger.append_only"}


@cache
def scenarios() -> list[Scenario]:
    return load_scenarios(default_pack().compiled.folder / SCENARIO_FILE)


@pytest.fixture(scope="module")
def pack() -> PolicyPack:
    return default_pack()


def test_there_are_at_least_80_scenarios() -> None:
    assert len(scenarios()) >= 80


@pytest.mark.parametrize("scenario", scenarios(), ids=lambda s: s.name)
def test_scenario(pack: PolicyPack, scenario: Scenario) -> None:
    decision = pack.decide_request(scenario.request)
    assert check(scenario, decision) == ()


def test_every_forbid_is_shown_denying_with_its_citation(pack: PolicyPack) -> None:
    cited = {r for s in scenarios() if s.expect is not Outcome.allow for r in s.cites}
    forbids = {r.id for r in pack.rules if r.effect == "forbid"}
    assert forbids - cited == set()


def test_every_rule_is_shown_allowing_an_act_it_governs(pack: PolicyPack) -> None:
    allowed_acts = [s.request.action.value for s in scenarios() if s.expect is Outcome.allow]
    for rule in pack.rules:
        if rule.id in ALWAYS_DENY:
            continue
        assert any(rule.applies_to(act) for act in allowed_acts), rule.id


def test_every_grant_is_shown_allowing_its_role(pack: PolicyPack) -> None:
    allowed = [s.request for s in scenarios() if s.expect is Outcome.allow]
    for rule in pack.rules:
        if rule.effect != "permit":
            continue
        role = Role(rule.id.removeprefix("grant."))
        assert any(
            role in r.principal.roles and rule.applies_to(r.action.value) for r in allowed
        ), rule.id


def test_every_outcome_and_every_match_type_is_exercised() -> None:
    assert {s.expect for s in scenarios()} == set(Outcome)
    allowed_match_types = {
        s.request.context.submission.match_type
        for s in scenarios()
        if s.expect is Outcome.allow and s.request.context.submission is not None
    }
    assert {"one_to_one", "two_photo", "one_to_many"} <= allowed_match_types


def test_a_wrong_expectation_is_reported(pack: PolicyPack) -> None:
    scenario = scenarios()[0]
    decision = pack.decide_request(scenario.request)
    wrong = Scenario(scenario.name, scenario.request, Outcome.deny, frozenset({"x"}))
    assert check(wrong, decision) == (
        "decision allow, expected deny",
        "cites [], expected ['x']",
    )
