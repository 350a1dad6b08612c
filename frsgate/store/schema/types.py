"""Column types shared by the tables: aware UTC datetimes and enum-valued strings.

SQLite has no time-zone type: it stores whatever naive text it is given and returns naive
datetimes. `UtcDateTime` makes both backends behave alike: it refuses naive values, stores UTC
(naive on SQLite, so the ISO text sorts and compares chronologically) and always returns an
aware UTC datetime.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator

from frsgate.errors import StoreError

ID_LENGTH = 64  # "prefix_" + 32 hex digits, with room for readable fixed ids


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, always UTC in and out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise StoreError(f"refusing to store {value!r}: timestamps must be aware UTC datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - drivers return datetimes
            raise StoreError(f"database returned {value!r} for a timestamp column")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_string(enum: type[StrEnum]) -> String:
    """A string column wide enough for every member of `enum`."""
    return String(max(len(m.value) for m in enum))


def enum_check(column: str, enum: type[StrEnum]) -> CheckConstraint:
    """Refuse values outside `enum` in the database too, not only in the domain."""
    values = ", ".join(f"'{m.value}'" for m in enum)
    return CheckConstraint(f"{column} IN ({values})", name=column)
