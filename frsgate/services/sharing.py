"""The sharing register and the searches partner agencies ran for a case (memo 3, 4.E.1).

Memo 3: "HSI personnel may only share information obtained from the use of an FRS with other
parties or entities as authorized by statute, regulations, and/or existing information sharing
agreements." `record_share` enters a share in the case's register as `share.create`: the pack
refuses a share without a named recipient (`share.recipient`) or without a recorded authority
(`share.authority`), and judges it with the use it came from, so the purpose rules (an open
case the sharer works on) and the exigent-use holds (memo 4.C.3) apply to it as to any use of
those results. What was stated is passed to the pack as stated; a missing recipient or
authority is its refusal, on the ledger, never a parse error.

Memo 4.E.1: "Any submission to an FRS will be noted in [a] log ... detailing the FRS used, the
personnel that submitted the probe photo, and the case." A search a partner agency ran for one
of our cases is noted the same way (`record_partner_search`, `partner_search.record`): the
pack refuses one that does not name the partner agency and the FRS it used
(`partner_search.frs_named`).

Every act binds its record to its ledger entry (`details.record`, free text by its SHA-256);
every read of a register is decided and recorded (`share:records:view`,
`partner:records:view`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from frsgate.domain import (
    Case,
    PartnerResult,
    PartnerSearch,
    Share,
    ShareAuthorityKind,
    Submission,
)
from frsgate.domain.values import new_id
from frsgate.errors import NotFound, ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.decision import Outcome
from frsgate.policy.facts import (
    Action,
    Context,
    PartnerSearchFacts,
    Resource,
    ResourceKind,
    ShareFacts,
)
from frsgate.services import lookup, purposes
from frsgate.services.binding import bound, sha
from frsgate.services.casework import Names
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.services.reads import hold_for_use_approval
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.sharing"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _present(text: str | None) -> bool:
    return bool(text and text.strip())


def _clean(text: str | None) -> str:
    return text.strip() if text else ""


# --- what the services answer ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShareRecord:
    share: Share
    case_number: str
    names: Names

    def as_dict(self) -> dict[str, Any]:
        s = self.share
        return {
            "id": s.id,
            "case": self.case_number,
            "lead_id": s.lead_id,
            "submission_id": s.submission_id,
            "recipient": s.recipient,
            "authority_kind": s.authority_kind.value,
            "authority": s.authority,
            "description": s.description,
            "shared_by": self.names.of(s.shared_by),
            "created_at": s.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class PartnerSearchRecord:
    search: PartnerSearch
    case_number: str
    names: Names

    def as_dict(self) -> dict[str, Any]:
        p = self.search
        return {
            "id": p.id,
            "case": self.case_number,
            "partner_agency": p.partner_agency,
            "partner_system": p.partner_system,
            "searched_on": p.searched_on.isoformat(),
            "match_type": p.match_type,
            "result": p.result.value,
            "candidate_count": p.candidate_count,
            "summary": p.summary,
            "probe_sha256": p.probe_sha256,
            "recorded_by": self.names.of(p.recorded_by),
            "created_at": p.created_at.isoformat(),
        }


def share_binding(share: Share) -> dict[str, Any]:
    """`details.record` of a share (the disclosure package's binding)."""
    return bound(
        id=share.id, case_id=share.case_id, lead_id=share.lead_id,
        submission_id=share.submission_id, recipient=share.recipient,
        authority_kind=share.authority_kind, authority=share.authority,
        description_sha256=sha(share.description),
    )  # fmt: skip


def partner_search_binding(p: PartnerSearch) -> dict[str, Any]:
    """`details.record` of a partner search (the disclosure package's binding)."""
    return bound(
        id=p.id, case_id=p.case_id, partner_agency=p.partner_agency,
        partner_system=p.partner_system, searched_on=p.searched_on, match_type=p.match_type,
        result=p.result, candidate_count=p.candidate_count, summary_sha256=sha(p.summary),
        probe_sha256=p.probe_sha256,
    )  # fmt: skip


# --- the sharing register (memo 3) -------------------------------------------------------


def _authority_kind(value: str | None) -> ShareAuthorityKind | None:
    """The stated kind of authority; None when none is stated (the pack refuses that). A word
    that is no kind at all is malformed input."""
    if value is None or not value.strip():
        return None
    try:
        return ShareAuthorityKind(value.strip())
    except ValueError:
        known = ", ".join(k.value for k in ShareAuthorityKind)
        raise ValidationFailed(f"authority_kind: {value!r} is not one of {known}") from None


def _shared_use(
    uow: UnitOfWork, case: Case, lead_id: str | None, submission_id: str | None
) -> Submission:
    """The FRS use a share draws on: the submission named, or the lead's; each must belong to
    `case` (a record of another case is malformed input naming it)."""
    sub_id = submission_id
    if lead_id is not None:
        lead = uow.leads.get(lead_id)
        if lead.case_id != case.id:
            raise ValidationFailed(
                f"lead_id: lead {lead.id} belongs to another case than {case.number}"
            )
        if submission_id is not None and submission_id != lead.submission_id:
            raise ValidationFailed(
                f"submission_id: lead {lead.id} comes from submission {lead.submission_id}, "
                f"not {submission_id}"
            )
        sub_id = lead.submission_id
    assert sub_id is not None
    sub = uow.submissions.get(sub_id)
    if sub.case_id != case.id:
        raise ValidationFailed(
            f"submission_id: submission {sub.id} does not serve case {case.number}"
        )
    return sub


def record_share(
    *,
    gate: Gate,
    caller: Caller,
    case_ref: str,
    lead_id: str | None,
    submission_id: str | None,
    recipient: str | None,
    authority_kind: str | None,
    authority: str | None,
    description: str,
) -> ShareRecord:
    """Enter a share of FRS information in the case's register, as `share.create` (memo 3).
    A missing recipient or authority is the pack's refusal (403, on the ledger)."""
    if lead_id is None and submission_id is None:
        raise ValidationFailed(
            "lead_id or submission_id: name the lead or the FRS use whose information was shared"
        )
    if not _present(description):
        raise ValidationFailed("description: say what was shared")
    kind = _authority_kind(authority_kind)
    facts = ShareFacts(
        recipient=_clean(recipient),  # memo 3: "" when no recipient is named
        authority_recorded=kind is not None and _present(authority),
    )
    share_id = new_id("share")
    held: list[tuple[Case, Submission]] = []

    def ask(uow: UnitOfWork) -> Ask:
        case = uow.cases.get(lookup.case(uow, case_ref).id, lock=True)
        sub = _shared_use(uow, case, lead_id, submission_id)
        held.append((case, sub))
        # The use the information came from, as it happened (purpose, exigent holds).
        contexts, _, _ = purposes.use_contexts(uow, sub, gate.now())
        return Ask(
            action=Action.share_create,
            resource=Resource(kind=ResourceKind.share, id=share_id, owner_id=sub.requested_by),
            contexts=[replace(c, share=facts) for c in contexts],
            subject=f"share:{share_id}",
            component=COMPONENT,
            case=case.number,
            submission=sub.id,
            provider=sub.provider_id,
            program_code=sub.program_code,
        )

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[ShareRecord, list[EntryDraft]]:
        case, sub = held[0]
        # The pack allowed it: a recipient and an authority were stated (memo 3).
        assert kind is not None
        assert authority is not None
        share = Share(
            id=share_id,
            case_id=case.id,
            lead_id=lead_id,
            submission_id=sub.id,
            shared_by=caller.user_id,
            recipient=facts.recipient,
            authority_kind=kind,
            authority=authority.strip(),
            description=description.strip(),
            created_at=gate.now(),
        )
        uow.shares.add(share)
        entry = draft(
            caller, EventTag.SHARE_RECORD_CREATE, action=Action.share_create,
            subject=f"share:{share.id}", component=COMPONENT, case=case.number,
            submission=sub.id, provider=sub.provider_id, program_code=sub.program_code,
            details={"record": share_binding(share)},
        )  # fmt: skip
        names = Names({caller.user_id: caller.user.username})
        return ShareRecord(share, case.number, names), [entry]

    return gate.enforce(caller, ask=ask, act=act).result


def _case_log_ask(case: Case, caller: Caller, register: str) -> Ask:
    """`case_records.view` of one of the case's logs, judged on the case's purpose: the pack
    shows it to those who work the case, its supervisors and OPR (memo 4.E.4, 4.E.5). A
    partner's search is no use of ours, so it is not read as FRS results (`candidates.view`).
    """
    purpose = purposes.Purpose(case=case, program=None)
    return Ask(
        action=Action.case_records_view,
        resource=Resource(kind=ResourceKind.case, id=case.id),
        contexts=[purpose.context()],
        subject=f"case:{case.id}:{register}",
        component=COMPONENT,
        case=case.number,
    )


def case_shares(*, gate: Gate, caller: Caller, case_ref: str) -> list[ShareRecord]:
    """The case's sharing register (memo 3), oldest first; the read is decided and recorded.

    Why `candidates.view`: the register repeats what came of FRS results (what was shared,
    with whom), so it is shown to whoever may see those results: those assigned to the case,
    its supervisors, OPR (the purpose rules), and a use held or refused after the fact (memo
    4.C.3) holds the register too. The pack judges `candidates.view` on a use (the translator
    requires a submission's facts), so the read is decided once on every probe of every use
    the register draws on (the shares' submissions, or their leads'), the strictest decision
    winning, as the case's leads are (`frsgate.services.leads.case_leads`). An empty register
    is decided on the case's uses instead (reading that nothing was shared is still a read of
    the case's results); a case with no use of an FRS has nothing to share and is a 404.
    """
    uses: dict[str, Submission] = {}
    loaded: list[tuple[Case, list[Share], Names]] = []

    def ask(uow: UnitOfWork) -> Ask:
        case = lookup.case(uow, case_ref)
        shares = uow.shares.of_case(case.id)
        lead_subs = {lead.id: lead.submission_id for lead in uow.leads.of_case(case.id)}
        for s in shares:
            sub_id = s.submission_id or lead_subs.get(s.lead_id or "")
            if sub_id is not None and sub_id not in uses:
                uses[sub_id] = uow.submissions.get(sub_id)
        if not uses:
            uses.update({sub.id: sub for sub in uow.submissions.of_case(case.id)})
        if not uses:
            raise NotFound(
                f"case {case.number} has no use of an FRS on record, so nothing was shared"
            )
        contexts: list[Context] = []
        for sub in uses.values():
            contexts += purposes.use_contexts(uow, sub, gate.now())[0]
        loaded.append((case, shares, Names.read(uow, [s.shared_by for s in shares])))
        first = next(iter(uses.values()))
        return Ask(
            action=Action.candidates_view,
            resource=Resource(
                kind=ResourceKind.candidate_list,
                id=f"case:{case.id}:shares",
                owner_id=first.requested_by,
            ),
            contexts=contexts,
            subject=f"case:{case.id}:shares",
            component=COMPONENT,
            case=case.number,
            details={"purpose": case.number, "submissions": sorted(uses)},
        )

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[list[ShareRecord], list[EntryDraft]]:
        case, shares, names = loaded[0]
        entry = draft(
            caller, EventTag.SHARE_RECORDS_VIEW, action=Action.candidates_view,
            subject=ruling.ask.subject, component=COMPONENT, case=case.number,
            details={"count": len(shares), "shares": [s.id for s in shares]},
        )  # fmt: skip
        return [ShareRecord(s, case.number, names) for s in shares], [entry]

    def hold(uow: UnitOfWork, ruling: Ruling) -> tuple[list[dict[str, Any]], list[EntryDraft]]:
        # The uses whose results are held, each judged alone (a preview: not counted twice).
        awaiting: list[dict[str, Any]] = []
        drafts: list[EntryDraft] = []
        for sub in uses.values():
            contexts, purpose, _ = purposes.use_contexts(uow, sub, gate.now())
            one = replace(ruling.ask, contexts=contexts)
            if gate.rule(caller, one, preview=True).decision.decision is Outcome.needs_approval:
                more, entries = hold_for_use_approval(gate, caller, uow, sub, purpose.case_number)
                awaiting += more
                drafts += entries
        return awaiting, drafts

    return gate.enforce(caller, ask=ask, act=read, hold=hold).result


# --- searches partner agencies ran for a case (memo 4.E.1) -------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerSearchStatement:
    """A partner agency's FRS search, as the agent states it. `partner_agency` and
    `partner_system` are passed to the pack as stated (missing: its refusal)."""

    partner_agency: str | None
    partner_system: str | None
    searched_on: date
    result: PartnerResult
    summary: str
    match_type: str | None = None
    candidate_count: int | None = None
    probe_sha256: str | None = None

    def checked(self) -> PartnerSearchStatement:
        """The statement with its malformed parts refused (a 422 naming the field): what the
        memo governs (the partner and its FRS named) is left to the pack."""
        if not _present(self.summary):
            raise ValidationFailed("summary: say what the partner searched and found")
        if self.candidate_count is not None and self.candidate_count < 0:
            raise ValidationFailed("candidate_count: must be 0 or more")
        if self.result is PartnerResult.negative and self.candidate_count:
            raise ValidationFailed("candidate_count: must be 0 or absent for a negative result")
        if self.result is PartnerResult.candidates and self.candidate_count == 0:
            raise ValidationFailed("candidate_count: must be at least 1 when candidates came back")
        digest = self.probe_sha256.strip().lower() if self.probe_sha256 else None
        if digest is not None and not _SHA256.fullmatch(digest):
            raise ValidationFailed("probe_sha256: must be 64 hexadecimal digits")
        match_type = self.match_type.strip() if self.match_type else None
        return replace(self, probe_sha256=digest or None, match_type=match_type or None)


def record_partner_search(
    *, gate: Gate, caller: Caller, case_ref: str, statement: PartnerSearchStatement
) -> PartnerSearchRecord:
    """Note a search a partner agency ran for the case (memo 4.E.1), as
    `partner_search.record`: refused without the partner agency or the FRS it used."""
    stated = statement.checked()
    facts = PartnerSearchFacts(
        partner_recorded=_present(stated.partner_agency),
        system_recorded=_present(stated.partner_system),
    )
    search_id = new_id("psearch")
    held: list[Case] = []

    def ask(uow: UnitOfWork) -> Ask:
        found = lookup.case(uow, case_ref)
        purpose = purposes.of(uow, case_id=found.id, program_code=None, lock=True)
        assert purpose.case is not None
        held.append(purpose.case)
        return Ask(
            action=Action.partner_search_record,
            resource=Resource(kind=ResourceKind.partner_search, id=search_id),
            contexts=[purpose.context(partner_search=facts)],
            subject=f"partner_search:{search_id}",
            component=COMPONENT,
            case=purpose.case.number,
        )

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[PartnerSearchRecord, list[EntryDraft]]:
        case = held[0]
        search = PartnerSearch(
            id=search_id,
            case_id=case.id,
            recorded_by=caller.user_id,
            partner_agency=_clean(stated.partner_agency),
            partner_system=_clean(stated.partner_system),
            searched_on=stated.searched_on,
            match_type=stated.match_type,
            result=stated.result,
            candidate_count=stated.candidate_count,
            summary=stated.summary.strip(),
            probe_sha256=stated.probe_sha256,
            created_at=gate.now(),
        )
        uow.partner_searches.add(search)
        entry = draft(
            caller, EventTag.PARTNER_SEARCH_RECORD, action=Action.partner_search_record,
            subject=f"partner_search:{search.id}", component=COMPONENT, case=case.number,
            details={"record": partner_search_binding(search)},
        )  # fmt: skip
        names = Names({caller.user_id: caller.user.username})
        return PartnerSearchRecord(search, case.number, names), [entry]

    return gate.enforce(caller, ask=ask, act=act).result


def case_partner_searches(
    *, gate: Gate, caller: Caller, case_ref: str
) -> list[PartnerSearchRecord]:
    """The partner searches noted for the case, in the order they were searched; the read is
    decided as the case's log (`submission.view`, see `_case_log_ask`) and recorded."""
    loaded: list[tuple[Case, list[PartnerSearch], Names]] = []

    def ask(uow: UnitOfWork) -> Ask:
        case = lookup.case(uow, case_ref)
        found = uow.partner_searches.of_case(case.id)
        loaded.append((case, found, Names.read(uow, [p.recorded_by for p in found])))
        return _case_log_ask(case, caller, "partner_searches")

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[list[PartnerSearchRecord], list[EntryDraft]]:
        case, found, names = loaded[0]
        entry = draft(
            caller, EventTag.PARTNER_RECORDS_VIEW, action=ruling.ask.action,
            subject=ruling.ask.subject, component=COMPONENT, case=case.number,
            details={"count": len(found), "partner_searches": [p.id for p in found]},
        )  # fmt: skip
        return [PartnerSearchRecord(p, case.number, names) for p in found], [entry]

    return gate.enforce(caller, ask=ask, act=read).result
