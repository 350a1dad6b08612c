"""The privacy office's page (IGP, memo fn2 and 4.A.1): the approvals it decides (policy-pack
versions and the log format), where the log format's approval stands, and the programs whose
privacy, civil rights and civil liberties assessments it approves.

Every read and act is the API's service, decided by the pack: the approval queue
(`approvals.list_pending`, `queue.view`), the log format's state (`log_format.read_state`,
`log_format.view`), the programs (`assessments.programs_to_assess`, `program.assess`), an
approval's decision (`approvals.decide_approval`, declared as the API's route declares it),
the log format's submission (`log_format.request_approval`) and an assessment's approval
(`programs.approve_assessment`). Nobody decides their own request: the pack refuses it, and the
refusal page cites why. The annual and IGP reports are `pages.reports`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query
from starlette.responses import RedirectResponse, Response

from frsgate.api.fields import TEXT_MAX_LENGTH, FormText, Id
from frsgate.domain import ApprovalKind, Role
from frsgate.policy.facts import Action
from frsgate.services import approval_evidence, assessments, log_format, programs
from frsgate.services.approvals import decide_approval, list_pending
from frsgate.web.context import Console, page
from frsgate.web.render import NavItem
from frsgate.web.routing import console_router

router = console_router()
NAV = (NavItem(Role.igp, "Privacy office approvals", "/console/igp"),)

Note = Annotated[FormText, Form(max_length=TEXT_MAX_LENGTH)]
HOME = "/console/igp"
ASSESSMENT_REF_MAX = 256  # as the API's ProgramIn
Done = Annotated[str, Query(max_length=64)]
DONE = {
    "approved": "The request was approved; the decision is recorded in the ledger.",
    "denied": "The request was denied; the decision is recorded in the ledger.",
    "log-format-requested": "The log format was submitted for approval by another IGP approver.",
    "assessed": "The program's assessment is approved; the program may now be a purpose of FRS "
    "use (memo 4.A.1).",
}
GOVERNANCE = frozenset({ApprovalKind.policy_pack_activation, ApprovalKind.log_format_approval})


@router.get("/igp")
def igp_page(
    console: Annotated[
        Console, page(Action.queue_view, Action.log_format_view, Action.program_assess)
    ],
    done: Done = "",
) -> Response:
    gate = console.gate
    pending = list_pending(gate=gate, caller=console.caller)
    fmt = log_format.read_state(gate=gate, caller=console.caller)
    found = assessments.programs_to_assess(gate=gate, caller=console.caller)
    pack = console.runtime.policy
    # Usernames beside the requesters' ids (an unrecorded lookup of labels, as the queue's).
    names = approval_evidence.directory(
        gate,
        users=[
            *(p.approval.requester_id for p in pending),
            fmt.approval.requester_id if fmt.approval else None,
        ],
    )
    return console.render(
        "igp/index.html",
        title="Privacy office approvals",
        flash=DONE.get(done),
        governance=[p for p in pending if p.approval.kind in GOVERNANCE],
        others=[p for p in pending if p.approval.kind not in GOVERNANCE],
        log_format=fmt,
        pack={"id": pack.id, "version": pack.version, "sha256": pack.sha256, "active": gate.active},
        programs=found,
        names=names,
    )


@router.post("/igp/approvals/{approval_id}/decision")
def decide(
    approval_id: Id,
    console: Annotated[
        Console,
        page(Action.approval_decide, Action.policy_pack_activate, Action.log_format_approve),
    ],
    decision: Annotated[str, Form(pattern="^(approve|deny)$")],
    note: Note = "",
) -> Response:
    approve = decision == "approve"
    decide_approval(
        gate=console.gate, dispatcher=console.runtime.dispatcher, caller=console.caller,
        approval_id=approval_id, approve=approve, note=note.strip() or None,
    )  # fmt: skip
    return RedirectResponse(f"{HOME}?done={'approved' if approve else 'denied'}", status_code=303)


@router.post("/igp/log-format/approvals")
def request_log_format(
    console: Annotated[Console, page(Action.log_format_request)],
    reason: Annotated[FormText, Form(min_length=1, max_length=TEXT_MAX_LENGTH)],
) -> Response:
    log_format.request_approval(gate=console.gate, caller=console.caller, reason=reason)
    return RedirectResponse(f"{HOME}?done=log-format-requested", status_code=303)


@router.post("/igp/programs/{code}/assessment")
def approve_assessment(
    code: Id,
    console: Annotated[Console, page(Action.program_assess)],
    assessment_ref: Annotated[FormText, Form(min_length=1, max_length=ASSESSMENT_REF_MAX)],
) -> Response:
    programs.approve_assessment(
        gate=console.gate, caller=console.caller, code=code, assessment_ref=assessment_ref
    )
    return RedirectResponse(f"{HOME}?done=assessed", status_code=303)
