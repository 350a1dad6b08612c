"""The agent's pages: their cases, a new probe (intake and submission in one form), and their
submissions with what each waits for.

Each page calls the services the API's routes call, for the same actions: the case list and a
case's record `case_records.view` (`services.caseload`), intake `probe.create`
(`services.intake.create_probe`, as POST /api/v1/probes), the submission `submission.create`
(`services.submit.create_submission`, as POST /api/v1/submissions) and the submission records
`submission.view` (`services.reads`, as GET /api/v1/submissions[/{id}]). The intake form asks
what those two routes ask, each question with the memo rule it serves; the shape checks the
API's submission body makes (memo 2: which fields each match type takes) are made here before
anything is stored. A refusal is the policy's, shown with its citations; one that comes after
the photo was taken in says that the probe was kept and offers to submit it again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from frsgate.api.fields import ID_MAX_LENGTH, TEXT_MAX_LENGTH, WORD_MAX_LENGTH, FormText, Id
from frsgate.api.forms import Utf8FormRoute
from frsgate.connectors.protocol import MATCH_TYPE_NAME_PATTERN, SUBJECT_REF_MAX_LENGTH
from frsgate.domain import (
    Approval,
    ApprovalStatus,
    CaptureSource,
    ImageEdit,
    MatchType,
    Role,
    SubjectRole,
    SubmissionStatus,
)
from frsgate.domain.errors import DomainError
from frsgate.errors import FrsGateError, ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services.caseload import ProviderChoice, assigned_case, intake_choices, my_cases
from frsgate.services.idempotency import KEY_MAX_LENGTH
from frsgate.services.intake import ProbeRequest, ProbeResult, create_probe
from frsgate.services.reads import SubmissionView, my_submissions, view_submission
from frsgate.services.submit import SubmissionLimits, SubmissionRequest, create_submission
from frsgate.web.context import Console, page
from frsgate.web.once import Refused, act_once, new_form_key
from frsgate.web.render import NavItem
from frsgate.web.routing import ConsoleRoute, console_router, error_page

router = console_router()
NAV = (
    NavItem(Role.agent, "My cases", "/console/cases"),
    NavItem(Role.agent, "New probe", "/console/probes/new"),
    NavItem(Role.agent, "My submissions", "/console/submissions"),
)

INTAKE_PATH = "/console/probes/new"
_MATCH_TYPE_NAME = re.compile(MATCH_TYPE_NAME_PATTERN)

# What the submission page says after the intake form, by the status the submission reached.
_DONE = {
    SubmissionStatus.completed: "Submitted: the FRS answered. Its candidate list is linked "
                                "below — investigative leads only (memo 4.D.2).",
    SubmissionStatus.pending_approval: "Stored: it goes to the FRS once the approvals listed "
                                       "below are given.",
    SubmissionStatus.failed: "Submitted, but the FRS did not answer successfully: see the "
                             "status below.",
}  # fmt: skip
_DONE_OTHER = "Submitted: see its status below."


class _UploadRoute(Utf8FormRoute, ConsoleRoute):
    """The intake form's route: errors are pages (`ConsoleRoute`), and a text field that is not
    valid UTF-8 is refused by name as the API's probe route refuses it (`Utf8FormRoute`)."""


# --- my cases ------------------------------------------------------------------------------


@router.get("/cases")
def cases_page(console: Annotated[Console, page(Action.case_records_view)]) -> Response:
    found = my_cases(gate=console.gate, caller=console.caller)
    return console.render("agent/cases.html", title="My cases", cases=found)


@router.get("/cases/{case_number}")
def case_page(
    case_number: Id,
    console: Annotated[Console, page(Action.case_records_view, Action.submission_view)],
) -> Response:
    record = assigned_case(gate=console.gate, caller=console.caller, number=case_number)
    mine = my_submissions(gate=console.gate, caller=console.caller)
    on_case = [v for v in mine if v.submission.case_id == record.case.id]
    return console.render(
        "agent/case.html",
        title=f"Case {record.case.number}",
        case=record.as_dict(),
        submissions=[_row(console, v) for v in on_case],
        providers=_provider_names(console),
    )


# --- a new probe ---------------------------------------------------------------------------


@router.get("/probes/new")
def intake_form(
    console: Annotated[Console, page(Action.case_records_view)],
    case: str = "",
    probe: str = "",
) -> Response:
    cases = my_cases(gate=console.gate, caller=console.caller)
    choices = intake_choices(gate=console.gate)
    return console.render(
        "agent/new_probe.html",
        title="New probe" if not probe else "Submit a probe again",
        cases=cases,
        # The case asked for, else the first open one.
        chosen_case=case[:ID_MAX_LENGTH]
        or next((c.number for c in cases if c.record is not None), ""),
        probe_id=probe[:ID_MAX_LENGTH],
        form_key=new_form_key(),
        providers=choices.providers,
        program_codes=choices.program_codes,
        match_types=_match_types(choices.providers),
        subject_roles=list(SubjectRole),
        capture_sources=list(CaptureSource),
        image_edits=list(ImageEdit),
    )


