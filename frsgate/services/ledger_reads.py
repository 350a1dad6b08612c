"""Reads of the ledger over HTTP: checkpoint, entries and proofs, in the contract's shapes.

Reading the log is itself decided by the policy (memo fn2: accessibility approved by IGP) and
recorded; the proofs let the reader check what they got against a signed checkpoint.
"""

from __future__ import annotations

import base64
from typing import Any

from frsgate.errors import ValidationFailed
from frsgate.ledger import EventTag
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services.gate import Caller, decide, record
from frsgate.services.runtime import Runtime

COMPONENT = "services.ledger_reads"
MAX_PAGE = 1000


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
    )
    record(
        runtime,
        caller,
        EventTag.LEDGER_ENTRIES_READ,
        action=Action.ledger_read,
        subject=f"ledger:{what}",
        component=COMPONENT,
        details=details,
    )


def checkpoint(runtime: Runtime, caller: Caller) -> dict[str, Any]:
    """A fresh signed checkpoint covering every entry so far (including this read's)."""
    _authorize(runtime, caller, "checkpoint", {})
    return runtime.ledger.checkpoint().to_json()


def entries(runtime: Runtime, caller: Caller, start: int, end: int | None) -> dict[str, Any]:
    size = runtime.ledger.size()
    stop = size if end is None else end
    if start < 0 or stop < start:
        raise ValidationFailed(f"entries range [{start}, {stop}) is not a valid range")
    if stop > size:
        raise ValidationFailed(f"end {stop} is beyond the tree size {size}")
    if stop - start > MAX_PAGE:
        raise ValidationFailed(f"at most {MAX_PAGE} entries per request; narrow start and end")
    _authorize(runtime, caller, "entries", {"start": start, "end": stop})
    rows = runtime.ledger.entries(start, stop)
    return {
        "start": start,
        "end": stop,
        "entries": [base64.b64encode(e).decode() for e in rows],
    }


def inclusion(
    runtime: Runtime, caller: Caller, index: int, tree_size: int | None
) -> dict[str, Any]:
    _authorize(runtime, caller, "inclusion", {"index": index, "tree_size": tree_size})
    return runtime.ledger.inclusion_proof(index, tree_size).to_json()


def consistency(runtime: Runtime, caller: Caller, first: int, second: int) -> dict[str, Any]:
    _authorize(runtime, caller, "consistency", {"first": first, "second": second})
    return runtime.ledger.consistency_proof(first, second).to_json()
