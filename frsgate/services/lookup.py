"""Find the things a request names, by id or by their human reference, with clear errors."""

from __future__ import annotations

from datetime import datetime

from frsgate.domain import Case, Certification, Program, Provider
from frsgate.errors import NotFound
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


def provider(uow: UnitOfWork, ref: str) -> Provider:
    """The provider with id or name `ref` (ids carry the `provider_` prefix)."""
    if ref.startswith("provider_"):
        found = uow.providers.find(ref)
        if found is not None:
            return found
    return uow.providers.get_by_name(ref)
