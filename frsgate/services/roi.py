"""The report-of-investigation (ROI) entry of one FRS use: reading it and filing it (memo 4.E.2).

Memo 4.E.2: "All results of an FRS used in a case will be noted in a report of investigation
in the relevant case file." `roi_of` gathers, from the stored records and inside the read's
transaction, everything the entry must say (`frsgate.reports.roi.RoiReport`): the FRS, when it
was searched, the case and its authority, match type and program code, the whole result with
every candidate's score, review flags, current disposition and examinations, the leads opened
from it and their corroboration, what was shared, and the lead-only notice (memo 4.D.2). The
read is decided as `candidates.view` (the entry shows the candidate list) and recorded as
`roi:entry:view`.

`file_roi` records that the agent entered the text in the case file: `roi.file`, decided with
the use as it happened (an exigent use held or refused holds its entry too, memo 4.C.3). The
filing keeps the text rendered at that moment and its SHA-256, and the ledger entry binds the
digest (`details.record`), so the text in the case file can be checked against it later.

A use that served a program without a case has no case file to note it in: both refuse it
with 409, as they do a use whose results have not arrived.

`unfiled` lists the overdue entries of a supervisor's cases (memo 4.E.2, 4.E.4): results that
arrived more than the pack's `roi_filing_deadline_days` ago and have no filed entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from frsgate.domain import (
    Candidate,
    CandidateList,
    Case,
    Corroboration,
    Disposition,
    Examination,
    Lead,
    Provider,
    RoiEntry,
    Share,
    Submission,
)
from frsgate.domain.results import FlagThresholds, review_flags
from frsgate.domain.values import new_id
from frsgate.errors import Conflict, NotFound, ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, Resource, ResourceKind
from frsgate.reports.roi import (
    RoiCandidate,
    RoiCorroboration,
    RoiDisposition,
    RoiExamination,
    RoiFlag,
    RoiFrs,
    RoiLead,
    RoiReport,
    RoiShare,
    render_text,
)
from frsgate.services import purposes
from frsgate.services.binding import bound
from frsgate.services.casework import Names
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.services.reads import hold_for_use_approval
from frsgate.store.repositories.leads import UnfiledResult
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.roi"
DEADLINE_PARAMETER = "roi_filing_deadline_days"
DEFAULT_DEADLINE_DAYS = 30
CASE_SYSTEM_REF_MAX_LENGTH = 128  # roi_entries.case_system_ref


@dataclass(frozen=True, slots=True)
class RoiView:
    """The entry of one use as it stands, and the filings of it so far (oldest first)."""

    report: RoiReport
    filings: list[RoiEntry]
    names: Names

    def filings_json(self) -> list[dict[str, Any]]:
        return [filing_json(f, self.names) for f in self.filings]


@dataclass(frozen=True, slots=True)
class Filed:
    """A filing: the stored entry, whose `body` is the text filed."""

    entry: RoiEntry
    names: Names

    def as_dict(self) -> dict[str, Any]:
        return filing_json(self.entry, self.names) | {"text": self.entry.body}


@dataclass(frozen=True, slots=True)
class OverdueEntry:
    """An FRS use of a case whose ROI entry is overdue (memo 4.E.2): for its supervisors."""

    submission_id: str
    case_number: str
    agent: str  # who made the submission (username)
    received_at: datetime
    days_overdue: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "roi_unfiled",
            "submission": self.submission_id,
            "case": self.case_number,
            "agent": self.agent,
            "received_at": self.received_at.isoformat(),
            "days_overdue": self.days_overdue,
        }


def filing_json(entry: RoiEntry, names: Names) -> dict[str, Any]:
    return {
        "id": entry.id,
        "submission_id": entry.submission_id,
        "candidate_list_id": entry.candidate_list_id,
        "status": entry.status.value,
        "filed_by": names.of(entry.filed_by),
        "filed_at": entry.filed_at.isoformat() if entry.filed_at else None,
        "case_system_ref": entry.case_system_ref,
        "body_sha256": entry.body_sha256,
    }


def report_json(report: RoiReport) -> dict[str, Any]:
    """The report as JSON values (times ISO 8601, dates "YYYY-MM-DD")."""
    converted = _plain(asdict(report))
    assert isinstance(converted, dict)
    return converted


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def deadline_days(gate: Gate) -> int:
    """The pack's `roi_filing_deadline_days` (memo 4.E.2), approved with the pack."""
    value = gate.policy.compiled.parameters.get(DEADLINE_PARAMETER, DEFAULT_DEADLINE_DAYS)
    return int(value)


