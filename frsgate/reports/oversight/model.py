"""The shape every oversight report shares: a period, the checkpoint it was computed from, how
that checkpoint was checked, headline figures and tables (memo 4.E.4, 4.E.5, fn2).

A report is plain values: the builders (`frsgate.reports.oversight.build`) fill it from SQL
aggregates, and the renderers (`render`, `pdf`) turn it into JSON, CSV or PDF without knowing
which report it is. A table is a titled grid of typed cells with an optional chart; a figure is
one named number with the statement of how it was computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from frsgate.errors import ValidationFailed

FORMAT = "frsgate-oversight-report/1"
MAX_PERIOD_DAYS = 3660  # ten years: a longer period is a typing mistake, not a question

Cell = str | int | float | None


class ReportKind(StrEnum):
    """The reports, each run by the office the memo makes answer for it (`report.run`)."""

    supervisor = "supervisor"  # memo 4.E.4: a supervisor's own cases
    opr = "opr"  # memo 4.E.5: OPR's audit over every case
    igp = "igp"  # fn2: approvals of the pack and the log format; program assessments
    annual = "annual"  # fn2, 4.E.5: the aggregate Utah Code 77-23e-106 asks of an agency


TITLES = {
    ReportKind.supervisor: "Supervisor's report: the use of facial recognition in your cases",
    ReportKind.opr: "OPR audit report: the use of facial recognition services",
    ReportKind.igp: "IGP report: approvals of the policy and log format; program assessments",
    ReportKind.annual: "Annual aggregate report: the use of facial recognition services",
}


def _at(day: date) -> str:
    """The first instant of `day` as ledger `at` text (fixed width, so it compares as time)."""
    return f"{day.isoformat()}T00:00:00.00Z"


@dataclass(frozen=True, slots=True)
class Period:
    """Whole UTC days from `first` to `last`, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValidationFailed(
                f"to ({self.last.isoformat()}) is before from ({self.first.isoformat()})"
            )
        if (self.last - self.first).days >= MAX_PERIOD_DAYS:
            raise ValidationFailed(f"a report covers at most {MAX_PERIOD_DAYS} days")

    @classmethod
    def parse(cls, first: str | None, last: str | None, *, kind: ReportKind, today: date) -> Period:
        """The period from `from` and `to` as YYYY-MM-DD. Left out: `to` is today and
        `from` the start of the last 7 days (the weekly review CJIS AU-6 asks), or for the
        annual report the previous calendar year."""
        end = _day("to", last) if last else None
        start = _day("from", first) if first else None
        if kind is ReportKind.annual and start is None and end is None:
            return cls(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
        end = end or today
        return cls(start or end - timedelta(days=6), end)

    @property
    def start_at(self) -> str:
        return _at(self.first)

    @property
    def end_at(self) -> str:
        """The first instant after the period (exclusive bound)."""
        return _at(self.last + timedelta(days=1))

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


FIRST_YEAR, LAST_YEAR = 1970, 9998  # a day outside these years is a typing mistake


def _day(name: str, text: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationFailed(f"{name}: {text!r} is not between {FIRST_YEAR} and {LAST_YEAR}")
    return day


@dataclass(frozen=True, slots=True)
class CheckpointRef:
    """The signed checkpoint a report was computed from: every ledger figure counts entries
    with seq below `tree_size` only, so two readers of one report saw the same log."""

    origin: str
    tree_size: int
    root: str  # base64, as in the checkpoint note
    note: str  # the signed note itself (C2SP signed-note)


@dataclass(frozen=True, slots=True)
class Verification:
    """What was checked about the ledger before the report was computed, and the outcome."""

    method: str  # "consistency" (O(log n)) or "full" (every entry, node and checkpoint)
    ok: bool
    statement: str  # what was checked, in words
    checked_against: int | None = None  # the tree size of the checkpoint it was checked against


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart of one table: its first column along the x axis, `value` column as heights."""

    kind: str  # "bar" or "line"
    value: str  # the column key plotted
    label: str  # the value axis' label


@dataclass(frozen=True, slots=True)
class Table:
    """A titled grid: `columns` are (key, label) pairs; each row has one cell per column."""

    key: str
    title: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    chart: Chart | None = None

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in self.rows:
            if len(row) != width:
                raise ValueError(f"table {self.key}: a row of {len(row)} cells, {width} columns")

    def records(self) -> list[dict[str, Cell]]:
        keys = [k for k, _ in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class Figure:
    """One headline number and how it was computed."""

    key: str
    label: str
    value: Cell
    note: str = ""


@dataclass(slots=True)
class Report:
    """One oversight report as computed. `shows_results` says it counts uses and their
    results, so every rendering carries the lead-only notice (memo 4.D.2)."""

    kind: ReportKind
    period: Period
    generated_at: datetime
    generated_by: str  # username of who ran it
    scope: str  # which cases it covers, in words
    checkpoint: CheckpointRef
    verification: Verification
    shows_results: bool
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # how long computing it took, checkpoint and checks included

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def figure(self, key: str) -> Figure:
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)
