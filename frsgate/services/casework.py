"""Cases, programs and FRS program codes, administered through the decision point.

A case (an ongoing HSI investigation) or an assessed program or task force is what an FRS use
must serve (memo 4.A.1), and every submission names an FRS program code OSDM established
(memo 4.E.3). These records are what the pack's purpose rules read, so changing them is an act
like any other (see `frsgate.services.administration`):

- cases: `case.manage`, decided with whether the decider supervises the case (is among its
  stored supervisors, and for a new case or a change of the list among those named too): a
  supervisor manages only their own cases (`case.supervisor_own`), an administrator any
  (memo 4.E.4). A case has one or more supervisors, the first the lead; its last is never
  removed;
- programs: registered and staffed by an administrator (`program.manage`, the registrant
  stored), their privacy/civil-rights assessment approved by IGP (`program.assess`, the
  registrant as the request's owner, so nobody approves the assessment of a program they
  registered); a revised assessment returns the program to `pending_assessment`;
- FRS program codes: established, and closed early, by OSDM (`program_code.establish`).

Every read is decided too (`op=view`) and recorded; every change is one ledger entry with the
record before and after it. Input that cannot be a record is refused before anything is
decided; a user named who does not exist is a 404 naming them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from frsgate.domain import (
    Case,
    CaseStatus,
    FrsProgramCode,
    Program,
    ProgramKind,
    ProgramStatus,
    Role,
    User,
)
from frsgate.domain.cases import check_record_code
from frsgate.domain.values import new_id
from frsgate.errors import Conflict, NotFound, ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, ChangeFacts, ChangeOp
from frsgate.services.administration import admin_ask, administer, change_draft
from frsgate.services.gate import Ask, Caller, Gate, draft
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.casework"
# Who may be assigned to a case or be a member of a program: those who use an FRS or examine
# its results (memo 4.A.1: the use serves the investigation they work on).
WORKER_ROLES = frozenset({Role.agent, Role.examiner})


class Keep(Enum):
    """A field an update leaves as it is (beside None, which some fields may be set to)."""

    keep = "keep"


KEEP = Keep.keep


# --- what the services answer ------------------------------------------------------------


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


@dataclass(frozen=True, slots=True)
class Names:
    """Usernames of the user ids a record names (read in the same transaction)."""

    by_id: Mapping[str, str] = field(default_factory=dict)

    def of(self, user_id: str | None) -> str | None:
        if user_id is None:
            return None
        return self.by_id.get(user_id, user_id)  # "system" and the like stay as they are

    @staticmethod
    def read(uow: UnitOfWork, ids: Iterable[str | None]) -> Names:
        found: dict[str, str] = {}
        for user_id in {i for i in ids if i}:
            user = uow.users.find(user_id)
            if user is not None:
                found[user_id] = user.username
        return Names(found)


@dataclass(frozen=True, slots=True)
class CaseRecord:
    case: Case
    names: Names

    def as_dict(self) -> dict[str, Any]:
        c = self.case
        return {
            "id": c.id,
            "number": c.number,
            "title": c.title,
            "statutory_authority": c.statutory_authority,
            "violation_codes": list(c.violation_codes),
            "under_hsi_authority": c.under_hsi_authority,
            "status": c.status.value,
            # The lead supervisor, then all of them in order (memo 4.E.4).
            "supervisor": self.names.of(c.lead_supervisor_id),
            "supervisors": [self.names.of(u) or u for u in c.supervisor_ids],
            "assigned": [self.names.of(u) or u for u in c.assigned_user_ids],
            "opened_by": self.names.of(c.opened_by),
            "created_at": c.created_at.isoformat(),
            "closed_at": _iso(c.closed_at),
        }


@dataclass(frozen=True, slots=True)
class ProgramRecord:
    program: Program
    names: Names

    def as_dict(self) -> dict[str, Any]:
        p = self.program
        return {
            "id": p.id,
            "code": p.code,
            "name": p.name,
            "kind": p.kind.value,
            "status": p.status.value,
            "assessment_ref": p.assessment_ref,
            "assessment_approved_by": self.names.of(p.assessment_approved_by),
            "assessment_approved_at": _iso(p.assessment_approved_at),
            "use_without_case": p.use_without_case,
            "supervisor": self.names.of(p.supervisor_id),
            "members": [self.names.of(u) or u for u in p.member_ids],
            "registered_by": self.names.of(p.registered_by),
            "created_at": p.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ProgramCodeRecord:
    code: FrsProgramCode
    names: Names
    valid_now: bool

    def as_dict(self) -> dict[str, Any]:
        c = self.code
        return {
            "code": c.code,
            "description": c.description,
            "established_by": self.names.of(c.established_by) or c.established_by,
            "valid_from": c.valid_from.isoformat(),
            "valid_until": _iso(c.valid_until),
            "valid_now": self.valid_now,
            "created_at": c.created_at.isoformat(),
        }


# --- the ledger's view of each record ----------------------------------------------------


def _case_fields(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "title": case.title,
        "statutory_authority": case.statutory_authority,
        "violation_codes": list(case.violation_codes),
        "under_hsi_authority": case.under_hsi_authority,
        "status": case.status.value,
        "supervisor_ids": list(case.supervisor_ids),
        "assigned_user_ids": list(case.assigned_user_ids),
        "closed_at": _iso(case.closed_at),
    }


def _program_fields(program: Program) -> dict[str, Any]:
    return {
        "code": program.code,
        "name": program.name,
        "kind": program.kind.value,
        "status": program.status.value,
        "assessment_ref": program.assessment_ref,
        "assessment_approved_by": program.assessment_approved_by,
        "assessment_approved_at": _iso(program.assessment_approved_at),
        "use_without_case": program.use_without_case,
        "supervisor_id": program.supervisor_id,
        "member_ids": list(program.member_ids),
        "registered_by": program.registered_by,
    }


def _code_fields(code: FrsProgramCode) -> dict[str, Any]:
    return {
        "code": code.code,
        "description": code.description,
        "established_by": code.established_by,
        "valid_from": code.valid_from.isoformat(),
        "valid_until": _iso(code.valid_until),
    }


# --- input checks shared by the acts -----------------------------------------------------


def _statement(name: str, value: str) -> str:
    """A required statement: not blank (a reason, a title, an authority)."""
    text = value.strip()
    if not text:
        raise ValidationFailed(f"{name}: must not be blank")
    return text


def _codes(values: Sequence[str]) -> tuple[str, ...]:
    codes = tuple(v.strip() for v in values)
    if any(not c for c in codes):
        raise ValidationFailed("violation_codes: a code must not be blank")
    if len(set(codes)) != len(codes):
        raise ValidationFailed("violation_codes: lists a code twice")
    return codes


def _user(uow: UnitOfWork, username: str, what: str) -> User:
    try:
        return uow.users.get_by_username(username)
    except NotFound:
        raise NotFound(f"{what}: no user named {username!r}") from None


def _supervisor(user: User, what: str = "supervisor") -> User:
    # memo 4.E.4: the supervisor decides the case's approvals and reviews its use.
    if not user.has_role(Role.supervisor):
        state = "is disabled" if not user.is_active else "does not hold the supervisor role"
        raise ValidationFailed(f"{what}: {user.username} {state}")
    return user


def _worker(user: User, what: str) -> User:
    if not user.is_active:
        raise ValidationFailed(f"{what}: {user.username} is disabled")
    if not user.roles & WORKER_ROLES:
        raise ValidationFailed(
            f"{what}: {user.username} is neither an agent nor an examiner "
            f"(holds {', '.join(sorted(r.value for r in user.roles)) or 'no role'})"
        )
    return user


def _utc(at: datetime | None, name: str) -> datetime | None:
    if at is None:
        return None
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationFailed(f"{name}: must carry a time zone (e.g. 2026-01-31T00:00:00Z)")
    return at.astimezone(UTC)


# --- cases ---------------------------------------------------------------------------------


def _case_ask(caller: Caller, case: Case, op: ChangeOp, *, supervises: bool, **details: Any) -> Ask:
    return admin_ask(
        Action.case_manage,
        resource_id=case.id,
        subject=f"case:{case.id}",
        change=ChangeFacts(op=op, decider_supervises=supervises),
        case=case.number,
        details={"op": op.value, **details},
        component=COMPONENT,
    )


def _case_change(
    caller: Caller, event: EventTag, case: Case, before: Case | None, **details: Any
) -> EntryDraft:
    return change_draft(
        caller,
        Action.case_manage,
        event,
        subject=f"case:{case.id}",
        before=_case_fields(before) if before is not None else None,
        after=_case_fields(case),
        case=case.number,
        details=details,
        component=COMPONENT,
    )


def _case_people(case: Case) -> list[str | None]:
    return [*case.supervisor_ids, case.opened_by, *case.assigned_user_ids]


def _case_record(uow: UnitOfWork, case: Case) -> CaseRecord:
    return CaseRecord(case, Names.read(uow, _case_people(case)))


def _copy_case(case: Case) -> Case:
    return Case(
        id=case.id, number=case.number, title=case.title,
        statutory_authority=case.statutory_authority, violation_codes=case.violation_codes,
        under_hsi_authority=case.under_hsi_authority, status=case.status,
        supervisor_ids=case.supervisor_ids, assigned_user_ids=case.assigned_user_ids,
        opened_by=case.opened_by, created_at=case.created_at, closed_at=case.closed_at,
    )  # fmt: skip


def _supervisor_names(supervisor: str | None, supervisors: Sequence[str] | None) -> list[str]:
    """The supervisors an act names, lead first: the list, or its one-name shorthand."""
    if supervisor is not None and supervisors is not None:
        raise ValidationFailed("supervisors: name the supervisors or one supervisor, not both")
    names = [supervisor] if supervisor is not None else list(supervisors or ())
    if not names:
        # memo 4.E.4: someone answers for the case and decides its approvals.
        raise ValidationFailed("supervisors: name at least one supervisor")
    if len(set(names)) != len(names):
        raise ValidationFailed("supervisors: lists a user twice")
    return names


def list_cases(
    *,
    gate: Gate,
    caller: Caller,
    status: CaseStatus | None = None,
    supervisor: str | None = None,
) -> list[CaseRecord]:
    """The cases (of one status, of one supervisor). The read is decided on whether the
    caller supervises every case it shows: a supervisor lists their own
    (`supervisor=` their username), an administrator any."""
    held: list[Case] = []

    def ask(uow: UnitOfWork) -> Ask:
        if supervisor is not None:
            try:
                boss = uow.users.get_by_username(supervisor)
            except NotFound:
                raise ValidationFailed(f"supervisor: no user named {supervisor!r}") from None
            found = uow.cases.supervised_by(boss.id)
            found = [c for c in found if status is None or c.status is status]
        else:
            found = uow.cases.list_all(status=status)
        held.extend(found)
        return admin_ask(
            Action.case_manage,
            resource_id="cases",
            subject="case:*",
            change=ChangeFacts(
                op=ChangeOp.view,
                decider_supervises=all(c.is_supervised_by(caller.user_id) for c in found),
            ),
            details={"op": "view", "status": status.value if status else None,
                     "supervisor": supervisor},
            component=COMPONENT,
        )  # fmt: skip

    def act(uow: UnitOfWork) -> tuple[list[CaseRecord], list[EntryDraft]]:
        names = Names.read(uow, [i for c in held for i in _case_people(c)])
        entry = draft(
            caller, EventTag.CASE_RECORDS_VIEW, action=Action.case_manage, subject="case:*",
            component=COMPONENT, details={"cases": [c.number for c in held]},
        )  # fmt: skip
        return [CaseRecord(c, names) for c in held], [entry]

    return administer(gate, caller, ask=ask, act=act)


def show_case(*, gate: Gate, caller: Caller, number: str) -> CaseRecord:
    held: list[Case] = []

    def ask(uow: UnitOfWork) -> Ask:
        case = uow.cases.get_by_number(number)
        held.append(case)
        return _case_ask(
            caller, case, ChangeOp.view, supervises=case.is_supervised_by(caller.user_id)
        )

    def act(uow: UnitOfWork) -> tuple[CaseRecord, list[EntryDraft]]:
        case = held[0]
        entry = draft(
            caller, EventTag.CASE_RECORDS_VIEW, action=Action.case_manage,
            subject=f"case:{case.id}", component=COMPONENT, case=case.number,
            details={"cases": [case.number]},
        )  # fmt: skip
        return _case_record(uow, case), [entry]

    return administer(gate, caller, ask=ask, act=act)


def open_case(
    *,
    gate: Gate,
    caller: Caller,
    number: str,
    title: str,
    statutory_authority: str,
    violation_codes: Sequence[str],
    under_hsi_authority: bool,
    supervisor: str | None = None,
    supervisors: Sequence[str] | None = None,
    agents: Sequence[str] = (),
) -> CaseRecord:
    """Open a case (memo 4.A.1). Whether it is HSI's own investigation under its statutory
    authorities (memo 1, 3) is stated by whoever opens it, never assumed. It has one or more
    supervisors (`supervisors`, the lead first; `supervisor` names just one), each holding the
    supervisor role; a supervisor opens a case only as one of its supervisors."""
    check_record_code("case", "number", number)
    title = _statement("title", title)
    statutory_authority = _statement("statutory_authority", statutory_authority)
    codes = _codes(violation_codes)
    boss_names = _supervisor_names(supervisor, supervisors)
    if len(set(agents)) != len(agents):
        raise ValidationFailed("agents: lists a user twice")
    held: dict[str, Any] = {}

    def ask(uow: UnitOfWork) -> Ask:
        bosses = [_user(uow, name, "supervisors") for name in boss_names]
        workers = [_user(uow, name, "agents") for name in agents]
        case = Case(
            id=new_id("case"), number=number, title=title,
            statutory_authority=statutory_authority, violation_codes=codes,
            under_hsi_authority=under_hsi_authority,
            supervisor_ids=tuple(u.id for u in bosses),
            assigned_user_ids=tuple(u.id for u in workers), opened_by=caller.user_id,
            created_at=gate.now(),
        )  # fmt: skip
        held.update(case=case, bosses=bosses, workers=workers)
        return _case_ask(caller, case, ChangeOp.create,
                         supervises=case.is_supervised_by(caller.user_id))  # fmt: skip

    def act(uow: UnitOfWork) -> tuple[CaseRecord, list[EntryDraft]]:
        case: Case = held["case"]
        for boss in held["bosses"]:
            _supervisor(boss, "supervisors")
        for worker in held["workers"]:
            _worker(worker, "agents")
        if uow.cases.find_number(number) is not None:
            raise Conflict(f"case number {number!r} already exists")
        uow.cases.add(case)
        entries = [_case_change(caller, EventTag.CASE_RECORD_CREATE, case, None)]
        assigned: list[str] = []
        for worker in held["workers"]:
            assigned.append(worker.id)
            entries.append(
                change_draft(
                    caller, Action.case_manage, EventTag.CASE_ASSIGNMENT_ADD,
                    subject=f"case:{case.id}", case=case.number, component=COMPONENT,
                    before={"assigned_user_ids": assigned[:-1]},
                    after={"assigned_user_ids": list(assigned)},
                    details={"user_id": worker.id, "username": worker.username},
                )
            )  # fmt: skip
        return _case_record(uow, case), entries

    return administer(gate, caller, ask=ask, act=act)


def update_case(
    *,
    gate: Gate,
    caller: Caller,
    number: str,
    title: str | None = None,
    statutory_authority: str | None = None,
    violation_codes: Sequence[str] | None = None,
    under_hsi_authority: bool | None = None,
    supervisor: str | None = None,
    supervisors: Sequence[str] | None = None,
) -> CaseRecord:
    """Change a case's title, authority, violation codes, HSI-authority statement or
    supervisors (`supervisors` replaces the list, lead first; `supervisor` hands the case to
    that one supervisor). A change of supervisors is decided on the list before and after:
    a supervisor may not give away a case, nor take one, on their own."""
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = _statement("title", title)
    if statutory_authority is not None:
        changes["statutory_authority"] = _statement("statutory_authority", statutory_authority)
    if violation_codes is not None:
        changes["violation_codes"] = _codes(violation_codes)
    if under_hsi_authority is not None:
        changes["under_hsi_authority"] = under_hsi_authority
    named = supervisor is not None or supervisors is not None
    boss_names = _supervisor_names(supervisor, supervisors) if named else None
    if not changes and boss_names is None:
        raise ValidationFailed("nothing to change: name at least one field")
    held: dict[str, Any] = {}

    def ask(uow: UnitOfWork) -> Ask:
        case = uow.cases.get_by_number(number, lock=True)
        supervises = case.is_supervised_by(caller.user_id)
        bosses = None
        if boss_names is not None:
            bosses = [_user(uow, name, "supervisors") for name in boss_names]
            supervises = supervises and caller.user_id in {u.id for u in bosses}
        held.update(case=case, bosses=bosses)
        fields = sorted([*changes, *(["supervisors"] if bosses else [])])
        return _case_ask(caller, case, ChangeOp.update, supervises=supervises, fields=fields)

    def act(uow: UnitOfWork) -> tuple[CaseRecord, list[EntryDraft]]:
        case: Case = held["case"]
        before = _copy_case(case)
        for name, value in changes.items():
            setattr(case, name, value)
        if held["bosses"] is not None:
            case.supervisor_ids = tuple(_supervisor(u, "supervisors").id for u in held["bosses"])
        case.__post_init__()  # the changed record must still be a valid case
        uow.cases.update(case, expected_status=before.status)
        return _case_record(uow, case), [
            _case_change(caller, EventTag.CASE_RECORD_UPDATE, case, before)
        ]

    return administer(gate, caller, ask=ask, act=act)


def add_supervisor(*, gate: Gate, caller: Caller, number: str, username: str) -> CaseRecord:
    """Add a supervisor to a case, after those it has (memo 4.E.4): from then on they decide
    its approvals too. One of its supervisors, or an administrator, adds them."""
    held: dict[str, Any] = {}

    def ask(uow: UnitOfWork) -> Ask:
        case = uow.cases.get_by_number(number, lock=True)
        user = _user(uow, username, "username")
        held.update(case=case, user=user)
        # The caller stays among the supervisors, so supervising the case now is enough.
        return _case_ask(caller, case, ChangeOp.update,
                         supervises=case.is_supervised_by(caller.user_id),
                         fields=["supervisors"], supervisor_added=user.id)  # fmt: skip

    def act(uow: UnitOfWork) -> tuple[CaseRecord, list[EntryDraft]]:
        case: Case = held["case"]
        user: User = _supervisor(held["user"], "username")
        if case.is_supervised_by(user.id):
            raise Conflict(f"{user.username} already supervises case {case.number}")
        before = _copy_case(case)
        case.add_supervisor(user.id)
        uow.cases.update(case, expected_status=case.status)
        return _case_record(uow, case), [
            _case_change(caller, EventTag.CASE_RECORD_UPDATE, case, before,
                         supervisor_added={"user_id": user.id, "username": user.username})
        ]  # fmt: skip

    return administer(gate, caller, ask=ask, act=act)


def remove_supervisor(*, gate: Gate, caller: Caller, number: str, username: str) -> CaseRecord:
    """Take a supervisor off a case; its last one stays (409: add another first). A supervisor
    of the case removes another, not themself (that would give the case away); an
    administrator removes any."""
    held: dict[str, Any] = {}

    def ask(uow: UnitOfWork) -> Ask:
        case = uow.cases.get_by_number(number, lock=True)
        user = _user(uow, username, "username")
        if not case.is_supervised_by(user.id):
            raise NotFound(f"{user.username} is not a supervisor of case {case.number}")
        held.update(case=case, user=user)
        supervises = case.is_supervised_by(caller.user_id) and caller.user_id != user.id
        return _case_ask(caller, case, ChangeOp.update, supervises=supervises,
                         fields=["supervisors"], supervisor_removed=user.id)  # fmt: skip

    def act(uow: UnitOfWork) -> tuple[CaseRecord, list[EntryDraft]]:
        case: Case = held["case"]
        user: User = held["user"]
        if case.supervisor_ids == (user.id,):
            # memo 4.E.4: someone answers for the case and decides its approvals.
            raise Conflict(
                f"{user.username} is the last supervisor of case {case.number}; "
                "add another supervisor first"
            )
        before = _copy_case(case)
        case.remove_supervisor(user.id)
        uow.cases.update(case, expected_status=case.status)
        return _case_record(uow, case), [
            _case_change(caller, EventTag.CASE_RECORD_UPDATE, case, before,
                         supervisor_removed={"user_id": user.id, "username": user.username})
        ]  # fmt: skip

    return administer(gate, caller, ask=ask, act=act)


def assign(*, gate: Gate, caller: Caller, number: str, username: str) -> CaseRecord:
    """Assign an agent or examiner to a case: from then on they may use an FRS for it
    (memo 4.A.1, pack rule `purpose.case_assignment`)."""
    held: dict[str, Any] = {}

    def ask(uow: UnitOfWork) -> Ask:
        case = uow.cases.get_by_number(number, lock=True)
        user = _user(uow, username, "username")
        held.update(case=case, user=user)
        return _case_ask(caller, case, ChangeOp.assign,
                         supervises=case.is_supervised_by(caller.user_id),
                         user_id=user.id)  # fmt: skip

    def act(uow: UnitOfWork) -> tuple[CaseRecord, list[EntryDraft]]:
        case: Case = held["case"]
        user: User = _worker(held["user"], "username")
        if case.is_assigned(user.id):
            raise Conflict(f"{user.username} is already assigned to case {case.number}")
        before = list(case.assigned_user_ids)
        case.assign(user.id)
        uow.cases.update(case, expected_status=case.status)
        entry = change_draft(
            caller, Action.case_manage, EventTag.CASE_ASSIGNMENT_ADD, subject=f"case:{case.id}",
            case=case.number, component=COMPONENT, before={"assigned_user_ids": before},
            after={"assigned_user_ids": list(case.assigned_user_ids)},
            details={"user_id": user.id, "username": user.username},
        )  # fmt: skip
        return _case_record(uow, case), [entry]

    return administer(gate, caller, ask=ask, act=act)


def unassign(*, gate: Gate, caller: Caller, number: str, username: str) -> CaseRecord:
    """Take a user off a case: their further use of an FRS for it is refused."""
    held: dict[str, Any] = {}

    def ask(uow: UnitOfWork) -> Ask:
        case = uow.cases.get_by_number(number, lock=True)
        user = _user(uow, username, "username")
        if not case.is_assigned(user.id):
            raise NotFound(f"{user.username} is not assigned to case {case.number}")
        held.update(case=case, user=user)
        return _case_ask(caller, case, ChangeOp.unassign,
                         supervises=case.is_supervised_by(caller.user_id),
                         user_id=user.id)  # fmt: skip

    def act(uow: UnitOfWork) -> tuple[CaseRecord, list[EntryDraft]]:
        case: Case = held["case"]
        user: User = held["user"]
        before = list(case.assigned_user_ids)
        case.unassign(user.id)
        uow.cases.update(case, expected_status=case.status)
        entry = change_draft(
            caller, Action.case_manage, EventTag.CASE_ASSIGNMENT_REMOVE,
            subject=f"case:{case.id}", case=case.number, component=COMPONENT,
            before={"assigned_user_ids": before},
            after={"assigned_user_ids": list(case.assigned_user_ids)},
            details={"user_id": user.id, "username": user.username},
        )  # fmt: skip
        return _case_record(uow, case), [entry]

    return administer(gate, caller, ask=ask, act=act)


def _status_change(
    gate: Gate, caller: Caller, number: str, reason: str, op: ChangeOp
) -> CaseRecord:
    reason = _statement("reason", reason)
    held: list[Case] = []

    def ask(uow: UnitOfWork) -> Ask:
        case = uow.cases.get_by_number(number, lock=True)
        held.append(case)
        return _case_ask(caller, case, op, supervises=case.is_supervised_by(caller.user_id))

    def act(uow: UnitOfWork) -> tuple[CaseRecord, list[EntryDraft]]:
        case = held[0]
        before = _copy_case(case)
        if op is ChangeOp.close:
            case.close(at=gate.now())  # an illegal transition is a 409 naming the state
        else:
            case.reopen()
        uow.cases.update(case, expected_status=before.status)
        return _case_record(uow, case), [
            _case_change(caller, EventTag.CASE_STATUS_CHANGE, case, before, reason=reason)
        ]

    return administer(gate, caller, ask=ask, act=act)


def close_case(*, gate: Gate, caller: Caller, number: str, reason: str) -> CaseRecord:
    """Close a case: no FRS use may serve it any more (memo 4.A.1: an *ongoing*
    investigation; pack rule `purpose.case_open`)."""
    return _status_change(gate, caller, number, reason, ChangeOp.close)


def reopen_case(*, gate: Gate, caller: Caller, number: str, reason: str) -> CaseRecord:
    return _status_change(gate, caller, number, reason, ChangeOp.reopen)


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


# --- FRS program codes (memo 4.E.3) -----------------------------------------------------


def _code_ask(code: str, op: ChangeOp, **details: Any) -> Ask:
    return admin_ask(
        Action.program_code_establish,
        resource_id=code,
        subject=f"program_code:{code}",
        change=ChangeFacts(op=op),
        program_code=code if code != "*" else None,
        details={"op": op.value, **details},
        component=COMPONENT,
    )


def _code_record(uow: UnitOfWork, gate: Gate, code: FrsProgramCode) -> ProgramCodeRecord:
    return ProgramCodeRecord(code, Names.read(uow, [code.established_by]),
                             code.is_valid(gate.now()))  # fmt: skip


def list_program_codes(*, gate: Gate, caller: Caller) -> list[ProgramCodeRecord]:
    held: list[FrsProgramCode] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.extend(uow.frs_program_codes.list_all())
        return _code_ask("*", ChangeOp.view)

    def act(uow: UnitOfWork) -> tuple[list[ProgramCodeRecord], list[EntryDraft]]:
        entry = draft(
            caller, EventTag.PROGRAM_RECORDS_VIEW, action=Action.program_code_establish,
            subject="program_code:*", component=COMPONENT,
            details={"program_codes": [c.code for c in held]},
        )  # fmt: skip
        return [_code_record(uow, gate, c) for c in held], [entry]

    return administer(gate, caller, ask=ask, act=act)


def show_program_code(*, gate: Gate, caller: Caller, code: str) -> ProgramCodeRecord:
    held: list[FrsProgramCode] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.append(uow.frs_program_codes.get_code(code))
        return _code_ask(code, ChangeOp.view)

    def act(uow: UnitOfWork) -> tuple[ProgramCodeRecord, list[EntryDraft]]:
        entry = draft(
            caller, EventTag.PROGRAM_RECORDS_VIEW, action=Action.program_code_establish,
            subject=f"program_code:{code}", component=COMPONENT, program_code=code,
            details={"program_codes": [code]},
        )  # fmt: skip
        return _code_record(uow, gate, held[0]), [entry]

    return administer(gate, caller, ask=ask, act=act)


def establish_program_code(
    *,
    gate: Gate,
    caller: Caller,
    code: str,
    description: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> ProgramCodeRecord:
    """OSDM establishes an FRS program code (memo 4.E.3), valid from `valid_from` (now when
    not given) until `valid_until` (open-ended when not given)."""
    check_record_code("frs_program_code", "code", code)
    description = _statement("description", description)
    start = _utc(valid_from, "valid_from") or gate.now()
    end = _utc(valid_until, "valid_until")
    if end is not None and end <= start:
        raise ValidationFailed("valid_until: must be after valid_from")

    def ask(uow: UnitOfWork) -> Ask:
        return _code_ask(code, ChangeOp.create)

    def act(uow: UnitOfWork) -> tuple[ProgramCodeRecord, list[EntryDraft]]:
        if uow.frs_program_codes.find_code(code) is not None:
            raise Conflict(f"FRS program code {code!r} already exists")
        entry = FrsProgramCode(
            code=code, description=description, established_by=caller.user_id,
            valid_from=start, valid_until=end, created_at=gate.now(),
        )  # fmt: skip
        uow.frs_program_codes.add(entry)
        change = change_draft(
            caller, Action.program_code_establish, EventTag.PROGRAM_CODE_ESTABLISH,
            subject=f"program_code:{code}", before=None, after=_code_fields(entry),
            program_code=code, component=COMPONENT,
        )  # fmt: skip
        return _code_record(uow, gate, entry), [change]

    return administer(gate, caller, ask=ask, act=act)


def update_program_code(
    *,
    gate: Gate,
    caller: Caller,
    code: str,
    valid_until: datetime | Keep | None = KEEP,
    description: str | None = None,
) -> ProgramCodeRecord:
    """Change a code's description or the end of its validity: OSDM closes a code early by
    setting `valid_until` (None reopens it without end). Submissions already made were
    judged on the day they were made; the change holds for what comes after."""
    end: datetime | Keep | None = KEEP
    if not isinstance(valid_until, Keep):
        end = _utc(valid_until, "valid_until")
    text = _statement("description", description) if description is not None else None
    if isinstance(end, Keep) and text is None:
        raise ValidationFailed("nothing to change: name valid_until or description")
    held: list[FrsProgramCode] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.append(uow.frs_program_codes.get_code(code, lock=True))
        return _code_ask(code, ChangeOp.update)

    def act(uow: UnitOfWork) -> tuple[ProgramCodeRecord, list[EntryDraft]]:
        entry = held[0]
        before = _code_fields(entry)
        if not isinstance(end, Keep):
            if end is not None and end <= entry.valid_from:
                raise ValidationFailed(
                    f"valid_until: must be after valid_from ({entry.valid_from.isoformat()})"
                )
            entry.end_validity(end)
        if text is not None:
            entry.description = text
        uow.frs_program_codes.update_code(entry)
        change = change_draft(
            caller, Action.program_code_establish, EventTag.PROGRAM_CODE_ESTABLISH,
            subject=f"program_code:{code}", before=before, after=_code_fields(entry),
            program_code=code, component=COMPONENT,
        )  # fmt: skip
        return _code_record(uow, gate, entry), [change]

    return administer(gate, caller, ask=ask, act=act)
