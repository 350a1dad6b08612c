"""The facial examiner's pages (memo 4.D.1, 4.D.2): the worklist of the candidate lists of the
cases they work, a list's review with its probe and candidates, recording an examination of a
candidate, and verifying another reviewer's disposition as the second reviewer.

Each page is the API's service, decided by the pack: the worklist (`examinations.worklist`,
`case_records.view` per case), the review of a list (`review.review_of`, `candidates.view`, as
`GET /api/v1/submissions/{id}/review`), the images (`reads.candidate_image`,
`reads.probe_image`), an examination (`review.record_examination`, `examination.record`) and a
verification (`review.verify_disposition`, `disposition.verify`). A conclusion is support for a
source, never an identification: a claim of identity is refused by the pack (memo 4.D.2), and
the form says so before it is sent.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Query
from starlette.responses import RedirectResponse, Response

from frsgate.api.fields import ID_MAX_LENGTH, TEXT_MAX_LENGTH, FormText, Id
from frsgate.domain import ExaminationConclusion, Role
from frsgate.policy.facts import Action
from frsgate.services import examinations, review
from frsgate.services.reads import candidate_image, flag_thresholds, probe_image
from frsgate.web.context import Console, page
from frsgate.web.render import NavItem
from frsgate.web.routing import console_router

router = console_router()
NAV = (NavItem(Role.examiner, "Examinations", "/console/examinations"),)

HOME = "/console/examinations"
Statement = Annotated[FormText, Form(min_length=1, max_length=TEXT_MAX_LENGTH)]
Remark = Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)]
Done = Annotated[str, Query(max_length=64)]
# A record id as the store makes them (a prefix, an underscore, hex digits): what a redirect
# back to a list may name, and nothing else.
_RECORD_ID = re.compile(r"^[a-z]+_[0-9a-f]{8,64}$")
CONCLUSIONS = (
    (ExaminationConclusion.supports_same_source, "Supports the same source"),
    (ExaminationConclusion.inconclusive, "Inconclusive"),
    (ExaminationConclusion.supports_different_source, "Supports a different source"),
)
DONE = {
    "examination": "The examination is recorded in the ledger.",
    "verified": "The disposition is verified; the verification is recorded in the ledger.",
}


def _list_path(submission_id: str) -> str:
    if not _RECORD_ID.match(submission_id):
        return HOME
    return f"{HOME}/lists/{quote(submission_id, safe='')}"


@router.get("/examinations")
def worklist_page(console: Annotated[Console, page(Action.case_records_view)]) -> Response:
    work = examinations.worklist(gate=console.gate, caller=console.caller)
    return console.render("examiner/worklist.html", title="Examinations", work=work)


@router.get("/examinations/open")
def open_list(
    console: Annotated[Console, page()],
    submission: Annotated[str, Query(max_length=ID_MAX_LENGTH)] = "",
) -> Response:
    """The worklist's "open by submission" form: to that list's page (reading it is decided
    there)."""
    return RedirectResponse(_list_path(submission.strip()), status_code=303)


@router.get("/examinations/lists/{submission_id}")
def list_page(
    submission_id: Id, console: Annotated[Console, page(Action.candidates_view)], done: Done = ""
) -> Response:
    view = review.review_of(
        gate=console.gate, caller=console.caller, submission_id=submission_id,
        thresholds=flag_thresholds(console.runtime.settings),
    )  # fmt: skip
    sub = view.submission
    probes = [p for p in (sub.probe_id, sub.second_probe_id) if p]
    return console.render(
        "examiner/list.html",
        title=f"Candidate list of submission {sub.id}",
        flash=DONE.get(done),
        view=view,
        probes=probes,
        conclusions=CONCLUSIONS,
        me=console.caller.user_id,
    )


@router.get("/examinations/candidates/{candidate_id}/image")
def candidate_image_file(
    candidate_id: Id, console: Annotated[Console, page(Action.candidates_view)]
) -> Response:
    data, media_type = candidate_image(
        gate=console.gate, kek=console.runtime.kek, caller=console.caller,
        candidate_id=candidate_id,
    )  # fmt: skip
    return Response(content=data, media_type=media_type)


@router.get("/examinations/probes/{probe_id}/image")
def probe_image_file(
    probe_id: Id, console: Annotated[Console, page(Action.probe_image_view)]
) -> Response:
    probe, data = probe_image(
        gate=console.gate, kek=console.runtime.kek, caller=console.caller, probe_id=probe_id
    )
    return Response(content=data, media_type=probe.media_type)


@router.post("/examinations/candidates/{candidate_id}/examinations")
def record_examination(
    candidate_id: Id,
    console: Annotated[Console, page(Action.examination_record)],
    method: Statement,
    conclusion: Annotated[FormText, Form(min_length=1, max_length=64)],
    limitations: Statement,
    notes: Remark = "",
    submission: Annotated[FormText, Form(max_length=ID_MAX_LENGTH)] = "",
) -> Response:
    review.record_examination(
        gate=console.gate, caller=console.caller, candidate_id=candidate_id, method=method,
        conclusion=conclusion, limitations=limitations, notes=notes or None,
    )  # fmt: skip
    return RedirectResponse(f"{_list_path(submission)}?done=examination", status_code=303)


@router.post("/examinations/dispositions/{disposition_id}/verification")
def verify_disposition(
    disposition_id: Id,
    console: Annotated[Console, page(Action.disposition_verify)],
    note: Statement,
    submission: Annotated[FormText, Form(max_length=ID_MAX_LENGTH)] = "",
) -> Response:
    review.verify_disposition(
        gate=console.gate, caller=console.caller, disposition_id=disposition_id, note=note
    )
    return RedirectResponse(f"{_list_path(submission)}?done=verified", status_code=303)
