"""IGP's approval of the log format (memo fn2): where it stands, and the request for it.

The request is decided by another IGP user through `POST /api/v1/approvals/{id}/decision`,
like a policy-pack version. Thin: `frsgate.services.log_format` decides and records.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from frsgate.api.deps import get_runtime, requires
from frsgate.api.schemas import error_responses
from frsgate.api.schemas_oversight import LogFormatOut, LogFormatRequestIn, LogFormatRequestOut
from frsgate.policy.facts import Action
from frsgate.services import log_format
from frsgate.services.gate import Caller
from frsgate.services.json_views import approval_json
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1/policy", tags=["policy"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@router.get(
    "/log-format",
    summary="Whether IGP approved the shipped log format (its version and schema SHA-256)",
    response_model=LogFormatOut,
    responses=error_responses(),
)
def get_log_format(
    caller: Annotated[Caller, requires(Action.log_format_view)], runtime: RuntimeDep
) -> dict[str, Any]:
    return log_format.read_state(gate=runtime.gate, caller=caller).as_dict()


@router.post(
    "/log-format/approvals",
    status_code=201,
    summary="Submit the shipped log format to IGP for approval",
    response_model=LogFormatRequestOut,
    # 409: this format version is already approved, or already waiting for IGP.
    responses=error_responses(409, 413),
)
def post_log_format_approval(
    body: LogFormatRequestIn,
    caller: Annotated[Caller, requires(Action.log_format_request)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    approval = log_format.request_approval(gate=runtime.gate, caller=caller, reason=body.reason)
    return {
        "approval": approval_json(approval, runtime.gate),
        "log_format": {"version": log_format.state_version(), "subject": approval.subject_id},
    }
