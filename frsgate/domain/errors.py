"""Errors of the pure domain model.

The domain imports nothing else of FRS Gate, so it has its own small error family; the service
and API layers translate it (an illegal transition usually becomes a 409 Conflict at the edge).
Every message names what was attempted and why it cannot happen.
"""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """A rule of the domain model was broken; `message` says which and how."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class IllegalTransition(DomainError):
    """An act was attempted on an entity in a state whose transition table does not allow it."""

    def __init__(self, entity: str, state: str, act: str, legal_acts: Iterable[str] = ()) -> None:
        self.entity = entity
        self.state = str(state)
        self.act = str(act)
        self.legal_acts = tuple(sorted(str(a) for a in legal_acts))
        allowed = ", ".join(self.legal_acts) if self.legal_acts else "none (final state)"
        super().__init__(
            f"cannot {self.act} a {entity} in state {self.state!r}; "
            f"acts allowed in {self.state!r}: {allowed}"
        )


class RefusedValue(DomainError):
    """A value the memo forbids outright (a live-stream capture, a composite sketch...).

    `field` names the input, `value` the refused value and `citation` the memo section, so the
    refusal can be shown to the user and recorded with its reason.
    """

    def __init__(self, field: str, value: str, citation: str, reason: str) -> None:
        self.field = field
        self.value = value
        self.citation = citation
        self.reason = reason
        super().__init__(f"{field}={value!r} is refused ({citation}): {reason}")


class InvalidEntity(DomainError):
    """An entity was built or changed with a value that cannot hold (empty, naive time...)."""

    def __init__(self, entity: str, field: str, problem: str) -> None:
        self.entity = entity
        self.field = field
        super().__init__(f"{entity}.{field} {problem}")


class SelfApproval(DomainError):
    """Nobody approves their own request (separation of duties)."""

    def __init__(self, user_id: str, approval_id: str) -> None:
        self.user_id = user_id
        self.approval_id = approval_id
        super().__init__(
            f"user {user_id} requested approval {approval_id} and cannot decide it; "
            "another authorized user must"
        )
