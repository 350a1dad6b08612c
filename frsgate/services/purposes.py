"""What a use of an FRS serves (memo 4.A.1): an ongoing HSI case, or an established program or
task force whose privacy and civil-rights assessment covers FRS use without a case.

Every act on a probe, a submission or their results is judged against its purpose: who works
on it, who supervises it (and so decides its approvals), whether it is open or assessed. A case
takes precedence when a probe names both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from frsgate.domain import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    Case,
    Probe,
    Program,
    Provider,
    Submission,
    User,
)
from frsgate.errors import NotFound
from frsgate.policy import facts as pf
from frsgate.services import facts, lookup
from frsgate.store.unit import UnitOfWork


@dataclass(frozen=True, slots=True)
class Purpose:
    case: Case | None
    program: Program | None
    program_code: str | None = None  # as stated, even when no program has it

    @property
    def ref(self) -> str:
        """How entries and answers name it: the case number, or ``program:CODE``."""
        if self.case is not None:
            return self.case.number
        return f"program:{self.program_code or '?'}"

    @property
    def case_number(self) -> str | None:
        """The ledger's `case` field: the case number, or None for a program's own use."""
        return self.case.number if self.case is not None else None

    @property
    def supervisor_ids(self) -> tuple[str, ...]:
        """Who supervises it, the lead first: the case's supervisors, or the program's one."""
        if self.case is not None:
            return self.case.supervisor_ids
        if self.program is not None and self.program.supervisor_id is not None:
            return (self.program.supervisor_id,)
        return ()

    @property
    def supervisor_id(self) -> str | None:
        """The lead supervisor: the one a request goes to by default."""
        ids = self.supervisor_ids
        return ids[0] if ids else None

    def supervises(self, user_id: str) -> bool:
        return user_id in self.supervisor_ids

    def deciders_for(self, requester: User) -> tuple[str, ...]:
        """Who decides a request made by `requester` for this purpose, the one it is sent to
        first: its supervisors (memo 4.E.4); for a request one of them makes, the others and
        the requester's own front-line supervisor. Nobody decides their own, and the chain of
        command goes up, never sideways to another case's supervisor."""
        ids = self.supervisor_ids
        if requester.id not in ids:
            return ids
        others = tuple(u for u in ids if u != requester.id)
        boss = requester.supervisor_id
        return (*others, boss) if boss is not None and boss not in others else others

    def approver_for(self, requester: User) -> str | None:
        """Who `requester`'s request is sent to (`Approval.assigned_to`): the lead supervisor,
        or for a supervisor's own request the next who may decide it (see `deciders_for`)."""
        deciders = self.deciders_for(requester)
        return deciders[0] if deciders else None

    def decides_for(self, decider_id: str, requester: User) -> bool:
        """Whether `decider_id` is one of those who decide `requester`'s requests here."""
        return decider_id in self.deciders_for(requester)

    def context(self, **more: Any) -> pf.Context:
        """A policy context with this purpose's `case` and `program` facts, and `more`."""
        return pf.Context(
            case=facts.case(self.case) if self.case is not None else None,
            program=facts.program(self.program, self.program_code),
            **more,
        )

    @property
    def program_id(self) -> str | None:
        """The program an approval of a use without a case belongs to."""
        return self.program.id if self.case is None and self.program is not None else None


def of(
    uow: UnitOfWork, *, case_id: str | None, program_code: str | None, lock: bool = False
) -> Purpose:
    """The purpose named by a case id and/or a program code (`lock` holds the case's or the
    program's row: concurrent uses of one purpose queue there)."""
    case = uow.cases.get(case_id, lock=lock) if case_id else None
    program = None
    # A case takes precedence (memo 4.A.1): the program is read only for a use without one.
    if program_code and case is None:
        try:
            program = uow.programs.get_by_code(program_code, lock=lock and case is None)
        except NotFound:
            program = None
    return Purpose(case=case, program=program, program_code=program_code or None)


def of_probe(uow: UnitOfWork, probe: Probe, *, lock: bool = False) -> Purpose:
    return of(uow, case_id=probe.case_id, program_code=probe.program_code, lock=lock)


def of_submission(uow: UnitOfWork, sub: Submission) -> Purpose:
    """A submission serves its case, or (without one) the program of its first probe."""
    probe = uow.probes.get(sub.probe_id)
    return of(uow, case_id=sub.case_id, program_code=probe.program_code)


def of_approval(uow: UnitOfWork, approval: Approval) -> Purpose | None:
    if approval.case_id:
        return Purpose(case=uow.cases.get(approval.case_id), program=None)
    if approval.program_id:
        program = uow.programs.get(approval.program_id)
        return Purpose(case=None, program=program, program_code=program.code)
    return None


def stated(uow: UnitOfWork, *, case_ref: str | None, program_code: str | None) -> Purpose:
    """The purpose an intake request names: a case by id or number, and/or a program code.
    A case that does not exist is NotFound; an unknown program code is a program that is
    neither established nor assessed, which the policy refuses (memo 4.A.1)."""
    case = lookup.case(uow, case_ref) if case_ref else None
    program = lookup.program(uow, program_code)
    if case is not None and program_code and program is None:
        raise NotFound(
            f"program {program_code!r} is not a registered program or task force "
            "(memo 4.A.1); leave program_code empty to work under the case alone"
        )
    return Purpose(case=case, program=program, program_code=program_code or None)


def use_contexts(
    uow: UnitOfWork, sub: Submission, at: datetime
) -> tuple[list[pf.Context], Purpose, Provider]:
    """The policy's view of a stored submission, one context per probe: its purpose, probe,
    provider, the use as it happened (OSDM's review status at the time of use, when it reached
    the FRS, whether a supervisor refused it afterwards, memo 4.C.3) and every approval given
    to the probe or to the submission. Returns the purpose and the provider read for it too."""
    purpose = of_submission(uow, sub)
    provider = uow.providers.get(sub.provider_id)
    own = uow.approvals.for_subject(ApprovalSubject.submission, sub.id)
    denied = any(
        a.kind is ApprovalKind.exigent_provider and a.status is ApprovalStatus.denied for a in own
    )
    facts_of_use = facts.submission(
        sub,
        program_code_established=facts.program_code_established(
            uow, sub.program_code, sub.created_at
        ),
        prior_approval_impracticable=bool(sub.impracticable_reason),
        exigent_approval_denied=denied,
    )
    contexts = []
    for probe_id in sub.probe_ids:
        granted = facts.probe_approvals(uow, probe_id) + own
        contexts.append(
            purpose.context(
                probe=facts.stored_probe(uow.probes.get(probe_id)),
                provider=facts.provider(provider),
                submission=facts_of_use,
                approvals=facts.approvals(granted, facts.approvers(uow, granted)),
                now=at,
            )
        )
    return contexts, purpose, provider
