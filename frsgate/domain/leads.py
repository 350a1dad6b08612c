"""Leads, their corroboration, report-of-investigation entries and shares (memo 3, 4.D, 4.E.2).

A possible match is only an investigative lead (memo 4.D.3). It may become a basis for
enforcement only after it has been corroborated by investigative information independent of the
FRS; the transition table has no path from `open` to `enforcement_basis`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from frsgate.domain.errors import DomainError, InvalidEntity
from frsgate.domain.statemachine import StateMachine
from frsgate.domain.values import require_aware, require_text


class LeadStatus(StrEnum):
    open = "open"
    corroborated = "corroborated"
    enforcement_basis = "enforcement_basis"
    closed = "closed"


class LeadAct(StrEnum):
    corroborate = "corroborate"
    rely_for_enforcement = "rely_for_enforcement"
    close = "close"


LEAD_MACHINE: StateMachine[LeadStatus, LeadAct] = StateMachine(
    "lead",
    LeadStatus,
    LeadAct,
    {
        (LeadStatus.open, LeadAct.corroborate): LeadStatus.corroborated,
        # memo 4.D.3: enforcement never rests on FRS data alone, so only from corroborated.
        (LeadStatus.corroborated, LeadAct.rely_for_enforcement): LeadStatus.enforcement_basis,
        (LeadStatus.open, LeadAct.close): LeadStatus.closed,
        (LeadStatus.corroborated, LeadAct.close): LeadStatus.closed,
        (LeadStatus.enforcement_basis, LeadAct.close): LeadStatus.closed,
    },
)


@dataclass(slots=True, kw_only=True)
class Corroboration:
    """Investigative information that supplements the FRS result (memo 4.D.3)."""

    id: str
    lead_id: str
    recorded_by: str
    source: str  # e.g. "DMV record", "witness interview", "travel records"
    description: str
    independent_of_frs: bool  # obtained by traditional means, not from any FRS
    created_at: datetime

    def __post_init__(self) -> None:
        require_text("corroboration", "source", self.source)
        require_text("corroboration", "description", self.description)
        require_aware("corroboration", "created_at", self.created_at)


@dataclass(slots=True, kw_only=True)
class Lead:
    """An investigative lead opened from a possible-match disposition."""

    id: str
    case_id: str
    candidate_id: str
    disposition_id: str
    opened_by: str
    summary: str
    status: LeadStatus = LeadStatus.open
    created_at: datetime
    corroborated_at: datetime | None = None
    enforcement_basis_at: datetime | None = None
    enforcement_note: str | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None

    def __post_init__(self) -> None:
        require_text("lead", "summary", self.summary)
        for name in ("created_at", "corroborated_at", "enforcement_basis_at", "closed_at"):
            require_aware("lead", name, getattr(self, name))

    def corroborate(self, corroborations: Iterable[Corroboration], *, at: datetime) -> None:
        """Mark corroborated; needs at least one independent corroboration of this lead."""
        require_aware("lead", "corroborated_at", at)
        independent = [c for c in corroborations if c.lead_id == self.id and c.independent_of_frs]
        if LEAD_MACHINE.can(self.status, LeadAct.corroborate) and not independent:
            raise DomainError(
                f"lead {self.id} has no corroboration independent of the FRS; record "
                "information obtained by traditional means first (memo 4.D.3)"
            )
        self.status = LEAD_MACHINE.apply(self.status, LeadAct.corroborate)
        self.corroborated_at = at

    def rely_for_enforcement(self, *, at: datetime, note: str) -> None:
        require_aware("lead", "enforcement_basis_at", at)
        require_text("lead", "enforcement_note", note)
        self.status = LEAD_MACHINE.apply(self.status, LeadAct.rely_for_enforcement)
        self.enforcement_basis_at, self.enforcement_note = at, note

    def close(self, *, at: datetime, reason: str) -> None:
        require_aware("lead", "closed_at", at)
        require_text("lead", "close_reason", reason)
        self.status = LEAD_MACHINE.apply(self.status, LeadAct.close)
        self.closed_at, self.close_reason = at, reason


class RoiStatus(StrEnum):
    draft = "draft"
    filed = "filed"  # in the case file; never edited again


class RoiAct(StrEnum):
    file = "file"


ROI_MACHINE: StateMachine[RoiStatus, RoiAct] = StateMachine(
    "report-of-investigation entry",
    RoiStatus,
    RoiAct,
    {(RoiStatus.draft, RoiAct.file): RoiStatus.filed},
)


@dataclass(slots=True, kw_only=True)
class RoiEntry:
    """The note of an FRS result in the case's report of investigation (memo 4.E.2)."""

    id: str
    case_id: str
    submission_id: str
    candidate_list_id: str | None = None
    lead_id: str | None = None
    author_id: str
    body: str
    status: RoiStatus = RoiStatus.draft
    created_at: datetime
    filed_at: datetime | None = None

    def __post_init__(self) -> None:
        require_text("roi_entry", "body", self.body)
        require_aware("roi_entry", "created_at", self.created_at)
        require_aware("roi_entry", "filed_at", self.filed_at)

    def revise(self, body: str) -> None:
        if self.status is not RoiStatus.draft:
            raise InvalidEntity("roi_entry", "body", "cannot change once filed")
        require_text("roi_entry", "body", body)
        self.body = body

    def file(self, *, at: datetime) -> None:
        require_aware("roi_entry", "filed_at", at)
        self.status = ROI_MACHINE.apply(self.status, RoiAct.file)
        self.filed_at = at


class ShareAuthorityKind(StrEnum):
    """memo 3: share only as authorized by statute, regulation or an agreement."""

    statute = "statute"
    regulation = "regulation"
    agreement = "agreement"


@dataclass(slots=True, kw_only=True)
class Share:
    """Information from an FRS given to another party, with the authority for it (memo 3)."""

    id: str
    case_id: str
    lead_id: str | None = None
    submission_id: str | None = None
    shared_by: str
    recipient: str
    authority_kind: ShareAuthorityKind
    authority: str  # the citation: statute section, regulation, agreement id
    description: str  # what was shared
    created_at: datetime

    def __post_init__(self) -> None:
        require_text("share", "recipient", self.recipient)
        require_text("share", "authority", self.authority)
        require_text("share", "description", self.description)
        require_aware("share", "created_at", self.created_at)
        if self.lead_id is None and self.submission_id is None:
            raise InvalidEntity("share", "lead_id", "or submission_id must say what was shared")
