"""The shape every administrative act takes through the decision point.

Users and roles, cases, programs, program codes, certifications and providers are the records
the pack's rules rest on, so changing them is an act like any other: decided by the pack
(`Gate.enforce`, facts read inside the act's transaction), and recorded on the ledger with who
acted, what changed, and the record before and after (never a secret: an API key appears as its
fingerprint). The service modules (`accounts`, `cases`, `programs`, `program_codes`,
`certifications`, `providers`) build their acts from the pieces here.

The command line acts as a named user (`operator`): on the server, whoever runs `frsgate` can
read the keys anyway, so the name is who the ledger records, and the pack still decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from frsgate.errors import NotFound
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import RESOURCE_KIND, Action, ChangeFacts, Context, Resource
from frsgate.services.errors import AuthenticationFailed
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.store.unit import UnitOfWork, read_only

T = TypeVar("T")
COMPONENT = "services.administration"


def operator(gate: Gate, username: str, *actions: Action) -> Caller:
    """The caller a command-line act is done as: the active user named `username`, bound to
    the actions the command performs (source "cli")."""
    with read_only(gate.engine) as uow:
        try:
            user = uow.users.get_by_username(username)
        except NotFound:
            raise AuthenticationFailed(
                f"--as {username!r}: no such user; name an existing administrator"
            ) from None
    return gate.caller(user.id, source="cli").acting_for(*actions)


def admin_ask(
    action: Action,
    *,
    resource_id: str,
    subject: str,
    owner_id: str | None = None,
    change: ChangeFacts | None = None,
    case: str | None = None,
    provider: str | None = None,
    program_code: str | None = None,
    details: Mapping[str, Any] | None = None,
    component: str = COMPONENT,
) -> Ask:
    """The question for one administrative act: the record it is done to (`resource_id`, and
    whoever asked for it, `owner_id`), and the change as it would leave the record."""
    return Ask(
        action=action,
        resource=Resource(kind=RESOURCE_KIND[action], id=resource_id, owner_id=owner_id),
        contexts=[Context(change=change)],
        subject=subject,
        component=component,
        case=case,
        provider=provider,
        program_code=program_code,
        details=dict(details or {}),
    )


def change_draft(
    caller: Caller,
    action: Action,
    event: EventTag,
    *,
    subject: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    case: str | None = None,
    provider: str | None = None,
    program_code: str | None = None,
    details: Mapping[str, Any] | None = None,
    component: str = COMPONENT,
) -> EntryDraft:
    """The ledger entry of one change: who, what (`event`, `subject`), and the record's fields
    before and after it (None: the record did not exist / no longer does)."""
    body: dict[str, Any] = {"before": dict(before) if before is not None else None,
                            "after": dict(after) if after is not None else None}  # fmt: skip
    body.update(details or {})
    return draft(
        caller, event, subject=subject, component=component, action=action, case=case,
        provider=provider, program_code=program_code, details=body,
    )  # fmt: skip


def administer(
    gate: Gate,
    caller: Caller,
    *,
    ask: Callable[[UnitOfWork], Ask],
    act: Callable[[UnitOfWork], tuple[T, list[EntryDraft]]],
) -> T:
    """Decide one administrative act and carry it out in one transaction: allowed, `act`
    runs and its entries commit with the decision; denied, only the decision is recorded and
    `PolicyDenied` (403, cited) is raised."""

    def run(uow: UnitOfWork, ruling: Ruling) -> tuple[T, list[EntryDraft]]:
        return act(uow)

    return gate.enforce(caller, ask=ask, act=run).result
