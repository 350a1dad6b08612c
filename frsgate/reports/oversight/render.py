"""An oversight report as JSON or as CSV.

JSON (`frsgate-oversight-report/1`): the report's header (kind, period, who ran it, when, the
scope), the ledger checkpoint it was computed from and how it was checked, how long it took,
its figures by key and its tables by key, each row an object keyed by column.

CSV: one file of sections, each a block of rows followed by one empty line. A block's first
row is ``section,<key>``; its second the column names; then the rows. The first section,
``report``, holds the header as ``field,value`` pairs; the second, ``figures``, holds
``key,label,value,note``; then one section per table, in the order of the report. Read it
with any CSV reader and split on the ``section`` rows.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from frsgate.domain.results import LEAD_ONLY_NOTICE
from frsgate.reports.oversight.model import FORMAT, Cell, Report


def header(report: Report) -> dict[str, Any]:
    """The report's header fields, in the order they are shown."""
    cp, check = report.checkpoint, report.verification
    fields: dict[str, Any] = {
        "format": FORMAT,
        "kind": report.kind.value,
        "title": report.title,
        "from": report.period.first.isoformat(),
        "to": report.period.last.isoformat(),
        "generated_at": report.generated_at.isoformat(),
        "generated_by": report.generated_by,
        "scope": report.scope,
        "checkpoint_origin": cp.origin,
        "checkpoint_tree_size": cp.tree_size,
        "checkpoint_root": cp.root,
        "verification_method": check.method,
        "verification_ok": check.ok,
        "verification": check.statement,
        "seconds": round(report.seconds, 3),
    }
    if report.shows_results:
        fields["notice"] = LEAD_ONLY_NOTICE
    return fields


def report_json(report: Report) -> dict[str, Any]:
    cp, check = report.checkpoint, report.verification
    body: dict[str, Any] = {
        "format": FORMAT,
        "kind": report.kind.value,
        "title": report.title,
        "period": {
            "first_day": report.period.first.isoformat(),
            "last_day": report.period.last.isoformat(),
            "start": report.period.start.isoformat(),
            "end": report.period.end.isoformat(),
        },
        "generated_at": report.generated_at.isoformat(),
        "generated_by": report.generated_by,
        "scope": report.scope,
        "ledger": {
            "checkpoint": {
                "origin": cp.origin,
                "tree_size": cp.tree_size,
                "root": cp.root,
                "note": cp.note,
            },
            "verification": {
                "method": check.method,
                "ok": check.ok,
                "statement": check.statement,
                "checked_against": check.checked_against,
            },
        },
        "seconds": round(report.seconds, 3),
        "figures": {
            f.key: {"label": f.label, "value": f.value, "note": f.note} for f in report.figures
        },
        "tables": {
            t.key: {
                "title": t.title,
                "columns": [{"key": k, "label": label} for k, label in t.columns],
                "rows": t.records(),
                "note": t.note,
            }
            for t in report.tables
        },
        "notes": list(report.notes),
    }
    if report.shows_results:
        body["investigative_lead_only"] = True
        body["notice"] = LEAD_ONLY_NOTICE
    return body


def cell_text(value: Cell | bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def report_csv(report: Report) -> str:
    """The sectioned CSV described in the module docstring (UTF-8 text, CRLF rows)."""
    out = io.StringIO()
    writer = csv.writer(out)

    def section(key: str, columns: list[str], rows: list[list[str]]) -> None:
        writer.writerow(["section", key])
        writer.writerow(columns)
        writer.writerows(rows)
        writer.writerow([])

    section("report", ["field", "value"], [[k, cell_text(v)] for k, v in header(report).items()])
    section(
        "figures",
        ["key", "label", "value", "note"],
        [[f.key, f.label, cell_text(f.value), f.note] for f in report.figures],
    )
    for table in report.tables:
        section(
            table.key,
            [k for k, _ in table.columns],
            [[cell_text(v) for v in row] for row in table.rows],
        )
    return out.getvalue()
