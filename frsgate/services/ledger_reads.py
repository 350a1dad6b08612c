"""Reads of the ledger over HTTP: checkpoint, entries and proofs, in the contract's shapes.

Reading the log is itself decided by the policy (memo fn2: accessibility approved by IGP) and
recorded; the proofs let the reader check what they got against a signed checkpoint.
"""

from __future__ import annotations

from typing import Any

from frsgate.ledger import EventTag
from frsgate.ledger.http import checkpoint_json, consistency_json, entries_json, inclusion_json
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services.gate import Caller, decide, draft
from frsgate.services.runtime import Runtime

COMPONENT = "services.ledger_reads"


def _authorize(runtime: Runtime, caller: Caller, what: str, details: dict[str, Any]) -> None:
    decide(
        runtime,
        caller,
        Action.ledger_read,
        Resource(kind=ResourceKind.ledger, id="ledger"),
        Context(),
        subject=f"ledger:{what}",
        component=COMPONENT,
        details=details,
        read=draft(
            caller,
            EventTag.LEDGER_ENTRIES_READ,
            action=Action.ledger_read,
            subject=f"ledger:{what}",
            component=COMPONENT,
            details=details,
        ),
    )


def checkpoint(runtime: Runtime, caller: Caller) -> dict[str, Any]:
    """A signed checkpoint of the current head (issued now if the log has grown)."""
    _authorize(runtime, caller, "checkpoint", {})
    return checkpoint_json(runtime.ledger)


def entries(runtime: Runtime, caller: Caller, start: int, end: int | None) -> dict[str, Any]:
    _authorize(runtime, caller, "entries", {"start": start, "end": end})
    return entries_json(runtime.ledger, start, end)


def inclusion(
    runtime: Runtime, caller: Caller, index: int, tree_size: int | None
) -> dict[str, Any]:
    _authorize(runtime, caller, "inclusion", {"index": index, "tree_size": tree_size})
    return inclusion_json(runtime.ledger, index, tree_size)


def consistency(runtime: Runtime, caller: Caller, first: int, second: int) -> dict[str, Any]:
    _authorize(runtime, caller, "consistency", {"first": first, "second": second})
    return consistency_json(runtime.ledger, first, second)
