"""A case's disclosure package: every use of facial recognition in the case, for discovery.

Prosecutors must disclose how a suspect was found. The package holds every FRS use of the case
— the probes (their SHA-256 only), the providers, the full candidate lists including the
candidates nobody pursued and the negative results, every disposition, verification,
examination, lead, corroboration, report-of-investigation filing, share and partner-run
search — and, beside them, the ledger entries that recorded each of those acts with RFC 9162
inclusion proofs against a signed checkpoint. Each record names the entry that recorded it
(`ledger_seq`); the entry's `details.record` binds the record's fields (free text by its
SHA-256), so an altered record no longer matches its proven entry. `tools/verify_disclosure.py`
checks a package with nothing but its JSON and the ledger's public key
(docs/disclosure-package.md).

Generating a package is an export (`export.run`, decided by the pack): a supervisor of the
case, OPR or IGP (memo 4.E.4, 4.E.5); a package leaving the agency names its recipient and the
authority for it (memo 3) and is entered in the sharing register of the case.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from frsgate.config import Settings
from frsgate.domain import (
    LEAD_ONLY_NOTICE,
    Candidate,
    CandidateList,
    Case,
    Corroboration,
    Disposition,
    Examination,
    Lead,
    PartnerSearch,
    RoiEntry,
    Share,
    ShareAuthorityKind,
    Submission,
)
from frsgate.domain.results import FlagThresholds, review_flags
from frsgate.domain.values import new_id
from frsgate.errors import ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, Context, ExportFacts, Resource, ResourceKind
from frsgate.services import lookup
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.services.sharing import share_binding
from frsgate.store.unit import UnitOfWork, read_only

COMPONENT = "services.disclosure"
FORMAT = "frsgate-disclosure/1"


def flag_thresholds(settings: Settings) -> FlagThresholds:
    """The review flags' thresholds from the settings (FRSGATE_FLAG_*)."""
    return FlagThresholds(
        photo_age_years=settings.flag_photo_age_years,
        low_score=settings.flag_low_score,
        close_score_margin=settings.flag_close_score_margin,
        close_score_count=settings.flag_close_score_count,
    )


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who receives a package outside the agency and under which authority (memo 3)."""

    agency: str | None = None
    authority_kind: str | None = None
    authority: str | None = None

    @property
    def external(self) -> bool:
        return bool(self.agency and self.agency.strip())

    @property
    def authority_recorded(self) -> bool:
        return bool(self.authority_kind and self.authority and self.authority.strip())


@dataclass(slots=True)
class _Records:
    """Everything stored about the case's FRS uses, read in the export's transaction."""

    case: Case
    submissions: list[Submission] = field(default_factory=list)
    probe_sha256: dict[str, list[str]] = field(default_factory=dict)
    provider_names: dict[str, str] = field(default_factory=dict)
    lists: dict[str, CandidateList] = field(default_factory=dict)  # by submission id
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)  # by list id
    dispositions: dict[str, list[Disposition]] = field(default_factory=dict)  # by candidate
    examinations: dict[str, list[Examination]] = field(default_factory=dict)  # by candidate
    leads: list[Lead] = field(default_factory=list)
    corroborations: dict[str, list[Corroboration]] = field(default_factory=dict)  # by lead
    filings: list[RoiEntry] = field(default_factory=list)
    shares: list[Share] = field(default_factory=list)
    partner_searches: list[PartnerSearch] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "submissions": len(self.submissions),
            "candidates": sum(len(c) for c in self.candidates.values()),
            "dispositions": sum(len(d) for d in self.dispositions.values()),
            "examinations": sum(len(e) for e in self.examinations.values()),
            "leads": len(self.leads),
            "corroborations": sum(len(c) for c in self.corroborations.values()),
            "roi_filings": len(self.filings),
            "shares": len(self.shares),
            "partner_searches": len(self.partner_searches),
        }


def _gather(uow: UnitOfWork, case: Case) -> _Records:
    records = _Records(case=case)
    records.submissions = uow.submissions.of_case(case.id)
    for sub in records.submissions:
        records.probe_sha256[sub.id] = [uow.probes.get(pid).sha256 for pid in sub.probe_ids]
        if sub.provider_id not in records.provider_names:
            records.provider_names[sub.provider_id] = uow.providers.get(sub.provider_id).name
    records.lists = uow.candidate_lists.of_submissions([s.id for s in records.submissions])
    records.candidates = uow.candidates.of_lists([c.id for c in records.lists.values()])
    ids = [c.id for cands in records.candidates.values() for c in cands]
    records.dispositions = uow.dispositions.of_candidates(ids)
    records.examinations = uow.examinations.of_candidates(ids)
    records.leads = uow.leads.of_case(case.id)
    records.corroborations = uow.corroborations.of_leads([lead.id for lead in records.leads])
    records.filings = uow.roi_entries.of_case(case.id)
    records.shares = uow.shares.of_case(case.id)
    records.partner_searches = uow.partner_searches.of_case(case.id)
    return records


def disclose(
    *,
    gate: Gate,
    caller: Caller,
    case_ref: str,
    recipient: Recipient,
    thresholds: FlagThresholds,
) -> dict[str, Any]:
    """The disclosure package of a case (format `frsgate-disclosure/1`), decided and recorded;
    a package for a recipient outside the agency is entered in the sharing register too."""
    if recipient.authority_kind is not None:
        try:
            ShareAuthorityKind(recipient.authority_kind)
        except ValueError:
            known = ", ".join(k.value for k in ShareAuthorityKind)
            raise ValidationFailed(
                f"authority_kind {recipient.authority_kind!r} is not one of {known}"
            ) from None
    loaded: list[_Records] = []

    def ask(uow: UnitOfWork) -> Ask:
        case = lookup.case(uow, case_ref)
        loaded.append(_gather(uow, case))
        facts = ExportFacts(
            external=recipient.external,
            authority_recorded=recipient.authority_recorded,
            decider_supervises=caller.user_id in case.supervisor_ids,
        )
        return Ask(
            action=Action.export_run,
            resource=Resource(kind=ResourceKind.export, id=f"disclosure:{case.number}"),
            contexts=[Context(export=facts)],
            subject=f"case:{case.number}:disclosure",
            component=COMPONENT,
            case=case.number,
            details={
                "export": "disclosure",
                "recipient": recipient.agency,
                "authority_kind": recipient.authority_kind,
                "authority": recipient.authority,
            },
        )

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[None, list[EntryDraft]]:
        records = loaded[0]
        case = records.case
        drafts = [
            draft(
                caller,
                EventTag.EXPORT_DISCLOSURE_RUN,
                action=Action.export_run,
                subject=ruling.ask.subject,
                component=COMPONENT,
                case=case.number,
                details={
                    "format": FORMAT,
                    "external": recipient.external,
                    "recipient": recipient.agency,
                    "authority_kind": recipient.authority_kind,
                    "authority": recipient.authority,
                    **records.counts(),
                },
            )
        ]
        # A case with no FRS use has no FRS information to share: nothing enters the register.
        if recipient.external and records.submissions:
            drafts.append(_register_share(gate, caller, uow, case, recipient, records))
        return None, drafts

    gate.enforce(caller, ask=ask, act=act)
    records = loaded[0]
    if recipient.external:
        # The register now names this very disclosure: the package carries that record too.
        with read_only(gate.engine) as uow:
            records.shares = uow.shares.of_case(records.case.id)
    # The checkpoint is issued after the export committed, so it covers the export's own entry
    # and every entry of the case before it.
    signed = gate.ledger.checkpoint()
    entries, seqs = _case_entries(gate, records.case.number, signed.tree_size)
    package = _package(records, seqs, thresholds, caller, gate.now())
    package["ledger"] = {
        "origin": signed.checkpoint.origin,
        "public_key": gate.ledger.signer.verifier.verifier_string,
        "checkpoint": signed.note,
        "tree_size": signed.tree_size,
        "root_hash": signed.to_json()["root"],
        "entries": [
            {
                "seq": seq,
                "entry": raw.decode("utf-8"),
                "proof": gate.ledger.inclusion_proof(seq, signed.tree_size).to_json(),
            }
            for seq, raw in entries
        ],
    }
    return package


def _register_share(
    gate: Gate, caller: Caller, uow: UnitOfWork, case: Case, recipient: Recipient,
    records: _Records,
) -> EntryDraft:  # fmt: skip
    """The sharing register's record of a package leaving the agency (memo 3)."""
    assert recipient.agency is not None
    assert recipient.authority_kind is not None
    assert recipient.authority is not None
    # The register names what was shared by a use of the case; the description says it is
    # the whole case's package.
    subject = records.submissions[0].id
    share = Share(
        id=new_id("share"),
        case_id=case.id,
        lead_id=None,
        submission_id=subject,
        shared_by=caller.user_id,
        recipient=recipient.agency.strip(),
        authority_kind=ShareAuthorityKind(recipient.authority_kind),
        authority=recipient.authority.strip(),
        description=f"disclosure package of case {case.number} ({FORMAT})",
        created_at=gate.now(),
    )
    uow.shares.add(share)
    return draft(
        caller,
        EventTag.SHARE_RECORD_CREATE,
        action=Action.export_run,
        subject=f"share:{share.id}",
        component=COMPONENT,
        case=case.number,
        submission=share.submission_id,
        details={"record": share_binding(share)},
    )


