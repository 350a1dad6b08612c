"""The oversight reports as pages: the supervisor's (memo 4.E.4), OPR's audit (4.E.5), IGP's
(fn2) and the annual aggregate, each over a period the reader chooses, with its charts, its
figures and tables, and its JSON, CSV and PDF downloads.

A report is run only when the period form is sent (opening the page runs nothing), and every
run, the page's and each download's, is the API's: `services.reports.run_report`, decided as
`report.run` and recorded, computed from a checkpoint signed for it. Charts are the PDF's
(`reports.oversight.pdf.chart_png`), placed in the page as PNG `data:` images (the CSP allows
`img-src data:`), so the page needs no second run to draw them; each chart's figures are also in
the table under it, and its text alternative says so.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query
from starlette.responses import Response

from frsgate.domain import Role
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.reports.oversight import ReportKind
from frsgate.reports.oversight.model import Period, Report, Table
from frsgate.reports.oversight.pdf import chart_png, render_pdf
from frsgate.reports.oversight.render import cell_text, report_csv, report_json
from frsgate.services.reports import run_report
from frsgate.web.context import Console, page
from frsgate.web.render import NavItem
from frsgate.web.routing import console_router

router = console_router()
NAV = (
    NavItem(Role.supervisor, "Supervisor's report", "/console/reports/supervisor"),
    NavItem(Role.opr, "Audit report", "/console/reports/opr"),
    NavItem(Role.opr, "Annual report", "/console/reports/annual"),
    NavItem(Role.igp, "IGP report", "/console/reports/igp"),
    NavItem(Role.igp, "Annual report", "/console/reports/annual"),
)

PAGE_ROWS = 200  # rows of one table shown on the page; the downloads carry every row
DAY_LENGTH = 10  # YYYY-MM-DD
FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
Day = Annotated[str | None, Query(max_length=DAY_LENGTH)]
FromDay = Annotated[str | None, Query(alias="from", max_length=DAY_LENGTH)]
WHAT = {
    ReportKind.supervisor: "the use of facial recognition in the cases you supervise (memo 4.E.4)",
    ReportKind.opr: "OPR's audit of the use of facial recognition over every case and program "
    "(memo 4.E.5)",
    ReportKind.igp: "the approvals of the policy and of the log format, and the programs' "
    "assessments (memo fn2, 4.A.1)",
    ReportKind.annual: "the aggregate of a year's use of facial recognition (memo fn2, 4.E.5)",
}


def _chart(table: Table) -> dict[str, str] | None:
    if table.chart is None:
        return None
    png = chart_png(table, table.chart)
    if png is None:
        return None
    kind = "Line chart" if table.chart.kind == "line" else "Bar chart"
    return {
        "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "alt": f"{kind} of {table.title}: {table.chart.label} per {table.columns[0][1]}. "
        "The same figures are in the table below.",
    }


def _table(table: Table) -> dict[str, Any]:
    shown = table.rows[:PAGE_ROWS]
    return {
        "key": table.key,
        "title": table.title,
        "columns": [label for _, label in table.columns],
        "rows": [[cell_text(v) for v in row] for row in shown],
        "total": len(table.rows),
        "note": table.note,
        "chart": _chart(table),
    }


def _shown(report: Report) -> dict[str, Any]:
    cp, check = report.checkpoint, report.verification
    return {
        "title": report.title,
        "header": [
            ("Period (UTC days)", f"{report.period.first} to {report.period.last}"),
            ("Scope", report.scope),
            ("Run by", report.generated_by),
            ("Run at", report.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
            ("Computed in", f"{report.seconds:.3f} s"),
            ("Ledger", cp.origin),
            ("Checkpoint tree size", str(cp.tree_size)),
            ("Checkpoint root", cp.root),
        ],
        "verification": check,
        "shows_results": report.shows_results,
        "figures": [
            {"key": f.key, "label": f.label, "value": cell_text(f.value), "note": f.note}
            for f in report.figures
        ],
        "tables": [_table(t) for t in report.tables],
        "notes": list(report.notes),
    }


def _downloads(kind: ReportKind, period: Period) -> list[tuple[str, str]]:
    query = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    base = f"/console/reports/{kind.value}/download"
    return [
        (f"Download {label}", f"{base}?{urlencode(query | {'format': fmt})}")
        for fmt, label in (("csv", "CSV"), ("pdf", "PDF"), ("json", "JSON"))
    ]


def _run(console: Console, kind: ReportKind, first: str | None, last: str | None) -> Report:
    return run_report(
        gate=console.gate, caller=console.caller, kind=kind, first=first or None,
        last=last or None, review_period_days=console.runtime.settings.log_review_period_days,
    )  # fmt: skip


@router.get("/reports/{kind}")
def report_page(
    kind: ReportKind,
    console: Annotated[Console, page(Action.report_run)],
    first: FromDay = None,
    to: Day = None,
) -> Response:
    today = console.gate.now().date()
    asked = "from" in console.request.query_params or "to" in console.request.query_params
    values: dict[str, Any] = {
        "kind": kind.value,
        "what": WHAT[kind],
        "first": first or "",
        "last": to or "",
        "report": None,
        "downloads": [],
        "error": "",
    }
    if not asked:
        default = Period.parse(None, None, kind=kind, today=today)
        values.update(first=default.first.isoformat(), last=default.last.isoformat())
    else:
        try:
            report = _run(console, kind, first, to)
        except ValidationFailed as exc:
            values["error"] = exc.message
            return console.render(
                "reports/report.html", title=_title(kind), status_code=422, **values,
            )  # fmt: skip
        values.update(
            report=_shown(report),
            downloads=_downloads(kind, report.period),
            first=report.period.first.isoformat(),
            last=report.period.last.isoformat(),
        )
    return console.render("reports/report.html", title=_title(kind), **values)


def _title(kind: ReportKind) -> str:
    return {
        ReportKind.supervisor: "Supervisor's report",
        ReportKind.opr: "OPR audit report",
        ReportKind.igp: "IGP report",
        ReportKind.annual: "Annual report",
    }[kind]


@router.get("/reports/{kind}/download")
def report_download(
    kind: ReportKind,
    console: Annotated[Console, page(Action.report_run)],
    format: Annotated[str, Query(pattern="^(json|csv|pdf)$")] = "json",
    first: FromDay = None,
    to: Day = None,
) -> Response:
    report = _run(console, kind, first, to)
    name = f"{kind.value}-report-{report.period.first}-{report.period.last}.{format}"
    body: bytes | str
    if format == "csv":
        body = report_csv(report)
    elif format == "pdf":
        body = render_pdf(report)
    else:
        body = json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n"
    return Response(
        body,
        media_type=FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