# --- gathering the records ---------------------------------------------------------------


@dataclass(slots=True)
class _Use:
    """One FRS use of a case and everything stored about its result, read in one transaction."""

    sub: Submission
    case: Case
    clist: CandidateList
    provider: Provider
    candidates: list[Candidate]
    current: dict[str, Disposition]
    examinations: dict[str, list[Examination]]
    leads: list[Lead]
    corroborations: dict[str, list[Corroboration]]
    shares: list[Share]
    probe_sha256: list[str]
    filings: list[RoiEntry]
    names: Names


def _load(uow: UnitOfWork, submission_id: str, *, lock: bool = False) -> _Use:
    sub = uow.submissions.get(submission_id, lock=lock)
    if sub.case_id is None:
        # memo 4.E.2 speaks of "the relevant case file": a program's own use has none.
        raise Conflict(
            f"submission {sub.id} served a program without a case; a report-of-investigation "
            "entry is noted in a case file (memo 4.E.2), so there is none to show or file"
        )
    try:
        clist = uow.candidate_lists.get_by_submission(sub.id)
    except NotFound:
        raise Conflict(
            f"submission {sub.id} has no results yet (status {sub.status.value}); its "
            "report-of-investigation entry is written once the FRS has answered"
        ) from None
    case = uow.cases.get(sub.case_id)
    candidates = uow.candidates.of_list(clist.id)
    ids = [c.id for c in candidates]
    leads = uow.leads.of_submission(sub.id)
    lead_ids = {lead.id for lead in leads}
    shares = [
        s for s in uow.shares.of_case(case.id)
        if s.submission_id == sub.id or (s.lead_id is not None and s.lead_id in lead_ids)
    ]  # fmt: skip
    current = uow.dispositions.current_of_list(clist.id)
    examinations = uow.examinations.of_candidates(ids)
    corroborations = uow.corroborations.of_leads([lead.id for lead in leads])
    filings = uow.roi_entries.of_submission(sub.id)
    people: list[str | None] = [sub.requested_by]
    people += [d.decided_by for d in current.values()]
    people += [d.verified_by for d in current.values()]
    people += [e.examiner_id for found in examinations.values() for e in found]
    people += [lead.opened_by for lead in leads]
    people += [s.shared_by for s in shares]
    people += [f.filed_by for f in filings]
    return _Use(
        sub=sub,
        case=case,
        clist=clist,
        provider=uow.providers.get(sub.provider_id),
        candidates=candidates,
        current=current,
        examinations=examinations,
        leads=leads,
        corroborations=corroborations,
        shares=shares,
        probe_sha256=[uow.probes.get(pid).sha256 for pid in sub.probe_ids],
        filings=filings,
        names=Names.read(uow, people),
    )


def _report(use: _Use, thresholds: FlagThresholds) -> RoiReport:
    sub, clist, names = use.sub, use.clist, use.names
    searched_at = sub.dispatched_at or clist.received_at
    flags = review_flags(use.candidates, searched_at.date(), thresholds)
    ranks = {c.id: c.rank for c in use.candidates}
    return RoiReport(
        submission_id=sub.id,
        case_number=use.case.number,
        case_title=use.case.title,
        statutory_authority=use.case.statutory_authority,
        violation_codes=tuple(use.case.violation_codes),
        frs=RoiFrs(
            provider_id=use.provider.id,
            provider_name=use.provider.name,
            sandbox=clist.sandbox,
            database=clist.database,
        ),
        searched_at=searched_at,
        requested_by=names.of(sub.requested_by) or sub.requested_by,
        match_type=sub.match_type,
        program_code=sub.program_code,
        candidate_list_id=clist.id,
        negative=not use.candidates and clist.comparison_score is None,
        comparison_score=clist.comparison_score,
        list_size=len(use.candidates),
        probe_sha256=tuple(use.probe_sha256),
        candidates=tuple(_candidate(c, flags.get(c.id, []), use) for c in use.candidates),
        leads=tuple(_lead(lead, ranks, use) for lead in use.leads),
        shares=tuple(_share(s, names) for s in use.shares),
    )