# --- the ledger side -------------------------------------------------------------------------


def _case_entries(
    gate: Gate, number: str, tree_size: int
) -> tuple[list[tuple[int, bytes]], dict[tuple[str, str], int]]:
    """Every entry of the case up to `tree_size`, and the seq of the entry that recorded each
    record, by (event, record id). Reads the log in chunks once; an index of entries by case
    would spare the scan on a very large log."""
    found: list[tuple[int, bytes]] = []
    seqs: dict[tuple[str, str], int] = {}
    needle = json.dumps(number, ensure_ascii=False)
    for seq, raw in gate.ledger.iter_entries(0, tree_size):
        if needle.encode("utf-8") not in raw:
            continue  # cheap pre-filter: the entry cannot name the case
        entry = json.loads(raw)
        if entry.get("case") != number:
            continue
        found.append((seq, raw))
        record = (entry.get("details") or {}).get("record")
        if isinstance(record, dict):
            key = record.get("id") or record.get("candidate_list_id")
            if isinstance(key, str):
                seqs[(str(entry.get("event")), key)] = seq
    return found, seqs


# --- the records side ------------------------------------------------------------------------


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _package(
    records: _Records,
    seqs: dict[tuple[str, str], int],
    thresholds: FlagThresholds,
    caller: Caller,
    at: datetime,
) -> dict[str, Any]:
    case = records.case

    def seq(event: EventTag, key: str) -> int | None:
        return seqs.get((event.value, key))

    filings: dict[str, list[RoiEntry]] = defaultdict(list)
    for filing in records.filings:
        filings[filing.submission_id].append(filing)
    uses = []
    for sub in records.submissions:
        clist = records.lists.get(sub.id)
        result = None
        if clist is not None:
            cands = records.candidates.get(clist.id, [])
            searched_on = (sub.dispatched_at or clist.received_at).date()
            flags = review_flags(cands, searched_on, thresholds)
            result = {
                "candidate_list_id": clist.id,
                "negative": not cands and clist.comparison_score is None,
                "database": clist.database,
                "sandbox": clist.sandbox,
                "comparison_score": clist.comparison_score,
                "received_at": _iso(clist.received_at),
                "probe_sha256": records.probe_sha256[sub.id],
                "ledger_seq": seq(EventTag.SUBMISSION_DISPATCH_OUTCOME, clist.id),
                "candidates": [_candidate(c, flags.get(c.id, []), records, seq) for c in cands],
            }
        uses.append(
            {
                "submission": {
                    "id": sub.id,
                    "provider_id": sub.provider_id,
                    "provider_name": records.provider_names[sub.provider_id],
                    "match_type": sub.match_type,
                    "program_code": sub.program_code,
                    "requested_by": sub.requested_by,
                    "created_at": _iso(sub.created_at),
                    "dispatched_at": _iso(sub.dispatched_at),
                    "status": sub.status.value,
                    "exigent": sub.exigent,
                    "probe_sha256": records.probe_sha256[sub.id],
                },
                "result": result,
                "roi_filings": [
                    {
                        "id": f.id,
                        "submission_id": f.submission_id,
                        "case_system_ref": f.case_system_ref,
                        "body": f.body,
                        "filed_by": f.filed_by,
                        "filed_at": _iso(f.filed_at),
                        "ledger_seq": seq(EventTag.ROI_ENTRY_FILE, f.id),
                    }
                    for f in filings.get(sub.id, [])
                ],
            }
        )
    return {
        "format": FORMAT,
        "generated_at": at.isoformat(),
        "generated_by": caller.user_id,
        "notice": LEAD_ONLY_NOTICE,
        "case": {
            "number": case.number,
            "title": case.title,
            "statutory_authority": case.statutory_authority,
            "violation_codes": list(case.violation_codes),
        },
        "uses": uses,
        "leads": [_lead(lead, records, seq) for lead in records.leads],
        "shares": [
            {
                "id": s.id,
                "case_id": s.case_id,
                "lead_id": s.lead_id,
                "submission_id": s.submission_id,
                "recipient": s.recipient,
                "authority_kind": s.authority_kind.value,
                "authority": s.authority,
                "description": s.description,
                "shared_by": s.shared_by,
                "created_at": _iso(s.created_at),
                "ledger_seq": seq(EventTag.SHARE_RECORD_CREATE, s.id),
            }
            for s in records.shares
        ],
        "partner_searches": [
            {
                "id": p.id,
                "case_id": p.case_id,
                "partner_agency": p.partner_agency,
                "partner_system": p.partner_system,
                "searched_on": p.searched_on.isoformat(),
                "match_type": p.match_type,
                "result": p.result.value,
                "candidate_count": p.candidate_count,
                "summary": p.summary,
                "probe_sha256": p.probe_sha256,
                "recorded_by": p.recorded_by,
                "created_at": _iso(p.created_at),
                "ledger_seq": seq(EventTag.PARTNER_SEARCH_RECORD, p.id),
            }
            for p in records.partner_searches
        ],
    }


