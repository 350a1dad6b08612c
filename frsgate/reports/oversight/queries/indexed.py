"""A supervisor's uses and refusals, from the index: the counts `queries.tallied` gives for
every case, over the entries of the scope's cases (a few hundred cases: their entries are read
by `ix_ledger_index_case_cover`, copied once into temporary tables of the report's transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Table

from frsgate.reports.oversight.queries import refusals as refused
from frsgate.reports.oversight.queries import uses as used
from frsgate.reports.oversight.queries.window import Rows, Scope, Window, materialized


@dataclass(frozen=True, slots=True)
class Indexed:
    """The uses of a window and scope, copied once; ask for each breakdown."""

    conn: Connection
    window: Window
    scope: Scope
    uses: Table

    @classmethod
    def read(cls, conn: Connection, w: Window, scope: Scope) -> Indexed:
        return cls(conn, w, scope, materialized(conn, used.uses(w, scope), "report_uses"))

    def totals(self) -> tuple[int, int, int]:
        return used.use_totals(self.conn, self.uses)

    def by_user(self) -> Rows:
        return used.uses_by_user(self.conn, self.uses)

    def by_provider(self) -> Rows:
        return used.uses_by_provider(self.conn, self.uses)

    def by_case(self) -> Rows:
        return used.uses_by_case(self.conn, self.uses)

    def by_match_type(self) -> Rows:
        return used.uses_by_match_type(self.conn, self.uses)

    def over_time(self, *, monthly: bool) -> Rows:
        return used.uses_over_time(self.conn, self.uses, monthly=monthly)

    def refusal_rows(self, name: str) -> Table:
        return materialized(self.conn, refused.refusals(self.window, self.scope), name)

    def attempts_citing(self, rows: Table, rules: Sequence[str]) -> Rows:
        return refused.attempts_citing(self.conn, rows, rules)
