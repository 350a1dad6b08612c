"""The policy gate: every decision, allow or deny, is asked of the active pack and recorded.

A service calls `decide(...)` before any act; the decision's ledger entry (with the pack id and
hash and the citations) is durable before the service acts on it (DESIGN: log before act). A
denial raises `PolicyDenied` carrying the citations, so the edge can show the user which memo
section stopped them and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from frsgate.domain import Certification, Role, User
from frsgate.ledger import Actor, EntryDraft, EventTag, Outcome, PolicyRef
from frsgate.policy.decision import Citation, Decision, PackRef
from frsgate.policy.decision import Outcome as DecisionOutcome
from frsgate.policy.facts import Action, Context, Resource
from frsgate.services import facts
from frsgate.services.errors import PolicyDenied
from frsgate.services.runtime import Runtime

# The role an act is recorded under when the user holds several (most specific first).
_ACTING_ROLES: dict[Action, tuple[Role, ...]] = {
    Action.approval_decide: (Role.supervisor, Role.igp),
    Action.provider_review: (Role.osdm,),
    Action.examination_record: (Role.examiner,),
    Action.policy_pack_activate: (Role.igp,),
    Action.user_manage: (Role.admin,),
    Action.ledger_read: (Role.opr, Role.supervisor, Role.igp),
    Action.export_run: (Role.opr, Role.igp),
}
_ROLE_ORDER = (
    Role.agent,
    Role.supervisor,
    Role.examiner,
    Role.osdm,
    Role.igp,
    Role.opr,
    Role.admin,
)


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated user behind a request, with what the gate needs to decide for them."""

    user: User
    certification: Certification | None
    source: str  # the client address, "cli" or "system"

    @property
    def user_id(self) -> str:
        return self.user.id

    def role_for(self, action: Action | None = None) -> str:
        preferred = _ACTING_ROLES.get(action, ()) if action is not None else ()
        for role in (*preferred, *_ROLE_ORDER):
            if role in self.user.roles:
                return role.value
        return "none"

    def actor(self, action: Action | None = None) -> Actor:
        return Actor(id=self.user.id, role=self.role_for(action))


def evaluate(
    runtime: Runtime, caller: Caller, action: Action, resource: Resource, context: Context
) -> Decision:
    """Ask the active pack (nothing recorded yet: pair it with `decision_draft`)."""
    at = runtime.now()
    principal = facts.principal(caller.user, caller.certification, at)
    if context.now is None:
        context = replace(context, now=at)
    # Until IGP approved the loaded pack (memo fn2), only its activation may be decided by it.
    activated = runtime.policy_active or runtime.refresh_policy_active()
    if activated or action is Action.policy_pack_activate:
        decision = runtime.policy.decide(principal, action, resource, context)
    else:
        decision = _not_activated(runtime)
    runtime.metrics.decisions.labels(action.value, decision.decision.value).inc()
    return decision


def decide(
    runtime: Runtime,
    caller: Caller,
    action: Action,
    resource: Resource,
    context: Context,
    *,
    subject: str,
    component: str,
    case: str | None = None,
    submission: str | None = None,
    provider: str | None = None,
    program_code: str | None = None,
    details: Mapping[str, Any] | None = None,
    raise_on_deny: bool = True,
    read: EntryDraft | None = None,
) -> Decision:
    """Ask the active pack, record the decision in the ledger, and return it.

    The entry is durable before this returns, so nothing can act on a decision that is not on
    record. `read` is the entry of a sensitive read the decision allows (a candidate list, a
    probe image): it commits in the same batch, before any data is returned. With
    `raise_on_deny`, a deny raises `PolicyDenied` after it is recorded.
    """
    decision = evaluate(runtime, caller, action, resource, context)
    entries = [
        decision_draft(
            caller,
            action,
            decision,
            subject=subject,
            component=component,
            case=case,
            submission=submission,
            provider=provider,
            program_code=program_code,
            details=details,
        )
    ]
    if read is not None and decision.allowed:
        entries.append(read)
    runtime.ledger.append_many(entries)
    if raise_on_deny:
        raise_if_denied(decision)
    return decision


def raise_if_denied(decision: Decision) -> None:
    if decision.decision is DecisionOutcome.deny:
        raise PolicyDenied(decision.to_dict())


def _not_activated(runtime: Runtime) -> Decision:
    pack = runtime.policy
    return Decision(
        decision=DecisionOutcome.deny,
        citations=(
            Citation(
                rule="pack.not_activated",
                section="fn2",
                message=(
                    f"Policy pack {pack.id} {pack.version} ({pack.sha256[:12]}) has not been "
                    "approved by the privacy office (IGP); nothing is allowed until it is. An "
                    "administrator requests activation and an IGP approver decides it."
                ),
            ),
        ),
        pack=PackRef(id=pack.id, version=pack.version, sha256=pack.sha256),
    )


def decision_draft(
    caller: Caller,
    action: Action,
    decision: Decision,
    *,
    subject: str,
    component: str,
    case: str | None = None,
    submission: str | None = None,
    provider: str | None = None,
    program_code: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> EntryDraft:
    """The ledger entry of one decision: outcome, pack id and hash, citations."""
    body: dict[str, Any] = {"action": action.value, "decision": decision.decision.value}
    if decision.approver_role:
        body["approver_role"] = decision.approver_role
        body["approvals"] = list(decision.approvals)
    if details:
        body.update(details)
    return EntryDraft(
        event=EventTag.POLICY_DECISION_EVALUATE,
        actor=caller.actor(action),
        outcome=Outcome.ALLOWED if decision.allowed else Outcome.DENIED,
        subject=subject,
        component=component,
        source=caller.source,
        case=case,
        submission=submission,
        provider=provider,
        program_code=program_code,
        policy=PolicyRef(pack=decision.pack.id, sha256=decision.pack.sha256),
        citations=[c.to_dict() for c in decision.citations],
        details=body,
    )


def draft(
    caller: Caller | Actor,
    event: EventTag,
    *,
    subject: str,
    component: str,
    outcome: Outcome = Outcome.SUCCEEDED,
    action: Action | None = None,
    source: str | None = None,
    case: str | None = None,
    submission: str | None = None,
    provider: str | None = None,
    program_code: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> EntryDraft:
    """The ledger entry of one act, to append alone (`record`) or in a batch."""
    actor = caller.actor(action) if isinstance(caller, Caller) else caller
    where = source or (caller.source if isinstance(caller, Caller) else "system")
    return EntryDraft(
        event=event,
        actor=actor,
        outcome=outcome,
        subject=subject,
        component=component,
        source=where,
        case=case,
        submission=submission,
        provider=provider,
        program_code=program_code,
        details=dict(details or {}),
    )
