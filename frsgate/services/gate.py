"""The one decision point: every act and every sensitive read of FRS Gate passes `Gate.enforce`.

`enforce` runs one transaction that

1. gathers the facts *from stored records* (the service's `ask`, reading through the same
   transaction, locking what the act depends on) — never from a client boolean or a constant,
   and a missing record is a deny (`NotFound` before any decision, or a fact left false);
2. asks the active pack (every probe of a submission is asked about: `Ask.contexts`);
3. writes the decision entry in the same transaction as the act, and honours all three
   outcomes:
   - allow: the act (`act`) takes effect and commits with its entries;
   - deny: only the decision is recorded; `PolicyDenied` (403) carries its citations;
   - needs_approval: the act does *not* take effect. An act that can wait (`wait`: a probe or
     a submission stored pending) is stored waiting with its approval requests; any other act
     (`hold`: a read, a decision on results) records the decision, makes sure the approval it
     waits for exists for the right approver, and raises `ApprovalRequired` (409) naming it.

A service that must refuse for a reason of its own inside the transaction (a rate limit, with
its queue item) raises `Refusal` from `ask` or `act`: its entries and the writes made before it
commit, then its error is raised. Routes declare the actions they perform (`Caller.declared`);
deciding any other action for such a caller is a programming error, refused before the pack is
asked. Authorization lives in the pack alone: nothing else checks roles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

from frsgate.domain import ApprovalKind, Certification, Role, User
from frsgate.errors import FrsGateError, NotFound
from frsgate.ledger import Actor, EntryDraft, EventTag, Ledger, Outcome, PolicyRef
from frsgate.policy.decision import Citation, Decision, PackRef, combine
from frsgate.policy.decision import Outcome as DecisionOutcome
from frsgate.policy.engine import PolicyPack
from frsgate.policy.facts import Action, Context, Resource
from frsgate.services import facts, lookup
from frsgate.services.activation import activation_of
from frsgate.services.errors import ApprovalRequired, AuthenticationFailed, PolicyDenied
from frsgate.services.metrics import ServiceMetrics
from frsgate.services.tokens import Identity, Match
from frsgate.store.faults import check_writable
from frsgate.store.unit import UnitOfWork, read_only, unit_of_work

T = TypeVar("T")

# The role an act is recorded under when the user holds several (most specific first).
_ACTING_ROLES: dict[Action, tuple[Role, ...]] = {
    Action.approval_decide: (Role.supervisor, Role.igp),
    Action.provider_review: (Role.osdm,),
    Action.examination_record: (Role.examiner,),
    Action.policy_pack_activate: (Role.igp,),
    Action.policy_pack_request: (Role.admin, Role.igp),
    Action.user_manage: (Role.admin,),
    Action.case_manage: (Role.admin, Role.supervisor),
    Action.program_manage: (Role.admin,),
    Action.program_assess: (Role.igp,),
    Action.program_code_establish: (Role.osdm,),
    Action.certification_record: (Role.admin,),
    Action.provider_manage: (Role.admin,),
    Action.ledger_read: (Role.opr, Role.supervisor, Role.igp),
    Action.export_run: (Role.opr, Role.igp),
    Action.queue_view: (Role.supervisor, Role.osdm, Role.igp),
    Action.outcome_review: (Role.supervisor,),
    Action.metrics_read: (Role.metrics,),
    Action.disposition_verify: (Role.examiner, Role.supervisor),
    Action.lead_mark_enforcement_basis: (Role.agent, Role.supervisor),
    Action.share_create: (Role.agent, Role.supervisor),
    Action.report_run: (Role.opr, Role.igp, Role.supervisor),
    Action.log_review_read: (Role.supervisor, Role.opr),
    Action.log_review_sign_off: (Role.supervisor,),
    Action.log_review_refer: (Role.supervisor,),
    Action.referral_view: (Role.opr, Role.supervisor),
    Action.referral_decide: (Role.opr,),
    Action.log_format_request: (Role.admin, Role.igp),
    Action.log_format_approve: (Role.igp,),
    Action.log_format_view: (Role.igp, Role.opr, Role.admin),
}
_ROLE_ORDER = tuple(Role)
# Before IGP approved the loaded pack (memo fn2) only these are decided by it: asking for and
# deciding its activation, and managing the accounts of those who do (on a new install the
# first administrator creates the IGP approvers). Everything else is refused, citing why.
_BEFORE_ACTIVATION = frozenset(
    {Action.policy_pack_request, Action.policy_pack_activate, Action.user_manage}
)


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated user behind a request. `declared` holds the actions the route
    declared (empty for acts the system performs for a user, such as re-deciding a waiting
    submission once its approval is given)."""

    user: User
    certification: Certification | None
    source: str  # the client address, "cli" or "system"
    declared: frozenset[Action] = frozenset()

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

    def acting_for(self, *actions: Action) -> Caller:
        return replace(self, declared=frozenset(actions))

    def internal(self) -> Caller:
        return replace(self, declared=frozenset())


