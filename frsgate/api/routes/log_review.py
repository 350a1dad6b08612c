"""The supervisor's routine log review (memo 4.E.4): read a period's review, sign it off, refer
findings to OPR; OPR's referrals and their outcome (4.E.5).

Thin: `frsgate.services.log_review` decides and records. A period is named by its start date
(FRSGATE_LOG_REVIEW_PERIOD_DAYS long, weekly from Monday 00:00 UTC by default).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Id
from frsgate.api.schemas import error_responses
from frsgate.api.schemas_oversight import (
    LogReviewOut,
    ReferralIn,
    ReferralListOut,
    ReferralOut,
    ReferralOutcomeIn,
    SignOffIn,
    SignoffOut,
)
from frsgate.policy.facts import Action
from frsgate.services import log_review
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["log review"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Period = Annotated[
    str,
    Path(
        max_length=10,
        description="The period's start date, YYYY-MM-DD (a Monday for weekly periods)",
    ),
]
Ref = Annotated[str | None, Query(max_length=100)]


@router.get(
    "/log-reviews/{period}",
    summary="A period's review of your cases' logs: uses, refusals and reads, with indicators",
    response_model=LogReviewOut,
    responses=error_responses(404),
)
def get_log_review(
    period: Period,
    caller: Annotated[Caller, requires(Action.log_review_read)],
    runtime: RuntimeDep,
    supervisor: Annotated[Ref, Query(description="Another supervisor's (OPR only)")] = None,
    case: Annotated[Ref, Query(description="Only this case (a number)")] = None,
    limit: Annotated[int, Query(ge=1, le=log_review.MAX_ITEM_LIMIT)] = (
        log_review.DEFAULT_ITEM_LIMIT
    ),
) -> dict[str, Any]:
    review = log_review.review_of(
        gate=runtime.gate, caller=caller, period=period,
        days=runtime.settings.log_review_period_days, supervisor=supervisor,
        case_number=case, limit=limit,
    )  # fmt: skip
    return review.as_dict()


@router.post(
    "/log-reviews/{period}/sign-off",
    status_code=201,
    summary="Sign off a finished period's review (once per supervisor and period)",
    response_model=SignoffOut,
    responses=error_responses(404, 409, 413),
)
def post_sign_off(
    period: Period,
    body: SignOffIn,
    caller: Annotated[Caller, requires(Action.log_review_sign_off)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    signed = log_review.sign_off(
        gate=runtime.gate, caller=caller, period=period,
        days=runtime.settings.log_review_period_days, supervisor=body.supervisor,
    )  # fmt: skip
    return signed.as_dict()


@router.post(
    "/log-reviews/{period}/referrals",
    status_code=201,
    summary="Refer findings of your review to OPR, with reasons",
    response_model=ReferralOut,
    responses=error_responses(404, 413),
)
def post_referral(
    period: Period,
    body: ReferralIn,
    caller: Annotated[Caller, requires(Action.log_review_refer)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    made = log_review.refer(
        gate=runtime.gate, caller=caller, period=period, reasons=body.reasons,
        days=runtime.settings.log_review_period_days, seqs=tuple(body.seqs),
        submission_ids=tuple(body.submissions),
    )  # fmt: skip
    return made.as_dict()


@router.get(
    "/referrals",
    summary="Referrals to OPR (OPR: all; a supervisor: their own, referred_by=themself)",
    response_model=ReferralListOut,
    responses=error_responses(),
)
def get_referrals(
    caller: Annotated[Caller, requires(Action.referral_view)],
    runtime: RuntimeDep,
    referred_by: Annotated[Ref, Query(description="Only this supervisor's (username or id)")] = (
        None
    ),
) -> dict[str, Any]:
    found = log_review.referrals(gate=runtime.gate, caller=caller, referred_by=referred_by)
    return {"referrals": [r.as_dict() for r in found]}


@router.get(
    "/referrals/{referral_id}",
    summary="One referral to OPR, with its reasons",
    response_model=ReferralOut,
    responses=error_responses(404),
)
def get_referral(
    referral_id: Id,
    caller: Annotated[Caller, requires(Action.referral_view)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    return log_review.referral(gate=runtime.gate, caller=caller, referral_id=referral_id).as_dict()


@router.post(
    "/referrals/{referral_id}/outcome",
    summary="OPR records what it found on a referral",
    response_model=ReferralOut,
    responses=error_responses(404, 409, 413),
)
def post_referral_outcome(
    referral_id: Id,
    body: ReferralOutcomeIn,
    caller: Annotated[Caller, requires(Action.referral_decide)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    decided = log_review.decide_referral(
        gate=runtime.gate, caller=caller, referral_id=referral_id, outcome=body.outcome,
        note=body.note,
    )  # fmt: skip
    return decided.as_dict()
