"""Investigative leads (memo 4.D.3): opened from a possible-lead disposition, corroborated by
information independent of the FRS, only then marked a basis for enforcement, and closed.

Every act passes the decision point (`Gate.enforce`) on the results of the use the lead comes
from (`purposes.use_contexts`), so the purpose rules (case open, assigned, HSI authority) and
the exigent-use rules (memo 4.C.3) apply to every step, and what the memo governs is the
pack's refusal, with citations, on the ledger:

- `lead.open`: the disposition must be the candidate's current one and say possible lead
  (`lead.requires_possible_lead`), verified by a second reviewer when the pack asks for it
  (`lead.disposition_verified`);
- `corroboration.record`: the kind is passed to the pack as stated, which refuses the kinds
  that repeat the FRS (`corroboration.independent_source`); a corroboration stored moves an
  investigative lead to `corroborated` in the same transaction;
- `lead.mark_enforcement_basis`: `LeadFacts.corroborated` is read with the lead's row locked,
  from the lead's stored status and its own stored corroborations (`lead.corroborated`), so a
  lead never becomes a basis for enforcement on FRS data alone;
- `lead.close`.

A state the act cannot apply to is a 409, and nothing is recorded: the lead's own state (an
act on a closed lead, marking a lead already marked) is read with its row locked before
anything is decided; a second open lead on one disposition is found once the pack allowed the
act (so an attempt the pack refuses is on the ledger either way).

Reads of leads are decided as `candidates.view` (the audience of candidate lists) and recorded
as `lead:records:view`.

Each act's entry carries `details.record` (see `frsgate.services.binding`): the record's
fields, free text only as its SHA-256.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from frsgate.domain import (
    LEAD_ONLY_NOTICE,
    Candidate,
    CandidateList,
    Case,
    Corroboration,
    CorroborationKind,
    Disposition,
    DispositionKind,
    Lead,
    LeadStatus,
    Submission,
)
from frsgate.domain.leads import NOT_INDEPENDENT
from frsgate.domain.values import new_id
from frsgate.errors import Conflict, NotFound, ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.decision import Outcome as DecisionOutcome
from frsgate.policy.facts import (
    Action,
    Context,
    CorroborationFacts,
    LeadFacts,
    Resource,
    ResourceKind,
)
from frsgate.services import lookup, purposes
from frsgate.services.binding import bound, sha
from frsgate.services.gate import Ask, Caller, Gate, Ruling
from frsgate.services.reads import hold_for_use_approval
from frsgate.services.review import verification_required
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.leads"

# The kinds a corroboration may name that the pack accepts: information obtained by
# traditional means, independent of the FRS (memo 4.D.3).
INDEPENDENT_KINDS: tuple[str, ...] = tuple(
    k.value for k in CorroborationKind if k not in NOT_INDEPENDENT
)


def corroboration_dict(c: Corroboration) -> dict[str, Any]:
    """A corroboration as the API and the CLI show it."""
    return {
        "id": c.id,
        "lead_id": c.lead_id,
        "kind": c.kind.value,
        "independent_of_frs": c.independent_of_frs,
        "source": c.source,
        "description": c.description,
        "obtained_by": c.obtained_by,
        "obtained_on": c.obtained_on.isoformat() if c.obtained_on else None,
        "recorded_by": c.recorded_by,
        "created_at": c.created_at.isoformat(),
    }


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True, slots=True)
class LeadView:
    """A lead with its corroborations, oldest first, and the case it belongs to."""

    lead: Lead
    case_number: str
    corroborations: list[Corroboration]

    def as_dict(self) -> dict[str, Any]:
        """The lead as the API and the CLI show it, with the lead-only notice (memo 4.D.2)."""
        lead = self.lead
        return {
            "id": lead.id,
            "case": self.case_number,
            "case_id": lead.case_id,
            "submission_id": lead.submission_id,
            "candidate_id": lead.candidate_id,
            "disposition_id": lead.disposition_id,
            "opened_by": lead.opened_by,
            "summary": lead.summary,
            "status": lead.status.value,
            "notice": LEAD_ONLY_NOTICE,
            "created_at": lead.created_at.isoformat(),
            "corroborated_at": _when(lead.corroborated_at),
            "enforcement_basis_at": _when(lead.enforcement_basis_at),
            "enforcement_marked_by": lead.enforcement_marked_by,
            "enforcement_note": lead.enforcement_note,
            "closed_at": _when(lead.closed_at),
            "closed_by": lead.closed_by,
            "close_reason": lead.close_reason,
            "corroborations": [corroboration_dict(c) for c in self.corroborations],
        }


@dataclass(slots=True)
class _Use:
    """The use of an FRS a lead or a disposition comes from, read inside the transaction."""

    submission: Submission
    candidate_list: CandidateList
    candidate: Candidate
    case: Case | None
    contexts: list[Context]
    purpose: purposes.Purpose


def _use_of_candidate(
    uow: UnitOfWork, gate: Gate, candidate_id: str, *, lock: bool = False
) -> _Use:
    """The use `candidate_id` comes from; `lock` holds its candidate list's row, where every
    review act on the list (a new disposition, a verification) queues too."""
    candidate = uow.candidates.get(candidate_id)
    clist = uow.candidate_lists.get(candidate.candidate_list_id, lock=lock)
    sub = uow.submissions.get(clist.submission_id)
    contexts, purpose, _ = purposes.use_contexts(uow, sub, gate.now())
    return _Use(sub, clist, candidate, purpose.case, contexts, purpose)


def _ask(action: Action, use: _Use, *, resource_id: str, subject: str, **details: Any) -> Ask:
    """The question for an act on (or a read of) the results of `use`. The resource's owner
    is the use's requester: the exigent-use rules read who asked for it (memo 4.C.3)."""
    sub = use.submission
    return Ask(
        action=action,
        resource=Resource(
            kind=ResourceKind.lead
            if action is not Action.candidates_view
            else ResourceKind.candidate_list,
            id=resource_id,
            owner_id=sub.requested_by,
        ),
        contexts=use.contexts,
        subject=subject,
        component=COMPONENT,
        case=use.purpose.case_number,
        submission=sub.id,
        provider=sub.provider_id,
        program_code=sub.program_code,
        details={"purpose": use.purpose.ref, **details},
    )


