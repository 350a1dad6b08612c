"""How an act binds the record it creates or changes to its ledger entry (`details.record`).

A disclosure package carries each record beside the entry at its `ledger_seq`; an offline
verifier compares the two. Free text is bound by its SHA-256 only (`x` is written as
`x_sha256`), so the ledger never holds what an investigator wrote, yet the text shown later
can be checked against what was recorded then.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any


def sha(text: str | None) -> str | None:
    """The hex SHA-256 of `text` as UTF-8; None for no text."""
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()  # "YYYY-MM-DD"
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # an enum member
        return value.value
    return value


def bound(**fields: Any) -> dict[str, Any]:
    """`details.record` of an entry: the fields as JSON values (dates "YYYY-MM-DD", times
    ISO 8601, enums by value, None as null). Pass free text already hashed, under its
    `_sha256` name (`summary_sha256=sha(summary)`)."""
    return {name: _value(value) for name, value in fields.items()}
