"""The supervisor's console: the queue, an approval with its evidence, the weekly log review,
and referrals to OPR (with OPR's outcomes).

Each page calls the service its API route calls, for the action that route declares:
`services.queues.supervisor_queue` (`queue.view`, GET /api/v1/queue/supervisor) and
`review_outcome` (`outcome.review`); `services.approvals.decide_approval` (POST
/api/v1/approvals/{id}/decision); `services.reads.probe_image` and `view_submission`;
`services.log_review` (the /api/v1/log-reviews and /api/v1/referrals routes). An approval's
page reads it through `services.approval_evidence`, decided as deciding it is, so what the
pack refuses (another case's approval, memo 4.E.4; one's own request, 4.B.2) is refused on
the page too, with the rule's citation. Nothing here checks a role.

The queue refreshes itself in place every 30 seconds with HTMX (the same URL answers an HTMX
request with the queue's sections only); without JavaScript it is an ordinary page.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import Form, Path, Query
from starlette.responses import RedirectResponse, Response

from frsgate.api.fields import ID_MAX_LENGTH, TEXT_MAX_LENGTH, Clean, FormText, Id
from frsgate.domain import Role
from frsgate.domain.log_review import ReferralOutcome, ReviewPeriod, containing
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services import approval_evidence, log_review, queues
from frsgate.services.approvals import decide_approval
from frsgate.services.reads import probe_image, view_submission
from frsgate.services.submit import SubmissionLimits
from frsgate.web.context import Console, page
from frsgate.web.render import NavItem
from frsgate.web.routing import console_router

router = console_router()

QUEUE = "/console/queue"
LOG_REVIEW = "/console/log-review"
REFERRALS = "/console/referrals"
REFERRALS_ALL = REFERRALS + "?scope=all"

NAV = (
    NavItem(Role.supervisor, "Queue", QUEUE),
    NavItem(Role.supervisor, "Log review", LOG_REVIEW),
    NavItem(Role.supervisor, "Referrals", REFERRALS),
    NavItem(Role.opr, "Referrals", REFERRALS_ALL),
)

# The same actions POST /api/v1/approvals/{id}/decision declares: which one is decided depends
# on the approval's kind (IGP decides a pack version and the log format, memo fn2).
DECIDING = (Action.approval_decide, Action.policy_pack_activate, Action.log_format_approve)

# Each kind of request in words, with the memo section that makes it need an approval.
KINDS: dict[str, tuple[str, str]] = {
    "witness_probe": ("Witness probe", "4.B.2"),
    "flagged_justification": ("Flagged justification", "4.B.3"),
    "exigent_provider": ("Exigent use of an unreviewed FRS", "4.C.3"),
    "rate_limit_override": ("Rate-limit lift", "4.B.4"),
    "policy_pack_activation": ("Policy pack activation", "fn2"),
    "log_format_approval": ("Log format approval", "fn2"),
}

INDICATORS = {
    "witness_use": "Witness probe used",
    "exigent_use": "Exigent use",
    "probe_view_count": "Probe photo viewed",
    "unassigned": "Not assigned to the case",
}

# What a page says after a form succeeded (Post/Redirect/Get): codes, never text from the URL.
# fmt: off
FLASH = {
    "approved": "You approved this request; it is recorded in the ledger. What waited on it was "
                "decided again and, where allowed, sent to the FRS: see its status below.",
    "approved_late": "You approved this request after its deadline: it is recorded as late "
                     "(memo 4.C.3).",
    "denied": "You denied this request; it is recorded in the ledger. What waited on it was "
              "refused.",
    "denied_late": "You denied this request after its deadline: it is recorded as late, and "
                   "the use's results are withheld for good (memo 4.C.3).",
    "outcome_reviewed": "The unknown outcome is closed with your note, recorded in the ledger.",
    "signed": "You signed off this review. The sign-off names the checkpoint it was computed "
              "against and is recorded in the ledger.",
    "referred": "Your referral is with OPR. Its reasons are kept for OPR; the ledger binds "
                "their SHA-256.",
    "outcome": "The referral's outcome is recorded.",
}
# fmt: on

PeriodPath = Annotated[str, Path(max_length=10, description="The period's start date, YYYY-MM-DD")]
Ref = Annotated[Clean | None, Query(max_length=ID_MAX_LENGTH)]
Note = Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)]


def _flash(done: str) -> str | None:
    return FLASH.get(done)


def _limits(console: Console) -> SubmissionLimits:
    return SubmissionLimits.from_settings(console.runtime.settings, console.runtime.policy)


def _period_days(console: Console) -> int:
    return console.runtime.settings.log_review_period_days


# --- the queue -------------------------------------------------------------------------------


@router.get("/queue")
def queue_page(console: Annotated[Console, page(Action.queue_view)], done: str = "") -> Response:
    found = queues.supervisor_queue(
        gate=console.gate, caller=console.caller, limits=_limits(console),
        review_period_days=_period_days(console),
    )  # fmt: skip
    names = approval_evidence.directory(
        console.gate,
        users=[
            *(p.approval.requester_id for p in found.approvals),
            *(p.approval.assigned_to for p in found.approvals),
            *(s.requested_by for s in found.outcome_unknown),
        ],
        providers=[s.provider_id for s in found.outcome_unknown],
        cases=[s.case_id for s in found.outcome_unknown],
    )
    # An HTMX refresh (hx-get on the queue's container) takes the sections only.
    partial = console.request.headers.get("HX-Request") == "true"
    return console.render(
        "supervisor/_queue_items.html" if partial else "supervisor/queue.html",
        title="Your queue", queue=found, names=names, kinds=KINDS, now=console.gate.now(),
        flash=_flash(done),
    )  # fmt: skip


@router.get("/queue/outcome-unknown/{submission_id}")
def outcome_unknown_page(
    submission_id: Id, console: Annotated[Console, page(Action.submission_view)]
) -> Response:
    view = view_submission(gate=console.gate, caller=console.caller, submission_id=submission_id)
    sub = view.submission
    names = approval_evidence.directory(
        console.gate, users=[sub.requested_by], providers=[sub.provider_id]
    )
    return console.render(
        "supervisor/outcome_unknown.html", title="An unknown outcome", view=view, names=names
    )


@router.post("/queue/outcome-unknown/{submission_id}")
def outcome_unknown_review(
    submission_id: Id,
    console: Annotated[Console, page(Action.outcome_review)],
    note: Note = "",
) -> Response:
    if not note.strip():
        raise ValidationFailed("note: say what you found out about the dispatch")
    queues.review_outcome(gate=console.gate, caller=console.caller, submission_id=submission_id,
                          note=note)  # fmt: skip
    return RedirectResponse(f"{QUEUE}?done=outcome_reviewed", status_code=303)


# --- an approval -----------------------------------------------------------------------------


@router.get("/approvals/{approval_id}")
def approval_page(
    approval_id: Id,
    console: Annotated[Console, page(*DECIDING)],
    done: str = "",
    photo: Annotated[str, Query(max_length=ID_MAX_LENGTH)] = "",
) -> Response:
    found = approval_evidence.evidence(
        gate=console.gate, caller=console.caller, approval_id=approval_id,
        limits=_limits(console),
    )  # fmt: skip
    label, section = KINDS.get(found.approval.kind.value, (found.approval.kind.value, ""))
    return console.render(
        "supervisor/approval.html", title=f"{label} approval", found=found, label=label,
        section=section,
        # The photo is shown only when asked for: each view is a recorded read (memo 4.E.4).
        photo=photo if photo in {p.id for p in found.probes} else "",
        flash=_flash(done),
    )  # fmt: skip


@router.get("/approvals/probe-images/{probe_id}")
def approval_probe_image(
    probe_id: Id, console: Annotated[Console, page(Action.probe_image_view)]
) -> Response:
    probe, data = probe_image(
        gate=console.gate, kek=console.runtime.kek, caller=console.caller, probe_id=probe_id
    )
    return Response(
        content=data,
        media_type=probe.media_type,
        headers={"Cache-Control": "no-store", "X-Content-SHA256": probe.sha256},
    )


@router.post("/approvals/{approval_id}/decision")
def approval_decision(
    approval_id: Id,
    console: Annotated[Console, page(*DECIDING)],
    decision: Annotated[Literal["approve", "deny"], Form()],
    note: Note = "",
) -> Response:
    outcome = decide_approval(
        gate=console.gate, dispatcher=console.runtime.dispatcher, caller=console.caller,
        approval_id=approval_id, approve=decision == "approve", note=note.strip() or None,
    )  # fmt: skip
    code = ("approved" if decision == "approve" else "denied") + ("_late" if outcome.late else "")
    return RedirectResponse(f"/console/approvals/{approval_id}?done={code}", status_code=303)


# --- the weekly log review -------------------------------------------------------------------


@router.get("/log-review")
def log_review_start(console: Annotated[Console, page()]) -> Response:
    """The last finished period: the one waiting to be signed off."""
    latest = containing(console.gate.now(), _period_days(console)).previous()
    return RedirectResponse(f"{LOG_REVIEW}/{latest.name}", status_code=303)


def _neighbours(console: Console, shown: ReviewPeriod) -> tuple[str, str | None]:
    """The periods before and after `shown` (none after the one running now)."""
    later = shown.following()
    return shown.previous().name, later.name if later.started(console.gate.now()) else None


@router.get("/log-review/{period}")
def log_review_page(
    period: PeriodPath,
    console: Annotated[Console, page(Action.log_review_read)],
    case: Ref = None,
    supervisor: Ref = None,
    done: str = "",
) -> Response:
    review = log_review.review_of(
        gate=console.gate, caller=console.caller, period=period, days=_period_days(console),
        supervisor=supervisor or None, case_number=case or None,
    )  # fmt: skip
    names = approval_evidence.directory(console.gate, users=[i.actor_id for i in review.items])
    submissions = sorted({i.submission_id for i in review.items if i.submission_id})
    earlier, later = _neighbours(console, review.period)
    # Reading another supervisor's review (OPR, memo 4.E.5): its links stay on that review,
    # and its sign-off and referral forms are that supervisor's, not shown.
    own = review.supervisor.id == console.caller.user_id
    of = "" if own else f"supervisor={quote(review.supervisor.username)}"
    return console.render(
        "supervisor/log_review.html",
        title=f"Log review from {review.period.name}", review=review, names=names,
        submissions=submissions, earlier=earlier, later=later, own=own, of=of,
        indicators=INDICATORS, now=console.gate.now(), flash=_flash(done),
    )  # fmt: skip


@router.post("/log-review/{period}/sign-off")
def log_review_sign_off(
    period: PeriodPath, console: Annotated[Console, page(Action.log_review_sign_off)]
) -> Response:
    log_review.sign_off(gate=console.gate, caller=console.caller, period=period,
                        days=_period_days(console))  # fmt: skip
    return RedirectResponse(f"{LOG_REVIEW}/{period}?done=signed", status_code=303)


@router.post("/log-review/{period}/referrals")
def log_review_refer(
    period: PeriodPath,
    console: Annotated[Console, page(Action.log_review_refer)],
    reasons: Note = "",
    seqs: Annotated[list[int] | None, Form()] = None,
    submissions: Annotated[list[str] | None, Form()] = None,
) -> Response:
    chosen = tuple(submissions or ())
    if any(len(s) > ID_MAX_LENGTH or "\x00" in s for s in chosen):
        raise ValidationFailed(f"submissions: each is a submission id of at most {ID_MAX_LENGTH}")
    log_review.refer(
        gate=console.gate, caller=console.caller, period=period, reasons=reasons,
        days=_period_days(console), seqs=tuple(seqs or ()), submission_ids=chosen,
    )  # fmt: skip
    return RedirectResponse(f"{REFERRALS}?done=referred", status_code=303)


# --- referrals -------------------------------------------------------------------------------


@router.get("/referrals")
def referrals_page(
    console: Annotated[Console, page(Action.referral_view)],
    scope: Literal["mine", "all"] = "mine",
    done: str = "",
) -> Response:
    # "mine": the referrals the caller made; "all": every referral, which the pack shows OPR
    # only (`referral.view_own`, memo 4.E.5).
    found = log_review.referrals(
        gate=console.gate, caller=console.caller,
        referred_by=console.caller.user_id if scope == "mine" else None,
    )  # fmt: skip
    return console.render(
        "supervisor/referrals.html", title="Referrals to OPR", referrals=found, scope=scope,
        outcomes=[o.value for o in ReferralOutcome], flash=_flash(done),
    )  # fmt: skip


@router.post("/referrals/{referral_id}/outcome")
def referral_outcome(
    referral_id: Id,
    console: Annotated[Console, page(Action.referral_decide)],
    outcome: Annotated[ReferralOutcome, Form()],
    note: Note = "",
) -> Response:
    log_review.decide_referral(gate=console.gate, caller=console.caller,
                               referral_id=referral_id, outcome=outcome, note=note)  # fmt: skip
    return RedirectResponse(f"{REFERRALS_ALL}&done=outcome", status_code=303)