def _with(contexts: Sequence[Context], **facts: Any) -> list[Context]:
    return [replace(c, **facts) for c in contexts]


def _entry(
    caller: Caller, ruling: Ruling, event: EventTag, subject: str, details: dict[str, Any]
) -> EntryDraft:
    return ruling.act_entry(caller, event, subject=subject, details=details)


def _holder(
    gate: Gate, caller: Caller, held: list[_Use]
) -> Callable[[UnitOfWork, Ruling], tuple[list[dict[str, Any]], list[EntryDraft]]]:
    """What an act on held results waits for: the use's exigent approval (memo 4.C.3)."""

    def hold(uow: UnitOfWork, ruling: Ruling) -> tuple[list[dict[str, Any]], list[EntryDraft]]:
        return hold_for_use_approval(gate, caller, uow, held[0].submission, ruling.ask.case)

    return hold


def _required(field: str, value: str) -> str:
    if not value or not value.strip():
        raise ValidationFailed(f"{field}: must not be blank")
    return value


def _lead_use(uow: UnitOfWork, gate: Gate, lead: Lead) -> _Use:
    """The use a stored lead comes from (through its candidate, which every lead names)."""
    return _use_of_candidate(uow, gate, lead.candidate_id)


def _submission_of(uow: UnitOfWork, lead: Lead) -> Submission:
    """The submission a lead comes from: stored with it, or (a lead stored before leads named
    their submission) found through its candidate."""
    if lead.submission_id:
        return uow.submissions.get(lead.submission_id)
    candidate = uow.candidates.get(lead.candidate_id)
    clist = uow.candidate_lists.get(candidate.candidate_list_id)
    return uow.submissions.get(clist.submission_id)