def _match_types(providers: list[ProviderChoice]) -> list[str]:
    """The memo's three uses first (memo 2), then any further use a provider's terms name."""
    known = [m.value for m in MatchType]
    further = sorted({t for p in providers for t in p.match_types} - set(known))
    return [MatchType.one_to_many.value, MatchType.one_to_one.value, MatchType.two_photo.value,
            *further]  # fmt: skip


def _check_shape(match_type: str, target_ref: str, second_probe_id: str, probe_id: str) -> None:
    """The shape the API's submission body checks (memo 2: which fields each use takes), here
    before anything is stored."""
    if not _MATCH_TYPE_NAME.fullmatch(match_type):
        known = ", ".join(m.value for m in MatchType)
        raise ValidationFailed(f"match_type: choose one of {known}, or a further use the "
                               "provider's terms name")  # fmt: skip
    if match_type == MatchType.one_to_one and not target_ref:
        raise ValidationFailed(
            "target_ref: a one_to_one verification needs the gallery record to verify against"
        )
    if match_type != MatchType.one_to_one and target_ref:
        raise ValidationFailed(f"target_ref applies only to one_to_one, not to {match_type}: "
                               "leave it empty")  # fmt: skip
    if match_type == MatchType.two_photo and not second_probe_id:
        raise ValidationFailed(
            "second_probe_id: a two_photo comparison needs the other probe (its id)"
        )
    if match_type != MatchType.two_photo and second_probe_id:
        raise ValidationFailed(f"second_probe_id applies only to two_photo, not to "
                               f"{match_type}: leave it empty")  # fmt: skip
    if second_probe_id and second_probe_id == probe_id:
        raise ValidationFailed("second_probe_id must name a different probe than this one")


def take_in(
    request: Request,
    console: Annotated[Console, page(Action.probe_create, Action.submission_create)],
    image: Annotated[UploadFile | None, File()] = None,
    probe_id: Annotated[FormText, Form(max_length=ID_MAX_LENGTH)] = "",
    case: Annotated[FormText, Form(max_length=WORD_MAX_LENGTH)] = "",
    program: Annotated[FormText, Form(max_length=WORD_MAX_LENGTH)] = "",
    subject_role: Annotated[FormText, Form(max_length=WORD_MAX_LENGTH)] = "",
    other_methods_exhausted: Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)] = "",
    capture_source: Annotated[FormText, Form(max_length=WORD_MAX_LENGTH)] = "",
    image_edit: Annotated[FormText, Form(max_length=WORD_MAX_LENGTH)] = "none",
    lawful_basis: Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)] = "",
    traditional_means: Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)] = "",
    attestation: Annotated[bool, Form()] = False,
    justification: Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)] = "",
    provider: Annotated[FormText, Form(max_length=200)] = "",
    match_type: Annotated[FormText, Form(max_length=40)] = "",
    target_ref: Annotated[FormText, Form(max_length=SUBJECT_REF_MAX_LENGTH)] = "",
    second_probe_id: Annotated[FormText, Form(max_length=ID_MAX_LENGTH)] = "",
    frs_program_code: Annotated[FormText, Form(max_length=WORD_MAX_LENGTH)] = "",
    search_justification: Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)] = "",
    max_candidates: Annotated[int | None, Form(ge=1, le=1000)] = None,
    exigent: Annotated[bool, Form()] = False,
    exigent_reason: Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)] = "",
    prior_approval_impracticable: Annotated[bool, Form()] = False,
    impracticable_reason: Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)] = "",
    form_key: Annotated[FormText, Form(max_length=KEY_MAX_LENGTH)] = "",
) -> Response:
    runtime = console.runtime
    probe_id, second_probe_id = probe_id.strip(), second_probe_id.strip()
    target_ref, provider = target_ref.strip(), provider.strip()
    # Shape first: a form the API would refuse at its edge stores nothing here either.
    if not provider:
        raise ValidationFailed("provider: choose the FRS to submit the probe to")
    if not search_justification.strip():
        raise ValidationFailed(
            "search_justification: say why this search is relevant and necessary (memo 4.A.1)"
        )
    _check_shape(match_type, target_ref, second_probe_id, probe_id)
    data = b""
    if not probe_id:
        data = image.file.read(runtime.settings.max_probe_bytes + 1) if image is not None else b""
        if not data:
            raise ValidationFailed("image: choose the probe photo to upload (JPEG or PNG)")
    intake = ProbeRequest(
        case=case.strip() or None, subject_role=subject_role, capture_source=capture_source,
        lawful_basis=lawful_basis, traditional_means=traditional_means, attestation=attestation,
        justification=justification, image_edit=image_edit or "none",
        other_methods_exhausted=other_methods_exhausted.strip() or None,
        program_code=program.strip() or None,
    )  # fmt: skip
    submission = SubmissionRequest(
        probe_id=probe_id, provider=provider, match_type=match_type,
        program_code=frs_program_code, justification=search_justification,
        exigent=exigent, exigent_reason=exigent_reason.strip() or None,
        prior_approval_impracticable=prior_approval_impracticable,
        impracticable_reason=impracticable_reason.strip() or None,
        second_probe_id=second_probe_id or None, target_ref=target_ref or None,
        max_candidates=max_candidates,
    )  # fmt: skip
    # What the form asked (the photo by its digest), to tell a repeat of it from an edited one.
    fields = {
        "intake": dataclasses.asdict(intake),
        "submission": dataclasses.asdict(submission),
        "image_sha256": hashlib.sha256(data).hexdigest(),
    }
    return act_once(
        console, form="intake", key=form_key, fields=fields,
        act=lambda: _take_in(request, console, data, intake, submission),
    )  # fmt: skip


