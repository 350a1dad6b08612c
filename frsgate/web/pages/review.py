"""The review of a candidate list in the console: candidates, dispositions, leads, the ROI entry.

An agent reaches it from a submission's page. `/console/submissions/{id}/candidates` shows the
candidate list (the same decided, recorded read as `GET /api/v1/submissions/{id}/candidates`),
the lead-only notice beside every candidate and atop the list (memo 4.D.2), each candidate's
image through the same decided read as the API's, its review flags and current disposition,
and the leads opened from it; `?print=1` is the list for print. From there a reviewer records
a disposition, verifies another's when the pack asks for a second reviewer, and opens a lead
from a possible match; a lead's page records corroboration, marks the lead a basis for
enforcement (which the pack refuses without corroboration independent of the FRS, memo 4.D.3)
and closes it. `/console/submissions/{id}/roi` shows the report-of-investigation entry to file
(memo 4.E.2), its PDF and text, and files it.

Each page calls the service the matching API route calls, with the same declared action; the
decision point decides, and a refusal is the error page with its memo citations. What a form
can tell in advance (a possible match needs its comparison, corroboration must come from
outside the FRS) it says in plain words, citing the memo; it adds no rule of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Query
from starlette.responses import RedirectResponse, Response

from frsgate.api.fields import TEXT_MAX_LENGTH, WORD_MAX_LENGTH, FormText, Id
from frsgate.domain import Candidate, Disposition, DispositionKind, Flag, Lead, LeadStatus
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.reports.roi import (
    CORROBORATION_LABELS,
    DISPOSITION_LABELS,
    LEAD_STATUS_LABELS,
    render_pdf,
    render_text,
)
from frsgate.services import leads, review, roi
from frsgate.services.errors import ApprovalRequired, PolicyDenied
from frsgate.services.reads import CandidateView, candidate_image, flag_thresholds, view_candidates
from frsgate.web.context import Console, page
from frsgate.web.routing import console_router

router = console_router()
# Reached from a submission's page; a lead is reached from its candidate.
NAV = ()

CASE_SYSTEM_REF_MAX_LENGTH = roi.CASE_SYSTEM_REF_MAX_LENGTH
NAME_MAX_LENGTH = 256  # a corroboration's source and who obtained it (`schemas_leads.Named`)

# What a page says after a form succeeded (Post/Redirect/Get): fixed words chosen by a key,
# so a link cannot make the console display text of its author's choosing.
DONE = {
    "disposition": "Disposition recorded. It supersedes the candidate's earlier one, if any.",
    "verified": "Disposition verified.",
    "lead": "Lead opened. It is an investigative lead only until corroborated (memo 4.D.3).",
    "corroboration": "Corroboration recorded.",
    "enforcement": "The lead is marked a basis for enforcement action.",
    "closed": "Lead closed.",
    "filed": "Filing recorded: the entry's text and its SHA-256 are bound on the ledger.",
}

# Served as images only when the FRS said a raster image type; anything else is a download,
# never rendered by the browser in the console's origin.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

DISPOSITION_CHOICES = tuple((k.value, DISPOSITION_LABELS.get(k.value, k.value))
                            for k in DispositionKind)  # fmt: skip
# The kinds the form offers are those independent of the FRS (memo 4.D.3); the service takes
# any kind and the pack refuses the others.
CORROBORATION_CHOICES = tuple((k, CORROBORATION_LABELS.get(k, k)) for k in leads.INDEPENDENT_KINDS)

Text = Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)]
Word = Annotated[FormText, Form(max_length=WORD_MAX_LENGTH)]
Name = Annotated[FormText, Form(max_length=NAME_MAX_LENGTH)]
RecordId = Annotated[FormText, Form(max_length=100)]


def _flash(done: str) -> str | None:
    return DONE.get(done)


def _see(path: str, done: str, anchor: str = "") -> RedirectResponse:
    """Post/Redirect/Get: the page that shows what the form did."""
    target = f"{path}?done={quote(done)}" + (f"#{anchor}" if anchor else "")
    return RedirectResponse(target, status_code=303)


def candidates_path(submission_id: str) -> str:
    return f"/console/submissions/{quote(submission_id, safe='')}/candidates"


def lead_path(lead_id: str) -> str:
    return f"/console/leads/{quote(lead_id, safe='')}"


def _to_lead(view: leads.LeadView, done: str) -> RedirectResponse:
    """After an act on a lead, the lead's page says what was done (Post/Redirect/Get)."""
    return _see(lead_path(view.lead.id), done)


