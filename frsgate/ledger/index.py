"""The ledger's columns as rows for `ledger_index` and `ledger_refusals`, and the uses and
answers the use tallies count (`frsgate.ledger.rollup`).

One function takes an entry's members (a draft's body at append time, or a parsed stored entry
when the index is rebuilt or checked) to the rows that index it, so what the appender writes
and what `frsgate ledger verify` expects cannot drift apart. The entry stays the record; these
rows let oversight count with SQL (memo 4.E.4, 4.E.5) instead of parsing every entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from frsgate.ledger.entry import Outcome
from frsgate.ledger.events import EventTag

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


# --- what a use's entries say of it, for the use tallies (`frsgate.ledger.rollup`) ---------

INTENT = EventTag.SUBMISSION_DISPATCH_INTENT.value
OUTCOME = EventTag.SUBMISSION_DISPATCH_OUTCOME.value
OUTCOME_UNKNOWN = EventTag.SUBMISSION_DISPATCH_OUTCOME_UNKNOWN.value

# What the FRS answered a use, as its outcome entry records it; a use with none yet is
# NO_ANSWER. The oversight reports print these words.
FAILED = "failed"
COMPARISON_SCORE = "comparison score"
CANDIDATES_RETURNED = "candidates returned"
NEGATIVE = "no candidates (negative)"
UNKNOWN = "outcome unknown"
NO_ANSWER = "no answer yet"


@dataclass(frozen=True, slots=True)
class Dispatch:
    """A use (memo 4.E.1): a `submission:dispatch:intent` entry, with what it says of the
    use — who asked for it, the match type and whether it was exigent (memo 4.C.3), as
    `services.dispatch.intent_draft` writes them from the submission."""

    at: str
    submission: str
    case_number: str | None
    provider: str | None
    requested_by: str
    match_type: str
    exigent: bool


@dataclass(frozen=True, slots=True)
class Answer:
    """What the FRS answered a use: its outcome entry (or the outcome-unknown one that start-up
    recovery writes), as one of the words above."""

    at: str
    submission: str
    outcome: str


UseFact = Dispatch | Answer


def fact_of(body: Mapping[str, Any], time: str) -> UseFact | None:
    """The use or the answer an entry records, or None for any other entry."""
    event, submission = body["event"], body.get("submission")
    if submission is None:
        return None
    details = body.get("details") or {}
    if event == INTENT:
        return Dispatch(
            at=time,
            submission=submission,
            case_number=body.get("case"),
            provider=body.get("provider"),
            requested_by=str(details.get("requested_by") or body["actor"]["id"]),
            match_type=str(details.get("match_type") or ""),
            exigent=details.get("exigent") is True,
        )
    if event == OUTCOME_UNKNOWN:
        return Answer(time, submission, UNKNOWN)
    if event != OUTCOME:
        return None
    if body["outcome"] == Outcome.FAILED.value:
        return Answer(time, submission, FAILED)
    if body["outcome"] != Outcome.SUCCEEDED.value:
        return None
    if details.get("comparison_score") is not None:
        return Answer(time, submission, COMPARISON_SCORE)
    size = details.get("list_size")
    return Answer(
        time, submission, CANDIDATES_RETURNED if isinstance(size, int) and size > 0 else NEGATIVE
    )


@dataclass(slots=True)
class Batch:
    """The index rows, refusal rows and use facts of a batch of entries, as the appender
    collects them for `storage.write_batch`."""

    rows: list[IndexRow] = field(default_factory=list)
    refusals: list[RefusalRow] = field(default_factory=list)
    facts: list[UseFact] = field(default_factory=list)

    def add(self, body: Mapping[str, Any], seq: int, time: str) -> None:
        row, refusals = rows_of(body, seq, time)
        self.rows.append(row)
        self.refusals.extend(refusals)
        fact = fact_of(body, time)
        if fact is not None:
            self.facts.append(fact)
