"""Reads of the ledger over HTTP: checkpoint, entries and proofs, in the contract's shapes.

Reading the log is itself decided by the policy (memo fn2: accessibility approved by IGP) and
recorded; the proofs let the reader check what they got against a signed checkpoint. These read
the whole log, which holds every case: the pack gives them to the auditors, OPR (4.E.5) and
IGP (fn2); a supervisor reads their own cases' entries (`frsgate.services.case_ledger`).
"""

from __future__ import annotations

from typing import Any

from frsgate.ledger import EntryDraft, EventTag
from frsgate.ledger.http import checkpoint_json, consistency_json, entries_json, inclusion_json
from frsgate.policy.facts import (
    Action,
    Context,
    LedgerReadFacts,
    LedgerScope,
    Resource,
    ResourceKind,
)
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.ledger_reads"


def _authorize(gate: Gate, caller: Caller, what: str, details: dict[str, Any]) -> None:
    def ask(uow: UnitOfWork) -> Ask:
        return Ask(
            action=Action.ledger_read,
            resource=Resource(kind=ResourceKind.ledger, id="ledger"),
            contexts=[Context(ledger=LedgerReadFacts(scope=LedgerScope.all))],
            subject=f"ledger:{what}",
            component=COMPONENT,
            details=details,
        )

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[None, list[EntryDraft]]:
        entry = draft(
            caller, EventTag.LEDGER_ENTRIES_READ, action=Action.ledger_read,
            subject=f"ledger:{what}", component=COMPONENT, details=details,
        )  # fmt: skip
        return None, [entry]

    gate.enforce(caller, ask=ask, act=read)


def decide_read(*, gate: Gate, caller: Caller, what: str, details: dict[str, Any]) -> None:
    """Decide and record one read of the whole log (`ledger.read`), as the reads below are:
    for a service that reads the log in a shape of its own (`services.ledger_status`)."""
    _authorize(gate, caller, what, details)


def checkpoint(*, gate: Gate, caller: Caller) -> dict[str, Any]:
    """A signed checkpoint of the current head (issued now if the log has grown)."""
    _authorize(gate, caller, "checkpoint", {})
    return checkpoint_json(gate.ledger)


def entries(*, gate: Gate, caller: Caller, start: int, end: int | None) -> dict[str, Any]:
    _authorize(gate, caller, "entries", {"start": start, "end": end})
    return entries_json(gate.ledger, start, end)


def inclusion(*, gate: Gate, caller: Caller, index: int, tree_size: int | None) -> dict[str, Any]:
    _authorize(gate, caller, "inclusion", {"index": index, "tree_size": tree_size})
    return inclusion_json(gate.ledger, index, tree_size)


def consistency(*, gate: Gate, caller: Caller, first: int, second: int) -> dict[str, Any]:
    _authorize(gate, caller, "consistency", {"first": first, "second": second})
    return consistency_json(gate.ledger, first, second)
