"""The active policy pack and requests to activate a pack version (IGP approves, memo fn2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Text
from frsgate.api.schemas import PolicyActivationOut, error_responses
from frsgate.policy.facts import Action
from frsgate.services.gate import Caller
from frsgate.services.json_views import approval_json
from frsgate.services.policy_admin import request_activation
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1/policy", tags=["policy"])


class ActivationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[Text, Field(min_length=1)]


@router.post(
    "/activations",
    status_code=201,
    summary="Ask IGP to approve the loaded pack",
    response_model=PolicyActivationOut,
    # 409: this pack version is already approved, or already waiting for IGP.
    responses=error_responses(409, 413),
)
def post_activation(
    body: ActivationIn,
    caller: Annotated[Caller, requires(Action.policy_pack_request)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict[str, Any]:
    approval = request_activation(gate=runtime.gate, caller=caller, reason=body.reason)
    return {
        "approval": approval_json(approval, runtime.gate),
        "pack": {
            "id": runtime.policy.id,
            "version": runtime.policy.version,
            "sha256": runtime.policy.sha256,
            "active": runtime.gate.active,
        },
    }
