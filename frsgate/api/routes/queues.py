"""The supervisor's queue (memo 4.E.4) and the OSDM provider review queue (memo 4.C)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Id, Text
from frsgate.api.routes.approvals import pending_json
from frsgate.api.routes.submissions import submission_json
from frsgate.api.schemas import (
    OsdmQueueOut,
    ProviderOut,
    SubmissionOut,
    SupervisorQueueOut,
    error_responses,
)
from frsgate.domain import Provider
from frsgate.policy.facts import Action
from frsgate.services import queues
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["queues"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[Text, Field(min_length=1)]


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: Annotated[Text, Field(min_length=1)]


def provider_json(p: Provider) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind.value,
        "review_status": p.review_status.value,
        "match_types": sorted(p.terms.match_types),
        "candidate_cap": p.terms.candidate_cap,
        "law_enforcement_use": p.terms.law_enforcement_use,
        "terms_ref": p.terms.reference,
        "reviewed_by": p.reviewed_by,
    }


@router.get(
    "/queue/supervisor",
    summary="Your cases' approvals (overdue first) and unknown outcomes",
    response_model=SupervisorQueueOut,
    responses=error_responses(),
)
def get_supervisor_queue(
    caller: Annotated[Caller, requires(Action.queue_view)], runtime: RuntimeDep
) -> dict[str, Any]:
    queue = queues.supervisor_queue(gate=runtime.gate, caller=caller)
    return {
        "approvals": [pending_json(p, runtime.gate) for p in queue.approvals],
        "overdue": [pending_json(p, runtime.gate) for p in queue.approvals if p.overdue],
        "outcome_unknown": [submission_json(s) for s in queue.outcome_unknown],
    }


@router.post(
    "/submissions/{submission_id}/outcome-review",
    summary="Close an unknown outcome",
    response_model=SubmissionOut,
    responses=error_responses(404, 409, 413),
)
def post_outcome_review(
    submission_id: Id,
    body: NoteIn,
    caller: Annotated[Caller, requires(Action.outcome_review)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    reviewed = queues.review_outcome(
        gate=runtime.gate, caller=caller, submission_id=submission_id, note=body.note
    )
    return submission_json(reviewed)


@router.get(
    "/queue/osdm",
    summary="FRS providers waiting for OSDM's review",
    response_model=OsdmQueueOut,
    responses=error_responses(),
)
def get_osdm_queue(
    caller: Annotated[Caller, requires(Action.queue_view)], runtime: RuntimeDep
) -> dict[str, Any]:
    found = queues.osdm_queue(gate=runtime.gate, caller=caller)
    return {"providers": [provider_json(p) for p in found]}


@router.post(
    "/providers/{provider_id}/review",
    summary="OSDM approves or does not approve",
    response_model=ProviderOut,
    responses=error_responses(404, 409, 413),
)
def post_provider_review(
    provider_id: Id,
    body: ReviewIn,
    caller: Annotated[Caller, requires(Action.provider_review)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    provider = queues.review_provider(
        gate=runtime.gate, caller=caller, provider_id=provider_id, approve=body.approve,
        note=body.note,
    )  # fmt: skip
    return provider_json(provider)
