"""The oversight reports over HTTP: `GET /api/v1/reports/{supervisor|opr|igp|annual}`.

Thin: the service (`frsgate.services.reports`) decides the run (`report.run`), records it,
signs the checkpoint the report is computed from and computes it; the route renders it as JSON
(the default), or as a sectioned CSV or a PDF to download.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from frsgate.api.deps import get_runtime, requires
from frsgate.api.schemas import error_responses
from frsgate.api.schemas_reports import ReportOut
from frsgate.policy.facts import Action
from frsgate.reports.oversight import ReportKind
from frsgate.reports.oversight.pdf import render_pdf
from frsgate.reports.oversight.render import report_csv, report_json
from frsgate.services.gate import Caller
from frsgate.services.reports import run_report
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["reports"])

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
PDF_MEDIA_TYPE = "application/pdf"


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    pdf = "pdf"


DAY = r"^\d{4}-\d{2}-\d{2}$"


@router.get(
    "/reports/{report}",
    summary="An oversight report over a period (a decided, recorded act)",
    response_model=ReportOut,
    response_model_exclude_unset=True,
    responses={
        200: {
            "description": "JSON (default); `format=csv` a sectioned CSV, `format=pdf` a PDF "
            "with charts, both as downloads",
            "content": {
                CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
                PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **error_responses(404),
    },
)
def get_report(
    report: ReportKind,
    caller: Annotated[Caller, requires(Action.report_run)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    first: Annotated[
        str | None,
        Query(alias="from", pattern=DAY, max_length=10, description="First day, YYYY-MM-DD (UTC)"),
    ] = None,
    last: Annotated[
        str | None,
        Query(alias="to", pattern=DAY, max_length=10, description="Last day, YYYY-MM-DD (UTC)"),
    ] = None,
    format: Annotated[ReportFormat, Query(description="json, csv or pdf")] = ReportFormat.json,
) -> Any:
    computed = run_report(
        gate=runtime.gate, caller=caller, kind=report, first=first, last=last,
        review_period_days=runtime.settings.log_review_period_days,
    )  # fmt: skip
    headers = {"Cache-Control": "no-store"}
    name = f"{report.value}-report-{computed.period.first}-{computed.period.last}"
    if format is ReportFormat.csv:
        return Response(
            report_csv(computed),
            media_type=CSV_MEDIA_TYPE,
            headers=headers | {"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format is ReportFormat.pdf:
        return Response(
            render_pdf(computed),
            media_type=PDF_MEDIA_TYPE,
            headers=headers | {"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    return report_json(computed)
