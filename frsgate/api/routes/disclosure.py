"""A case's disclosure package over HTTP (format `frsgate-disclosure/1`, JSON or PDF).

Thin: the route parses the request and calls `frsgate.services.disclosure.disclose`, which
decides the export (`export.run`), records it and builds the package with its ledger proofs.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Clean
from frsgate.api.schemas import error_responses
from frsgate.api.schemas_disclosure import DisclosureOut
from frsgate.domain import ShareAuthorityKind
from frsgate.policy.facts import Action
from frsgate.reports.disclosure import render_pdf
from frsgate.services.disclosure import Recipient, disclose, flag_thresholds
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["disclosure"])

CaseNumber = Annotated[Clean, Path(max_length=64, description="A case number or id")]


class PackageFormat(StrEnum):
    json = "json"
    pdf = "pdf"


class DisclosureIn(BaseModel):
    """What to generate, and for whom. A recipient outside the agency makes the package an
    external disclosure: it then needs the authority for it (memo 3) and is entered in the
    case's sharing register."""

    model_config = ConfigDict(extra="forbid")

    format: PackageFormat = PackageFormat.json
    recipient: Annotated[Clean, Field(max_length=256)] | None = Field(
        default=None, description="The receiving agency, e.g. a U.S. Attorney's Office"
    )
    authority_kind: ShareAuthorityKind | None = None
    authority: Annotated[Clean, Field(max_length=512)] | None = Field(
        default=None, description="The statute, regulation or agreement id that authorizes it"
    )


_PACKAGE = {
    "description": (
        "The package: JSON in the format frsgate-disclosure/1 (docs/disclosure-package.md), "
        "or with `format: pdf` its PDF rendering"
    ),
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


@router.post(
    "/cases/{number}/disclosure",
    summary="A case's disclosure package, with ledger proofs (an export)",
    response_model=DisclosureOut,
    responses={200: _PACKAGE, **error_responses(404, 413)},
)
def post_disclosure(
    number: CaseNumber,
    body: DisclosureIn,
    caller: Annotated[Caller, requires(Action.export_run)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> Any:
    package: dict[str, Any] = disclose(
        gate=runtime.gate,
        caller=caller,
        case_ref=number,
        recipient=Recipient(
            agency=body.recipient,
            authority_kind=body.authority_kind.value if body.authority_kind else None,
            authority=body.authority,
        ),
        thresholds=flag_thresholds(runtime.settings),
    )
    headers = {"Cache-Control": "no-store"}
    if body.format is PackageFormat.pdf:
        filename = f"disclosure-{package['case']['number']}.pdf"
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return Response(render_pdf(package), media_type="application/pdf", headers=headers)
    return JSONResponse(package, headers=headers)
