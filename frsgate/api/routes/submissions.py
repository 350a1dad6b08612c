"""Submissions to an FRS and their candidate lists (every list is a lead only, memo 4.D.2)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Clean, Id, RecordRef, Text, Word
from frsgate.api.idempotency import IdempotencyKey, answer_once
from frsgate.api.routes.review import candidate_json, candidates_csv
from frsgate.api.schemas import (
    CandidateListOut,
    SubmissionListOut,
    SubmissionResultOut,
    SubmissionViewOut,
    error_responses,
    image_response,
    json_response,
)
from frsgate.connectors.protocol import MATCH_TYPE_NAME_PATTERN, SUBJECT_REF_MAX_LENGTH
from frsgate.domain import MatchType
from frsgate.policy.facts import Action
from frsgate.services.gate import Caller, Gate
from frsgate.services.json_views import approver_role, submission_json
from frsgate.services.reads import (
    LEAD_ONLY_NOTICE,
    SubmissionView,
    candidate_image,
    flag_thresholds,
    my_submissions,
    view_candidates,
    view_submission,
)
from frsgate.services.runtime import Runtime
from frsgate.services.submit import (
    SubmissionLimits,
    SubmissionRequest,
    SubmissionResult,
    create_submission,
)

router = APIRouter(prefix="/api/v1", tags=["submissions"])

_MATCH_TYPE_NAME = re.compile(MATCH_TYPE_NAME_PATTERN)

POST_SUBMISSIONS = "POST /api/v1/submissions"  # the scope of its idempotency keys

# The connector's own limit, checked here so a request it would refuse is refused before
# anything is recorded rather than after the dispatch intent is on the ledger.
_SubjectRef = Annotated[Clean, StringConstraints(min_length=1, max_length=SUBJECT_REF_MAX_LENGTH)]


class SubmissionIn(BaseModel):
    """One request to use an FRS. There is no batch form (memo 4.B.4)."""

    model_config = ConfigDict(extra="forbid")

    probe_id: RecordRef
    provider: Annotated[Clean, Field(min_length=1, max_length=200)] = Field(
        description="Provider id or name"
    )
    # The pattern admits no NUL and at most 40 characters; max_length documents that bound.
    match_type: str = Field(
        pattern=MATCH_TYPE_NAME_PATTERN,
        max_length=40,
        description="one_to_one, two_photo, one_to_many or a further use the provider's terms name",
    )
    # Left out or blank, the policy refuses it citing 4.E.3 (on the ledger), not a bare 422.
    program_code: Word = Field(
        default="", description="The mandatory FRS program code (memo 4.E.3)"
    )
    justification: Annotated[Text, Field(min_length=1)]
    exigent: bool = False
    exigent_reason: Text | None = None
    prior_approval_impracticable: bool = Field(
        default=False,
        description="Exigent only: no supervisor can approve before use (memo 4.C.3)",
    )
    impracticable_reason: Text | None = Field(
        default=None,
        description="Required with prior_approval_impracticable: why no supervisor could "
        "approve first; the supervisor who approves afterwards sees it (memo 4.C.3)",
    )
    second_probe_id: RecordRef | None = Field(
        default=None, description="two_photo: the other probe"
    )
    target_ref: _SubjectRef | None = Field(
        default=None, description="one_to_one: the gallery record"
    )
    max_candidates: int | None = Field(default=None, ge=1, le=1000)

    @field_validator("match_type", mode="before")
    @classmethod
    def _a_match_type_name(cls, value: object) -> object:
        # Before the pattern check, whose own message shows a regular expression: a caller who
        # wrote "one-to-many" is told the names, not the pattern (memo 2).
        if not isinstance(value, str) or _MATCH_TYPE_NAME.fullmatch(value):
            return value
        shown = value if len(value) <= 40 else value[:40] + "…"
        known = ", ".join(m.value for m in MatchType)
        guess = value.strip().lower().replace("-", "_").replace(" ", "_")
        hint = f" (did you mean {guess}?)" if guess in {m.value for m in MatchType} else ""
        raise ValueError(
            f"{shown!r} is not a match type{hint}; use one of {known}, or a further use the "
            "provider's terms name (lower-case letters, digits and _, at most 40)"
        )

    @model_validator(mode="after")
    def _fields_fit_the_match_type(self) -> SubmissionIn:
        # Shape only, at the edge (memo §2): which fields each well-known use takes. A further,
        # provider-defined use is checked against the provider's terms later, not here; but only
        # two_photo ever sends a second probe.
        kind = self.match_type
        if kind == MatchType.one_to_one and self.target_ref is None:
            raise ValueError("target_ref is required for one_to_one: the gallery record to verify")
        if kind in (MatchType.one_to_many, MatchType.two_photo) and self.target_ref is not None:
            raise ValueError(f"target_ref applies only to one_to_one, not to {kind}")
        if kind == MatchType.two_photo and self.second_probe_id is None:
            raise ValueError("second_probe_id is required for two_photo: the other image")
        if kind != MatchType.two_photo and self.second_probe_id is not None:
            raise ValueError(f"second_probe_id applies only to two_photo, not to {kind}")
        if self.second_probe_id is not None and self.second_probe_id == self.probe_id:
            raise ValueError("second_probe_id must name a different probe than probe_id")
        return self


def _result_json(result: SubmissionResult, gate: Gate) -> dict[str, Any]:
    body: dict[str, Any] = {
        "submission": submission_json(result.submission),
        "decision": result.decision.to_dict(),
        "approvals": [
            {
                "id": a.id,
                "kind": a.kind.value,
                "approver_role": approver_role(a, gate),
                "deadline": a.deadline.isoformat() if a.deadline else None,
            }
            for a in result.approvals
        ],
    }
    if result.dispatch is not None and result.dispatch.candidate_list is not None:
        clist = result.dispatch.candidate_list
        body["candidate_list"] = {"id": clist.id, "sandbox": clist.sandbox}
    return body


# The route answers its own JSONResponse (201 or 202, or an idempotent replay), so FastAPI
# does not check it: the two statuses are declared here, the default 200 is not.
@router.post(
    "/submissions",
    status_code=201,
    summary="Ask the policy, then (if allowed) the FRS",
    responses={
        201: json_response(SubmissionResultOut, "Allowed and dispatched to the FRS"),
        202: json_response(SubmissionResultOut, "Stored, waiting for `approvals`"),
        **error_responses(404, 409, 413, 429),
    },
)
def post_submission(
    body: SubmissionIn,
    caller: Annotated[Caller, requires(Action.submission_create)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, dict[str, Any]]:
        result = create_submission(
            gate=runtime.gate,
            dispatcher=runtime.dispatcher,
            limits=SubmissionLimits.from_settings(runtime.settings, runtime.policy),
            caller=caller,
            request=SubmissionRequest(**body.model_dump()),
        )
        status = 201 if result.decision.allowed else 202
        return status, _result_json(result, runtime.gate)

    return answer_once(
        runtime,
        caller,
        route=POST_SUBMISSIONS,
        key=idempotency_key,
        request=body.model_dump(mode="json"),
        act=act,
    )


@router.get(
    "/submissions/{submission_id}/candidates",
    summary="The candidate list (a logged read)",
    response_model=CandidateListOut,
    responses={
        200: {
            "description": "The candidate list; with `format=csv`, as CSV whose first line is "
            "the lead-only notice (memo 4.D.2)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **error_responses(404, 409),
    },
)
def get_candidates(
    submission_id: Id,
    caller: Annotated[Caller, requires(Action.candidates_view)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> Any:
    view = view_candidates(
        gate=runtime.gate, caller=caller, submission_id=submission_id,
        thresholds=flag_thresholds(runtime.settings),
    )  # fmt: skip
    if format == "csv":
        return Response(
            content=candidates_csv(view),
            media_type="text/csv; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )
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
            candidate_json(c, view.flags.get(c.id, []), view.current.get(c.id), view.names)
            for c in view.candidates
        ],
    }


@router.get(
    "/candidates/{candidate_id}/image",
    summary="A candidate's image (a logged read)",
    response_class=Response,
    responses={200: image_response("The candidate's image"), **error_responses(404, 409)},
)
def get_candidate_image(
    candidate_id: Id,
    caller: Annotated[Caller, requires(Action.candidates_view)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> Response:
    data, media_type = candidate_image(
        gate=runtime.gate, kek=runtime.kek, caller=caller, candidate_id=candidate_id
    )
    return Response(content=data, media_type=media_type, headers={"Cache-Control": "no-store"})


def _view_json(view: SubmissionView, gate: Gate) -> dict[str, Any]:
    return submission_json(view.submission) | {
        "purpose": view.purpose,
        "waiting_for": [
            {
                "id": a.id,
                "kind": a.kind.value,
                "status": a.status.value,
                "approver_role": approver_role(a, gate),
                "deadline": a.deadline.isoformat() if a.deadline else None,
            }
            for a in view.approvals
            if a.status.value == "pending"
        ],
        "approvals": [
            {"id": a.id, "kind": a.kind.value, "status": a.status.value} for a in view.approvals
        ],
    }


@router.get(
    "/submissions",
    summary="Your own submissions, newest first (a logged read)",
    response_model=SubmissionListOut,
    responses=error_responses(),
)
def get_my_submissions(
    caller: Annotated[Caller, requires(Action.submission_view)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict[str, Any]:
    views = my_submissions(gate=runtime.gate, caller=caller)
    return {"submissions": [_view_json(v, runtime.gate) for v in views]}


@router.get(
    "/submissions/{submission_id}",
    summary="One submission and what it waits for",
    response_model=SubmissionViewOut,
    responses=error_responses(404),
)
def get_submission(
    submission_id: Id,
    caller: Annotated[Caller, requires(Action.submission_view)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict[str, Any]:
    view = view_submission(gate=runtime.gate, caller=caller, submission_id=submission_id)
    return _view_json(view, runtime.gate)
