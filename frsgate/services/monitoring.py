"""The service metrics (`/metrics`): read by a monitoring account only, each read decided and
recorded like every other read (`metrics.read`, memo fn2).

The metrics are counters of what the service does (requests, decisions, dispatches); the caller
passes the function that renders them, so this module knows nothing of the exposition format.
"""

from __future__ import annotations

from collections.abc import Callable

from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.monitoring"
SUBJECT = "metrics:service"


def read_metrics(*, gate: Gate, caller: Caller, render: Callable[[], bytes]) -> bytes:
    """The rendered metrics, if the pack lets `caller` read them; the read (or its refusal)
    is on the ledger."""

    def ask(uow: UnitOfWork) -> Ask:
        return Ask(
            action=Action.metrics_read,
            resource=Resource(kind=ResourceKind.metrics, id="service", owner_id=caller.user_id),
            contexts=[Context()],
            subject=SUBJECT,
            component=COMPONENT,
        )

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[bytes, list[EntryDraft]]:
        body = render()
        entry = draft(
            caller,
            EventTag.METRICS_RECORDS_READ,
            action=Action.metrics_read,
            subject=SUBJECT,
            component=COMPONENT,
            details={"length": len(body)},  # how much was read, never the counters
        )
        return body, [entry]

    return gate.enforce(caller, ask=ask, act=read).result