def _candidate(c: Candidate, flags: Iterable[Any], use: _Use) -> RoiCandidate:
    names = use.names
    d = use.current.get(c.id)
    disposition = None
    if d is not None:
        disposition = RoiDisposition(
            kind=d.kind.value,
            decided_by=names.of(d.decided_by) or d.decided_by,
            decided_at=d.created_at,
            rationale=d.rationale,
            traditional_means_compared=d.traditional_means_compared,
            verified_by=names.of(d.verified_by),
            verified_at=d.verified_at,
            verification_note=d.verification_note,
        )
    return RoiCandidate(
        candidate_id=c.id,
        rank=c.rank,
        score=c.score,
        gallery_ref=c.gallery_ref,
        source_database=c.source_database,
        photo_taken_on=c.photo_taken_on,
        flags=tuple(RoiFlag(code=str(f.code), detail=f.detail) for f in flags),
        disposition=disposition,
        examinations=tuple(
            RoiExamination(
                examiner=names.of(e.examiner_id) or e.examiner_id,
                examined_at=e.created_at,
                conclusion=e.conclusion.value,
                method=e.method,
                limitations=e.limitations,
                notes=e.notes,
            )
            for e in use.examinations.get(c.id, [])
        ),
    )


def _lead(lead: Lead, ranks: dict[str, int], use: _Use) -> RoiLead:
    return RoiLead(
        lead_id=lead.id,
        candidate_rank=ranks[lead.candidate_id],
        status=lead.status.value,
        summary=lead.summary,
        opened_by=use.names.of(lead.opened_by) or lead.opened_by,
        opened_at=lead.created_at,
        corroborations=tuple(
            RoiCorroboration(
                kind=co.kind.value,
                source=co.source,
                description=co.description,
                obtained_by=co.obtained_by,
                obtained_on=co.obtained_on,
            )
            for co in use.corroborations.get(lead.id, [])
        ),
        enforcement_note=lead.enforcement_note,
        close_reason=lead.close_reason,
    )


def _share(s: Share, names: Names) -> RoiShare:
    return RoiShare(
        recipient=s.recipient,
        authority_kind=s.authority_kind.value,
        authority=s.authority,
        description=s.description,
        shared_by=names.of(s.shared_by) or s.shared_by,
        shared_at=s.created_at,
    )


def _ask(uow: UnitOfWork, gate: Gate, use: _Use, action: Action, kind: ResourceKind) -> Ask:
    """The question of an act on the use's results, judged with the use as it happened."""
    contexts, purpose, _ = purposes.use_contexts(uow, use.sub, gate.now())
    return Ask(
        action=action,
        resource=Resource(kind=kind, id=use.clist.id, owner_id=use.sub.requested_by),
        contexts=contexts,
        subject=f"roi:{use.sub.id}",
        component=COMPONENT,
        case=purpose.case_number,
        submission=use.sub.id,
        provider=use.sub.provider_id,
        program_code=use.sub.program_code,
    )


# --- the acts ----------------------------------------------------------------------------


def roi_of(
    *,
    gate: Gate,
    caller: Caller,
    submission_id: str,
    thresholds: FlagThresholds | None = None,
) -> RoiView:
    """The ROI entry of one FRS use as its records stand, with the filings so far; decided
    as `candidates.view` and recorded (`roi:entry:view`)."""
    loaded: list[_Use] = []

    def ask(uow: UnitOfWork) -> Ask:
        use = _load(uow, submission_id)
        loaded.append(use)
        return _ask(uow, gate, use, Action.candidates_view, ResourceKind.candidate_list)

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[RoiView, list[EntryDraft]]:
        use = loaded[0]
        report = _report(use, thresholds or FlagThresholds())
        entry = draft(
            caller, EventTag.ROI_ENTRY_VIEW, action=Action.candidates_view,
            subject=ruling.ask.subject, component=COMPONENT, case=ruling.ask.case,
            submission=use.sub.id, provider=use.sub.provider_id,
            program_code=use.sub.program_code,
            details={"list_size": report.list_size, "filings": len(use.filings)},
        )  # fmt: skip
        return RoiView(report=report, filings=use.filings, names=use.names), [entry]

    def hold(uow: UnitOfWork, ruling: Ruling) -> tuple[list[dict[str, Any]], list[EntryDraft]]:
        return hold_for_use_approval(gate, caller, uow, loaded[0].sub, ruling.ask.case)

    return gate.enforce(caller, ask=ask, act=read, hold=hold).result


