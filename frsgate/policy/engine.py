"""The policy engine: a loaded pack that decides requests and cites the rules that decided.

Decision procedure, for one request:

1. Evaluate the request against the pre-parsed policy set of its action (Cedar; parsed once).
2. Allow when Cedar allows and nothing went wrong.
3. If Cedar reports an evaluation error, deny (fail closed: Cedar skips a policy that errors,
   which for a forbid would let the request through) and cite the pack's `evaluation_error`.
4. If every forbid that fired carries ``@cure(role)``, ask whether the request would be allowed
   with the approvals those rules name granted: if so, the answer is ``needs_approval`` from
   that role, citing the curable rules; otherwise it is a deny. For packs shaped like ours
   (role-scoped grants, approvals read only where they cure) that is a look-up of the grants;
   for any other pack, a second evaluation with the approvals granted. A forbid without
   ``@cure`` always wins (memo 4.C.3: an FRS OSDM did not approve is forbidden even when
   exigent).
5. A deny with no forbid (no grant covered the act) cites the pack's `no_grant` citation; the
   `duty.*` rules make that unreachable for the packs we ship, but a user never reads
   "no rule matched".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import cedarpy

from frsgate.policy.decision import Citation, Decision, Outcome, PackRef
from frsgate.policy.facts import (
    Action,
    Context,
    DecisionRequest,
    Principal,
    Resource,
)
from frsgate.policy.pack import CompiledPack, PackInvalid, Rule, compile_pack
from frsgate.policy.translate import Translator

PACKS_DIR = Path(__file__).resolve().parent / "packs"
DEFAULT_PACK_DIR = PACKS_DIR / "hsi_2021"

# A stand-in approver for the "would an approval cure it?" evaluation: a supervisor who is
# neither the principal nor the requester (user ids are never empty, so it cannot collide).
_HYPOTHETICAL_GRANT: dict[str, Any] = {
    "granted": True,
    "approver_id": "",
    "approver_is_supervisor": True,
}
_EMPTY_CONTEXT = Context()


class PolicyPack:
    """A loaded, validated policy pack. Thread-safe: it holds only immutable parsed handles.

    Use `load_pack(folder)` or `default_pack()` to get one; `decide` and `decide_many` answer.
    """

    def __init__(self, compiled: CompiledPack) -> None:
        self.compiled = compiled
        self.ref: PackRef = compiled.ref
        self.rules: tuple[Rule, ...] = compiled.rules
        self._by_id: dict[str, Rule] = {r.id: r for r in compiled.rules}
        self._order: dict[str, int] = {r.id: i for i, r in enumerate(compiled.rules)}
        hours = float(compiled.parameters.get("exigent_approval_deadline_hours", 24))
        if hours <= 0:
            raise PackInvalid(
                f"{compiled.folder}: parameters.exigent_approval_deadline_hours must be > 0"
            )
        # memo 4.C.3: one deadline for the after-the-fact approval of exigent use, approved
        # with the pack; the services date approval requests by it too.
        self.exigent_approval_deadline = timedelta(hours=hours)
        self.translator = Translator(exigent_approval_deadline=self.exigent_approval_deadline)
        self._allow = Decision(Outcome.allow, (), self.ref)

    @property
    def id(self) -> str:
        return self.ref.id

    @property
    def sha256(self) -> str:
        return self.ref.sha256

    @property
    def version(self) -> str:
        return self.ref.version

    def rule(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    def decide(
        self,
        principal: Principal,
        action: Action,
        resource: Resource,
        context: Context = _EMPTY_CONTEXT,
    ) -> Decision:
        """Decide one request. Raises `ValidationFailed` when a fact the action needs is missing."""
        request = self.translator.request(principal, action, resource, context)
        entities = self.translator.entities_for(principal)
        policies = self.compiled.action_sets[action.value]
        result = cedarpy.is_authorized(request, policies, entities)
        return self._interpret(result, principal, action, request, policies, entities)

    def decide_request(self, request: DecisionRequest) -> Decision:
        return self.decide(request.principal, request.action, request.resource, request.context)

    def decide_many(self, requests: Sequence[DecisionRequest]) -> list[Decision]:
        """Decide many requests (a page of candidate lists, a queue) in as few engine calls as
        possible: requests of one principal and one action are evaluated as one batch."""
        groups: dict[tuple[Principal, Action], list[int]] = defaultdict(list)
        for i, r in enumerate(requests):
            groups[(r.principal, r.action)].append(i)
        out: list[Decision | None] = [None] * len(requests)
        for (principal, action), indices in groups.items():
            cedar_requests = [
                self.translator.request(
                    principal, action, requests[i].resource, requests[i].context
                )
                for i in indices
            ]
            entities = self.translator.entities_for(principal)
            policies = self.compiled.action_sets[action.value]
            results = cedarpy.is_authorized_batch(cedar_requests, policies, entities)
            for i, request, result in zip(indices, cedar_requests, results, strict=True):
                out[i] = self._interpret(result, principal, action, request, policies, entities)
        return [d for d in out if d is not None]

    def _cite(self, rule_ids: Sequence[str]) -> tuple[Citation, ...]:
        known = sorted((r for r in rule_ids if r in self._by_id), key=self._order.__getitem__)
        return tuple(self._by_id[r].citation() for r in known)

    def _interpret(
        self,
        result: cedarpy.AuthzResult,
        principal: Principal,
        action: Action,
        request: dict[str, Any],
        policies: cedarpy.PolicySet,
        entities: cedarpy.Entities,
    ) -> Decision:
        diagnostics = result.diagnostics
        fired = [r for r in diagnostics.reasons if self._by_id[r].effect == "forbid"]
        if diagnostics.errors:
            return Decision(
                Outcome.deny,
                (*self._cite(fired), self.compiled.evaluation_error),
                self.ref,
            )
        if result.allowed:
            return self._allow
        if not fired:
            return Decision(Outcome.deny, (self.compiled.no_grant,), self.ref)
        rules = [self._by_id[r] for r in fired]
        citations = self._cite(fired)
        if not all(r.curable for r in rules):
            return Decision(Outcome.deny, citations, self.ref)
        # Every rule that fired is curable: would the approvals they name let it through?
        kinds = sorted({r.approval for r in rules if r.approval is not None})
        grant_roles = self.compiled.grant_roles
        if grant_roles is not None:
            # Cedar reported every forbid that holds, and approvals lift only these: it comes
            # down to whether a grant covers the act (see pack._grant_roles).
            if grant_roles[action.value].isdisjoint(principal.roles):
                return Decision(Outcome.deny, (*citations, self.compiled.no_grant), self.ref)
        else:
            approvals = dict(request["context"]["approvals"])
            for kind in kinds:
                approvals[kind] = _HYPOTHETICAL_GRANT
            cured = dict(request, context={**request["context"], "approvals": approvals})
            again = cedarpy.is_authorized(cured, policies, entities)
            if not again.allowed or again.diagnostics.errors:
                others = [r for r in again.diagnostics.reasons if r not in fired]
                extra = self._cite(others) if others else (self.compiled.no_grant,)
                return Decision(Outcome.deny, (*citations, *extra), self.ref)
        roles = sorted({r.cure for r in rules if r.cure is not None})
        return Decision(
            Outcome.needs_approval,
            citations,
            self.ref,
            approver_role=roles[0] if len(roles) == 1 else ",".join(roles),
            approvals=tuple(kinds),
        )


def load_pack(folder: Path | str) -> PolicyPack:
    """Load, validate and compile the pack in `folder`. Raises `PackInvalid` saying why not."""
    return PolicyPack(compile_pack(Path(folder)))


@cache
def default_pack() -> PolicyPack:
    """The HSI 2021 pack shipped with FRS Gate, loaded once per process."""
    return load_pack(DEFAULT_PACK_DIR)
