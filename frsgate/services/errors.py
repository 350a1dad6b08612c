"""Errors the use cases raise beyond the shared base: a policy refusal with its citations, an
act held for an approval, a rate limit, and an authentication failure re-exported for the
edge."""

from __future__ import annotations

from typing import Any

from frsgate.errors import Conflict, FrsGateError, PermissionDenied
from frsgate.services.tokens import AuthenticationFailed

__all__ = ["ApprovalRequired", "AuthenticationFailed", "PolicyDenied", "RateLimited"]


class PolicyDenied(PermissionDenied):
    """The policy pack denied the act; `decision` is the contract dict with its citations."""

    def __init__(self, decision: dict[str, Any], *, hint: str = "") -> None:
        self.decision = decision
        first = decision["citations"][0] if decision.get("citations") else None
        cited = f" (memo {first['section']}: {first['message']})" if first else ""
        # `hint`: what the stored records offer instead, which the pack's fixed message
        # cannot name (e.g. the match types a provider's terms allow).
        super().__init__(f"denied by policy{cited}" + (f"; {hint}" if hint else ""))


class RateLimited(FrsGateError):
    """Too many submissions by one user or on one case in the window; a supervisor is told."""

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ApprovalRequired(Conflict):
    """The policy answered needs_approval: the act did not take effect. `decision` is the
    contract dict with its citations; `awaiting` lists the approval requests it waits for
    (id, kind, approver role, status, deadline), each in the queue of an approver the pack
    accepts for this case."""

    def __init__(self, decision: dict[str, Any], awaiting: list[dict[str, Any]]) -> None:
        self.decision = decision
        self.awaiting = awaiting
        first = decision["citations"][0] if decision.get("citations") else None
        cited = f" (memo {first['section']}: {first['message']})" if first else ""
        waits = ", ".join(str(a["id"]) for a in awaiting)
        super().__init__(
            f"waiting for approval{cited}" + (f"; approval request {waits}" if waits else "")
        )
