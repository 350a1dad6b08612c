"""Submissions to an FRS and their candidate lists (every list is a lead only, memo 4.D.2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from frsgate.api.deps import get_runtime, requires
from frsgate.domain import Submission
from frsgate.policy.facts import Action
from frsgate.services.gate import Caller
from frsgate.services.reads import LEAD_ONLY_NOTICE, candidate_image, view_candidates
from frsgate.services.runtime import Runtime
from frsgate.services.submit import SubmissionRequest, SubmissionResult, create_submission

router = APIRouter(prefix="/api/v1", tags=["submissions"])


class SubmissionIn(BaseModel):
    """One request to use an FRS. There is no batch form (memo 4.B.4)."""

    model_config = ConfigDict(extra="forbid")

    probe_id: str = Field(min_length=1, max_length=100)
    provider: str = Field(min_length=1, max_length=200, description="Provider id or name")
    match_type: str = Field(description="one_to_one, two_photo or one_to_many")
    program_code: str = Field(description="The mandatory FRS program code (memo 4.E.3)")
    justification: str = Field(min_length=1, max_length=4000)
    exigent: bool = False
    exigent_reason: str | None = Field(default=None, max_length=4000)
    prior_approval_impracticable: bool = Field(
        default=False,
        description="Exigent only: no supervisor can approve before use (memo 4.C.3)",
    )
    second_probe_id: str | None = None
    target_ref: str | None = Field(default=None, description="one_to_one: the gallery record")
    max_candidates: int | None = Field(default=None, ge=1, le=1000)


def submission_json(sub: Submission) -> dict[str, Any]:
    return {
        "id": sub.id,
        "case_id": sub.case_id,
        "probe_id": sub.probe_id,
        "second_probe_id": sub.second_probe_id,
        "provider_id": sub.provider_id,
        "match_type": sub.match_type,
        "program_code": sub.program_code,
        "status": sub.status.value,
        "status_reason": sub.status_reason,
        "exigent": sub.exigent,
        "attempts": sub.attempts,
        "created_at": sub.created_at.isoformat(),
        "dispatched_at": sub.dispatched_at.isoformat() if sub.dispatched_at else None,
        "finished_at": sub.finished_at.isoformat() if sub.finished_at else None,
    }


def _result_json(result: SubmissionResult) -> dict[str, Any]:
    body: dict[str, Any] = {
        "submission": submission_json(result.submission),
        "decision": result.decision.to_dict(),
        "approvals": [
            {
                "id": a.id,
                "kind": a.kind.value,
                "approver_role": a.approver_role.value,
                "deadline": a.deadline.isoformat() if a.deadline else None,
            }
            for a in result.approvals
        ],
    }
    if result.dispatch is not None and result.dispatch.candidate_list is not None:
        clist = result.dispatch.candidate_list
        body["candidate_list"] = {"id": clist.id, "sandbox": clist.sandbox}
    return body


@router.post("/submissions", summary="Ask the policy, then (if allowed) the FRS")
def post_submission(
    body: SubmissionIn,
    caller: Annotated[Caller, requires(Action.submission_create)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> JSONResponse:
    result = create_submission(runtime, caller, SubmissionRequest(**body.model_dump()))
    status = 201 if result.decision.allowed else 202
    return JSONResponse(_result_json(result), status_code=status)


@router.get("/submissions/{submission_id}/candidates", summary="The candidate list (a logged read)")
def get_candidates(
    submission_id: str,
    caller: Annotated[Caller, requires(Action.candidates_view)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict[str, Any]:
    view = view_candidates(runtime, caller, submission_id)
    clist = view.candidate_list
    return {
        "investigative_lead_only": True,
        "notice": LEAD_ONLY_NOTICE,
        "submission": submission_json(view.submission),
        "candidate_list": {
            "id": clist.id,
            "provider_id": clist.provider_id,
            "match_type": clist.match_type,
            "database": clist.database,
            "sandbox": clist.sandbox,
            "provider_notice": clist.provider_notice,
            "comparison_score": clist.comparison_score,
            "received_at": clist.received_at.isoformat(),
            "size": len(view.candidates),
            "negative": not view.candidates and clist.comparison_score is None,
        },
        "candidates": [
            {
                "id": c.id,
                "rank": c.rank,
                "score": c.score,
                "gallery_ref": c.gallery_ref,
                "source_database": c.source_database,
                "image_sha256": c.image_sha256,
                "image": f"/api/v1/candidates/{c.id}/image" if c.image_sha256 else None,
            }
            for c in view.candidates
        ],
    }


@router.get("/candidates/{candidate_id}/image", summary="A candidate's image (a logged read)")
def get_candidate_image(
    candidate_id: str,
    caller: Annotated[Caller, requires(Action.candidates_view)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> Response:
    data, media_type = candidate_image(runtime, caller, candidate_id)
    return Response(content=data, media_type=media_type, headers={"Cache-Control": "no-store"})
