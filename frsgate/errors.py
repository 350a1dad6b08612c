"""The one error base of FRS Gate.

Every error the project raises on purpose derives from `FrsGateError` and carries a message a
user can act on. The CLI entry point and the API's exception handler each catch it once; the
HTTP status for each kind lives in `frsgate.api`, never here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class FrsGateError(Exception):
    """Base of every deliberate error: `message` says what happened and what to do.

    Clients see the error's class name (the API's `error` member) unless `error_name` says
    otherwise: a finer class the code tells apart that clients have always seen as its base.
    """

    error_name: ClassVar[str] = ""

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


class LedgerFault(StrEnum):
    """Why the store under the ledger cannot take a write (`LedgerUnavailable.cause`)."""

    disk_full = "disk_full"
    read_only = "read_only"
    lock_timeout = "lock_timeout"
    statement_timeout = "statement_timeout"


# What each cause is in plain words, what clears it, and how soon a client should retry.
_LEDGER_FAULTS: dict[LedgerFault, tuple[str, str, int]] = {
    LedgerFault.disk_full: (
        "the disk is full",
        "an operator frees space on the database's disk",
        30,
    ),
    LedgerFault.read_only: (
        "the database is read-only",
        "an operator makes the database writable again (its file and directory, or a "
        "PostgreSQL primary that accepts writes)",
        30,
    ),
    LedgerFault.lock_timeout: (
        "another writer held the database lock past the lock timeout",
        "the other writer lets go",
        5,
    ),
    LedgerFault.statement_timeout: (
        "the database did not finish the write within the statement timeout",
        "the database answers in time again",
        5,
    ),
}


class LedgerUnavailable(StoreError):
    """The store under the audit ledger cannot take a write, so no act that needs a ledger
    entry may happen (log before act): the disk is full, the database is read-only, or a lock
    or statement timed out. Transient: service resumes by itself once the cause clears."""

    def __init__(self, cause: LedgerFault) -> None:
        what, cure, retry_after = _LEDGER_FAULTS[cause]
        super().__init__(
            f"the audit ledger cannot be written: {what}; nothing was done. "
            f"Service resumes by itself once {cure}; retry in {retry_after} s"
        )
        self.cause = cause
        self.retry_after_seconds = retry_after
