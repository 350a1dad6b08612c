"""Find the things a request names, by id or by their human reference, with clear errors, and
gather what the policy needs to know about them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from frsgate.domain import (
    Approval,
    ApprovalSubject,
    Case,
    Certification,
    Program,
    Provider,
    Submission,
    User,
)
from frsgate.errors import NotFound
from frsgate.policy.facts import Context
from frsgate.services import facts
from frsgate.store.unit import UnitOfWork


def case(uow: UnitOfWork, ref: str) -> Case:
    """The case with id or number `ref`; NotFound names what was asked for."""
    found = uow.cases.find(ref)
    if found is not None:
        return found
    try:
        return uow.cases.get_by_number(ref)
    except NotFound:
        raise NotFound(f"case {ref!r} does not exist (give a case id or case number)") from None


def program(uow: UnitOfWork, code: str | None) -> Program | None:
    """The program with `code`, or None when no code was given or none is on record (the
    policy then finds no established program: memo 4.A.1)."""
    if not code:
        return None
    try:
        return uow.programs.get_by_code(code)
    except NotFound:
        return None


def certification(uow: UnitOfWork, user_id: str, at: datetime) -> Certification | None:
    """The user's current certification, else their latest one (whose gaps the policy names,
    memo 4.A.3), else None."""
    current = uow.certifications.current_for(user_id, at)
    return current if current is not None else uow.certifications.latest_for(user_id)


def approvers(uow: UnitOfWork, approvals: Iterable[Approval]) -> dict[str, User]:
    """The users who decided `approvals`, by id (the policy checks their roles)."""
    ids = {a.approver_id for a in approvals if a.approver_id}
    return {uid: uow.users.get(uid) for uid in ids}


def use_context(uow: UnitOfWork, sub: Submission) -> tuple[Context, Case, Provider]:
    """The policy's view of a stored submission: its case, program, probe, provider, the use
    (with when it reached the FRS, memo 4.C.3) and every approval given to the probe or to it."""
    case_ = uow.cases.get(sub.case_id)
    provider = uow.providers.get(sub.provider_id)
    granted = uow.approvals.for_subject(ApprovalSubject.probe, sub.probe_id)
    granted += uow.approvals.for_subject(ApprovalSubject.submission, sub.id)
    context = Context(
        case=facts.case(case_),
        program=facts.program(program(uow, sub.program_code), sub.program_code),
        probe=facts.stored_probe(uow.probes.get(sub.probe_id)),
        provider=facts.provider(provider),
        submission=facts.submission(
            sub, prior_approval_impracticable=False, used_at=sub.dispatched_at
        ),
        approvals=facts.approvals(granted, approvers(uow, granted)),
    )
    return context, case_, provider
