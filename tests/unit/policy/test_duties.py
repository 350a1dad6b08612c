"""Grants and duties agree, role by role, and no valid request ever falls through to the
pack's `no_grant` fallback: every denial a user sees names a rule of the memo."""

from __future__ import annotations

import dataclasses
import json
from itertools import combinations

import cedarpy
import pytest

from frsgate.policy import PolicyPack, default_pack
from frsgate.policy.facts import Action, ApprovalKind, Principal, Role
from frsgate.policy.scenarios import SCENARIO_FILE, load_scenarios


@pytest.fixture(scope="module")
def pack() -> PolicyPack:
    return default_pack()


def _allowed(policies: str, role: Role, action: Action, context: dict[str, object]) -> bool:
    entities = json.dumps(
        [
            {"uid": {"type": "Role", "id": role.value}, "attrs": {}, "parents": []},
            {
                "uid": {"type": "User", "id": "u"},
                "attrs": {},
                "parents": [{"type": "Role", "id": role.value}],
            },
        ]
    )
    request = {
        "principal": 'User::"u"',
        "action": f'Action::"{action.value}"',
        "resource": 'Thing::"t"',
        "context": context,
    }
    result = cedarpy.is_authorized(request, policies, entities)
    assert not result.diagnostics.errors
    return result.allowed


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_grants_and_duty_rules_agree(pack: PolicyPack, action: Action) -> None:
    ests = json.loads(cedarpy.policies_to_json_str(pack.compiled.policy_text))
    by_id = {p["annotations"]["id"]: p for p in ests["staticPolicies"].values()}
    grants = [r for r in pack.rules if r.effect == "permit"]
    # The duties of an act: forbids scoped to this act alone, lifted by the principal's roles.
    duties = [
        r
        for r in pack.rules
        if r.effect == "forbid"
        and r.actions == frozenset({action.value})
        and any(
            c["kind"] == "unless" and "context" not in json.dumps(c["body"])
            for c in by_id[r.id]["conditions"]
        )
    ]
    if action is Action.ledger_alter:
        assert not any(g.applies_to(action.value) for g in grants)
        return
    assert duties
    # approval.decide has one duty per kind it decides (a pack version is decided by
    # policy_pack.activate), and queue.view one per queue, each reading which one.
    contexts: list[dict[str, object]] = [{}]
    if action is Action.approval_decide:
        # (and the log format by log_format.approve).
        by_igp = (ApprovalKind.policy_pack_activation, ApprovalKind.log_format_approval)
        kinds = [k for k in ApprovalKind if k not in by_igp]
        contexts = [{"approval": {"kind": k.value, "decider_supervises": True}} for k in kinds]
        assert len(duties) == len(kinds)
    elif action is Action.queue_view:
        contexts = [{"queue": q} for q in ("approvals", "supervisor", "osdm")]
        assert len(duties) == len(contexts)
    elif action is Action.report_run:
        contexts = [{"report": r} for r in ("supervisor", "opr", "igp", "annual")]
        assert len(duties) == len(contexts)
    elif action is Action.ledger_read:
        # Who reads at all, who reads the whole log, who reads a case's entries (memo fn2).
        contexts = [
            {"ledger": {"scope": "all", "decider_supervises": False}},
            {"ledger": {"scope": "case", "decider_supervises": True}},
        ]
        assert len(duties) == 3, [d.id for d in duties]
    else:
        assert len(duties) == 1, [d.id for d in duties]

    def text(ids: list[str]) -> str:
        doc = {"staticPolicies": {i: by_id[i] for i in ids}, "templates": {}, "templateLinks": []}
        return cedarpy.policies_from_json_str(json.dumps(doc))

    grants_text = text([g.id for g in grants])
    duty_text = text([d.id for d in duties]) + "\npermit (principal, action, resource);"
    for role in Role:
        if action in (Action.queue_view, Action.report_run, Action.ledger_read):
            # A grant is per act; the duties are per queue (per report): a role granted the
            # act reads at least one, and a role without the grant reads none.
            granted = _allowed(grants_text, role, action, contexts[0])
            reads = [_allowed(duty_text, role, action, c) for c in contexts]
            assert granted == any(reads), role
            continue
        for context in contexts:
            granted = _allowed(grants_text, role, action, context)
            assert granted == _allowed(duty_text, role, action, context), (role, context)


def _role_sets() -> list[frozenset[Role]]:
    singles = [frozenset({r}) for r in Role]
    pairs = [frozenset(p) for p in combinations(Role, 2)]
    return singles + pairs


def test_no_valid_request_falls_through_to_no_grant(pack: PolicyPack) -> None:
    scenarios = load_scenarios(pack.compiled.folder / SCENARIO_FILE)
    seen_actions = set()
    checked = 0
    for scenario in scenarios:
        seen_actions.add(scenario.request.action)
        for roles in _role_sets():
            principal: Principal = dataclasses.replace(scenario.request.principal, roles=roles)
            request = dataclasses.replace(scenario.request, principal=principal)
            decision = pack.decide_request(request)
            assert "duty.no_grant" not in decision.rules, (scenario.name, roles)
            assert decision.allowed or decision.citations, (scenario.name, roles)
            checked += 1
    assert seen_actions == set(Action)
    assert checked > 3000
