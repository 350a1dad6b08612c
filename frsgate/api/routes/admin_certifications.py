"""Administration over HTTP: PALMS certifications imported from the training system (memo
4.A.3; docs/certifications-import.md). The file is the request body itself, `text/csv`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from frsgate.api.deps import get_runtime, requires
from frsgate.api.errors import error_body, status_for
from frsgate.api.fields import Clean
from frsgate.api.schemas import (
    CertificationImportOut,
    CertificationListOut,
    error_responses,
)
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services import certifications
from frsgate.services.certifications import CertificationRules, CertificationView, ImportRefused
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
CSV = "text/csv"

_CSV_BODY = {
    "requestBody": {
        "required": True,
        "description": "The training system's export: CSV, UTF-8 (see "
        "docs/certifications-import.md for the columns)",
        "content": {CSV: {"schema": {"type": "string"}}},
    }
}


async def csv_body(request: Request) -> bytes:
    """The request body, which must be sent as `text/csv` (UTF-8, the only charset taken)."""
    kind, *params = (part.strip() for part in request.headers.get("content-type", "").split(";"))
    charset = "utf-8"
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if kind.lower() != CSV or charset not in ("utf-8", "utf8"):
        raise ValidationFailed(
            "Content-Type: send the file as the request body with Content-Type: text/csv (UTF-8)"
        )
    return await request.body()


def certification_json(view: CertificationView) -> dict[str, Any]:
    cert = view.certification

    def iso(moment: Any) -> str | None:
        return moment.isoformat() if moment is not None else None

    return {
        "id": cert.id,
        "user_id": cert.user_id,
        "username": view.username,
        "course": cert.course,
        "course_id": cert.course_id,
        "palms_reference": cert.palms_reference,
        "training_completed_at": iso(cert.training_completed_at),
        "best_practices_attested_at": iso(cert.best_practices_attested_at),
        "safeguards_attested_at": iso(cert.safeguards_attested_at),
        "expires_at": cert.expires_at.isoformat(),
        "recorded_at": cert.recorded_at.isoformat(),
        "recorded_by": cert.recorded_by,
        "current": view.current,
        "missing": view.missing,
    }


@router.post(
    "/certifications/import",
    summary="Import PALMS certifications from the training system's CSV export",
    response_model=CertificationImportOut,
    responses=error_responses(413),
    openapi_extra=_CSV_BODY,
)
def post_certifications_import(
    caller: Annotated[Caller, requires(Action.certification_record)],
    runtime: RuntimeDep,
    data: Annotated[bytes, Depends(csv_body)],
) -> Any:
    try:
        result = certifications.import_certifications(
            runtime.gate, caller, data, rules=CertificationRules.from_settings(runtime.settings)
        )
    except ImportRefused as refused:
        # A 422 like any other (its kind, its fields), naming each line and field at fault.
        problems = [str(p) for p in refused.problems]
        body = error_body(refused) | {"error": "ValidationFailed", "problems": problems}
        if refused.decision is not None:
            body["decision"] = refused.decision
        return JSONResponse(body, status_code=status_for(refused))
    return {
        "sha256": result.sha256,
        "rows": result.rows,
        "new": len(result.new),
        "unchanged": result.unchanged,
        "certifications": [certification_json(v) for v in result.new],
    }


@router.get(
    "/certifications",
    summary="The PALMS certifications on file (one user's with ?username=)",
    response_model=CertificationListOut,
    responses=error_responses(404),
)
def get_certifications(
    caller: Annotated[Caller, requires(Action.certification_record)],
    runtime: RuntimeDep,
    username: Annotated[Clean | None, Query(max_length=128)] = None,
) -> dict[str, Any]:
    found = certifications.list_certifications(runtime.gate, caller, username=username)
    return {"certifications": [certification_json(v) for v in found]}
