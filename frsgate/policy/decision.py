"""The answer of the policy engine: a decision, the rules that made it, the pack that holds them.

`Decision.to_dict()` is the DESIGN contract every consumer relies on (API, ledger, console):
``{decision, citations: [{rule, section, message}], policy: {pack, sha256}}`` plus, for
``needs_approval`` only, ``approver_role`` and ``approvals`` (the approval kinds that cure it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    allow = "allow"
    deny = "deny"
    needs_approval = "needs_approval"


@dataclass(frozen=True, slots=True)
class Citation:
    """One rule that decided: its `@id`, the memo section it encodes, what the user must do."""

    rule: str
    section: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "section": self.section, "message": self.message}


@dataclass(frozen=True, slots=True)
class PackRef:
    """The identity of a loaded policy pack: its id, its version and the SHA-256 of its files."""

    id: str
    version: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"pack": self.id, "version": self.version, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class Decision:
    """A policy decision. A deny and a needs_approval always carry at least one citation."""

    decision: Outcome
    citations: tuple[Citation, ...]
    pack: PackRef
    approver_role: str | None = None
    approvals: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision is Outcome.allow

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(c.rule for c in self.citations)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "decision": self.decision.value,
            "citations": [c.to_dict() for c in self.citations],
            "policy": {"pack": self.pack.id, "sha256": self.pack.sha256},
        }
        if self.decision is Outcome.needs_approval:
            out["approver_role"] = self.approver_role
            out["approvals"] = list(self.approvals)
        return out


def combine(decisions: Sequence[Decision]) -> Decision:
    """One decision from several asked about the same act (each probe of a submission):
    any deny wins, with every denial's citations; else any needs_approval, curing what every
    one of them needs; else allow. Citations keep their first order, without repeats."""
    if len(decisions) == 1:
        return decisions[0]
    for outcome in (Outcome.deny, Outcome.needs_approval):
        chosen = [d for d in decisions if d.decision is outcome]
        if not chosen:
            continue
        citations = tuple(dict.fromkeys(c for d in chosen for c in d.citations))
        if outcome is Outcome.deny:
            return Decision(outcome, citations, chosen[0].pack)
        roles = sorted({r for d in chosen for r in (d.approver_role or "").split(",") if r})
        approvals = tuple(dict.fromkeys(a for d in chosen for a in d.approvals))
        return Decision(
            outcome, citations, chosen[0].pack, approver_role=",".join(roles), approvals=approvals
        )
    return decisions[0]
