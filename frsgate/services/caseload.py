"""What an agent works on: the cases they are assigned to, one case's record for those who work
it, and the reference lists a probe-intake form offers.

The list of one's own cases and a case's record are reads of case records (`case_records.view`,
`case:records:view` on the ledger), decided on each case's purpose as the case's other logs are
(`services.sharing`): the pack shows them to those assigned to the case, its supervisors and
OPR, while the case is open (memo 4.A.1, 4.E.4). The list is decided once, on every open case
it shows (the strictest decision winning). A closed case the caller is still assigned to is
named by its number and status only: its record is not read, so nothing is decided for it, and
a list with no open case reads no case record at all.

The intake lists are not case records: the FRS providers with OSDM's verdict on each (memo
4.C.2: OSDM keeps the list of approved FRS for HSI personnel to consult) and the FRS program
codes OSDM established (memo 4.E.3: their use is mandatory, so whoever submits must be able to
name one). They name no person and no case and are read without a decision; what may be used
is decided when it is used (`services.submit`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from frsgate.domain import Case, CaseStatus, Provider, ReviewStatus
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, Resource, ResourceKind
from frsgate.services import lookup, purposes
from frsgate.services.casework import CaseRecord, Names
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.store.unit import UnitOfWork, read_only

COMPONENT = "services.caseload"


def _people(case: Case) -> list[str | None]:
    return [*case.supervisor_ids, case.opened_by, *case.assigned_user_ids]


@dataclass(frozen=True, slots=True)
class AssignedCase:
    """One case on the caller's list: its number and status, and (open) its record."""

    number: str
    status: CaseStatus
    record: CaseRecord | None = None  # None: closed, its record not read


def _log_ask(case: Case) -> Ask:
    """`case_records.view` of one case's record, judged on the case's purpose."""
    return Ask(
        action=Action.case_records_view,
        resource=Resource(kind=ResourceKind.case, id=case.id),
        contexts=[purposes.Purpose(case=case, program=None).context()],
        subject=f"case:{case.id}",
        component=COMPONENT,
        case=case.number,
        details={"cases": [case.number]},
    )


class _NoOpenCase(Exception):
    """None of the caller's cases is open: no case record is read, nothing is decided."""


def my_cases(*, gate: Gate, caller: Caller) -> list[AssignedCase]:
    """The cases the caller is assigned to, by number: open ones with their record (one
    decided and recorded read), closed ones by number and status (see the module docstring)."""
    held: list[list[Case]] = []

    def ask(uow: UnitOfWork) -> Ask:
        cases = uow.cases.assigned_to(caller.user_id)
        held.append(cases)
        open_cases = [c for c in cases if c.status is CaseStatus.open]
        if not open_cases:
            raise _NoOpenCase  # leaves the transaction before anything is recorded
        return Ask(
            action=Action.case_records_view,
            resource=Resource(
                kind=ResourceKind.case, id=f"assigned:user:{caller.user_id}",
                owner_id=caller.user_id,
            ),
            contexts=[purposes.Purpose(case=c, program=None).context() for c in open_cases],
            subject=f"cases:user:{caller.user_id}",
            component=COMPONENT,
            details={"cases": [c.number for c in open_cases]},
        )  # fmt: skip

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[list[AssignedCase], list[EntryDraft]]:
        cases = held[0]
        names = Names.read(uow, [u for c in cases for u in _people(c)])
        shown = [
            AssignedCase(c.number, c.status, CaseRecord(c, names))
            if c.status is CaseStatus.open
            else AssignedCase(c.number, c.status)
            for c in cases
        ]
        entry = ruling.act_entry(caller, EventTag.CASE_RECORDS_VIEW,
                                 details={"cases": list(ruling.ask.details["cases"])})  # fmt: skip
        return shown, [entry]

    try:
        return gate.enforce(caller, ask=ask, act=read).result
    except _NoOpenCase:
        return [AssignedCase(c.number, c.status) for c in held[0]]


def assigned_case(*, gate: Gate, caller: Caller, number: str) -> CaseRecord:
    """One case's record for someone who works it (decided and recorded)."""
    held: list[Case] = []

    def ask(uow: UnitOfWork) -> Ask:
        case = lookup.case(uow, number)
        held.append(case)
        return _log_ask(case)

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[CaseRecord, list[EntryDraft]]:
        case = held[0]
        entry = draft(
            caller, EventTag.CASE_RECORDS_VIEW, action=Action.case_records_view,
            subject=ruling.ask.subject, component=COMPONENT, case=case.number,
            details={"cases": [case.number]},
        )  # fmt: skip
        return CaseRecord(case, Names.read(uow, _people(case))), [entry]

    return gate.enforce(caller, ask=ask, act=read).result


@dataclass(frozen=True, slots=True)
class ProviderChoice:
    """An FRS as the intake form offers it: its name, OSDM's verdict and the uses its terms
    allow (memo 4.C.1-4.C.4)."""

    id: str
    name: str
    review_status: ReviewStatus
    match_types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IntakeChoices:
    providers: list[ProviderChoice] = field(default_factory=list)
    program_codes: list[str] = field(default_factory=list)  # valid now (memo 4.E.3)


def _choice(p: Provider) -> ProviderChoice:
    return ProviderChoice(p.id, p.name, p.review_status, tuple(sorted(p.terms.match_types)))


# OSDM-approved first (memo 4.C.1), then those usable only in exigency, then the refused ones.
_ORDER = {
    ReviewStatus.approved: 0, ReviewStatus.unreviewed: 1, ReviewStatus.pending: 2,
    ReviewStatus.suspended: 3, ReviewStatus.not_approved: 4,
}  # fmt: skip


def intake_choices(*, gate: Gate) -> IntakeChoices:
    """The providers (approved first) and the FRS program codes valid now (see the module
    docstring: reference lists, read without a decision)."""
    at = gate.now()
    with read_only(gate.engine) as uow:
        found = uow.providers.list_all()
        codes = [c.code for c in uow.frs_program_codes.list_all() if c.is_valid(at)]
    found.sort(key=lambda p: (_ORDER.get(p.review_status, 9), p.name))
    return IntakeChoices(providers=[_choice(p) for p in found], program_codes=sorted(codes))