def _take_in(
    request: Request,
    console: Console,
    image: bytes,
    intake: ProbeRequest,
    submission: SubmissionRequest,
) -> Response:
    """The probe (unless the form named one taken in before), then its submission."""
    runtime = console.runtime
    taken: ProbeResult | None = None
    if image:
        taken = create_probe(
            gate=runtime.gate, kek=runtime.kek, limits=runtime.image_limits,
            caller=console.caller, image=image, request=intake,
        )  # fmt: skip
        submission = dataclasses.replace(submission, probe_id=taken.probe.id)
    try:
        result = create_submission(
            gate=runtime.gate, dispatcher=runtime.dispatcher,
            limits=SubmissionLimits.from_settings(runtime.settings, runtime.policy),
            caller=console.caller, request=submission,
        )  # fmt: skip
    except (FrsGateError, DomainError) as refused:
        if taken is None:
            raise
        # The probe was taken in (and is on the ledger): say so, and offer to submit it again
        # without uploading it twice.
        page_ = error_page(
            request, refused, template="agent/refused_after_intake.html", kept=taken.probe
        )
        message = refused.message if isinstance(refused, FrsGateError) else str(refused)
        raise Refused(
            page_,
            f"{message} The probe was kept as {taken.probe.id}: submit it again from "
            f"/console/probes/new?probe={taken.probe.id}.",
        ) from refused
    return RedirectResponse(
        f"/console/submissions/{result.submission.id}?done=submitted", status_code=303
    )


router.add_api_route(
    "/probes/new", take_in, methods=["POST"], route_class_override=_UploadRoute,
    include_in_schema=False,
)  # fmt: skip


# --- my submissions ------------------------------------------------------------------------


def _approval(console: Console, a: Approval) -> dict[str, Any]:
    role = console.gate.approver_role(a.kind)
    return {
        "id": a.id,
        "kind": a.kind.value,
        "subject": f"{a.subject_kind.value} {a.subject_id}",
        "status": a.status.value,
        "approver_role": role.value if role is not None else None,
        "deadline": a.deadline,
        "overdue": a.is_overdue(console.gate.now()),
        "decided_at": a.decided_at,
        "note": a.decision_note,
    }


def _row(console: Console, view: SubmissionView) -> dict[str, Any]:
    s = view.submission
    approvals = [_approval(console, a) for a in view.approvals]
    return {
        "id": s.id,
        "purpose": view.purpose,
        "provider_id": s.provider_id,
        "match_type": s.match_type,
        "status": s.status.value,
        "created_at": s.created_at,
        "waiting": [a for a in approvals if a["status"] == ApprovalStatus.pending.value],
        "approvals": approvals,
        "has_results": s.status is SubmissionStatus.completed,
    }


def _provider_names(console: Console) -> dict[str, str]:
    return {p.id: p.name for p in intake_choices(gate=console.gate).providers}


@router.get("/submissions")
def submissions_page(console: Annotated[Console, page(Action.submission_view)]) -> Response:
    views = my_submissions(gate=console.gate, caller=console.caller)
    return console.render(
        "agent/submissions.html",
        title="My submissions",
        submissions=[_row(console, v) for v in views],
        providers=_provider_names(console),
    )


@router.get("/submissions/{submission_id}")
def submission_page(
    submission_id: Id,
    console: Annotated[Console, page(Action.submission_view)],
    done: str = "",
) -> Response:
    view = view_submission(gate=console.gate, caller=console.caller, submission_id=submission_id)
    s = view.submission
    flash = (_DONE.get(s.status, _DONE_OTHER)) if done == "submitted" else None
    return console.render(
        "agent/submission.html",
        title=f"Submission {s.id}",
        flash=flash,
        sub=s,
        row=_row(console, view),
        providers=_provider_names(console),
    )
