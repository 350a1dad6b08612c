"""The supervisor's queue (memo 4.E.4) and the OSDM provider review queue (memo 4.C)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Id, Text
from frsgate.api.routes.admin_providers import TermsIn
from frsgate.api.schemas import (
    OsdmQueueOut,
    ProviderOut,
    SubmissionOut,
    SupervisorQueueOut,
    error_responses,
)
from frsgate.domain import Provider, ReviewStatus
from frsgate.domain.providers import AccuracyEvidence
from frsgate.policy.facts import Action
from frsgate.services import queues
from frsgate.services.gate import Caller
from frsgate.services.json_views import submission_json, supervisor_queue_json
from frsgate.services.providers import domain_checked, review_json
from frsgate.services.runtime import Runtime
from frsgate.services.submit import SubmissionLimits

router = APIRouter(prefix="/api/v1", tags=["queues"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[Text, Field(min_length=1)]


class EvidenceIn(BaseModel):
    """One piece of accuracy evidence, e.g. NIST FRTE 1:N results, with its document."""

    model_config = ConfigDict(extra="forbid")

    source: Annotated[Text, Field(min_length=1)]
    reference: Annotated[Text, Field(min_length=1)]
    summary: Text = ""


class ReviewIn(BaseModel):
    """OSDM's structured review (memo 4.C.1-4.C.3; fn1: the review process of the PIA):
    `decision` (approved, not_approved, suspended; pending puts an approved FRS back under
    review) with its `rationale`, and for an approval the capabilities, the terms OSDM
    accepts, the accuracy evidence, the demographic differentials, data handling and retention.
    An approval without any of them is refused, naming the part missing."""

    model_config = ConfigDict(extra="forbid")

    decision: ReviewStatus
    rationale: Annotated[Text, Field(min_length=1)]
    capabilities: Text = ""
    terms: TermsIn | None = None
    accuracy_evidence: Annotated[list[EvidenceIn], Field(max_length=50)] = []
    demographic_differentials: Text = ""
    data_handling: Text = ""
    retention: Text = ""

    def statement(self) -> queues.ReviewStatement:
        with domain_checked():
            evidence = tuple(
                AccuracyEvidence(source=e.source, reference=e.reference, summary=e.summary)
                for e in self.accuracy_evidence
            )
        return queues.ReviewStatement(
            decision=self.decision,
            rationale=self.rationale,
            capabilities=self.capabilities,
            terms=self.terms.to_terms("terms") if self.terms is not None else None,
            accuracy_evidence=evidence,
            demographic_differentials=self.demographic_differentials,
            data_handling=self.data_handling,
            retention=self.retention,
        )


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
    summary="Your cases' approvals (overdue first, escalated ones), rate-limit lifts, unknown "
    "outcomes and overdue ROI entries",
    response_model=SupervisorQueueOut,
    responses=error_responses(),
)
def get_supervisor_queue(
    caller: Annotated[Caller, requires(Action.queue_view)], runtime: RuntimeDep
) -> dict[str, Any]:
    limits = SubmissionLimits.from_settings(runtime.settings, runtime.policy)
    queue = queues.supervisor_queue(
        gate=runtime.gate, caller=caller, limits=limits,
        review_period_days=runtime.settings.log_review_period_days,
    )  # fmt: skip
    return supervisor_queue_json(queue, runtime.gate)


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
    summary="OSDM reviews an FRS: approves, does not approve, suspends or re-reviews it",
    response_model=ProviderOut,
    responses=error_responses(404, 409, 413),
)
def post_provider_review(
    provider_id: Id,
    body: ReviewIn,
    caller: Annotated[Caller, requires(Action.provider_review)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    decided = queues.decide_provider_review(
        gate=runtime.gate, caller=caller, provider_id=provider_id, statement=body.statement()
    )
    shown = provider_json(decided.provider)
    if decided.review is not None:
        shown["review"] = review_json(decided.review)
    return shown
