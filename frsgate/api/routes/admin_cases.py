"""Administration over HTTP: cases, programs and task forces, and FRS program codes.

Thin: each route parses the request, calls `frsgate.services.cases`, `programs` or
`program_codes` (which decide the act through the decision point — `case.manage`,
`program.manage`, `program.assess`, `program_code.establish` — and record it) and shapes the
record as JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Clean, Text, Word
from frsgate.api.schemas import (
    CaseListOut,
    CaseOut,
    ProgramCodeListOut,
    ProgramCodeOut,
    ProgramListOut,
    ProgramOut,
    error_responses,
)
from frsgate.domain import CaseStatus, ProgramKind, ProgramStatus
from frsgate.policy.facts import Action
from frsgate.services import cases, casework, program_codes, programs
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
CaseManager = Annotated[Caller, requires(Action.case_manage)]
ProgramManager = Annotated[Caller, requires(Action.program_manage)]
Assessor = Annotated[Caller, requires(Action.program_assess)]
CodeKeeper = Annotated[Caller, requires(Action.program_code_establish)]

CaseNumber = Annotated[Clean, Path(max_length=64, description="A case number")]
Code = Annotated[Clean, Path(max_length=64, description="A program or FRS program code")]
UsernamePath = Annotated[Clean, Path(max_length=128, description="A username")]
Username = Annotated[Clean, Field(min_length=1, max_length=128, description="A username")]
Supervisors = Annotated[list[Username], Field(min_length=1, max_length=20)]
Required = Annotated[Clean, Field(min_length=1, max_length=512)]
Statement = Annotated[Text, Field(min_length=1)]


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Annotated[Word, Field(min_length=1, description="e.g. HSI-2026-000123")]
    title: Required
    statutory_authority: Statement
    violation_codes: Annotated[list[Word], Field(max_length=50)] = []
    # memo 1, 3: stated by whoever opens the case; never defaulted.
    under_hsi_authority: bool = Field(
        description="The investigation is HSI's own, under its statutory authorities"
    )
    supervisors: Supervisors | None = Field(
        default=None, description="Who supervises the case (memo 4.E.4), the lead first"
    )
    supervisor: Username | None = Field(
        default=None, description="Shorthand for a case with one supervisor"
    )
    agents: Annotated[list[Username], Field(max_length=200)] = []


class CasePatchIn(BaseModel):
    """The fields to change; a field left out stays as stored."""

    model_config = ConfigDict(extra="forbid")

    title: Required | None = None
    statutory_authority: Statement | None = None
    violation_codes: Annotated[list[Word], Field(max_length=50)] | None = None
    under_hsi_authority: bool | None = None
    supervisors: Supervisors | None = Field(
        default=None, description="Replaces the case's supervisors, the lead first"
    )
    supervisor: Username | None = Field(
        default=None, description="Hands the case to this one supervisor"
    )


class UsernameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Statement


class ProgramIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[Word, Field(min_length=1, description="e.g. CEU-VID")]
    name: Annotated[Clean, Field(min_length=1, max_length=256)]
    kind: ProgramKind = ProgramKind.program
    assessment_ref: Annotated[Clean, Field(min_length=1, max_length=256)]
    use_without_case: bool = Field(
        default=False, description="The assessment covers members' FRS use without a case"
    )
    supervisor: Username | None = None
    members: Annotated[list[Username], Field(max_length=200)] = []


class AssessmentApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessment_ref: Annotated[
        Clean,
        Field(min_length=1, max_length=256, description="The document approved: must be the "
              "one on record"),
    ]  # fmt: skip


class AssessmentRevisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessment_ref: Annotated[Clean, Field(min_length=1, max_length=256)]
    reason: Statement


class ProgramCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[Word, Field(min_length=1, description="e.g. HSI-FRS-2026")]
    description: Statement
    valid_from: AwareDatetime | None = Field(default=None, description="Now when left out")
    valid_until: AwareDatetime | None = Field(default=None, description="Open-ended if null")


class ProgramCodePatchIn(BaseModel):
    """`valid_until` set closes the code then (null: valid without end); a field left out
    stays as stored."""

    model_config = ConfigDict(extra="forbid")

    valid_until: AwareDatetime | None = None
    description: Statement | None = None


# --- cases ---------------------------------------------------------------------------------


@router.get(
    "/cases", summary="Cases (an administrator: any; a supervisor: their own)",
    response_model=CaseListOut, responses=error_responses(),
)  # fmt: skip
def list_cases(
    caller: CaseManager,
    runtime: RuntimeDep,
    status: CaseStatus | None = None,
    supervisor: Annotated[Clean | None, Query(max_length=128)] = None,
) -> dict[str, Any]:
    found = cases.list_cases(gate=runtime.gate, caller=caller, status=status, supervisor=supervisor)
    return {"cases": [c.as_dict() for c in found]}


@router.post(
    "/cases", summary="Open a case", status_code=201, response_model=CaseOut,
    responses=error_responses(404, 409, 413),
)  # fmt: skip
def post_case(body: CaseIn, caller: CaseManager, runtime: RuntimeDep) -> dict[str, Any]:
    return cases.open_case(
        gate=runtime.gate, caller=caller, number=body.number, title=body.title,
        statutory_authority=body.statutory_authority, violation_codes=body.violation_codes,
        under_hsi_authority=body.under_hsi_authority, supervisor=body.supervisor,
        supervisors=body.supervisors, agents=body.agents,
    ).as_dict()  # fmt: skip


@router.get(
    "/cases/{number}", summary="One case", response_model=CaseOut,
    responses=error_responses(404),
)  # fmt: skip
def get_case(number: CaseNumber, caller: CaseManager, runtime: RuntimeDep) -> dict[str, Any]:
    return cases.show_case(gate=runtime.gate, caller=caller, number=number).as_dict()


@router.patch(
    "/cases/{number}", summary="Change a case's record or its supervisors",
    response_model=CaseOut, responses=error_responses(404, 413),
)  # fmt: skip
def patch_case(
    number: CaseNumber, body: CasePatchIn, caller: CaseManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return cases.update_case(
        gate=runtime.gate, caller=caller, number=number, title=body.title,
        statutory_authority=body.statutory_authority, violation_codes=body.violation_codes,
        under_hsi_authority=body.under_hsi_authority, supervisor=body.supervisor,
        supervisors=body.supervisors,
    ).as_dict()  # fmt: skip


@router.post(
    "/cases/{number}/supervisors", summary="Add a supervisor to a case",
    response_model=CaseOut, responses=error_responses(404, 409, 413),
)  # fmt: skip
def post_supervisor(
    number: CaseNumber, body: UsernameIn, caller: CaseManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return cases.add_supervisor(
        gate=runtime.gate, caller=caller, number=number, username=body.username
    ).as_dict()


@router.delete(
    "/cases/{number}/supervisors/{username}",
    summary="Take a supervisor off a case (never its last one)",
    response_model=CaseOut, responses=error_responses(404, 409),
)  # fmt: skip
def delete_supervisor(
    number: CaseNumber, username: UsernamePath, caller: CaseManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return cases.remove_supervisor(
        gate=runtime.gate, caller=caller, number=number, username=username
    ).as_dict()


@router.post(
    "/cases/{number}/assignments", summary="Assign an agent or examiner to a case",
    response_model=CaseOut, responses=error_responses(404, 409, 413),
)  # fmt: skip
def post_assignment(
    number: CaseNumber, body: UsernameIn, caller: CaseManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return cases.assign(
        gate=runtime.gate, caller=caller, number=number, username=body.username
    ).as_dict()


@router.delete(
    "/cases/{number}/assignments/{username}", summary="Take a user off a case",
    response_model=CaseOut, responses=error_responses(404),
)  # fmt: skip
def delete_assignment(
    number: CaseNumber, username: UsernamePath, caller: CaseManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return cases.unassign(
        gate=runtime.gate, caller=caller, number=number, username=username
    ).as_dict()


@router.post(
    "/cases/{number}/close", summary="Close a case (no FRS use may serve it any more)",
    response_model=CaseOut, responses=error_responses(404, 409, 413),
)  # fmt: skip
def post_close(
    number: CaseNumber, body: ReasonIn, caller: CaseManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return cases.close_case(
        gate=runtime.gate, caller=caller, number=number, reason=body.reason
    ).as_dict()


@router.post(
    "/cases/{number}/reopen", summary="Reopen a closed case",
    response_model=CaseOut, responses=error_responses(404, 409, 413),
)  # fmt: skip
def post_reopen(
    number: CaseNumber, body: ReasonIn, caller: CaseManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return cases.reopen_case(
        gate=runtime.gate, caller=caller, number=number, reason=body.reason
    ).as_dict()


# --- programs and task forces ------------------------------------------------------------


@router.get(
    "/programs", summary="Programs and task forces", response_model=ProgramListOut,
    responses=error_responses(),
)  # fmt: skip
def list_programs(
    caller: ProgramManager, runtime: RuntimeDep, status: ProgramStatus | None = None
) -> dict[str, Any]:
    found = programs.list_programs(gate=runtime.gate, caller=caller, status=status)
    return {"programs": [p.as_dict() for p in found]}


@router.post(
    "/programs", summary="Register a program or task force and its assessment",
    status_code=201, response_model=ProgramOut, responses=error_responses(404, 409, 413),
)  # fmt: skip
def post_program(body: ProgramIn, caller: ProgramManager, runtime: RuntimeDep) -> dict[str, Any]:
    return programs.register_program(
        gate=runtime.gate, caller=caller, code=body.code, name=body.name, kind=body.kind,
        assessment_ref=body.assessment_ref, use_without_case=body.use_without_case,
        supervisor=body.supervisor, members=body.members,
    ).as_dict()  # fmt: skip


@router.get(
    "/programs/{code}", summary="One program or task force", response_model=ProgramOut,
    responses=error_responses(404),
)  # fmt: skip
def get_program(code: Code, caller: ProgramManager, runtime: RuntimeDep) -> dict[str, Any]:
    return programs.show_program(gate=runtime.gate, caller=caller, code=code).as_dict()


@router.post(
    "/programs/{code}/assessment/approval",
    summary="IGP approves the program's privacy and civil rights assessment",
    response_model=ProgramOut, responses=error_responses(404, 409, 413),
)  # fmt: skip
def post_assessment_approval(
    code: Code, body: AssessmentApprovalIn, caller: Assessor, runtime: RuntimeDep
) -> dict[str, Any]:
    return programs.approve_assessment(
        gate=runtime.gate, caller=caller, code=code, assessment_ref=body.assessment_ref
    ).as_dict()


@router.post(
    "/programs/{code}/assessment/revision",
    summary="Record a revised assessment (it must be approved again)",
    response_model=ProgramOut, responses=error_responses(404, 409, 413),
)  # fmt: skip
def post_assessment_revision(
    code: Code, body: AssessmentRevisionIn, caller: ProgramManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return programs.revise_assessment(
        gate=runtime.gate, caller=caller, code=code, assessment_ref=body.assessment_ref,
        reason=body.reason,
    ).as_dict()  # fmt: skip


@router.post(
    "/programs/{code}/members", summary="Add a member to a program or task force",
    response_model=ProgramOut, responses=error_responses(404, 409, 413),
)  # fmt: skip
def post_member(
    code: Code, body: UsernameIn, caller: ProgramManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return programs.add_member(
        gate=runtime.gate, caller=caller, code=code, username=body.username
    ).as_dict()


@router.delete(
    "/programs/{code}/members/{username}", summary="Remove a member",
    response_model=ProgramOut, responses=error_responses(404),
)  # fmt: skip
def delete_member(
    code: Code, username: UsernamePath, caller: ProgramManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return programs.remove_member(
        gate=runtime.gate, caller=caller, code=code, username=username
    ).as_dict()


# --- FRS program codes ---------------------------------------------------------------------


@router.get(
    "/program-codes", summary="FRS program codes (memo 4.E.3)",
    response_model=ProgramCodeListOut, responses=error_responses(),
)  # fmt: skip
def list_program_codes(caller: CodeKeeper, runtime: RuntimeDep) -> dict[str, Any]:
    found = program_codes.list_program_codes(gate=runtime.gate, caller=caller)
    return {"program_codes": [c.as_dict() for c in found]}


@router.post(
    "/program-codes", summary="OSDM establishes an FRS program code", status_code=201,
    response_model=ProgramCodeOut, responses=error_responses(409, 413),
)  # fmt: skip
def post_program_code(
    body: ProgramCodeIn, caller: CodeKeeper, runtime: RuntimeDep
) -> dict[str, Any]:
    return program_codes.establish_program_code(
        gate=runtime.gate, caller=caller, code=body.code, description=body.description,
        valid_from=body.valid_from, valid_until=body.valid_until,
    ).as_dict()  # fmt: skip


@router.get(
    "/program-codes/{code}", summary="One FRS program code", response_model=ProgramCodeOut,
    responses=error_responses(404),
)  # fmt: skip
def get_program_code(code: Code, caller: CodeKeeper, runtime: RuntimeDep) -> dict[str, Any]:
    return program_codes.show_program_code(gate=runtime.gate, caller=caller, code=code).as_dict()


@router.patch(
    "/program-codes/{code}", summary="Change a code's description or close it early",
    response_model=ProgramCodeOut, responses=error_responses(404, 413),
)  # fmt: skip
def patch_program_code(
    code: Code, body: ProgramCodePatchIn, caller: CodeKeeper, runtime: RuntimeDep
) -> dict[str, Any]:
    until = body.valid_until if "valid_until" in body.model_fields_set else casework.KEEP
    return program_codes.update_program_code(
        gate=runtime.gate, caller=caller, code=code, valid_until=until,
        description=body.description,
    ).as_dict()  # fmt: skip
