"""Small helpers shared by the entities: identifiers, UTC clock values and field checks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from frsgate.domain.errors import InvalidEntity


def new_id(prefix: str) -> str:
    """A readable, unguessable identifier such as ``case_3f0c...`` (uuid4 hex)."""
    return f"{prefix}_{uuid.uuid4().hex}"


def utc_now() -> datetime:
    return datetime.now(UTC)


def require_aware(entity: str, field: str, value: datetime | None) -> None:
    """Refuse naive datetimes: every timestamp in FRS Gate is an aware UTC instant."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise InvalidEntity(entity, field, "must be a timezone-aware datetime (UTC)")


def require_text(entity: str, field: str, value: str | None, *, optional: bool = False) -> None:
    """Refuse empty or blank text where the memo needs a statement (a justification...)."""
    if value is None:
        if optional:
            return
        raise InvalidEntity(entity, field, "is required")
    if not value.strip():
        raise InvalidEntity(entity, field, "must not be blank")


_HEX = frozenset("0123456789abcdef")


def require_sha256(entity: str, field: str, value: str | None, *, optional: bool = False) -> None:
    """A SHA-256 digest as 64 lowercase hex digits (how images are named in the ledger)."""
    if value is None and optional:
        return
    if value is None or len(value) != 64 or not set(value) <= _HEX:
        raise InvalidEntity(entity, field, "must be a SHA-256 digest: 64 lowercase hex digits")