def _candidate(c: Candidate, flags: list[Any], records: _Records, seq: Any) -> dict[str, Any]:
    dispositions = records.dispositions.get(c.id, [])
    return {
        "id": c.id,
        "rank": c.rank,
        "score": c.score,
        "gallery_ref": c.gallery_ref,
        "source_database": c.source_database,
        "image_sha256": c.image_sha256,
        "photo_taken_on": c.photo_taken_on.isoformat() if c.photo_taken_on else None,
        "investigative_lead_only": True,
        "flags": [{"code": f.code, "detail": f.detail} for f in flags],
        "dispositions": [
            {
                "id": d.id,
                "candidate_id": d.candidate_id,
                "decided_by": d.decided_by,
                "kind": d.kind.value,
                "rationale": d.rationale,
                "traditional_means_compared": d.traditional_means_compared,
                "supersedes_id": d.supersedes_id,
                "created_at": _iso(d.created_at),
                "ledger_seq": seq(EventTag.DISPOSITION_RECORD_CREATE, d.id),
                "verification": None
                if d.verified_by is None
                else {
                    "id": d.id,
                    "verified_by": d.verified_by,
                    "verification_note": d.verification_note,
                    "verified_at": _iso(d.verified_at),
                    "ledger_seq": seq(EventTag.DISPOSITION_RECORD_VERIFY, d.id),
                },
            }
            for d in dispositions
        ],
        "examinations": [
            {
                "id": e.id,
                "candidate_id": e.candidate_id,
                "examiner_id": e.examiner_id,
                "conclusion": e.conclusion.value,
                "method": e.method,
                "limitations": e.limitations,
                "notes": e.notes,
                "created_at": _iso(e.created_at),
                "ledger_seq": seq(EventTag.EXAMINATION_RECORD_CREATE, e.id),
            }
            for e in records.examinations.get(c.id, [])
        ],
    }