def file_roi(
    *,
    gate: Gate,
    caller: Caller,
    submission_id: str,
    case_system_ref: str,
    thresholds: FlagThresholds | None = None,
) -> Filed:
    """Record that the entry of this use was filed in the case file (memo 4.E.2), under its
    reference in the case management system: the text rendered now is kept with its SHA-256,
    which the ledger entry binds (`roi:entry:file`, `details.record`)."""
    ref = case_system_ref.strip()
    if not ref:
        raise ValidationFailed("case_system_ref: must not be blank (the entry's reference "
                               "in the case management system)")  # fmt: skip
    if len(ref) > CASE_SYSTEM_REF_MAX_LENGTH:
        raise ValidationFailed(f"case_system_ref: at most {CASE_SYSTEM_REF_MAX_LENGTH} characters")
    loaded: list[_Use] = []

    def ask(uow: UnitOfWork) -> Ask:
        # The submission's row is held: two filings of one use are recorded one after the
        # other, each with the text as it stood when it was filed.
        use = _load(uow, submission_id, lock=True)
        loaded.append(use)
        return _ask(uow, gate, use, Action.roi_file, ResourceKind.roi_entry)

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[Filed, list[EntryDraft]]:
        use = loaded[0]
        at = gate.now()
        entry = RoiEntry(
            id=new_id("roi"),
            case_id=use.case.id,
            submission_id=use.sub.id,
            candidate_list_id=use.clist.id,
            author_id=caller.user_id,
            body=render_text(_report(use, thresholds or FlagThresholds())),
            created_at=at,
        )
        entry.file(by=caller.user_id, at=at, case_system_ref=ref)
        uow.roi_entries.add(entry)
        record = bound(
            id=entry.id,
            submission_id=entry.submission_id,
            case_system_ref=entry.case_system_ref,
            body_sha256=entry.body_sha256,
        )
        log = draft(
            caller, EventTag.ROI_ENTRY_FILE, action=Action.roi_file,
            subject=f"roi_entry:{entry.id}", component=COMPONENT, case=ruling.ask.case,
            submission=use.sub.id, provider=use.sub.provider_id,
            program_code=use.sub.program_code, details={"record": record},
        )  # fmt: skip
        names = Names(dict(use.names.by_id) | {caller.user_id: caller.user.username})
        return Filed(entry=entry, names=names), [log]

    def hold(uow: UnitOfWork, ruling: Ruling) -> tuple[list[dict[str, Any]], list[EntryDraft]]:
        return hold_for_use_approval(gate, caller, uow, loaded[0].sub, ruling.ask.case)

    return gate.enforce(caller, ask=ask, act=act, hold=hold).result


def unfiled(uow: UnitOfWork, gate: Gate, supervisor_id: str) -> list[OverdueEntry]:
    """The overdue ROI entries of the cases `supervisor_id` supervises (memo 4.E.2, 4.E.4):
    results received more than the pack's deadline ago with no filed entry, oldest first."""
    now = gate.now()
    days = deadline_days(gate)
    found: list[UnfiledResult] = uow.roi_entries.unfiled_for_supervisor(
        supervisor_id, now - timedelta(days=days)
    )
    return [
        OverdueEntry(
            submission_id=f.submission_id,
            case_number=f.case_number,
            agent=f.requested_by,
            received_at=f.received_at,
            days_overdue=(now - f.received_at).days - days,
        )
        for f in found
    ]