def _case_number(uow: UnitOfWork, lead: Lead) -> str:
    return uow.cases.get(lead.case_id).number


def _lead_record(lead: Lead) -> dict[str, Any]:
    return bound(
        id=lead.id, case_id=lead.case_id, submission_id=lead.submission_id,
        candidate_id=lead.candidate_id, disposition_id=lead.disposition_id,
        summary_sha256=sha(lead.summary),
    )  # fmt: skip


def _corroboration_record(c: Corroboration) -> dict[str, Any]:
    return bound(
        id=c.id, lead_id=c.lead_id, kind=c.kind, source_sha256=sha(c.source),
        description_sha256=sha(c.description), obtained_by_sha256=sha(c.obtained_by),
        obtained_on=c.obtained_on,
    )  # fmt: skip


def _independent(lead: Lead, found: Sequence[Corroboration]) -> list[Corroboration]:
    """The stored corroborations of this very lead that are independent of the FRS."""
    return [c for c in found if c.lead_id == lead.id and c.independent_of_frs]


def _open_lead_of(uow: UnitOfWork, disposition_id: str) -> Lead | None:
    return next(
        (x for x in uow.leads.of_disposition(disposition_id) if x.status is not LeadStatus.closed),
        None,
    )


# --- acts ------------------------------------------------------------------------------------


def open_lead(*, gate: Gate, caller: Caller, disposition_id: str, summary: str) -> LeadView:
    """Open an investigative lead from a possible-lead disposition (memo 4.D.3)."""
    _required("summary", summary)
    held: list[_Use] = []
    found: list[Disposition] = []

    def ask(uow: UnitOfWork) -> Ask:
        disposition = uow.dispositions.get(disposition_id)
        # The list's row is held: a new disposition (which would supersede this one), its
        # verification or a second lead on it waits until this act is decided.
        use = _use_of_candidate(uow, gate, disposition.candidate_id, lock=True)
        disposition = uow.dispositions.get(disposition_id)  # as it stands under the lock
        if use.case is None:
            raise Conflict(
                f"submission {use.submission.id} served program {use.purpose.ref} without a "
                "case; a lead belongs to a case: open it from a use made for the case"
            )
        current = uow.dispositions.current_of_candidate(disposition.candidate_id)
        verification = verification_required(gate)  # the pack's parameter
        lead_facts = LeadFacts(
            # memo 4.D.3: a lead comes only from the candidate's current possible-lead judgement.
            from_possible_lead=current is not None
            and current.id == disposition.id
            and disposition.kind is DispositionKind.possible_match_lead,
            # memo 4.D.2: when the pack asks for a second reviewer, an unverified one waits.
            verification_pending=verification and not disposition.verified,
            corroborated=False,
        )
        use.contexts = _with(use.contexts, lead=lead_facts)
        held.append(use)
        found.append(disposition)
        return _ask(
            Action.lead_open, use, resource_id=disposition.id,
            subject=f"disposition:{disposition.id}", disposition_id=disposition.id,
            disposition_kind=disposition.kind.value,
        )  # fmt: skip

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[LeadView, list[EntryDraft]]:
        use, disposition = held[0], found[0]
        assert use.case is not None
        # Checked once the pack allowed the act (an attempt it refuses is on the ledger
        # whatever the disposition carries); raising here records nothing, the list's lock
        # keeps a concurrent open from slipping in.
        existing = _open_lead_of(uow, disposition.id)
        if existing is not None:
            raise Conflict(
                f"disposition {disposition.id} already has the lead {existing.id} "
                f"({existing.status.value}); work on that lead, or close it first"
            )
        lead = Lead(
            id=new_id("lead"), case_id=use.case.id, submission_id=use.submission.id,
            candidate_id=use.candidate.id, disposition_id=disposition.id,
            opened_by=caller.user_id, summary=summary, created_at=gate.now(),
        )  # fmt: skip
        uow.leads.add(lead)
        entry = _entry(
            caller,
            ruling,
            EventTag.LEAD_RECORD_CREATE,
            f"lead:{lead.id}",
            {"status": lead.status.value, "record": _lead_record(lead)},
        )
        return LeadView(lead, use.case.number, []), [entry]

    return gate.enforce(caller, ask=ask, act=act, hold=_holder(gate, caller, held)).result


