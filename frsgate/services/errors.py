"""Errors the use cases raise beyond the shared base: a policy refusal with its citations, a
rate limit, and an authentication failure re-exported for the edge."""

from __future__ import annotations

from typing import Any

from frsgate.errors import FrsGateError, PermissionDenied
from frsgate.services.tokens import AuthenticationFailed

__all__ = ["AuthenticationFailed", "PolicyDenied", "RateLimited"]


class PolicyDenied(PermissionDenied):
    """The policy pack denied the act; `decision` is the contract dict with its citations."""

    def __init__(self, decision: dict[str, Any]) -> None:
        self.decision = decision
        first = decision["citations"][0] if decision.get("citations") else None
        cited = f" (memo {first['section']}: {first['message']})" if first else ""
        super().__init__(f"denied by policy{cited}")


class RateLimited(FrsGateError):
    """Too many submissions by one user or on one case in the window; a supervisor is told."""

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
