"""The sharing register of a case (memo 3) and the searches partner agencies ran for it (memo
4.E.1): enter one, list them.

Thin: the service (`frsgate.services.sharing`) decides and records. A share without a named
recipient or authority, and a partner search without the partner agency or its FRS, reach the
policy pack as stated: its refusal (403 with citations, on the ledger) is the answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Clean
from frsgate.api.idempotency import IdempotencyKey, answer_once
from frsgate.api.schemas import error_responses, json_response
from frsgate.api.schemas_casework import (
    PartnerSearchIn,
    PartnerSearchListOut,
    PartnerSearchOut,
    ShareIn,
    ShareListOut,
    ShareOut,
)
from frsgate.policy.facts import Action
from frsgate.services import sharing
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["sharing and partner searches"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
CaseNumber = Annotated[Clean, Path(max_length=100, description="A case number (or id)")]

POST_SHARES = "POST /api/v1/shares"  # the scopes of their idempotency keys
POST_PARTNER_SEARCHES = "POST /api/v1/partner-searches"


@router.post(
    "/shares",
    status_code=201,
    summary="Enter a share of FRS information in the case's register (memo 3)",
    responses={
        201: json_response(ShareOut, "Entered in the sharing register"),
        **error_responses(404, 409, 413),
    },
)
def post_share(
    body: ShareIn,
    caller: Annotated[Caller, requires(Action.share_create)],
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, dict[str, Any]]:
        record = sharing.record_share(
            gate=runtime.gate,
            caller=caller,
            case_ref=body.case,
            lead_id=body.lead_id,
            submission_id=body.submission_id,
            recipient=body.recipient,
            authority_kind=body.authority_kind.value if body.authority_kind else None,
            authority=body.authority,
            description=body.description,
        )
        return 201, ShareOut.model_validate(record.as_dict()).model_dump(mode="json")

    return answer_once(
        runtime,
        caller,
        route=POST_SHARES,
        key=idempotency_key,
        request=body.model_dump(mode="json"),
        act=act,
    )


@router.get(
    "/cases/{number}/shares",
    summary="The case's sharing register (a logged read)",
    response_model=ShareListOut,
    responses=error_responses(404, 409),
)
def get_case_shares(
    number: CaseNumber,
    caller: Annotated[Caller, requires(Action.candidates_view)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    found = sharing.case_shares(gate=runtime.gate, caller=caller, case_ref=number)
    return {"shares": [r.as_dict() for r in found]}


@router.post(
    "/partner-searches",
    status_code=201,
    summary="Note a search a partner agency ran for a case (memo 4.E.1)",
    responses={
        201: json_response(PartnerSearchOut, "Noted in the case's log"),
        **error_responses(404, 409, 413),
    },
)
def post_partner_search(
    body: PartnerSearchIn,
    caller: Annotated[Caller, requires(Action.partner_search_record)],
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, dict[str, Any]]:
        statement = sharing.PartnerSearchStatement(
            partner_agency=body.partner_agency,
            partner_system=body.partner_system,
            searched_on=body.searched_on,
            result=body.result,
            summary=body.summary,
            match_type=body.match_type,
            candidate_count=body.candidate_count,
            probe_sha256=body.probe_sha256,
        )
        record = sharing.record_partner_search(
            gate=runtime.gate, caller=caller, case_ref=body.case, statement=statement
        )
        return 201, PartnerSearchOut.model_validate(record.as_dict()).model_dump(mode="json")

    return answer_once(
        runtime,
        caller,
        route=POST_PARTNER_SEARCHES,
        key=idempotency_key,
        request=body.model_dump(mode="json"),
        act=act,
    )


@router.get(
    "/cases/{number}/partner-searches",
    summary="The searches partner agencies ran for the case (a logged read)",
    response_model=PartnerSearchListOut,
    responses=error_responses(404),
)
def get_case_partner_searches(
    number: CaseNumber,
    caller: Annotated[Caller, requires(Action.case_records_view)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    found = sharing.case_partner_searches(gate=runtime.gate, caller=caller, case_ref=number)
    return {"partner_searches": [r.as_dict() for r in found]}
