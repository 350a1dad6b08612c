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

This module holds what `cases`, `programs` and `program_codes` share: the records they answer
with, the ledger's view of each record, and the checks of input they all make.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from frsgate.domain import (
    Case,
    FrsProgramCode,
    Program,
    Role,
    User,
)
from frsgate.errors import NotFound, ValidationFailed
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