def _lead(lead: Lead, records: _Records, seq: Any) -> dict[str, Any]:
    changes = []
    if lead.enforcement_basis_at is not None:
        changes.append(
            {
                "id": lead.id,
                "status": "enforcement_basis",
                "enforcement_note": lead.enforcement_note,
                "by": lead.enforcement_marked_by,
                "at": _iso(lead.enforcement_basis_at),
                "ledger_seq": seq(EventTag.LEAD_ENFORCEMENT_MARK, lead.id),
            }
        )
    if lead.closed_at is not None:
        changes.append(
            {
                "id": lead.id,
                "status": "closed",
                "close_reason": lead.close_reason,
                "by": lead.closed_by,
                "at": _iso(lead.closed_at),
                "ledger_seq": seq(EventTag.LEAD_RECORD_CLOSE, lead.id),
            }
        )
    return {
        "id": lead.id,
        "case_id": lead.case_id,
        "submission_id": lead.submission_id,
        "candidate_id": lead.candidate_id,
        "disposition_id": lead.disposition_id,
        "summary": lead.summary,
        "status": lead.status.value,
        "opened_by": lead.opened_by,
        "created_at": _iso(lead.created_at),
        "ledger_seq": seq(EventTag.LEAD_RECORD_CREATE, lead.id),
        "corroborations": [
            {
                "id": c.id,
                "lead_id": c.lead_id,
                "kind": c.kind.value,
                "source": c.source,
                "description": c.description,
                "obtained_by": c.obtained_by,
                "obtained_on": c.obtained_on.isoformat() if c.obtained_on else None,
                "recorded_by": c.recorded_by,
                "created_at": _iso(c.created_at),
                "ledger_seq": seq(EventTag.CORROBORATION_RECORD_CREATE, c.id),
            }
            for c in records.corroborations.get(lead.id, [])
        ],
        "status_changes": changes,
    }
