"""What an oversight report counts over, and the helpers every query of `queries` shares.

`Window` bounds the ledger side to the report's checkpoint (`seq < size`) and period (`at`,
fixed-width RFC 3339 text); `Scope` is the cases it covers. A `Rowset` is the window's uses or
refusals, as a subquery or copied once into a temporary table of the report's transaction
(`materialized`), so the dozen counts of a report each scan only the window's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Select, Subquery, Table, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from frsgate.ledger import rollup
from frsgate.reports.oversight.model import Period
from frsgate.store.schema.core import case_supervisors, cases
from frsgate.store.schema.ledger import ledger_index

Rows = list[tuple[Any, ...]]
# What a report's counts read: the window's rows as a subquery, or copied into a table.
Rowset = Subquery | Table


@dataclass(frozen=True, slots=True)
class Window:
    """What a report counts: ledger entries below `size` inside `period`; `now` is when it
    runs (an approval pending past its deadline is pending past it now)."""

    period: Period
    size: int
    now: datetime


@dataclass(frozen=True, slots=True)
class Scope:
    """The cases a report covers: every one, or those `supervisor_id` supervises (memo 4.E.4).
    A supervisor's scope holds no program use without a case."""

    supervisor_id: str | None = None

    @property
    def everything(self) -> bool:
        return self.supervisor_id is None

    def case_ids(self) -> Select[tuple[str]]:
        return select(case_supervisors.c.case_id).where(
            case_supervisors.c.user_id == self.supervisor_id
        )

    def case_numbers(self) -> Select[tuple[str]]:
        return select(cases.c.number).where(cases.c.id.in_(self.case_ids()))


def fetch_rows(conn: Connection, stmt: Any) -> Rows:
    """The statement's rows, as plain tuples."""
    return [tuple(row) for row in conn.execute(stmt).all()]


def fetch_int(conn: Connection, stmt: Any) -> int:
    """The statement's one value as an int (0 for none)."""
    value = conn.execute(stmt).scalar()
    return int(value or 0)


def materialized(conn: Connection, rows: Subquery, name: str) -> Table:
    """The rows of `rows` copied, once, into a temporary table of this transaction.

    A report counts the window's uses (or refusals) a dozen ways; as a subquery each count
    would join the ledger index to the submissions again over the whole period. Copied once,
    each count scans only the window's rows. The table lives in the report's transaction (and
    connection) only: dropped at commit on PostgreSQL, and before any reuse on both.
    """
    table = Table(
        name,
        MetaData(),
        *(Column(c.name, c.type) for c in rows.c),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    create_temporary(conn, table)
    conn.execute(table.insert().from_select([c.name for c in rows.c], select(rows)))
    if conn.dialect.name == "postgresql":
        # Autovacuum never analyzes a temporary table: without its row count the planner
        # guesses, and chooses nested loops over a million rows for the joins that follow.
        conn.exec_driver_sql(f"ANALYZE {table.name}")
    return table


def create_temporary(conn: Connection, table: Table) -> None:
    """Create the temporary `table`, first dropping one of its name left on this connection."""
    temp = "temp" if conn.dialect.name == "sqlite" else "pg_temp"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {temp}.{table.name}")
    table.create(conn)


def ledger_bounds(w: Window) -> list[ColumnElement[bool]]:
    """The index's entries of the window: below the checkpoint's size, inside the period."""
    li = ledger_index.c
    return [li.seq < w.size, li.at >= w.period.start_at, li.at < w.period.end_at]


def period_days(w: Window) -> tuple[str, str]:
    """The period's first and last day as the roll-ups' `day` text."""
    return w.period.first.isoformat(), w.period.last.isoformat()


def day_of(at: Any) -> ColumnElement[str]:
    """The day of an entry's time text, as the roll-ups key it."""
    return func.substr(at, 1, rollup.DAY_CHARS, type_=ledger_index.c.at.type)


def in_period(column: Any, period: Period) -> ColumnElement[bool]:
    """A domain table's time `column` inside the period."""
    return and_(column >= period.start, column < period.end)


def cases_in(column: Any, scope: Scope) -> list[ColumnElement[bool]]:
    """A domain table's case `column` inside the scope (no condition for every case)."""
    return [] if scope.everything else [column.in_(scope.case_ids())]
