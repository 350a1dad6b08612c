"""Find the things a request names, by id or by their human reference, with clear errors."""

from __future__ import annotations

from frsgate.domain import Case, Program
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