def record_corroboration(
    *,
    gate: Gate,
    caller: Caller,
    lead_id: str,
    kind: str,
    source: str,
    description: str,
    obtained_by: str,
    obtained_on: date | None = None,
) -> tuple[LeadView, Corroboration]:
    """Record investigative information that corroborates a lead (memo 4.D.3). The kind is
    passed to the pack as stated: the kinds that repeat the FRS are its refusal, cited."""
    stated = kind.strip().lower().replace(" ", "_").replace("-", "_")
    if stated not in {k.value for k in CorroborationKind}:
        raise ValidationFailed(
            f"kind: {kind!r} is not a kind of corroboration; use one of "
            f"{', '.join(INDEPENDENT_KINDS)}"
        )
    _required("source", source)
    _required("obtained_by", obtained_by)
    held: list[_Use] = []
    leads: list[Lead] = []

    def ask(uow: UnitOfWork) -> Ask:
        # The lead's row is held: marking or closing it waits for this act.
        lead = uow.leads.get(lead_id, lock=True)
        if lead.status is LeadStatus.closed:
            raise Conflict(f"lead {lead.id} is closed; corroboration is recorded on open leads")
        use = _lead_use(uow, gate, lead)
        use.contexts = _with(
            use.contexts,
            corroboration=CorroborationFacts(kind=stated, description_present=bool(
                description and description.strip())),
        )  # fmt: skip
        held.append(use)
        leads.append(lead)
        return _ask(
            Action.corroboration_record, use, resource_id=lead.id, subject=f"lead:{lead.id}",
            lead_id=lead.id, kind=stated,
        )  # fmt: skip

    def act(
        uow: UnitOfWork, ruling: Ruling
    ) -> tuple[tuple[LeadView, Corroboration], list[EntryDraft]]:
        lead = leads[0]
        at = gate.now()
        item = Corroboration(
            id=new_id("corroboration"), lead_id=lead.id, recorded_by=caller.user_id,
            kind=CorroborationKind(stated), source=source, description=description,
            obtained_by=obtained_by, obtained_on=obtained_on, created_at=at,
        )  # fmt: skip
        uow.corroborations.add(item)
        everything = uow.corroborations.of_lead(lead.id)
        before = lead.status
        if before is LeadStatus.investigative_lead:
            # The same transaction: the lead is corroborated exactly when its first
            # independent corroboration is stored (memo 4.D.3).
            lead.corroborate(everything, at=at)
            uow.leads.update(lead, expected_status=before.value)
        entry = _entry(
            caller, ruling, EventTag.CORROBORATION_RECORD_CREATE, f"corroboration:{item.id}",
            {"lead_id": lead.id, "lead_status_before": before.value,
             "lead_status": lead.status.value, "record": _corroboration_record(item)},
        )  # fmt: skip
        view = LeadView(lead, _case_number(uow, lead), everything)
        return (view, item), [entry]

    return gate.enforce(caller, ask=ask, act=act, hold=_holder(gate, caller, held)).result


