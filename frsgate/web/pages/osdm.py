"""OSDM's provider reviews (memo 4.C.1-4.C.3, fn1): the queue of FRS providers waiting for a
review, every provider's review history, and the form of a structured review.

The queue is the API's (`queues.osdm_queue`), the register and the history OSDM's reads of
its queue (`provider_reviews`), all decided as `queue.view`; a review is the API's act
(`queues.decide_provider_review`, `provider.review`) with the same statement the API's
`ReviewIn` builds: decision, rationale, capabilities, the terms OSDM accepts, accuracy evidence,
demographic differentials, data handling and retention. What the service refuses as incomplete
(an approval missing a part) comes back to the form with what was typed, naming the part.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Query
from starlette.responses import RedirectResponse, Response

from frsgate.api.fields import TEXT_MAX_LENGTH, WORD_MAX_LENGTH, FormText, Id
from frsgate.domain import MatchType, Provider, ReviewStatus, Role
from frsgate.domain.providers import AccuracyEvidence, ProviderTerms
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services import provider_reviews, queues
from frsgate.services.providers import domain_checked, stated_terms
from frsgate.web.context import Console, page
from frsgate.web.render import NavItem
from frsgate.web.routing import console_router

router = console_router()
NAV = (NavItem(Role.osdm, "Provider reviews", "/console/providers/reviews"),)

HOME = "/console/providers/reviews"
EVIDENCE_ROWS = 3  # rows of accuracy evidence the form offers
Text = Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)]
Texts = Annotated[list[FormText], Form(max_length=EVIDENCE_ROWS)]
Words = Annotated[list[FormText], Form(max_length=10)]
Flag = Annotated[FormText | None, Form(max_length=8)]
Done = Annotated[str, Query(max_length=64)]
DECISIONS = (
    (ReviewStatus.approved, "Approve: put it on the approved FRS list (memo 4.C.2)"),
    (ReviewStatus.not_approved, "Do not approve: its use is prohibited, even in exigent "
                                "circumstances (memo 4.C.3)"),
    (ReviewStatus.suspended, "Suspend: take it out of all use until OSDM approves it again"),
    (ReviewStatus.pending, "Put an approved FRS back under review (only the rationale is needed)"),
)  # fmt: skip
# The parts of a review as the form labels them, by the name the service's messages use.
PARTS = {
    "decision": "Decision",
    "rationale": "Rationale",
    "capabilities": "Capabilities",
    "terms": "Terms OSDM accepts",
    "accuracy_evidence": "Accuracy evidence",
    "demographic_differentials": "Demographic differentials",
    "data_handling": "Data handling",
    "retention": "Retention",
}
_PART = re.compile(r"^(?:provider_review\.)?([a-z_]+)")


@router.get("/providers/reviews")
def reviews_page(console: Annotated[Console, page(Action.queue_view)]) -> Response:
    waiting = queues.osdm_queue(gate=console.gate, caller=console.caller)
    everyone = provider_reviews.register(gate=console.gate, caller=console.caller)
    return console.render(
        "osdm/queue.html", title="Provider reviews", waiting=waiting, providers=everyone
    )


def _blank_form(provider: Provider) -> dict[str, Any]:
    terms = provider.terms
    return {
        "decision": "",
        "rationale": "",
        "capabilities": "",
        "match_types": sorted(terms.match_types),
        "candidate_cap": str(terms.candidate_cap),
        "law_enforcement_use": terms.law_enforcement_use,
        "edited_probes_allowed": terms.edited_probes_allowed,
        "terms_ref": terms.reference,
        "evidence": [{"source": "", "reference": "", "summary": ""}] * EVIDENCE_ROWS,
        "demographic_differentials": "",
        "data_handling": "",
        "retention": "",
    }


def _provider_page(
    console: Console,
    provider_id: str,
    *,
    form: dict[str, Any] | None = None,
    error: str = "",
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    history = provider_reviews.review_history(
        gate=console.gate, caller=console.caller, provider_id=provider_id
    )
    provider = history.provider
    part = _PART.match(error)
    return console.render(
        "osdm/provider.html",
        title=f"Review of {provider.name}",
        status_code=status_code,
        flash=flash,
        history=history,
        provider=provider,
        form=form or _blank_form(provider),
        decisions=DECISIONS,
        match_types=sorted({m.value for m in MatchType} | set(provider.terms.match_types)),
        error=error,
        error_part=part.group(1) if part and part.group(1) in PARTS else "",
        parts=PARTS,
    )


@router.get("/providers/reviews/{provider_id}")
def provider_page(
    provider_id: Id, console: Annotated[Console, page(Action.queue_view)], done: Done = ""
) -> Response:
    flash = "The review is recorded in the ledger." if done == "reviewed" else None
    return _provider_page(console, provider_id, flash=flash)


def _terms(form: dict[str, Any]) -> ProviderTerms | None:
    """The terms as stated, or None when the form states none (a refusal may leave them out:
    the provider's terms stand)."""
    if not form["terms_ref"].strip() and not form["match_types"] and not form["candidate_cap"]:
        return None
    try:
        cap = int(form["candidate_cap"])
    except ValueError:
        raise ValidationFailed("terms.candidate_cap: must be a whole number") from None
    return stated_terms(
        match_types=list(form["match_types"]), candidate_cap=cap,
        law_enforcement_use=form["law_enforcement_use"],
        edited_probes_allowed=form["edited_probes_allowed"], terms_ref=form["terms_ref"],
    )  # fmt: skip


def _statement(form: dict[str, Any]) -> queues.ReviewStatement:
    try:
        decision = ReviewStatus(form["decision"])
    except ValueError:
        raise ValidationFailed("decision: choose one of the decisions") from None
    with domain_checked():
        evidence = tuple(
            AccuracyEvidence(source=e["source"], reference=e["reference"], summary=e["summary"])
            for e in form["evidence"]
            if any(v.strip() for v in e.values())
        )
    return queues.ReviewStatement(
        decision=decision, rationale=form["rationale"], capabilities=form["capabilities"],
        terms=_terms(form), accuracy_evidence=evidence,
        demographic_differentials=form["demographic_differentials"],
        data_handling=form["data_handling"], retention=form["retention"],
    )  # fmt: skip


@router.post("/providers/reviews/{provider_id}")
def review(
    provider_id: Id,
    console: Annotated[Console, page(Action.provider_review, Action.queue_view)],
    decision: Annotated[FormText, Form(max_length=WORD_MAX_LENGTH)] = "",
    rationale: Text = "",
    capabilities: Text = "",
    match_types: Words = [],  # noqa: B006 (FastAPI copies a form list's default)
    candidate_cap: Annotated[FormText, Form(max_length=8)] = "",
    law_enforcement_use: Flag = None,
    edited_probes_allowed: Flag = None,
    terms_ref: Text = "",
    evidence_source: Texts = [],  # noqa: B006
    evidence_reference: Texts = [],  # noqa: B006
    evidence_summary: Texts = [],  # noqa: B006
    demographic_differentials: Text = "",
    data_handling: Text = "",
    retention: Text = "",
) -> Response:
    rows = max(len(evidence_source), len(evidence_reference), len(evidence_summary))

    def at(values: list[str], i: int) -> str:
        return values[i] if i < len(values) else ""

    form: dict[str, Any] = {
        "decision": decision, "rationale": rationale, "capabilities": capabilities,
        "match_types": [m.strip() for m in match_types if m.strip()],
        "candidate_cap": candidate_cap.strip(),
        "law_enforcement_use": law_enforcement_use is not None,
        "edited_probes_allowed": edited_probes_allowed is not None,
        "terms_ref": terms_ref,
        "evidence": [
            {"source": at(evidence_source, i), "reference": at(evidence_reference, i),
             "summary": at(evidence_summary, i)}
            for i in range(rows)
        ],
        "demographic_differentials": demographic_differentials,
        "data_handling": data_handling, "retention": retention,
    }  # fmt: skip
    try:
        queues.decide_provider_review(
            gate=console.gate, caller=console.caller, provider_id=provider_id,
            statement=_statement(form),
        )  # fmt: skip
    except ValidationFailed as exc:
        # Nothing was recorded: the form comes back as typed, saying what is missing.
        form["evidence"] = (form["evidence"] + [{"source": "", "reference": "", "summary": ""}]
                            * EVIDENCE_ROWS)[:EVIDENCE_ROWS]  # fmt: skip
        return _provider_page(console, provider_id, form=form, error=exc.message, status_code=422)
    return RedirectResponse(f"{HOME}/{quote(provider_id, safe='')}?done=reviewed", status_code=303)