def roi_path(submission_id: str) -> str:
    return f"/console/submissions/{quote(submission_id, safe='')}/roi"


# --- the candidate list -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CandidateRow:
    """One candidate as the page shows it."""

    candidate: Candidate
    flags: list[Flag]
    disposition: Disposition | None
    decided_by: str | None
    verified_by: str | None
    image: str | None  # the console's URL of its image, when the FRS sent one
    leads: list[Lead] = field(default_factory=list)

    @property
    def open_lead(self) -> bool:
        """A lead not closed stands on the current disposition (one at a time, memo 4.D.3)."""
        d = self.disposition
        return d is not None and any(
            x.disposition_id == d.id and x.status is not LeadStatus.closed for x in self.leads
        )


def _rows(view: CandidateView, by_candidate: dict[str, list[Lead]]) -> list[CandidateRow]:
    rows = []
    for c in view.candidates:
        d = view.current.get(c.id)
        rows.append(
            CandidateRow(
                candidate=c, flags=view.flags.get(c.id, []), disposition=d,
                decided_by=view.names.of(d.decided_by) if d else None,
                # The list read names its deciders only; a verifier is shown by name when known.
                verified_by=view.names.by_id.get(d.verified_by) if d and d.verified_by else None,
                image=f"/console/candidates/{quote(c.id, safe='')}/image"
                if c.image_sha256 else None,
                leads=by_candidate.get(c.id, []),
            )
        )  # fmt: skip
    return rows


def _leads_of(console: Console, view: CandidateView) -> tuple[dict[str, list[Lead]], str]:
    """The leads opened from this list's candidates: the case's leads (a decided, recorded
    read, as `GET /api/v1/cases/{number}/leads`). The case's other uses are decided with it,
    so a refusal there (one held for its exigent approval, memo 4.C.3) is said on the page
    instead of hiding the list this page was allowed to show."""
    if view.submission.case_id is None:
        return {}, ""
    try:
        found = leads.case_leads(gate=console.gate, caller=console.caller, case_number=view.purpose)
    except (PolicyDenied, ApprovalRequired) as exc:
        return {}, f"The case's leads cannot be shown here: {exc.message}"
    by_candidate: dict[str, list[Lead]] = {}
    for lead_view in found:
        if lead_view.lead.submission_id == view.submission.id:
            by_candidate.setdefault(lead_view.lead.candidate_id, []).append(lead_view.lead)
    return by_candidate, ""


