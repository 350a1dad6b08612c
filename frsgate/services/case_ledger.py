"""Reading one case's ledger entries, each with a proof the reader can check (memo 4.E.4, fn2).

Front-line supervisors review their cases' logs (memo 4.E.4); the whole log holds every other
case, so it is the auditors' alone (OPR audits, 4.E.5; IGP approves the log's accessibility,
fn2), through the contract routes (`frsgate.services.ledger_reads`). A case's page is decided
as `ledger.read` with the scope `case` and whether the reader supervises that case, and
recorded on the ledger under the case, so the case's own log shows who read it and who was
refused.

The entries are the canonical entries themselves, selected with the ledger index by case number
(exact equality on `ledger_index.case_number`: a case number that is a prefix of another
selects nothing of the other), in seq order, a page at a time (`cursor`: the last seq of the
previous page). Beside them: a signed checkpoint that covers every entry of the page, and each
entry's RFC 9162 inclusion proof against it, so the reader verifies the page with the ledger's
public key alone (docs/audit-log-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from frsgate.errors import ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.ledger.entry import format_time
from frsgate.ledger.http import MAX_ENTRIES_PER_PAGE
from frsgate.ledger.merkle import b64encode
from frsgate.ledger.notes import SignedCheckpoint
from frsgate.policy.facts import (
    Action,
    Context,
    LedgerReadFacts,
    LedgerScope,
    Resource,
    ResourceKind,
)
from frsgate.services import lookup
from frsgate.services.gate import Ask, Caller, Gate, Ruling
from frsgate.store.schema.ledger import ledger_entries, ledger_index
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.case_ledger"
DEFAULT_PAGE = 100


@dataclass(frozen=True, slots=True)
class Period:
    """The times a page covers, as the index's `at` text: `since <= at < until`."""

    since: str | None = None
    until: str | None = None


def period(since: str | None, until: str | None) -> Period:
    """`from`/`to` as given: an RFC 3339 time with its zone, or a date (UTC). A date as `from`
    is its first moment, as `to` its whole day (the day is included)."""
    start = _moment(since, "from", end_of_day=False) if since else None
    stop = _moment(until, "to", end_of_day=True) if until else None
    if start is not None and stop is not None and stop <= start:
        raise ValidationFailed(f"to ({until}) is not after from ({since})")
    return Period(
        since=format_time(start) if start is not None else None,
        until=format_time(stop) if stop is not None else None,
    )


def _moment(text: str, name: str, *, end_of_day: bool) -> datetime:
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(), tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{name}: {text!r} is neither a date (YYYY-MM-DD) nor an RFC 3339 time"
        ) from None
    if moment.tzinfo is None:
        raise ValidationFailed(f"{name}: {text!r} has no time zone (add Z or an offset)")
    return moment


@dataclass(frozen=True, slots=True)
class CasePage:
    case_number: str
    period: Period
    rows: list[tuple[int, bytes, bytes]]  # (seq, canonical entry, leaf hash)
    next_cursor: int | None


def case_entries(
    *,
    gate: Gate,
    caller: Caller,
    case_ref: str,
    since: str | None = None,
    until: str | None = None,
    cursor: int | None = None,
    limit: int = DEFAULT_PAGE,
) -> dict[str, Any]:
    """One page of the case's entries (seq after `cursor`, within the period), decided as
    `ledger.read` of the case and recorded under it, with a signed checkpoint covering the page
    and each entry's inclusion proof against it."""
    if not 1 <= limit <= MAX_ENTRIES_PER_PAGE:
        raise ValidationFailed(f"limit: {limit} is not 1..{MAX_ENTRIES_PER_PAGE}")
    if cursor is not None and cursor < 0:
        raise ValidationFailed(f"cursor: {cursor} is not a ledger seq (0 or more)")
    window = period(since, until)
    asked = {"scope": "case", "from": since, "to": until, "cursor": cursor, "limit": limit}

    def ask(uow: UnitOfWork) -> Ask:
        case = lookup.case(uow, case_ref)
        facts = LedgerReadFacts(
            scope=LedgerScope.case, decider_supervises=caller.user_id in case.supervisor_ids
        )
        return Ask(
            action=Action.ledger_read,
            resource=Resource(kind=ResourceKind.ledger, id=f"case:{case.number}"),
            contexts=[Context(ledger=facts)],
            subject=f"ledger:case:{case.number}",
            component=COMPONENT,
            case=case.number,
            details=asked,
        )

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[CasePage, list[EntryDraft]]:
        number = ruling.ask.case
        assert number is not None
        page = _page(uow, number, window, cursor, limit)
        shown = {
            "entries": len(page.rows),
            "first_seq": page.rows[0][0] if page.rows else None,
            "last_seq": page.rows[-1][0] if page.rows else None,
        }
        entry = ruling.act_entry(caller, EventTag.LEDGER_ENTRIES_READ, details=asked | shown)
        return page, [entry]

    page = gate.enforce(caller, ask=ask, act=read).result
    # After the read committed: a checkpoint that covers the page (the newest stored one when
    # it does, else one issued now), and each entry's proof against it.
    last = page.rows[-1][0] if page.rows else -1
    signed = _covering(gate, last)
    return {
        "case": page.case_number,
        "from": since,
        "to": until,
        "cursor": cursor,
        "next_cursor": page.next_cursor,
        "checkpoint": signed.to_json(),
        "entries": [
            {
                "seq": seq,
                "entry": raw.decode("utf-8"),
                "leaf_hash": b64encode(leaf),
                "proof": gate.ledger.inclusion_proof(seq, signed.tree_size).to_json(),
            }
            for seq, raw, leaf in page.rows
        ],
    }


def _page(uow: UnitOfWork, number: str, window: Period, cursor: int | None, limit: int) -> CasePage:
    """The case's entries after `cursor` in the period, oldest first, one more than `limit`
    read to know whether another page follows (ix_ledger_index_case_cover)."""
    stmt = (
        select(ledger_entries.c.seq, ledger_entries.c.entry, ledger_entries.c.leaf_hash)
        .select_from(ledger_index.join(ledger_entries, ledger_entries.c.seq == ledger_index.c.seq))
        .where(ledger_index.c.case_number == number)
        .order_by(ledger_index.c.seq)
        .limit(limit + 1)
    )
    if cursor is not None:
        stmt = stmt.where(ledger_index.c.seq > cursor)
    if window.since is not None:
        stmt = stmt.where(ledger_index.c.at >= window.since)
    if window.until is not None:
        stmt = stmt.where(ledger_index.c.at < window.until)
    rows = [(int(r[0]), bytes(r[1]), bytes(r[2])) for r in uow.conn.execute(stmt)]
    more = len(rows) > limit
    rows = rows[:limit]
    return CasePage(
        case_number=number,
        period=window,
        rows=rows,
        next_cursor=rows[-1][0] if more else None,
    )


def _covering(gate: Gate, last_seq: int) -> SignedCheckpoint:
    latest = gate.ledger.latest_checkpoint()
    if latest is not None and latest.tree_size > last_seq:
        return latest
    return gate.ledger.checkpoint()
