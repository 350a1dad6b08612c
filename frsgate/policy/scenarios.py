"""A pack's own scenario file: requests with the decision and citations they must get.

Format (YAML)::

    principals:            # named principals, referred to by name
      agent: {user_id: agent-1, roles: [agent], training_completed: true, ...}
    bases:                 # named requests (each should itself be allowed)
      submission: {principal: agent, action: submission.create, resource: {...}, context: {...}}
    scenarios:
      - name: a witness probe needs a supervisor
        base: submission
        set: {context.probe.subject_role: witness, context.probe.other_methods_exhausted: true}
        unset: [context.case]      # optional: remove keys
        expect: needs_approval     # allow | deny | needs_approval
        cites: [probe.witness_approval]   # exactly the rules cited (required unless allow)
        approver_role: supervisor  # optional

``principal`` may be a name from ``principals`` or an inline object; ``set`` paths are
dotted and may reach into the principal (``principal.active: false``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from frsgate.errors import ValidationFailed
from frsgate.policy.decision import Decision, Outcome
from frsgate.policy.engine import PolicyPack
from frsgate.policy.facts import DecisionRequest
from frsgate.policy.requests import request_from_dict

SCENARIO_FILE = "scenarios.yaml"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    request: DecisionRequest
    expect: Outcome
    cites: frozenset[str]
    approver_role: str | None = None


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    decision: Decision
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def _set_path(doc: dict[str, Any], dotted: str, value: Any, where: str) -> None:
    *parents, last = dotted.split(".")
    node = doc
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ValidationFailed(f"{where}: cannot set {dotted}: {part} is not an object")
        node = child
    node[last] = value


def _unset_path(doc: dict[str, Any], dotted: str, where: str) -> None:
    *parents, last = dotted.split(".")
    node = doc
    for part in parents:
        node = node.get(part, {})
    if not isinstance(node, dict) or last not in node:
        raise ValidationFailed(f"{where}: cannot unset {dotted}: it is not there")
    del node[last]


def _scenario(raw: dict[str, Any], index: int, doc: dict[str, Any]) -> Scenario:
    name = str(raw.get("name") or f"scenario {index + 1}")
    where = f"scenario {index + 1} ({name})"
    bases: dict[str, Any] = doc.get("bases", {})
    principals: dict[str, Any] = doc.get("principals", {})
    if "base" in raw:
        if raw["base"] not in bases:
            raise ValidationFailed(f"{where}: unknown base {raw['base']!r}")
        request = copy.deepcopy(bases[raw["base"]])
    else:
        request = copy.deepcopy(raw.get("request", {}))
    for key in ("principal", "action", "resource"):
        if key in raw:
            request[key] = copy.deepcopy(raw[key])
    if isinstance(request.get("principal"), str):
        if request["principal"] not in principals:
            raise ValidationFailed(f"{where}: unknown principal {request['principal']!r}")
        request["principal"] = copy.deepcopy(principals[request["principal"]])
    for dotted, value in (raw.get("set") or {}).items():
        _set_path(request, str(dotted), value, where)
    for dotted in raw.get("unset") or []:
        _unset_path(request, str(dotted), where)
    try:
        expect = Outcome(str(raw.get("expect")))
        parsed = request_from_dict(request)
    except ValueError as exc:
        raise ValidationFailed(f"{where}: {exc}") from None
    except ValidationFailed as exc:
        raise ValidationFailed(f"{where}: {exc.message}") from None
    cites = frozenset(str(c) for c in raw.get("cites") or [])
    if expect is not Outcome.allow and not cites:
        raise ValidationFailed(f"{where}: a {expect.value} scenario must list the rules it cites")
    return Scenario(name, parsed, expect, cites, raw.get("approver_role"))


def load_scenarios(path: Path) -> list[Scenario]:
    """Read a scenario file; raises `ValidationFailed` naming the bad scenario."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("scenarios"), list):
        raise ValidationFailed(f"{path}: expected a mapping with a `scenarios` list")
    return [_scenario(raw, i, doc) for i, raw in enumerate(doc["scenarios"])]


def check(scenario: Scenario, decision: Decision) -> tuple[str, ...]:
    """What is wrong with `decision` for `scenario` (empty when it is as expected)."""
    problems: list[str] = []
    if decision.decision is not scenario.expect:
        problems.append(f"decision {decision.decision.value}, expected {scenario.expect.value}")
    cited = frozenset(decision.rules)
    if cited != scenario.cites:
        problems.append(f"cites {sorted(cited)}, expected {sorted(scenario.cites)}")
    if scenario.approver_role is not None and decision.approver_role != scenario.approver_role:
        problems.append(f"approver {decision.approver_role}, expected {scenario.approver_role}")
    return tuple(problems)


def run_scenarios(pack: PolicyPack, scenarios: Sequence[Scenario]) -> list[ScenarioResult]:
    """Decide every scenario with `pack` and compare with what it expects."""
    results = []
    for scenario in scenarios:
        decision = pack.decide_request(scenario.request)
        results.append(ScenarioResult(scenario, decision, check(scenario, decision)))
    return results