def mark_enforcement_basis(*, gate: Gate, caller: Caller, lead_id: str, note: str) -> LeadView:
    """Mark a corroborated lead a basis for enforcement action (memo 4.D.3). Whether it is
    corroborated is read from the stored lead and its own stored corroborations with its row
    locked, so a close or another mark cannot slip in between."""
    _required("note", note)
    held: list[_Use] = []
    leads: list[Lead] = []

    def ask(uow: UnitOfWork) -> Ask:
        lead = uow.leads.get(lead_id, lock=True)
        if lead.status in (LeadStatus.enforcement_basis, LeadStatus.closed):
            raise Conflict(f"lead {lead.id} is {lead.status.value}; it cannot be marked again")
        use = _lead_use(uow, gate, lead)
        own = _independent(lead, uow.corroborations.of_lead(lead.id))
        # memo 4.D.3: corroborated means the stored status says so AND this lead has a stored
        # corroboration of its own; never a client's word, never another lead's.
        facts = LeadFacts(
            corroborated=lead.status is LeadStatus.corroborated and bool(own),
            from_possible_lead=False,
            verification_pending=False,
        )
        use.contexts = _with(use.contexts, lead=facts)
        held.append(use)
        leads.append(lead)
        return _ask(
            Action.lead_mark_enforcement_basis, use, resource_id=lead.id,
            subject=f"lead:{lead.id}", lead_id=lead.id, lead_status=lead.status.value,
            corroborations=[c.id for c in own],
        )  # fmt: skip

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[LeadView, list[EntryDraft]]:
        lead = leads[0]
        before = lead.status
        lead.rely_for_enforcement(by=caller.user_id, at=gate.now(), note=note)
        uow.leads.update(lead, expected_status=before.value)
        entry = _entry(
            caller, ruling, EventTag.LEAD_ENFORCEMENT_MARK, f"lead:{lead.id}",
            {"status_before": before.value,
             "corroborations": list(ruling.ask.details["corroborations"]),
             "record": bound(id=lead.id, status=lead.status,
                             enforcement_note_sha256=sha(lead.enforcement_note))},
        )  # fmt: skip
        view = LeadView(lead, _case_number(uow, lead), uow.corroborations.of_lead(lead.id))
        return view, [entry]

    return gate.enforce(caller, ask=ask, act=act, hold=_holder(gate, caller, held)).result


def close_lead(*, gate: Gate, caller: Caller, lead_id: str, reason: str) -> LeadView:
    """Close a lead (any state but closed), with the reason."""
    _required("reason", reason)
    held: list[_Use] = []
    leads: list[Lead] = []

    def ask(uow: UnitOfWork) -> Ask:
        lead = uow.leads.get(lead_id, lock=True)
        if lead.status is LeadStatus.closed:
            raise Conflict(f"lead {lead.id} is already closed")
        use = _lead_use(uow, gate, lead)
        use.contexts = _with(use.contexts, lead=LeadFacts())
        held.append(use)
        leads.append(lead)
        return _ask(
            Action.lead_close, use, resource_id=lead.id, subject=f"lead:{lead.id}",
            lead_id=lead.id, lead_status=lead.status.value,
        )  # fmt: skip

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[LeadView, list[EntryDraft]]:
        lead = leads[0]
        before = lead.status
        lead.close(by=caller.user_id, at=gate.now(), reason=reason)
        uow.leads.update(lead, expected_status=before.value)
        entry = _entry(
            caller, ruling, EventTag.LEAD_RECORD_CLOSE, f"lead:{lead.id}",
            {"status_before": before.value,
             "record": bound(id=lead.id, status=lead.status,
                             close_reason_sha256=sha(lead.close_reason))},
        )  # fmt: skip
        view = LeadView(lead, _case_number(uow, lead), uow.corroborations.of_lead(lead.id))
        return view, [entry]

    return gate.enforce(caller, ask=ask, act=act, hold=_holder(gate, caller, held)).result


# --- reads -----------------------------------------------------------------------------------


