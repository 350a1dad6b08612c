"""Leads, their corroboration, report-of-investigation entries and shares (memo 3, 4.D, 4.E.2).

A possible match is only an investigative lead (memo 4.D.3). It may become a basis for
enforcement only after it has been corroborated by investigative information independent of the
FRS; the transition table has no path from `investigative_lead` to `enforcement_basis`.
A search a partner agency ran for a case is recorded as a `PartnerSearch` (memo 4.E.1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from frsgate.domain.errors import DomainError, InvalidEntity
from frsgate.domain.statemachine import StateMachine
from frsgate.domain.values import require_aware, require_sha256, require_text


class LeadStatus(StrEnum):
    investigative_lead = "investigative_lead"  # memo 4.D.3: all a possible match is
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
        (LeadStatus.investigative_lead, LeadAct.corroborate): LeadStatus.corroborated,
        # memo 4.D.3: enforcement never rests on FRS data alone, so only from corroborated.
        (LeadStatus.corroborated, LeadAct.rely_for_enforcement): LeadStatus.enforcement_basis,
        (LeadStatus.investigative_lead, LeadAct.close): LeadStatus.closed,
        (LeadStatus.corroborated, LeadAct.close): LeadStatus.closed,
        (LeadStatus.enforcement_basis, LeadAct.close): LeadStatus.closed,
    },
)


class CorroborationKind(StrEnum):
    """Where corroborating information comes from (memo 4.D.3)."""

    records_check = "records_check"
    witness_statement = "witness_statement"
    physical_evidence = "physical_evidence"
    other_biometric = "other_biometric"  # fingerprints, DNA: not the face the FRS compared
    documentary_evidence = "documentary_evidence"
    digital_evidence = "digital_evidence"
    investigative_observation = "investigative_observation"
    other = "other"
    # Not independent of the FRS: the FRS result itself, or what an FRS candidate shaped.
    frs_result = "frs_result"
    photo_lineup_from_frs = "photo_lineup_from_frs"
    show_up_from_frs = "show_up_from_frs"
    facial_examination = "facial_examination"  # an examiner's comparison of the same faces


# memo 4.D.3: FRS data is supplemented with *other* investigative information before enforcement.
# These kinds repeat the FRS result (or a comparison of the same two faces) and corroborate
# nothing; the policy pack refuses them (rule corroboration.independent_source). Listed here
# for the documentation and the tests.
NOT_INDEPENDENT: frozenset[CorroborationKind] = frozenset(
    {
        CorroborationKind.frs_result,
        CorroborationKind.photo_lineup_from_frs,
        CorroborationKind.show_up_from_frs,
        CorroborationKind.facial_examination,
    }
)


@dataclass(slots=True, kw_only=True)
class Corroboration:
    """Investigative information that supplements the FRS result (memo 4.D.3)."""

    id: str
    lead_id: str
    recorded_by: str
    kind: CorroborationKind
    source: str  # where it came from, e.g. "State DMV record", "travel records"
    description: str
    obtained_by: str  # who obtained the information (a name, an office)
    obtained_on: date | None = None
    created_at: datetime

    def __post_init__(self) -> None:
        require_text("corroboration", "source", self.source)
        require_text("corroboration", "description", self.description)
        require_text("corroboration", "obtained_by", self.obtained_by)
        require_aware("corroboration", "created_at", self.created_at)

    @property
    def independent_of_frs(self) -> bool:
        """Obtained by traditional means, not from any FRS (memo 4.D.3)."""
        return self.kind not in NOT_INDEPENDENT


@dataclass(slots=True, kw_only=True)
class Lead:
    """An investigative lead opened from a possible-match disposition."""

    id: str
    case_id: str
    submission_id: str  # the FRS use whose candidate the lead comes from
    candidate_id: str
    disposition_id: str
    opened_by: str
    summary: str
    status: LeadStatus = LeadStatus.investigative_lead
    created_at: datetime
    corroborated_at: datetime | None = None
    enforcement_basis_at: datetime | None = None
    enforcement_marked_by: str | None = None
    enforcement_note: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
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

    def rely_for_enforcement(self, *, by: str, at: datetime, note: str) -> None:
        require_text("lead", "enforcement_marked_by", by)
        require_aware("lead", "enforcement_basis_at", at)
        require_text("lead", "enforcement_note", note)
        self.status = LEAD_MACHINE.apply(self.status, LeadAct.rely_for_enforcement)
        self.enforcement_basis_at, self.enforcement_marked_by = at, by
        self.enforcement_note = note

    def close(self, *, by: str, at: datetime, reason: str) -> None:
        require_text("lead", "closed_by", by)
        require_aware("lead", "closed_at", at)
        require_text("lead", "close_reason", reason)
        self.status = LEAD_MACHINE.apply(self.status, LeadAct.close)
        self.closed_at, self.closed_by, self.close_reason = at, by, reason


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
    filed_by: str | None = None
    case_system_ref: str | None = None  # the entry's reference in the case management system
    body_sha256: str | None = None  # of `body` as filed, so the ledger binds the exact text

    def __post_init__(self) -> None:
        require_text("roi_entry", "body", self.body)
        require_aware("roi_entry", "created_at", self.created_at)
        require_aware("roi_entry", "filed_at", self.filed_at)
        require_text("roi_entry", "case_system_ref", self.case_system_ref, optional=True)
        require_sha256("roi_entry", "body_sha256", self.body_sha256, optional=True)
        if self.body_sha256 is not None and self.body_sha256 != _sha256(self.body):
            raise InvalidEntity("roi_entry", "body_sha256", "is not the SHA-256 of body")

    def revise(self, body: str) -> None:
        if self.status is not RoiStatus.draft:
            raise InvalidEntity("roi_entry", "body", "cannot change once filed")
        require_text("roi_entry", "body", body)
        self.body = body

    def file(self, *, by: str, at: datetime, case_system_ref: str | None = None) -> None:
        """Enter the body in the case file (memo 4.E.2); its SHA-256 is kept with it."""
        require_text("roi_entry", "filed_by", by)
        require_aware("roi_entry", "filed_at", at)
        require_text("roi_entry", "case_system_ref", case_system_ref, optional=True)
        self.status = ROI_MACHINE.apply(self.status, RoiAct.file)
        self.filed_at, self.filed_by, self.case_system_ref = at, by, case_system_ref
        self.body_sha256 = _sha256(self.body)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


class PartnerResult(StrEnum):
    """What a partner agency's FRS search found, as the partner reported it."""

    negative = "negative"
    candidates = "candidates"
    unknown = "unknown"  # the partner did not say


