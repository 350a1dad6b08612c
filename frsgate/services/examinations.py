"""An examiner's worklist: the candidate lists of the cases they work, with what waits for them.

A trained, authorized facial examiner (memo 4.D.1) records examinations of candidates and, as a
second reviewer, verifies others' dispositions (memo 4.D.2). The worklist says, for each
candidate list of each open case the examiner is assigned to, how many candidates it holds,
how many have an examination, how many possible leads have none yet, and how many current
dispositions by someone else wait for a second reviewer. It shows counts only, never a
candidate: opening a list is the logged read of its review (`review.review_of`,
`candidates.view`), as the API's.

Reading it is decided once per case as `case_records.view` of the case's register of
examinations (the pack shows a case's records to those who work it, its supervisors and OPR,
memo 4.E.4) and recorded (`case:records:view`); a refusal is raised with its citations, as
every read's is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from frsgate.domain import (
    Candidate,
    CandidateList,
    CandidateListStatus,
    CaseStatus,
    Disposition,
    DispositionKind,
    Examination,
    Submission,
)
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, Resource, ResourceKind
from frsgate.services import purposes
from frsgate.services.gate import Ask, Caller, Gate, Ruling
from frsgate.services.review import verification_required
from frsgate.store.unit import UnitOfWork, read_only

COMPONENT = "services.examinations"
REGISTER = "examinations"


@dataclass(frozen=True, slots=True)
class ListWork:
    """One candidate list of a case, in counts: what an examiner may still do on it."""

    submission: Submission
    candidate_list: CandidateList
    candidates: int
    examined: int  # candidates with at least one examination
    leads_unexamined: int  # current possible-lead dispositions whose candidate has none
    awaiting_verification: int  # current, unverified dispositions recorded by someone else

    @property
    def waiting(self) -> bool:
        """Something waits for an examiner: a possible lead not examined, or a disposition
        without its second reviewer."""
        return self.leads_unexamined > 0 or self.awaiting_verification > 0


@dataclass(frozen=True, slots=True)
class CaseWork:
    """The candidate lists of one case, those with work waiting first, newest first."""

    case_number: str
    title: str
    lists: tuple[ListWork, ...]

    @property
    def waiting(self) -> int:
        return sum(1 for w in self.lists if w.waiting)


@dataclass(frozen=True, slots=True)
class Worklist:
    cases: tuple[CaseWork, ...]
    verification_required: bool  # the pack asks a second reviewer of every disposition

    @property
    def waiting(self) -> int:
        return sum(c.waiting for c in self.cases)


def _list_work(
    caller: Caller,
    sub: Submission,
    clist: CandidateList,
    candidates: Sequence[Candidate],
    current: Mapping[str, Disposition],
    exams: Mapping[str, list[Examination]],
) -> ListWork:
    examined = {c.id for c in candidates if exams.get(c.id)}
    mine = caller.user_id
    return ListWork(
        submission=sub,
        candidate_list=clist,
        candidates=len(candidates),
        examined=len(examined),
        leads_unexamined=sum(
            1
            for c in candidates
            if (d := current.get(c.id)) is not None
            and d.kind is DispositionKind.possible_match_lead
            and c.id not in examined
        ),
        awaiting_verification=sum(
            1
            for c in candidates
            if (d := current.get(c.id)) is not None and not d.verified and d.decided_by != mine
        ),
    )


def _case_lists(uow: UnitOfWork, caller: Caller, case_id: str) -> list[ListWork]:
    subs = {s.id: s for s in uow.submissions.of_case(case_id)}
    lists = {
        sid: clist
        for sid, clist in uow.candidate_lists.of_submissions(list(subs)).items()
        if clist.status is not CandidateListStatus.purged
    }
    by_list = uow.candidates.of_lists([c.id for c in lists.values()])
    ids = [c.id for found in by_list.values() for c in found]
    current = uow.dispositions.current_of_candidates(ids)
    exams = uow.examinations.of_candidates(ids)
    work = [
        _list_work(caller, subs[sid], clist, by_list.get(clist.id, []), current, exams)
        for sid, clist in lists.items()
    ]
    work.sort(key=lambda w: (not w.waiting, _newest_first(w.candidate_list.received_at)))
    return work


def _newest_first(at: datetime) -> float:
    return -at.timestamp()


def worklist(*, gate: Gate, caller: Caller) -> Worklist:
    """The caller's worklist over the open cases they are assigned to; each case's part is a
    decided, recorded read (see the module docstring)."""
    with read_only(gate.engine) as uow:
        case_ids = [c.id for c in uow.cases.assigned_to(caller.user_id, status=CaseStatus.open)]
    found: list[CaseWork] = []
    for case_id in case_ids:
        found.append(_case_work(gate, caller, case_id))
    found.sort(key=lambda c: (-c.waiting, c.case_number))
    return Worklist(cases=tuple(found), verification_required=verification_required(gate))


def _case_work(gate: Gate, caller: Caller, case_id: str) -> CaseWork:
    held: list[CaseWork] = []

    def ask(uow: UnitOfWork) -> Ask:
        case = uow.cases.get(case_id)
        held.append(CaseWork(case.number, case.title, tuple(_case_lists(uow, caller, case.id))))
        return Ask(
            action=Action.case_records_view,
            resource=Resource(kind=ResourceKind.case, id=case.id),
            contexts=[purposes.Purpose(case=case, program=None).context()],
            subject=f"case:{case.id}:{REGISTER}",
            component=COMPONENT,
            case=case.number,
        )

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[CaseWork, list[EntryDraft]]:
        work = held[0]
        entry = ruling.act_entry(
            caller,
            EventTag.CASE_RECORDS_VIEW,
            details={
                "register": REGISTER,
                "lists": len(work.lists),
                "waiting": work.waiting,
            },
        )
        return work, [entry]

    return gate.enforce(caller, ask=ask, act=read).result