def lead_view(*, gate: Gate, caller: Caller, lead_id: str) -> LeadView:
    """One lead with its corroborations, for whoever may see the candidate list it comes from;
    the read is decided (`candidates.view`) and recorded (`lead:records:view`)."""
    held: list[_Use] = []
    loaded: list[LeadView] = []

    def ask(uow: UnitOfWork) -> Ask:
        lead = uow.leads.get(lead_id)
        use = _lead_use(uow, gate, lead)
        held.append(use)
        loaded.append(LeadView(lead, _case_number(uow, lead), uow.corroborations.of_lead(lead.id)))
        return _ask(
            Action.candidates_view,
            use,
            resource_id=use.candidate_list.id,
            subject=f"lead:{lead.id}",
        )

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[LeadView, list[EntryDraft]]:
        view = loaded[0]
        entry = _entry(
            caller,
            ruling,
            EventTag.LEAD_RECORDS_VIEW,
            f"lead:{view.lead.id}",
            {"leads": [view.lead.id], "status": view.lead.status.value},
        )
        return view, [entry]

    return gate.enforce(caller, ask=ask, act=read, hold=_holder(gate, caller, held)).result


def case_leads(*, gate: Gate, caller: Caller, case_number: str) -> list[LeadView]:
    """Every lead of a case, oldest first, with its corroborations.

    The read is decided as `candidates.view`, which the pack judges on the use whose results
    are read (the translator requires the submission's facts for it: its exigent-use rules,
    memo 4.C.3, hold the results of an overdue use). A case's leads are results of the uses
    they come from, so the read is decided once on every probe of every such use (one
    decision, the strictest winning): an unassigned agent is refused by the case's purpose
    rules, and a list drawn from a held use is held like that use's candidate list. A case
    with no lead yet is decided on the case's uses of an FRS instead (reading that there is
    none is still a read of the case's results); a case with no use of an FRS has nothing to
    read and is a 404 saying so.
    """
    uses: dict[str, Submission] = {}
    loaded: list[list[LeadView]] = []

    def ask(uow: UnitOfWork) -> Ask:
        case = lookup.case(uow, case_number)
        leads = uow.leads.of_case(case.id)
        found = uow.corroborations.of_leads([x.id for x in leads])
        views = [LeadView(x, case.number, found.get(x.id, [])) for x in leads]
        subs: list[Submission] = []
        for x in leads:
            sub = _submission_of(uow, x)
            if sub.id not in uses:
                uses[sub.id] = sub
                subs.append(sub)
        if not leads:
            subs = uow.submissions.of_case(case.id)
            uses.update({s.id: s for s in subs})
        if not subs:
            raise NotFound(f"case {case.number} has no use of an FRS on record, so it has no leads")
        contexts: list[Context] = []
        for sub in subs:
            contexts.extend(purposes.use_contexts(uow, sub, gate.now())[0])
        loaded.append(views)
        return Ask(
            action=Action.candidates_view,
            resource=Resource(kind=ResourceKind.candidate_list, id=f"case:{case.id}:leads",
                              owner_id=subs[0].requested_by),
            contexts=contexts,
            subject=f"case:{case.id}:leads",
            component=COMPONENT,
            case=case.number,
            details={"purpose": case.number, "submissions": sorted(uses)},
        )  # fmt: skip

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[list[LeadView], list[EntryDraft]]:
        views = loaded[0]
        entry = _entry(
            caller,
            ruling,
            EventTag.LEAD_RECORDS_VIEW,
            ruling.ask.subject,
            {"leads": [v.lead.id for v in views], "count": len(views)},
        )
        return views, [entry]

    def hold(uow: UnitOfWork, ruling: Ruling) -> tuple[list[dict[str, Any]], list[EntryDraft]]:
        # The uses whose results are held, each judged alone (a preview: not counted twice).
        awaiting: list[dict[str, Any]] = []
        drafts: list[EntryDraft] = []
        for sub in uses.values():
            contexts, purpose, _ = purposes.use_contexts(uow, sub, gate.now())
            one = replace(ruling.ask, contexts=contexts)
            decision = gate.rule(caller, one, preview=True).decision
            if decision.decision is DecisionOutcome.needs_approval:
                more, entries = hold_for_use_approval(gate, caller, uow, sub, purpose.case_number)
                awaiting.extend(more)
                drafts.extend(entries)
        return awaiting, drafts

    return gate.enforce(caller, ask=ask, act=read, hold=hold).result
