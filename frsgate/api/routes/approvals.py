"""The approval queue and approval decisions (nobody decides their own request)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Id, Text
from frsgate.api.schemas import ApprovalDecisionOut, ApprovalListOut, error_responses
from frsgate.policy.facts import Action
from frsgate.services.approvals import decide_approval, list_pending
from frsgate.services.gate import Caller
from frsgate.services.json_views import approval_json, pending_json, submission_json
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["approvals"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: Text | None = None


@router.get(
    "/approvals",
    summary="Pending approvals the caller may decide, overdue first",
    response_model=ApprovalListOut,
    responses=error_responses(),
)
def get_approvals(
    caller: Annotated[Caller, requires(Action.queue_view)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict[str, Any]:
    pending = list_pending(gate=runtime.gate, caller=caller)
    return {"approvals": [pending_json(p, runtime.gate) for p in pending]}


@router.post(
    "/approvals/{approval_id}/decision",
    summary="Approve or deny a pending request",
    response_model=ApprovalDecisionOut,
    responses=error_responses(404, 409, 413),
)
def post_decision(
    approval_id: Id,
    body: DecisionIn,
    caller: Annotated[
        Caller,
        requires(Action.approval_decide, Action.policy_pack_activate, Action.log_format_approve),
    ],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict[str, Any]:
    outcome = decide_approval(
        gate=runtime.gate, dispatcher=runtime.dispatcher, caller=caller,
        approval_id=approval_id, approve=body.approve, note=body.note,
    )  # fmt: skip
    return {
        "approval": approval_json(outcome.approval, runtime.gate),
        "late": outcome.late,
        "dispatched": [submission_json(d.submission) for d in outcome.dispatched],
        "rejected_submissions": outcome.rejected_submissions,
    }
