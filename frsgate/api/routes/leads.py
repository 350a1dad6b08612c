"""Investigative leads over HTTP (memo 4.D.3): open one from a possible-lead disposition, record
its corroboration, mark it a basis for enforcement, close it, and read leads (logged reads).

Thin: each route parses the request, calls `frsgate.services.leads` (which decides the act
through the decision point and records it) and shapes the record as JSON. The creating POSTs
take an optional `Idempotency-Key`, like `POST /api/v1/submissions`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Clean, Id
from frsgate.api.idempotency import IdempotencyKey, answer_once
from frsgate.api.schemas import error_responses, json_response
from frsgate.api.schemas_leads import (
    CorroborationIn,
    CorroborationResultOut,
    EnforcementBasisIn,
    LeadCloseIn,
    LeadIn,
    LeadListOut,
    LeadOut,
)
from frsgate.policy.facts import Action
from frsgate.services import leads
from frsgate.services.gate import Caller
from frsgate.services.leads import LeadView, corroboration_dict
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["leads"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
CaseNumber = Annotated[Clean, Path(max_length=64, description="A case number")]

# The scopes of the routes' idempotency keys.
POST_LEADS = "POST /api/v1/leads"
POST_CORROBORATIONS = "POST /api/v1/leads/{lead_id}/corroborations"
POST_ENFORCEMENT_BASIS = "POST /api/v1/leads/{lead_id}/enforcement-basis"
POST_CLOSE = "POST /api/v1/leads/{lead_id}/close"


def _lead(view: LeadView) -> dict[str, Any]:
    return view.as_dict()


@router.post(
    "/leads",
    status_code=201,
    summary="Open an investigative lead from a possible-lead disposition (memo 4.D.3)",
    responses={
        201: json_response(LeadOut, "The lead, opened as an investigative lead"),
        **error_responses(404, 409, 413),
    },
)
def post_lead(
    body: LeadIn,
    caller: Annotated[Caller, requires(Action.lead_open)],
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, dict[str, Any]]:
        view = leads.open_lead(
            gate=runtime.gate, caller=caller, disposition_id=body.disposition_id,
            summary=body.summary,
        )  # fmt: skip
        return 201, _lead(view)

    return answer_once(
        runtime, caller, route=POST_LEADS, key=idempotency_key,
        request=body.model_dump(mode="json"), act=act,
    )  # fmt: skip


@router.get(
    "/leads/{lead_id}",
    summary="One lead with its corroborations (a logged read)",
    response_model=LeadOut,
    responses=error_responses(404, 409),
)
def get_lead(
    lead_id: Id,
    caller: Annotated[Caller, requires(Action.candidates_view)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    return _lead(leads.lead_view(gate=runtime.gate, caller=caller, lead_id=lead_id))


@router.get(
    "/cases/{number}/leads",
    summary="The leads of a case, oldest first (a logged read)",
    response_model=LeadListOut,
    responses=error_responses(404, 409),
)
def get_case_leads(
    number: CaseNumber,
    caller: Annotated[Caller, requires(Action.candidates_view)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    views = leads.case_leads(gate=runtime.gate, caller=caller, case_number=number)
    return {"case": number, "leads": [_lead(v) for v in views]}


@router.post(
    "/leads/{lead_id}/corroborations",
    status_code=201,
    summary="Record corroboration independent of the FRS (memo 4.D.3)",
    responses={
        201: json_response(CorroborationResultOut, "Stored; the lead is corroborated"),
        **error_responses(404, 409, 413),
    },
)
def post_corroboration(
    lead_id: Id,
    body: CorroborationIn,
    caller: Annotated[Caller, requires(Action.corroboration_record)],
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, dict[str, Any]]:
        view, item = leads.record_corroboration(
            gate=runtime.gate, caller=caller, lead_id=lead_id, kind=body.kind,
            source=body.source, description=body.description, obtained_by=body.obtained_by,
            obtained_on=body.obtained_on,
        )  # fmt: skip
        return 201, {"corroboration": corroboration_dict(item), "lead": _lead(view)}

    return answer_once(
        runtime, caller, route=POST_CORROBORATIONS, key=idempotency_key,
        request={"lead_id": lead_id, **body.model_dump(mode="json")}, act=act,
    )  # fmt: skip


@router.post(
    "/leads/{lead_id}/enforcement-basis",
    status_code=201,
    summary="Mark a corroborated lead a basis for enforcement action (memo 4.D.3)",
    responses={
        201: json_response(LeadOut, "The lead, now a basis for enforcement"),
        **error_responses(404, 409, 413),
    },
)
def post_enforcement_basis(
    lead_id: Id,
    body: EnforcementBasisIn,
    caller: Annotated[Caller, requires(Action.lead_mark_enforcement_basis)],
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, dict[str, Any]]:
        view = leads.mark_enforcement_basis(
            gate=runtime.gate, caller=caller, lead_id=lead_id, note=body.note
        )
        return 201, _lead(view)

    return answer_once(
        runtime, caller, route=POST_ENFORCEMENT_BASIS, key=idempotency_key,
        request={"lead_id": lead_id, **body.model_dump(mode="json")}, act=act,
    )  # fmt: skip


@router.post(
    "/leads/{lead_id}/close",
    summary="Close a lead, with the reason",
    responses={200: json_response(LeadOut, "The lead, closed"), **error_responses(404, 409, 413)},
)
def post_close(
    lead_id: Id,
    body: LeadCloseIn,
    caller: Annotated[Caller, requires(Action.lead_close)],
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, dict[str, Any]]:
        view = leads.close_lead(
            gate=runtime.gate, caller=caller, lead_id=lead_id, reason=body.reason
        )
        return 200, _lead(view)

    return answer_once(
        runtime, caller, route=POST_CLOSE, key=idempotency_key,
        request={"lead_id": lead_id, **body.model_dump(mode="json")}, act=act,
    )  # fmt: skip