@router.get("/submissions/{submission_id}/candidates")
def candidates_page(
    submission_id: Id,
    console: Annotated[Console, page(Action.candidates_view)],
    print_view: Annotated[bool, Query(alias="print")] = False,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    view = view_candidates(
        gate=console.gate, caller=console.caller, submission_id=submission_id,
        thresholds=flag_thresholds(console.runtime.settings),
    )  # fmt: skip
    values: dict[str, Any] = {
        "sub": view.submission,
        "clist": view.candidate_list,
        "purpose": view.purpose,
        "disposition_labels": DISPOSITION_LABELS,
        "lead_labels": LEAD_STATUS_LABELS,
        "candidates_path": candidates_path(view.submission.id),
        "roi_path": roi_path(view.submission.id),
    }
    if print_view:
        # The list for print, as the API's CSV export: the candidates and their dispositions,
        # the notice beside each; no forms and no second read.
        return console.render(
            "review/candidates_print.html",
            title=f"Candidate list of submission {view.submission.id}",
            rows=_rows(view, {}), **values,
        )  # fmt: skip
    by_candidate, leads_note = _leads_of(console, view)
    return console.render(
        "review/candidates.html",
        title=f"Candidates of submission {view.submission.id}",
        flash=_flash(done),
        rows=_rows(view, by_candidate),
        leads_note=leads_note,
        leads_possible=view.submission.case_id is not None,
        verification_required=review.verification_required(console.gate),
        kinds=DISPOSITION_CHOICES,
        **values,
    )


@router.get("/candidates/{candidate_id}/image")
def candidate_image_file(
    candidate_id: Id, console: Annotated[Console, page(Action.candidates_view)]
) -> Response:
    data, media_type = candidate_image(
        gate=console.gate, kek=console.runtime.kek, caller=console.caller,
        candidate_id=candidate_id,
    )  # fmt: skip
    if media_type in IMAGE_TYPES:
        return Response(content=data, media_type=media_type)
    return Response(
        content=data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": 'attachment; filename="candidate-image"'},
    )


# --- dispositions ---------------------------------------------------------------------------


@router.post("/candidates/{candidate_id}/dispositions")
def post_disposition(
    candidate_id: Id,
    console: Annotated[Console, page(Action.disposition_record)],
    kind: Word = "",
    rationale: Text = "",
    traditional_means_compared: Text = "",
) -> Response:
    result = review.record_disposition(
        gate=console.gate, caller=console.caller, candidate_id=candidate_id, kind=kind,
        rationale=rationale, traditional_means_compared=traditional_means_compared or None,
    )  # fmt: skip
    return _see(
        candidates_path(result.candidate_list.submission_id), "disposition",
        f"candidate-{result.disposition.candidate_id}",
    )  # fmt: skip


@router.post("/dispositions/{disposition_id}/verification")
def post_verification(
    disposition_id: Id,
    console: Annotated[Console, page(Action.disposition_verify)],
    note: Text = "",
) -> Response:
    result = review.verify_disposition(
        gate=console.gate, caller=console.caller, disposition_id=disposition_id, note=note
    )
    return _see(
        candidates_path(result.candidate_list.submission_id), "verified",
        f"candidate-{result.disposition.candidate_id}",
    )  # fmt: skip


# --- leads ----------------------------------------------------------------------------------


@router.post("/leads")
def post_lead(
    console: Annotated[Console, page(Action.lead_open)],
    disposition_id: RecordId = "",
    summary: Text = "",
) -> Response:
    view = leads.open_lead(
        gate=console.gate, caller=console.caller, disposition_id=disposition_id, summary=summary
    )
    return _to_lead(view, "lead")


@router.get("/leads/{lead_id}")
def lead_page(
    lead_id: Id,
    console: Annotated[Console, page(Action.candidates_view)],
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    view = leads.lead_view(gate=console.gate, caller=console.caller, lead_id=lead_id)
    lead = view.lead
    return console.render(
        "review/lead.html",
        title=f"Lead {lead.id}",
        flash=_flash(done),
        lead=lead,
        case_number=view.case_number,
        corroborations=view.corroborations,
        lead_labels=LEAD_STATUS_LABELS,
        corroboration_labels=CORROBORATION_LABELS,
        kinds=CORROBORATION_CHOICES,
        candidates_path=candidates_path(lead.submission_id) if lead.submission_id else "",
        roi_path=roi_path(lead.submission_id) if lead.submission_id else "",
        can_corroborate=lead.status is not LeadStatus.closed,
        can_mark=lead.status in (LeadStatus.investigative_lead, LeadStatus.corroborated),
        can_close=lead.status is not LeadStatus.closed,
    )


def _day(value: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("obtained_on: must be a date, YYYY-MM-DD") from None


@router.post("/leads/{lead_id}/corroborations")
def post_corroboration(
    lead_id: Id,
    console: Annotated[Console, page(Action.corroboration_record)],
    kind: Word = "",
    source: Name = "",
    description: Text = "",
    obtained_by: Name = "",
    obtained_on: Annotated[FormText, Form(max_length=10)] = "",
) -> Response:
    view, _ = leads.record_corroboration(
        gate=console.gate, caller=console.caller, lead_id=lead_id, kind=kind, source=source,
        description=description, obtained_by=obtained_by, obtained_on=_day(obtained_on),
    )  # fmt: skip
    return _to_lead(view, "corroboration")


@router.post("/leads/{lead_id}/enforcement-basis")
def post_enforcement_basis(
    lead_id: Id,
    console: Annotated[Console, page(Action.lead_mark_enforcement_basis)],
    note: Text = "",
) -> Response:
    # memo 4.D.3: the pack refuses an uncorroborated lead; the error page cites it.
    view = leads.mark_enforcement_basis(
        gate=console.gate, caller=console.caller, lead_id=lead_id, note=note
    )
    return _to_lead(view, "enforcement")


@router.post("/leads/{lead_id}/close")
def post_close(
    lead_id: Id,
    console: Annotated[Console, page(Action.lead_close)],
    reason: Text = "",
) -> Response:
    view = leads.close_lead(
        gate=console.gate, caller=console.caller, lead_id=lead_id, reason=reason
    )
    return _to_lead(view, "closed")


# --- the report-of-investigation entry (memo 4.E.2) -----------------------------------------


def _roi(console: Console, submission_id: str) -> roi.RoiView:
    return roi.roi_of(
        gate=console.gate, caller=console.caller, submission_id=submission_id,
        thresholds=flag_thresholds(console.runtime.settings),
    )  # fmt: skip


@router.get("/submissions/{submission_id}/roi")
def roi_page(
    submission_id: Id,
    console: Annotated[Console, page(Action.candidates_view)],
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    view = _roi(console, submission_id)
    report = view.report
    return console.render(
        "review/roi.html",
        title=f"Report-of-investigation entry of submission {report.submission_id}",
        flash=_flash(done),
        report=report,
        text=render_text(report),
        filings=view.filings_json(),
        deadline_days=roi.deadline_days(console.gate),
        ref_max=CASE_SYSTEM_REF_MAX_LENGTH,
        candidates_path=candidates_path(report.submission_id),
        roi_path=roi_path(report.submission_id),
    )


@router.get("/submissions/{submission_id}/roi/pdf")
def roi_pdf(
    submission_id: Id, console: Annotated[Console, page(Action.candidates_view)]
) -> Response:
    report = _roi(console, submission_id).report
    name = f"roi-{report.submission_id}.pdf"
    return Response(
        render_pdf(report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/submissions/{submission_id}/roi/text")
def roi_text(
    submission_id: Id, console: Annotated[Console, page(Action.candidates_view)]
) -> Response:
    # The text filed in the case file, byte for byte as rendered (its SHA-256 is what a
    # filing binds on the ledger).
    report = _roi(console, submission_id).report
    name = f"roi-{report.submission_id}.txt"
    return Response(
        render_text(report),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/submissions/{submission_id}/roi/filings")
def post_roi_filing(
    submission_id: Id,
    console: Annotated[Console, page(Action.roi_file)],
    case_system_ref: Annotated[FormText, Form(max_length=CASE_SYSTEM_REF_MAX_LENGTH)] = "",
) -> Response:
    filed = roi.file_roi(
        gate=console.gate, caller=console.caller, submission_id=submission_id,
        case_system_ref=case_system_ref, thresholds=flag_thresholds(console.runtime.settings),
    )  # fmt: skip
    return _see(roi_path(filed.entry.submission_id), "filed", "filings")
