"""The administrator's console: cases (memo 4.A.1, 4.E.4) and programs and task forces
(memo 4.A.1).

The pages call what /api/v1/admin/cases and /programs call (`services.cases`,
`services.programs`) and declare the same actions, `case.manage` and `program.manage`: the
pack decides and the services record. A case is opened with its supervisors, the lead first,
and the agents who work it (memo 4.E.4); whether it is HSI's own investigation under its
statutory authorities is stated by whoever opens it, never assumed (memo 1, 3). The forms that
name people suggest usernames from the accounts (`user.manage`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Form, Path
from starlette.responses import Response

from frsgate.api.errors import status_for
from frsgate.api.fields import Clean
from frsgate.domain import CaseStatus, ProgramKind, Role
from frsgate.domain.errors import DomainError
from frsgate.errors import FrsGateError, ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services import accounts, cases, programs
from frsgate.web.context import Console, page
from frsgate.web.pages.admin import (
    done_or_refused,
    flash_of,
    input_refused,
    message_of,
    names_in,
    see,
    yes_no,
)
from frsgate.web.render import NavItem
from frsgate.web.routing import console_router

router = console_router()
CASES = "/console/admin/cases"
PROGRAMS = "/console/admin/programs"
NAV = (NavItem(Role.admin, "Cases", CASES), NavItem(Role.admin, "Programs", PROGRAMS))

CaseManager = Annotated[Console, page(Action.case_manage)]
# The forms that open a case or register a program suggest usernames from the accounts.
CaseOpener = Annotated[Console, page(Action.case_manage, Action.user_manage)]
ProgramManager = Annotated[Console, page(Action.program_manage)]
ProgramRegistrar = Annotated[Console, page(Action.program_manage, Action.user_manage)]
CaseNumber = Annotated[Clean, Path(max_length=64, description="A case number")]
Code = Annotated[Clean, Path(max_length=64, description="A program code")]
Who = Annotated[Clean, Form(max_length=128)]
Names = Annotated[Clean, Form(max_length=4000)]
Statement = Annotated[Clean, Form(max_length=4000)]

_CASE_DONE = {
    "opened": "Case {name} was opened.",
    "assigned": "The person was assigned to case {name}.",
    "unassigned": "The person was taken off case {name}.",
    "supervisor-added": "The supervisor was added to case {name}.",
    "supervisor-removed": "The supervisor was taken off case {name}.",
    "closed": "Case {name} was closed: no FRS use may serve it any more.",
    "reopened": "Case {name} was reopened.",
}
_PROGRAM_DONE = {
    "registered": "{name} was registered. It is no purpose for FRS use until IGP approves its "
                  "assessment (memo 4.A.1).",
    "member-added": "The member was added to {name}.",
    "member-removed": "The member was taken off {name}.",
}  # fmt: skip


def _people(console: Console) -> dict[str, list[str]]:
    """Usernames the forms suggest: active supervisors, and active agents and examiners."""
    found = accounts.list_accounts(console.gate, console.caller)
    active = [a.user for a in found if a.user.is_active]
    return {
        "supervisors": [u.username for u in active if Role.supervisor in u.roles],
        "workers": [u.username for u in active if u.roles & {Role.agent, Role.examiner}],
    }


# --- cases ---------------------------------------------------------------------------------------


@router.get("/admin/cases")
def list_cases(console: CaseManager, status: CaseStatus | None = None) -> Response:
    found = cases.list_cases(gate=console.gate, caller=console.caller, status=status)
    return console.render(
        "admin/cases.html", title="Cases", cases=found, status=status.value if status else "",
        statuses=list(CaseStatus),
    )  # fmt: skip


def _case_form(console: Console, typed: Mapping[str, str], *, error: str = "",
               status: int = 200) -> Response:  # fmt: skip
    return console.render(
        "admin/case_new.html", title="Open a case", typed=typed, error=error,
        status_code=status, **_people(console),
    )  # fmt: skip


@router.get("/admin/cases/new")
def new_case(console: CaseOpener) -> Response:
    blank = dict.fromkeys(("number", "title", "statutory_authority", "violation_codes",
                           "under_hsi_authority", "supervisors", "agents"), "")  # fmt: skip
    return _case_form(console, blank)


@router.post("/admin/cases")
def open_case(
    console: CaseOpener,
    number: Annotated[Clean, Form(max_length=64)] = "",
    title: Annotated[Clean, Form(max_length=512)] = "",
    statutory_authority: Statement = "",
    violation_codes: Names = "",
    under_hsi_authority: Annotated[Clean, Form(max_length=8)] = "",
    supervisors: Names = "",
    agents: Names = "",
) -> Response:
    typed = {
        "number": number, "title": title, "statutory_authority": statutory_authority,
        "violation_codes": violation_codes, "under_hsi_authority": under_hsi_authority,
        "supervisors": supervisors, "agents": agents,
    }  # fmt: skip
    try:
        # memo 1, 3: stated by whoever opens the case; never defaulted.
        own = yes_no(
            "under_hsi_authority",
            under_hsi_authority,
            "whether the investigation is HSI's own, under its statutory authorities",
        )
        made = cases.open_case(
            gate=console.gate, caller=console.caller, number=number.strip(), title=title,
            statutory_authority=statutory_authority, violation_codes=names_in(violation_codes),
            under_hsi_authority=own, supervisors=names_in(supervisors),
            agents=names_in(agents),
        )  # fmt: skip
    except (FrsGateError, DomainError) as exc:
        if not input_refused(exc):
            raise
        return _case_form(console, typed, error=message_of(exc), status=status_for(exc))
    return see(f"{CASES}/{made.case.number}?done=opened")


def _case_page(
    console: Console,
    number: str,
    *,
    done: str | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    record = cases.show_case(gate=console.gate, caller=console.caller, number=number)
    c = record.case
    return console.render(
        "admin/case.html", title=f"Case {c.number}", record=record, case=c,
        supervisors=[record.names.of(u) or u for u in c.supervisor_ids],
        assigned=[record.names.of(u) or u for u in c.assigned_user_ids],
        opened_by=record.names.of(c.opened_by) or "—", errors=dict(errors or {}),
        flash=flash_of(done, _CASE_DONE, name=c.number), status_code=status,
    )  # fmt: skip


@router.get("/admin/cases/{number}")
def show_case(console: CaseManager, number: CaseNumber, done: str | None = None) -> Response:
    return _case_page(console, number, done=done)


def _case_act(
    console: Console, number: str, form: str, done: str, act: Callable[[], object]
) -> Response:
    """A form of the case's page: the page again with its notice, or with the service's
    message beside the form that was sent."""
    return done_or_refused(
        act, f"{CASES}/{number}?done={done}", form,
        lambda errors, status: _case_page(console, number, errors=errors, status=status),
    )  # fmt: skip


@router.post("/admin/cases/{number}/assignments")
def assign(console: CaseManager, number: CaseNumber, username: Who = "") -> Response:
    return _case_act(
        console, number, "assigned", "assigned",
        lambda: cases.assign(gate=console.gate, caller=console.caller, number=number,
                             username=username.strip()),
    )  # fmt: skip


@router.post("/admin/cases/{number}/assignments/{username}/remove")
def unassign(
    console: CaseManager,
    number: CaseNumber,
    username: Annotated[Clean, Path(max_length=128, description="A username")],
) -> Response:
    return _case_act(
        console, number, "assigned", "unassigned",
        lambda: cases.unassign(gate=console.gate, caller=console.caller, number=number,
                               username=username),
    )  # fmt: skip


@router.post("/admin/cases/{number}/supervisors")
def add_supervisor(console: CaseManager, number: CaseNumber, username: Who = "") -> Response:
    return _case_act(
        console, number, "supervisors", "supervisor-added",
        lambda: cases.add_supervisor(gate=console.gate, caller=console.caller, number=number,
                                     username=username.strip()),
    )  # fmt: skip


@router.post("/admin/cases/{number}/supervisors/{username}/remove")
def remove_supervisor(
    console: CaseManager,
    number: CaseNumber,
    username: Annotated[Clean, Path(max_length=128, description="A username")],
) -> Response:
    return _case_act(
        console, number, "supervisors", "supervisor-removed",
        lambda: cases.remove_supervisor(gate=console.gate, caller=console.caller,
                                        number=number, username=username),
    )  # fmt: skip


@router.post("/admin/cases/{number}/close")
def close_case(console: CaseManager, number: CaseNumber, reason: Statement = "") -> Response:
    return _case_act(
        console, number, "status", "closed",
        lambda: cases.close_case(gate=console.gate, caller=console.caller, number=number,
                                 reason=reason),
    )  # fmt: skip


@router.post("/admin/cases/{number}/reopen")
def reopen_case(console: CaseManager, number: CaseNumber, reason: Statement = "") -> Response:
    return _case_act(
        console, number, "status", "reopened",
        lambda: cases.reopen_case(gate=console.gate, caller=console.caller, number=number,
                                  reason=reason),
    )  # fmt: skip


# --- programs and task forces ----------------------------------------------------------------


@router.get("/admin/programs")
def list_programs(console: ProgramManager) -> Response:
    found = programs.list_programs(gate=console.gate, caller=console.caller)
    return console.render("admin/programs.html", title="Programs and task forces",
                          programs=found)  # fmt: skip


def _program_form(console: Console, typed: Mapping[str, Any], *, error: str = "",
                  status: int = 200) -> Response:  # fmt: skip
    return console.render(
        "admin/program_new.html", title="Register a program or task force", typed=typed,
        error=error, kinds=list(ProgramKind), status_code=status, **_people(console),
    )  # fmt: skip


@router.get("/admin/programs/new")
def new_program(console: ProgramRegistrar) -> Response:
    blank: dict[str, Any] = dict.fromkeys(("code", "name", "assessment_ref", "supervisor",
                                           "members"), "")  # fmt: skip
    blank.update(kind=ProgramKind.program.value, use_without_case=False)
    return _program_form(console, blank)


@router.post("/admin/programs")
def register_program(
    console: ProgramRegistrar,
    code: Annotated[Clean, Form(max_length=64)] = "",
    name: Annotated[Clean, Form(max_length=256)] = "",
    kind: Annotated[Clean, Form(max_length=32)] = ProgramKind.program.value,
    assessment_ref: Annotated[Clean, Form(max_length=256)] = "",
    use_without_case: Annotated[Clean, Form(max_length=8)] = "",
    supervisor: Who = "",
    members: Names = "",
) -> Response:
    typed = {
        "code": code, "name": name, "kind": kind, "assessment_ref": assessment_ref,
        "use_without_case": use_without_case == "yes", "supervisor": supervisor,
        "members": members,
    }  # fmt: skip
    try:
        made = programs.register_program(
            gate=console.gate, caller=console.caller, code=code.strip(), name=name,
            kind=_kind(kind), assessment_ref=assessment_ref,
            use_without_case=use_without_case == "yes", supervisor=supervisor.strip() or None,
            members=names_in(members),
        )  # fmt: skip
    except (FrsGateError, DomainError) as exc:
        if not input_refused(exc):
            raise
        return _program_form(console, typed, error=message_of(exc), status=status_for(exc))
    return see(f"{PROGRAMS}/{made.program.code}?done=registered")


def _kind(value: str) -> ProgramKind:
    try:
        return ProgramKind(value)
    except ValueError:
        raise ValidationFailed("kind: choose a program or a task force") from None


def _program_page(
    console: Console,
    code: str,
    *,
    done: str | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    record = programs.show_program(gate=console.gate, caller=console.caller, code=code)
    p = record.program
    return console.render(
        "admin/program.html", title=p.name, record=record, program=p,
        members=[record.names.of(u) or u for u in p.member_ids],
        supervisor=record.names.of(p.supervisor_id) or "none",
        approved_by=record.names.of(p.assessment_approved_by) or "",
        errors=dict(errors or {}), flash=flash_of(done, _PROGRAM_DONE, name=p.code),
        status_code=status,
    )  # fmt: skip


@router.get("/admin/programs/{code}")
def show_program(console: ProgramManager, code: Code, done: str | None = None) -> Response:
    return _program_page(console, code, done=done)


def _program_act(console: Console, code: str, done: str, act: Callable[[], object]) -> Response:
    """A form of the program's page (its members): the page again with its notice, or with
    the service's message beside the form."""
    return done_or_refused(
        act, f"{PROGRAMS}/{code}?done={done}", "members",
        lambda errors, status: _program_page(console, code, errors=errors, status=status),
    )  # fmt: skip


@router.post("/admin/programs/{code}/members")
def add_member(console: ProgramManager, code: Code, username: Who = "") -> Response:
    return _program_act(
        console, code, "member-added",
        lambda: programs.add_member(gate=console.gate, caller=console.caller, code=code,
                                    username=username.strip()),
    )  # fmt: skip


@router.post("/admin/programs/{code}/members/{username}/remove")
def remove_member(
    console: ProgramManager,
    code: Code,
    username: Annotated[Clean, Path(max_length=128, description="A username")],
) -> Response:
    return _program_act(
        console, code, "member-removed",
        lambda: programs.remove_member(gate=console.gate, caller=console.caller, code=code,
                                       username=username),
    )  # fmt: skip
