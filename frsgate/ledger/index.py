"""The ledger's columns as rows for `ledger_index` and `ledger_refusals`.

One function takes an entry's members (a draft's body at append time, or a parsed stored entry
when the index is rebuilt or checked) to the rows that index it, so what the appender writes
and what `frsgate ledger verify` expects cannot drift apart. The entry stays the record; these
rows let oversight count with SQL (memo 4.E.4, 4.E.5) instead of parsing every entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frsgate.ledger.entry import Outcome

IndexRow = tuple[int, str, str, str, str, str, str, str | None, str | None, str | None, str | None]
RefusalRow = tuple[int, int, str, str]

INDEX_COLUMNS = (
    "seq", "at", "event", "outcome", "actor_id", "actor_role", "subject", "case_number",
    "submission_id", "provider_id", "program_code",
)  # fmt: skip
REFUSAL_COLUMNS = ("seq", "ordinal", "rule", "section")


def rows_of(body: Mapping[str, Any], seq: int, time: str) -> tuple[IndexRow, list[RefusalRow]]:
    """The index row of the entry with these members at `seq`, and its refusal rows (the
    citations of a denied decision, in order)."""
    actor = body["actor"]
    row: IndexRow = (
        seq, time, body["event"], body["outcome"], actor["id"], actor["role"], body["subject"],
        body.get("case"), body.get("submission"), body.get("provider"), body.get("program_code"),
    )  # fmt: skip
    refusals: list[RefusalRow] = []
    if body["outcome"] == Outcome.DENIED.value:
        refusals = [
            (seq, i, c["rule"], c["section"]) for i, c in enumerate(body.get("citations", ()))
        ]
    return row, refusals


def rows_of_entry(entry: Mapping[str, Any]) -> tuple[IndexRow, list[RefusalRow]]:
    """The rows of a stored entry (parsed JSON), from its own `seq` and `time`."""
    return rows_of(entry, int(entry["seq"]), str(entry["time"]))
