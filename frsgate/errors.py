"""The one error base of FRS Gate.

Every error the project raises on purpose derives from `FrsGateError` and carries a message a
user can act on. The CLI entry point and the API's exception handler each catch it once; the
HTTP status for each kind lives in `frsgate.api`, never here.
"""

from __future__ import annotations


class FrsGateError(Exception):
    """Base of every deliberate error: `message` says what happened and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigurationError(FrsGateError):
    """The settings cannot be used; the message names the setting."""


class ValidationFailed(FrsGateError):
    """Input was refused; the message names the field or the problem."""


class NotFound(FrsGateError):
    """A referenced object does not exist."""


class Conflict(FrsGateError):
    """The request conflicts with the current state (duplicate, already decided...)."""


class PermissionDenied(FrsGateError):
    """The actor may not do this; policy denials carry their citations elsewhere."""


class StoreError(FrsGateError):
    """The database refused or is unsafe to use (for example a weak durability setting)."""