@dataclass(slots=True, kw_only=True)
class PartnerSearch:
    """An FRS search a partner agency ran for one of our cases (memo 4.E.1): logged like ours,
    with the FRS the partner used, who recorded it and the case it served."""

    id: str
    case_id: str
    recorded_by: str
    partner_agency: str
    partner_system: str  # the FRS the partner searched
    searched_on: date
    match_type: str | None = None
    result: PartnerResult
    candidate_count: int | None = None
    summary: str
    probe_sha256: str | None = None  # of the probe we gave the partner, when we gave one
    created_at: datetime

    def __post_init__(self) -> None:
        require_text("partner_search", "partner_agency", self.partner_agency)
        require_text("partner_search", "partner_system", self.partner_system)
        require_text("partner_search", "match_type", self.match_type, optional=True)
        require_text("partner_search", "summary", self.summary)
        if self.candidate_count is not None and self.candidate_count < 0:
            raise InvalidEntity("partner_search", "candidate_count", "must be 0 or more")
        if self.result is PartnerResult.negative and self.candidate_count:
            raise InvalidEntity(
                "partner_search", "candidate_count", "must be 0 or absent for a negative result"
            )
        if self.result is PartnerResult.candidates and self.candidate_count == 0:
            raise InvalidEntity(
                "partner_search", "candidate_count", "must be at least 1 when candidates came back"
            )
        require_sha256("partner_search", "probe_sha256", self.probe_sha256, optional=True)
        require_aware("partner_search", "created_at", self.created_at)
