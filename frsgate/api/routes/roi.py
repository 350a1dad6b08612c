"""The report-of-investigation entry of one FRS use (memo 4.E.2): read it as JSON, text or PDF,
and record that it was filed in the case file.

Thin: the service (`frsgate.services.roi`) decides and records; the route renders. The text is
what is filed (its SHA-256 is bound on the ledger), so it is served byte for byte as rendered.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Id
from frsgate.api.idempotency import IdempotencyKey, answer_once
from frsgate.api.schemas import error_responses, json_response
from frsgate.api.schemas_casework import RoiFiledOut, RoiFilingIn, RoiOut
from frsgate.domain import LEAD_ONLY_NOTICE
from frsgate.policy.facts import Action
from frsgate.reports.roi import render_pdf, render_text
from frsgate.services import roi
from frsgate.services.gate import Caller
from frsgate.services.reads import flag_thresholds
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["report of investigation"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

TEXT_MEDIA_TYPE = "text/plain; charset=utf-8"
PDF_MEDIA_TYPE = "application/pdf"


class RoiFormat(StrEnum):
    json = "json"
    text = "text"
    pdf = "pdf"


POST_ROI_FILINGS = "POST /api/v1/submissions/{submission_id}/roi/filings"  # idempotency scope


@router.get(
    "/submissions/{submission_id}/roi",
    summary="The report-of-investigation entry of one FRS use (a logged read)",
    response_model=RoiOut,
    responses={
        200: {
            "description": "JSON (default); `format=text` the text filed in the case file, "
            "`format=pdf` the same for print",
            "content": {
                TEXT_MEDIA_TYPE: {"schema": {"type": "string"}},
                PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **error_responses(404, 409),
    },
)
def get_roi(
    submission_id: Id,
    caller: Annotated[Caller, requires(Action.candidates_view)],
    runtime: RuntimeDep,
    format: Annotated[RoiFormat, Query(description="json, text or pdf")] = RoiFormat.json,
) -> Any:
    view = roi.roi_of(
        gate=runtime.gate,
        caller=caller,
        submission_id=submission_id,
        thresholds=flag_thresholds(runtime.settings),
    )
    headers = {"Cache-Control": "no-store"}
    if format is RoiFormat.text:
        return Response(render_text(view.report), media_type=TEXT_MEDIA_TYPE, headers=headers)
    if format is RoiFormat.pdf:
        name = f"roi-{view.report.submission_id}.pdf"
        return Response(
            render_pdf(view.report),
            media_type=PDF_MEDIA_TYPE,
            headers=headers | {"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return {
        "investigative_lead_only": True,
        "notice": LEAD_ONLY_NOTICE,
        "report": roi.report_json(view.report),
        "filings": view.filings_json(),
    }


@router.post(
    "/submissions/{submission_id}/roi/filings",
    status_code=201,
    summary="Record that the entry was filed in the case file (memo 4.E.2)",
    responses={
        201: json_response(RoiFiledOut, "Filed: the text as filed and its SHA-256"),
        **error_responses(404, 409, 413),
    },
)
def post_roi_filing(
    submission_id: Id,
    body: RoiFilingIn,
    caller: Annotated[Caller, requires(Action.roi_file)],
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, dict[str, Any]]:
        filed = roi.file_roi(
            gate=runtime.gate,
            caller=caller,
            submission_id=submission_id,
            case_system_ref=body.case_system_ref,
            thresholds=flag_thresholds(runtime.settings),
        )
        return 201, RoiFiledOut.model_validate(filed.as_dict()).model_dump(mode="json")

    return answer_once(
        runtime,
        caller,
        route=POST_ROI_FILINGS,
        key=idempotency_key,
        request={"submission_id": submission_id, **body.model_dump(mode="json")},
        act=act,
    )