@dataclass(frozen=True, slots=True)
class Ask:
    """One question for the pack, gathered from stored records inside the act's transaction.

    `contexts` holds one context per thing the act is decided on (one per probe of a
    submission); the decisions are combined, the strictest winning. The remaining fields say
    where the decision entry is filed.
    """

    action: Action
    resource: Resource
    contexts: Sequence[Context]
    subject: str
    component: str
    case: str | None = None
    submission: str | None = None
    provider: str | None = None
    program_code: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Ruling:
    """The decision and the entry that records it (appended by `enforce`)."""

    ask: Ask
    decision: Decision
    entry: EntryDraft

    def act_entry(
        self,
        caller: Caller,
        event: EventTag,
        *,
        subject: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> EntryDraft:
        """The entry of the act this ruling allowed, filed where its decision is (the same
        action, component, case, submission, provider and program code)."""
        ask = self.ask
        return draft(
            caller, event, action=ask.action, subject=subject or ask.subject,
            component=ask.component, case=ask.case, submission=ask.submission,
            provider=ask.provider, program_code=ask.program_code, details=details,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ruled(Generic[T]):
    """What `enforce` returns: the act's result and the decision that let it happen."""

    result: T
    decision: Decision


class Refusal(Exception):
    """Raised by an `ask` or `act` callback to refuse inside the transaction: `drafts` and the
    writes made before it commit, then `error` is raised to the caller."""

    def __init__(self, error: FrsGateError, drafts: Sequence[EntryDraft]) -> None:
        super().__init__(error.message)
        self.error = error
        self.drafts = list(drafts)


Act = Callable[[UnitOfWork, Ruling], tuple[T, list[EntryDraft]]]
Hold = Callable[[UnitOfWork, Ruling], tuple[list[dict[str, Any]], list[EntryDraft]]]


# FRSGATE_EXIGENT_ESCALATION_HOURS's default (see `frsgate.config.Settings`).
DEFAULT_EXIGENT_ESCALATION = timedelta(hours=24)


class Gate:
    """The decision point's dependencies: the store, the ledger, the pack, the clock, and how
    long an overdue exigent approval waits before it is escalated (it changes who the pack
    is asked about, so every decider must see the same setting)."""

    def __init__(
        self,
        *,
        engine: Engine,
        ledger: Ledger,
        policy: PolicyPack,
        clock: Callable[[], datetime],
        metrics: ServiceMetrics | None = None,
        exigent_escalation: timedelta = DEFAULT_EXIGENT_ESCALATION,
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.policy = policy
        self.clock = clock
        self.metrics = metrics or ServiceMetrics()
        self.exigent_escalation = exigent_escalation
        self._active = False

    def now(self) -> datetime:
        return self.clock()

    # --- activation (memo fn2) --------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True once IGP approved exactly the loaded pack version (looked up until it is:
        another process may have recorded the approval)."""
        if not self._active:
            with read_only(self.engine) as uow:
                self._active = activation_of(uow, self.policy) is not None
        return self._active

    def mark_active(self) -> None:
        self._active = True

    def use_pack(self, policy: PolicyPack) -> None:
        """Decide with another pack version from now on. Nothing but its activation is
        allowed by it until IGP approved exactly that version (memo fn2)."""
        self.policy = policy
        self._active = False

    # --- deciding -----------------------------------------------------------------------------

    def evaluate(
        self,
        caller: Caller,
        action: Action,
        resource: Resource,
        context: Context,
        *,
        preview: bool = False,
    ) -> Decision:
        """Ask the active pack (nothing is recorded: `enforce` records). A `preview` (which
        queue items a user may decide) is not counted among the decisions made."""
        if caller.declared and action not in caller.declared:
            # The route declared other actions than the one its service decides: a defect
            # of the code, never something a request can cause.
            raise RuntimeError(
                f"{action.value} decided for a route that declared "
                f"{', '.join(sorted(a.value for a in caller.declared))}"
            )
        at = self.now()
        principal = facts.principal(caller.user, caller.certification, at)
        if context.now is None:
            context = replace(context, now=at)
        # Until IGP approved the loaded pack (memo fn2), only asking for and deciding its
        # activation may be decided by it.
        if action in _BEFORE_ACTIVATION or self.active:
            decision = self.policy.decide(principal, action, resource, context)
        else:
            decision = self._not_activated()
        if not preview:
            self.metrics.decisions.labels(action.value, decision.decision.value).inc()
        return decision

    def rule(self, caller: Caller, ask: Ask, *, preview: bool = False) -> Ruling:
        decisions = [
            self.evaluate(caller, ask.action, ask.resource, c, preview=preview)
            for c in ask.contexts
        ]
        if not decisions:
            raise RuntimeError(f"{ask.action.value} asked with no context")  # a defect
        decision = combine(decisions)
        return Ruling(ask=ask, decision=decision, entry=decision_draft(caller, ask, decision))

    def enforce(
        self,
        caller: Caller,
        *,
        ask: Callable[[UnitOfWork], Ask],
        act: Act[T],
        wait: Act[T] | None = None,
        hold: Hold | None = None,
    ) -> Ruled[T]:
        """Decide one act and carry it out as the decision says, in one transaction (see the
        module docstring). Raises `PolicyDenied`, `ApprovalRequired` or a `Refusal`'s error."""
        error: FrsGateError | None = None
        ruled: Ruled[T] | None = None
        with unit_of_work(self.engine) as uow:
            try:
                question = ask(uow)
                ruling = self.rule(caller, question)
                outcome = ruling.decision.decision
                if outcome is DecisionOutcome.allow:
                    result, drafts = act(uow, ruling)
                    ruled = Ruled(result, ruling.decision)
                elif outcome is DecisionOutcome.needs_approval and wait is not None:
                    result, drafts = wait(uow, ruling)
                    ruled = Ruled(result, ruling.decision)
                elif outcome is DecisionOutcome.needs_approval:
                    awaiting, drafts = hold(uow, ruling) if hold is not None else ([], [])
                    error = ApprovalRequired(ruling.decision.to_dict(), awaiting)
                else:
                    drafts = []
                    error = PolicyDenied(ruling.decision.to_dict())
                self.ledger.append_in(uow.conn, [ruling.entry, *drafts])
            except Refusal as refusal:
                self.ledger.append_in(uow.conn, refusal.drafts)
                error = refusal.error
        if error is not None:
            raise error
        assert ruled is not None
        return ruled

    def caller(self, user_id: str, *, source: str) -> Caller:
        """The `Caller` an authenticated identity acts as: the stored user, active, with their
        PALMS certification as of now. An unknown or disabled user is refused."""
        with read_only(self.engine) as uow:
            try:
                user = uow.users.get(user_id)
            except NotFound:
                raise AuthenticationFailed("the token names no known user") from None
            if not user.is_active:
                raise AuthenticationFailed(f"user {user.username} is disabled")
            certification = lookup.certification(uow, user.id, self.now())
        return Caller(user=user, certification=certification, source=source)

    def caller_for(self, identity: Identity, *, source: str) -> Caller:
        """The `Caller` a verified token's identity acts as, found in the stored records by the
        claim that names the user (see `frsgate.services.tokens`). No user matching it is a
        401 naming the claim, never quoting the token."""
        with read_only(self.engine) as uow:
            if identity.match is Match.user_id:
                user = uow.users.find(identity.value)
            elif identity.match is Match.oidc_subject:
                user = uow.users.find_by_oidc(identity.issuer, identity.value)
            elif identity.match is Match.email:
                user = uow.users.find_by_email(identity.value)
            else:
                user = uow.users.find_by_username(identity.value)
        if user is None:
            how = {
                Match.user_id: "the token's 'sub' claim names no known user",
                Match.oidc_subject: (
                    "the token's 'sub' claim matches no user's OIDC identity for its issuer; "
                    "an administrator records it (`frsgate users update --oidc-subject`)"
                ),
                Match.email: "the token's 'email' claim matches no user's e-mail address",
            }.get(
                identity.match,
                f"the token's {identity.claim!r} claim matches no username",
            )
            raise AuthenticationFailed(how)
        return self.caller(user.id, source=source)

    def ready(self) -> bool:
        """The store answers, the ledger's head can be read, and the store could take the
        ledger's next entry now: not full, not read-only, not locked (readiness, not an act;
        nothing is written)."""
        try:
            with read_only(self.engine) as uow:
                uow.conn.exec_driver_sql("SELECT 1")
            self.ledger.size()
            check_writable(self.engine)
        except Exception:  # readiness reports, it does not explain: details are in the log
            return False
        return True

    def approver_role(self, kind: ApprovalKind) -> Role | None:
        """The role the pack grants the decision of an approval of `kind` (a policy-pack
        version: `policy_pack.activate`; a log-format version: `log_format.approve`; the
        others: `approval.decide`), read from the pack's
        grants, so it is never a second table beside them; None when the pack's grants are
        not scoped by role alone."""
        action = {
            ApprovalKind.policy_pack_activation: Action.policy_pack_activate,
            ApprovalKind.log_format_approval: Action.log_format_approve,
        }.get(kind, Action.approval_decide)
        grants = self.policy.compiled.grant_roles
        granted = grants.get(action.value, frozenset()) if grants is not None else frozenset()
        return next((r for r in _ROLE_ORDER if r.value in granted), None)

    def record(self, uow: UnitOfWork, drafts: Sequence[EntryDraft]) -> None:
        """Append entries of acts that follow a decision already recorded (an outcome)."""
        self.ledger.append_in(uow.conn, drafts)

    def _not_activated(self) -> Decision:
        pack = self.policy
        return Decision(
            decision=DecisionOutcome.deny,
            citations=(
                Citation(
                    rule="pack.not_activated",
                    section="fn2",
                    message=(
                        f"Policy pack {pack.id} {pack.version} ({pack.sha256[:12]}) has not been "
                        "approved by the privacy office (IGP); nothing is allowed until it is. "
                        "An administrator requests activation and an IGP approver decides it."
                    ),
                ),
            ),
            pack=PackRef(id=pack.id, version=pack.version, sha256=pack.sha256),
        )


def decision_draft(caller: Caller, ask: Ask, decision: Decision) -> EntryDraft:
    """The ledger entry of one decision: outcome, pack id and hash, citations. A decision that
    waits for an approval is recorded as refused (the act did not take effect) with
    `details.decision` saying `needs_approval` and the approvals that would cure it."""
    body: dict[str, Any] = {"action": ask.action.value, "decision": decision.decision.value}
    if decision.approver_role:
        body["approver_role"] = decision.approver_role
        body["approvals"] = list(decision.approvals)
    body.update(ask.details)
    return EntryDraft(
        event=EventTag.POLICY_DECISION_EVALUATE,
        actor=caller.actor(ask.action),
        outcome=Outcome.ALLOWED if decision.allowed else Outcome.DENIED,
        subject=ask.subject,
        component=ask.component,
        source=caller.source,
        case=ask.case,
        submission=ask.submission,
        provider=ask.provider,
        program_code=ask.program_code,
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
    """The ledger entry of one act, appended with its decision by `Gate.enforce`."""
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
