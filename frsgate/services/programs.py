"""Programs and task forces (memo 4.A.1): registered and staffed by an administrator
(`program.manage`), their assessment approved by IGP (`program.assess`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from frsgate.domain import (
    Program,
    ProgramKind,
    ProgramStatus,
    User,
)
from frsgate.domain.cases import check_record_code
from frsgate.domain.values import new_id
from frsgate.errors import Conflict, NotFound, ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, ChangeFacts, ChangeOp
from frsgate.services.administration import admin_ask, administer, change_draft
from frsgate.services.casework import (
    COMPONENT,
    Names,
    ProgramRecord,
    _program_fields,
    _statement,
    _supervisor,
    _user,
    _worker,
)
from frsgate.services.gate import Ask, Caller, Gate, draft
from frsgate.store.unit import UnitOfWork

# --- programs and task forces (memo 4.A.1) ----------------------------------------------


def _program_record(uow: UnitOfWork, program: Program) -> ProgramRecord:
    ids = [program.supervisor_id, program.registered_by, program.assessment_approved_by,
           *program.member_ids]  # fmt: skip
    return ProgramRecord(program, Names.read(uow, ids))


def _copy_program(p: Program) -> Program:
    return Program(
        id=p.id, code=p.code, name=p.name, kind=p.kind, assessment_ref=p.assessment_ref,
        status=p.status, assessment_approved_by=p.assessment_approved_by,
        assessment_approved_at=p.assessment_approved_at, use_without_case=p.use_without_case,
        supervisor_id=p.supervisor_id, member_ids=p.member_ids, registered_by=p.registered_by,
        created_at=p.created_at,
    )  # fmt: skip


def _program_ask(caller: Caller, program: Program, op: ChangeOp, **details: Any) -> Ask:
    return admin_ask(
        Action.program_manage,
        resource_id=program.id,
        subject=f"program:{program.id}",
        change=ChangeFacts(op=op),
        program_code=program.code,
        details={"op": op.value, **details},
        component=COMPONENT,
    )


def _program_change(
    caller: Caller,
    action: Action,
    event: EventTag,
    program: Program,
    before: Program | None,
    **details: Any,
) -> EntryDraft:
    return change_draft(
        caller,
        action,
        event,
        subject=f"program:{program.id}",
        before=_program_fields(before) if before is not None else None,
        after=_program_fields(program),
        program_code=program.code,
        details=details,
        component=COMPONENT,
    )


def list_programs(
    *, gate: Gate, caller: Caller, status: ProgramStatus | None = None
) -> list[ProgramRecord]:
    held: list[Program] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.extend(uow.programs.list_all(status=status))
        return admin_ask(
            Action.program_manage, resource_id="programs", subject="program:*",
            change=ChangeFacts(op=ChangeOp.view), component=COMPONENT,
            details={"op": "view", "status": status.value if status else None},
        )  # fmt: skip

    def act(uow: UnitOfWork) -> tuple[list[ProgramRecord], list[EntryDraft]]:
        entry = draft(
            caller, EventTag.PROGRAM_RECORDS_VIEW, action=Action.program_manage,
            subject="program:*", component=COMPONENT,
            details={"programs": [p.code for p in held]},
        )  # fmt: skip
        return [_program_record(uow, p) for p in held], [entry]

    return administer(gate, caller, ask=ask, act=act)


def show_program(*, gate: Gate, caller: Caller, code: str) -> ProgramRecord:
    held: list[Program] = []

    def ask(uow: UnitOfWork) -> Ask:
        program = uow.programs.get_by_code(code)
        held.append(program)
        return _program_ask(caller, program, ChangeOp.view)

    def act(uow: UnitOfWork) -> tuple[ProgramRecord, list[EntryDraft]]:
        program = held[0]
        entry = draft(
            caller, EventTag.PROGRAM_RECORDS_VIEW, action=Action.program_manage,
            subject=f"program:{program.id}", component=COMPONENT, program_code=program.code,
            details={"programs": [program.code]},
        )  # fmt: skip
        return _program_record(uow, program), [entry]

    return administer(gate, caller, ask=ask, act=act)


def register_program(
    *,
    gate: Gate,
    caller: Caller,
    code: str,
    name: str,
    kind: ProgramKind,
    assessment_ref: str,
    use_without_case: bool,
    supervisor: str | None = None,
    members: Sequence[str] = (),
) -> ProgramRecord:
    """Register a program or task force with the reference of its privacy, civil rights and
    civil liberties assessment (memo 4.A.1). It is no purpose for FRS use until IGP approves
    that assessment (`approve_assessment`)."""
    check_record_code("program", "code", code)
    name = _statement("name", name)
    assessment_ref = _statement("assessment_ref", assessment_ref)
    if len(set(members)) != len(members):
        raise ValidationFailed("members: lists a user twice")
    held: dict[str, Any] = {}

    def ask(uow: UnitOfWork) -> Ask:
        boss = _user(uow, supervisor, "supervisor") if supervisor is not None else None
        people = [_user(uow, m, "members") for m in members]
        program = Program(
            id=new_id("program"), code=code, name=name, kind=kind,
            assessment_ref=assessment_ref, use_without_case=use_without_case,
            supervisor_id=boss.id if boss else None, member_ids=tuple(u.id for u in people),
            registered_by=caller.user_id, created_at=gate.now(),
        )  # fmt: skip
        held.update(program=program, boss=boss, people=people)
        return _program_ask(caller, program, ChangeOp.create)

    def act(uow: UnitOfWork) -> tuple[ProgramRecord, list[EntryDraft]]:
        program: Program = held["program"]
        if held["boss"] is not None:
            _supervisor(held["boss"])
        for person in held["people"]:
            _worker(person, "members")
        try:
            uow.programs.get_by_code(code)
        except NotFound:
            pass
        else:
            raise Conflict(f"program code {code!r} already exists")
        uow.programs.add(program)
        return _program_record(uow, program), [
            _program_change(caller, Action.program_manage, EventTag.PROGRAM_RECORD_CREATE,
                            program, None)
        ]  # fmt: skip

    return administer(gate, caller, ask=ask, act=act)


def approve_assessment(
    *, gate: Gate, caller: Caller, code: str, assessment_ref: str
) -> ProgramRecord:
    """IGP approves the program's assessment (memo 4.A.1), naming the document it read: an
    approval of another document than the one on record (revised meanwhile) is refused. The
    registrant is the request's owner: nobody approves the assessment of a program they
    registered (`program.assess_not_own`)."""
    assessment_ref = _statement("assessment_ref", assessment_ref)
    held: list[Program] = []

    def ask(uow: UnitOfWork) -> Ask:
        program = uow.programs.get_by_code(code, lock=True)
        held.append(program)
        # A program seeded by the installation has no registrant account: "system" asked.
        owner = program.registered_by or "system"
        return admin_ask(
            Action.program_assess, resource_id=program.id, owner_id=owner,
            subject=f"program:{program.id}", change=ChangeFacts(op=ChangeOp.update),
            program_code=program.code, component=COMPONENT,
            details={"op": "approve_assessment", "assessment_ref": assessment_ref},
        )  # fmt: skip

    def act(uow: UnitOfWork) -> tuple[ProgramRecord, list[EntryDraft]]:
        program = held[0]
        if program.assessment_ref != assessment_ref:
            raise Conflict(
                f"program {program.code}'s assessment on record is {program.assessment_ref!r}, "
                f"not {assessment_ref!r}; read the current document and approve that"
            )
        before = _copy_program(program)
        program.approve_assessment(by=caller.user_id, at=gate.now())
        uow.programs.update(program, expected_status=before.status.value)
        return _program_record(uow, program), [
            _program_change(caller, Action.program_assess, EventTag.PROGRAM_ASSESSMENT_APPROVE,
                            program, before, assessment_ref=assessment_ref)
        ]  # fmt: skip

    return administer(gate, caller, ask=ask, act=act)


def revise_assessment(
    *, gate: Gate, caller: Caller, code: str, assessment_ref: str, reason: str
) -> ProgramRecord:
    """Record a revised assessment: the program returns to `pending_assessment` and is no
    purpose for FRS use until IGP approves the revision (memo 4.A.1)."""
    assessment_ref = _statement("assessment_ref", assessment_ref)
    reason = _statement("reason", reason)
    held: list[Program] = []

    def ask(uow: UnitOfWork) -> Ask:
        program = uow.programs.get_by_code(code, lock=True)
        held.append(program)
        return _program_ask(caller, program, ChangeOp.update, assessment_ref=assessment_ref)

    def act(uow: UnitOfWork) -> tuple[ProgramRecord, list[EntryDraft]]:
        program = held[0]
        if program.assessment_ref == assessment_ref:
            raise ValidationFailed(
                f"assessment_ref: {assessment_ref!r} is already program {program.code}'s "
                "assessment; name the revised document"
            )
        before = _copy_program(program)
        program.revise_assessment(assessment_ref=assessment_ref)
        uow.programs.update(program, expected_status=before.status.value)
        return _program_record(uow, program), [
            _program_change(caller, Action.program_manage, EventTag.PROGRAM_RECORD_UPDATE,
                            program, before, reason=reason)
        ]  # fmt: skip

    return administer(gate, caller, ask=ask, act=act)


def _membership(
    gate: Gate, caller: Caller, code: str, username: str, op: ChangeOp
) -> ProgramRecord:
    held: dict[str, Any] = {}

    def ask(uow: UnitOfWork) -> Ask:
        program = uow.programs.get_by_code(code, lock=True)
        user = _user(uow, username, "username")
        if op is ChangeOp.unassign and user.id not in program.member_ids:
            raise NotFound(f"{user.username} is not a member of program {program.code}")
        held.update(program=program, user=user)
        return _program_ask(caller, program, op, user_id=user.id)

    def act(uow: UnitOfWork) -> tuple[ProgramRecord, list[EntryDraft]]:
        program: Program = held["program"]
        user: User = held["user"]
        before = _copy_program(program)
        if op is ChangeOp.assign:
            _worker(user, "username")
            if user.id in program.member_ids:
                raise Conflict(f"{user.username} is already a member of program {program.code}")
            program.add_member(user.id)
        else:
            program.remove_member(user.id)
        uow.programs.update(program, expected_status=before.status.value)
        return _program_record(uow, program), [
            _program_change(caller, Action.program_manage, EventTag.PROGRAM_RECORD_UPDATE,
                            program, before, op=op.value, user_id=user.id,
                            username=user.username)
        ]  # fmt: skip

    return administer(gate, caller, ask=ask, act=act)


def add_member(*, gate: Gate, caller: Caller, code: str, username: str) -> ProgramRecord:
    """A member of the program may use an FRS for it (pack rule `purpose.program_member`)."""
    return _membership(gate, caller, code, username, ChangeOp.assign)


def remove_member(*, gate: Gate, caller: Caller, code: str, username: str) -> ProgramRecord:
    return _membership(gate, caller, code, username, ChangeOp.unassign)
