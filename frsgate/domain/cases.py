"""Cases and programs/task forces: the two authorized purposes for FRS use (memo 4.A.1).

Use must be relevant and necessary to an ongoing investigation relating to HSI's statutory
authorities (a `Case`), or part of an established program or task force whose use of facial
recognition has been assessed for privacy, civil-rights and civil-liberties impacts (a
`Program` with an approved assessment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from frsgate.domain.errors import InvalidEntity
from frsgate.domain.statemachine import StateMachine
from frsgate.domain.values import require_aware, require_text

# A case number or a program code: upper-case letters and digits in groups joined by single
# hyphens ("HSI-2026-000123", "CEU-VID"), at most 64 characters (the stored width). It appears
# in URLs, ledger entries and reports, so it carries no spaces, slashes or lower-case twins.
RECORD_CODE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
RECORD_CODE_MAX = 64


def check_record_code(entity: str, field: str, value: str) -> str:
    """`value` if it is a well-formed case number or code (see `RECORD_CODE`)."""
    if not 3 <= len(value) <= RECORD_CODE_MAX or RECORD_CODE.fullmatch(value) is None:
        raise InvalidEntity(
            entity,
            field,
            f"{value!r} is not a valid {field}: use 3 to {RECORD_CODE_MAX} upper-case letters "
            "and digits in groups joined by single hyphens, e.g. HSI-2026-000123",
        )
    return value


class CaseStatus(StrEnum):
    open = "open"
    closed = "closed"


class CaseAct(StrEnum):
    close = "close"
    reopen = "reopen"


CASE_MACHINE: StateMachine[CaseStatus, CaseAct] = StateMachine(
    "case",
    CaseStatus,
    CaseAct,
    {
        (CaseStatus.open, CaseAct.close): CaseStatus.closed,
        (CaseStatus.closed, CaseAct.reopen): CaseStatus.open,
    },
)


@dataclass(slots=True, kw_only=True)
class Case:
    """An investigation; every submission is tied to one (memo 4.E.1: case and violation)."""

    id: str
    number: str  # unique, e.g. "HSI-2026-000123"
    title: str
    statutory_authority: str  # memo 3: use relates to HSI's statutory authorities
    violation_codes: tuple[str, ...] = ()
    # memo 1 and 3: the investigation is HSI's, under its statutory authorities (a partner
    # agency's own investigation is out of scope). Recorded when the case is opened, never
    # assumed.
    under_hsi_authority: bool
    status: CaseStatus = CaseStatus.open
    # memo 4.E.4: the front-line supervisors who answer for the case, in order; the first is
    # the lead supervisor, to whom its approvals go by default. Any of them decides them.
    supervisor_ids: tuple[str, ...] = ()
    assigned_user_ids: tuple[str, ...] = ()
    opened_by: str
    created_at: datetime
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        require_text("case", "number", self.number)
        require_text("case", "title", self.title)
        require_text("case", "statutory_authority", self.statutory_authority)
        for code in self.violation_codes:
            require_text("case", "violation_codes", code)
        require_aware("case", "created_at", self.created_at)
        require_aware("case", "closed_at", self.closed_at)
        if len(set(self.assigned_user_ids)) != len(self.assigned_user_ids):
            raise InvalidEntity("case", "assigned_user_ids", "lists a user twice")
        if len(set(self.supervisor_ids)) != len(self.supervisor_ids):
            raise InvalidEntity("case", "supervisor_ids", "lists a user twice")

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.open

    @property
    def lead_supervisor_id(self) -> str | None:
        """The first supervisor: the one a request goes to by default."""
        return self.supervisor_ids[0] if self.supervisor_ids else None

    def is_supervised_by(self, user_id: str) -> bool:
        return user_id in self.supervisor_ids

    def add_supervisor(self, user_id: str) -> None:
        if user_id not in self.supervisor_ids:
            self.supervisor_ids = (*self.supervisor_ids, user_id)

    def remove_supervisor(self, user_id: str) -> None:
        """Take a supervisor off the case; the case keeps at least one (memo 4.E.4: someone
        answers for its use and decides its approvals)."""
        remaining = tuple(u for u in self.supervisor_ids if u != user_id)
        if not remaining:
            raise InvalidEntity("case", "supervisor_ids", "must keep at least one supervisor")
        self.supervisor_ids = remaining

    def is_assigned(self, user_id: str) -> bool:
        return user_id in self.assigned_user_ids

    def assign(self, user_id: str) -> None:
        if user_id not in self.assigned_user_ids:
            self.assigned_user_ids = (*self.assigned_user_ids, user_id)

    def unassign(self, user_id: str) -> None:
        self.assigned_user_ids = tuple(u for u in self.assigned_user_ids if u != user_id)

    def close(self, *, at: datetime) -> None:
        require_aware("case", "closed_at", at)
        self.status = CASE_MACHINE.apply(self.status, CaseAct.close)
        self.closed_at = at

    def reopen(self) -> None:
        self.status = CASE_MACHINE.apply(self.status, CaseAct.reopen)
        self.closed_at = None


class ProgramKind(StrEnum):
    program = "program"
    task_force = "task_force"


class ProgramStatus(StrEnum):
    pending_assessment = "pending_assessment"  # not usable: no approved PCR/PIA yet
    assessed = "assessed"  # IGP approved the assessment: usable (memo 4.A.1)
    retired = "retired"


class ProgramAct(StrEnum):
    approve_assessment = "approve_assessment"
    revise_assessment = "revise_assessment"
    retire = "retire"


PROGRAM_MACHINE: StateMachine[ProgramStatus, ProgramAct] = StateMachine(
    "program",
    ProgramStatus,
    ProgramAct,
    {
        (ProgramStatus.pending_assessment, ProgramAct.approve_assessment): ProgramStatus.assessed,
        (ProgramStatus.pending_assessment, ProgramAct.revise_assessment): (
            ProgramStatus.pending_assessment
        ),
        # A revised assessment must be approved again before the program may use an FRS.
        (ProgramStatus.assessed, ProgramAct.revise_assessment): ProgramStatus.pending_assessment,
        (ProgramStatus.pending_assessment, ProgramAct.retire): ProgramStatus.retired,
        (ProgramStatus.assessed, ProgramAct.retire): ProgramStatus.retired,
    },
)


@dataclass(slots=True, kw_only=True)
class Program:
    """An established program or task force (memo 4.A.1, second authorized purpose)."""

    id: str
    code: str  # unique short code, e.g. "CEU-VID"
    name: str
    kind: ProgramKind = ProgramKind.program
    assessment_ref: str  # the privacy / civil-rights assessment (PCR, PIA) reference
    status: ProgramStatus = ProgramStatus.pending_assessment
    assessment_approved_by: str | None = None  # an igp user
    assessment_approved_at: datetime | None = None
    # The assessment covers FRS use by the program's members without a case of their own
    # (memo 4.A.1, second branch); without it the program is a purpose only beside a case.
    use_without_case: bool = False
    supervisor_id: str | None = None  # decides the approvals of the program's own uses
    member_ids: tuple[str, ...] = ()  # the users who work in the program or task force
    registered_by: str | None = None  # who registered it (never the approver of its assessment)
    created_at: datetime

    def __post_init__(self) -> None:
        require_text("program", "code", self.code)
        require_text("program", "name", self.name)
        require_text("program", "assessment_ref", self.assessment_ref)
        require_aware("program", "created_at", self.created_at)
        require_aware("program", "assessment_approved_at", self.assessment_approved_at)
        if self.status is ProgramStatus.assessed and self.assessment_approved_by is None:
            raise InvalidEntity("program", "assessment_approved_by", "is required once assessed")
        if len(set(self.member_ids)) != len(self.member_ids):
            raise InvalidEntity("program", "member_ids", "lists a user twice")

    @property
    def is_usable(self) -> bool:
        """Only an assessed program is an authorized purpose (memo 4.A.1)."""
        return self.status is ProgramStatus.assessed

    def approve_assessment(self, *, by: str, at: datetime) -> None:
        require_aware("program", "assessment_approved_at", at)
        self.status = PROGRAM_MACHINE.apply(self.status, ProgramAct.approve_assessment)
        self.assessment_approved_by = by
        self.assessment_approved_at = at

    def revise_assessment(self, *, assessment_ref: str) -> None:
        require_text("program", "assessment_ref", assessment_ref)
        self.status = PROGRAM_MACHINE.apply(self.status, ProgramAct.revise_assessment)
        self.assessment_ref = assessment_ref
        self.assessment_approved_by = None
        self.assessment_approved_at = None

    def retire(self) -> None:
        self.status = PROGRAM_MACHINE.apply(self.status, ProgramAct.retire)

    def add_member(self, user_id: str) -> None:
        if user_id not in self.member_ids:
            self.member_ids = (*self.member_ids, user_id)

    def remove_member(self, user_id: str) -> None:
        self.member_ids = tuple(u for u in self.member_ids if u != user_id)


@dataclass(slots=True, kw_only=True)
class FrsProgramCode:
    """An FRS program code OSDM established (memo 4.E.3: its use is mandatory). A submission
    must name one that is valid on the day it is made."""

    code: str
    description: str
    established_by: str  # the OSDM user (or "system" for a seeded code)
    valid_from: datetime
    valid_until: datetime | None = None
    created_at: datetime

    def __post_init__(self) -> None:
        require_text("frs_program_code", "code", self.code)
        require_text("frs_program_code", "description", self.description)
        require_text("frs_program_code", "established_by", self.established_by)
        for name in ("valid_from", "valid_until", "created_at"):
            require_aware("frs_program_code", name, getattr(self, name))
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise InvalidEntity("frs_program_code", "valid_until", "must be after valid_from")

    def end_validity(self, until: datetime | None) -> None:
        """Set (or, with None, lift) the end of the code's validity: OSDM closing it early."""
        require_aware("frs_program_code", "valid_until", until)
        if until is not None and until <= self.valid_from:
            raise InvalidEntity("frs_program_code", "valid_until", "must be after valid_from")
        self.valid_until = until

    def is_valid(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)
