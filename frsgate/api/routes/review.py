"""The review of a candidate list over HTTP (memo 4.D.1, 4.D.2): dispositions, their
verification by a second reviewer, facial examinations, and the review itself.

Thin: each route parses the request, calls `frsgate.services.review` (which decides the act
through the decision point and records it) and shapes the record as JSON. The candidate list
read (`GET /api/v1/submissions/{id}/candidates`) shapes its candidates with `candidate_json`
and `candidates_csv` from here, so both reads mark each candidate the same way.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Id
from frsgate.api.idempotency import IdempotencyKey, answer_once
from frsgate.api.schemas import error_responses, json_response
from frsgate.api.schemas_review import (
    DispositionIn,
    DispositionResultOut,
    ExaminationIn,
    ExaminationResultOut,
    ReviewOut,
    VerificationIn,
)
from frsgate.domain import LEAD_ONLY_NOTICE, Candidate, Disposition, Flag
from frsgate.policy.facts import Action
from frsgate.services import review
from frsgate.services.casework import Names
from frsgate.services.gate import Caller
from frsgate.services.reads import CandidateView, flag_thresholds
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["review"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

# The scopes of their idempotency keys.
POST_DISPOSITIONS = "POST /api/v1/candidates/{candidate_id}/dispositions"
POST_VERIFICATION = "POST /api/v1/dispositions/{disposition_id}/verification"
POST_EXAMINATIONS = "POST /api/v1/candidates/{candidate_id}/examinations"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def candidate_json(
    c: Candidate, flags: list[Flag], current: Disposition | None, names: Names
) -> dict[str, Any]:
    """One candidate of a list read: a lead only, its flags and current disposition."""
    return {
        "id": c.id,
        "rank": c.rank,
        "score": c.score,
        "gallery_ref": c.gallery_ref,
        "source_database": c.source_database,
        "image_sha256": c.image_sha256,
        "image": f"/api/v1/candidates/{c.id}/image" if c.image_sha256 else None,
        "investigative_lead_only": True,  # memo 4.D.2
        "photo_taken_on": _iso(c.photo_taken_on),
        "flags": review.flags_dict(flags),
        "disposition": None
        if current is None
        else {
            "id": current.id,
            "kind": current.kind.value,
            "by": names.of(current.decided_by),
            "at": current.created_at.isoformat(),
            "verified": current.verified,
        },
    }


CSV_COLUMNS = (
    "rank", "candidate_id", "score", "gallery_ref", "source_database", "photo_taken_on",
    "investigative_lead_only", "flags", "disposition", "disposition_by", "disposition_at",
    "disposition_verified",
)  # fmt: skip


def candidates_csv(view: CandidateView) -> str:
    """The candidate list as CSV. Its first line is the lead-only notice (memo 4.D.2), as a
    `#` comment, so that no copy of the list travels without it; every row says it too."""
    out = io.StringIO()
    clist = view.candidate_list
    out.write(f"# {LEAD_ONLY_NOTICE}\n")
    out.write(
        f"# candidate list {clist.id} of submission {view.submission.id}; "
        f"database {clist.database or '-'}\n"
    )
    if clist.sandbox:
        out.write("# SANDBOX DATA: synthetic gallery, never evidence\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in view.candidates:
        d = view.current.get(c.id)
        writer.writerow(
            [
                c.rank, c.id, c.score, c.gallery_ref, c.source_database,
                _iso(c.photo_taken_on) or "", "true",
                ";".join(f.code.value for f in view.flags.get(c.id, [])),
                d.kind.value if d else "", (view.names.of(d.decided_by) or "") if d else "",
                d.created_at.isoformat() if d else "",
                ("true" if d.verified else "false") if d else "",
            ]
        )  # fmt: skip
    return out.getvalue()


@router.post(
    "/candidates/{candidate_id}/dispositions",
    status_code=201,
    summary="Record a disposition of a candidate (never a positive identification)",
    responses={
        201: json_response(DispositionResultOut, "Recorded; it supersedes the current one"),
        **error_responses(404, 409, 413),
    },
)
def post_disposition(
    candidate_id: Id,
    body: DispositionIn,
    caller: Annotated[Caller, requires(Action.disposition_record)],
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, dict[str, Any]]:
        result = review.record_disposition(
            gate=runtime.gate, caller=caller, candidate_id=candidate_id, kind=body.kind,
            rationale=body.rationale, traditional_means_compared=body.traditional_means_compared,
        )  # fmt: skip
        return 201, result.as_dict()

    fields = body.model_dump(mode="json") | {"candidate_id": candidate_id}
    return answer_once(
        runtime, caller, route=POST_DISPOSITIONS, key=idempotency_key, request=fields, act=act
    )


@router.post(
    "/dispositions/{disposition_id}/verification",
    status_code=201,
    summary="Verify another reviewer's disposition (a second reviewer, memo 4.D.2)",
    responses={
        201: json_response(DispositionResultOut, "Verified"),
        **error_responses(404, 409, 413),
    },
)
def post_verification(
    disposition_id: Id,
    body: VerificationIn,
    caller: Annotated[Caller, requires(Action.disposition_verify)],
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, dict[str, Any]]:
        result = review.verify_disposition(
            gate=runtime.gate, caller=caller, disposition_id=disposition_id, note=body.note
        )
        return 201, result.as_dict()

    fields = body.model_dump(mode="json") | {"disposition_id": disposition_id}
    return answer_once(
        runtime, caller, route=POST_VERIFICATION, key=idempotency_key, request=fields, act=act
    )


@router.post(
    "/candidates/{candidate_id}/examinations",
    status_code=201,
    summary="Record a facial examination of a candidate (examiners only, memo 4.D.1)",
    responses={
        201: json_response(ExaminationResultOut, "Recorded"),
        **error_responses(404, 409, 413),
    },
)
def post_examination(
    candidate_id: Id,
    body: ExaminationIn,
    caller: Annotated[Caller, requires(Action.examination_record)],
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def act() -> tuple[int, dict[str, Any]]:
        result = review.record_examination(
            gate=runtime.gate, caller=caller, candidate_id=candidate_id, method=body.method,
            conclusion=body.conclusion, limitations=body.limitations, notes=body.notes,
        )  # fmt: skip
        return 201, result.as_dict()

    fields = body.model_dump(mode="json") | {"candidate_id": candidate_id}
    return answer_once(
        runtime, caller, route=POST_EXAMINATIONS, key=idempotency_key, request=fields, act=act
    )


@router.get(
    "/submissions/{submission_id}/review",
    summary="The review of a candidate list (a logged read)",
    response_model=ReviewOut,
    responses=error_responses(404, 409),
)
def get_review(
    submission_id: Id,
    caller: Annotated[Caller, requires(Action.candidates_view)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    view = review.review_of(
        gate=runtime.gate, caller=caller, submission_id=submission_id,
        thresholds=flag_thresholds(runtime.settings),
    )  # fmt: skip
    return view.as_dict()
