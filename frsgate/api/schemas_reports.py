"""The oversight reports' JSON (format `frsgate-oversight-report/1`) as response models, so the
OpenAPI document describes what `GET /api/v1/reports/{report}` answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Value = str | int | float | None


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportPeriodOut(_Out):
    first_day: str  # YYYY-MM-DD, UTC, included
    last_day: str  # YYYY-MM-DD, UTC, included
    start: str  # the first instant counted
    end: str  # the first instant after the period


class ReportCheckpointOut(_Out):
    """The signed checkpoint every ledger figure was computed from (entries below its size)."""

    origin: str
    tree_size: int
    root: str
    note: str


class ReportVerificationOut(_Out):
    method: Literal["consistency", "full"]
    ok: bool
    statement: str
    checked_against: int | None


class ReportLedgerOut(_Out):
    checkpoint: ReportCheckpointOut
    verification: ReportVerificationOut


class ReportFigureOut(_Out):
    label: str
    value: Value
    note: str


class ReportColumnOut(_Out):
    key: str
    label: str


class ReportTableOut(_Out):
    title: str
    columns: list[ReportColumnOut]
    rows: list[dict[str, Value]]
    note: str


class ReportOut(_Out):
    """One oversight report: its header, the checkpoint it was computed from, how long it
    took, its figures and its tables by key (docs: `frsgate.reports.oversight.render`)."""

    format: Literal["frsgate-oversight-report/1"]
    kind: Literal["supervisor", "opr", "igp", "annual"]
    title: str
    period: ReportPeriodOut
    generated_at: str
    generated_by: str
    scope: str
    ledger: ReportLedgerOut
    seconds: float
    figures: dict[str, ReportFigureOut]
    tables: dict[str, ReportTableOut]
    notes: list[str]
    investigative_lead_only: Literal[True] | None = None
    notice: str | None = None
