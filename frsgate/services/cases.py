"""Cases (memo 4.A.1, 4.E.4): opened, staffed, supervised and closed through the decision point
(`case.manage`; see `frsgate.services.casework`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from frsgate.domain import (
    Case,
    CaseStatus,
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
    CaseRecord,
    Names,
    _case_fields,
    _codes,
    _statement,
    _supervisor,
    _user,
    _worker,
)
from frsgate.services.gate import Ask, Caller, Gate, draft
from frsgate.store.unit import UnitOfWork

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
