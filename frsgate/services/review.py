"""The review of a candidate list (memo 4.D.1, 4.D.2): dispositions, their verification by a
second reviewer, biometric facial examinations, and the logged read of the whole review.

Every act passes the decision point (`Gate.enforce`) with the purpose facts of the use the list
came from (`purposes.use_contexts`) and what the reviewer states (`DispositionFacts`):

- `record_disposition` (`disposition.record`): the kind as stated. Any claim of identity
  ("positive identification", "match", "identified" ...) is passed to the pack as
  `positive_identification`, which refuses it citing `disposition.no_positive_identification`
  (memo 4.D.2) and records the refusal; a possible lead without a comparison with information
  from traditional means is refused by `disposition.lead_requires_comparison`. A word that is
  neither an identity claim nor a kind is malformed input (422, nothing recorded). A new
  disposition supersedes the candidate's current one.
- `verify_disposition` (`disposition.verify`): a second reviewer confirms the current
  disposition; the pack refuses its author (`disposition.verify_not_own`). A superseded or an
  already verified disposition is a conflict (409).
- `record_examination` (`examination.record`): only an examiner (`examination.examiner_only`,
  memo 4.D.1); a conclusion claiming identity is refused like a disposition's.
- `review_of` (`candidates.view`, recorded as `disposition:records:view`): every candidate
  with its flags, current disposition, the ones it superseded, and its examinations.

Two reviewers racing on one list queue on the candidate list's row (`lock=True`): the second
reads the first's disposition and supersedes it, so a candidate never has two current ones.

When a list counts as reviewed: every candidate has a current disposition and, when the pack
parameter `disposition_verification_required` is true, each current disposition is verified.
The list's stored status turns `reviewed` (`CandidateList.complete_review`, who and when) in
the transaction of the act that first makes this hold, and stays so: it records when the review
was first completed. The `reviewed` a read answers is the condition as it holds now, so under
a pack that requires verification, a new, unverified disposition makes it false again until a
second reviewer verifies that one; without that parameter a later disposition leaves it true.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from frsgate.domain import (
    LEAD_ONLY_NOTICE,
    Candidate,
    CandidateList,
    CandidateListStatus,
    Disposition,
    DispositionKind,
    Examination,
    ExaminationConclusion,
    Flag,
    FlagThresholds,
    Submission,
)
from frsgate.domain.results import IDENTIFICATION_WORDS
from frsgate.domain.values import new_id
from frsgate.errors import Conflict, ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, DispositionFacts, Resource, ResourceKind
from frsgate.services import purposes
from frsgate.services.binding import bound, sha
from frsgate.services.casework import Names
from frsgate.services.gate import Ask, Caller, Gate, Ruling
from frsgate.services.reads import candidate_flags, hold_for_use_approval
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.review"

__all__ = [
    "LEAD_ONLY_NOTICE",
    "POSITIVE_IDENTIFICATION",
    "CandidateReview",
    "DispositionRecord",
    "ExaminationRecord",
    "ListReview",
    "record_disposition",
    "record_examination",
    "review_of",
    "stated_kind",
    "verification_required",
    "verify_disposition",
]

# What the pack is told when a reviewer claims identity (memo 4.D.2).
POSITIVE_IDENTIFICATION = "positive_identification"
# Claims of identity, as written after `_normal`: the domain's words and a few more wordings
# reviewers use. Each is passed to the pack as `positive_identification`, so the refusal is a
# cited decision on the ledger rather than a parse error.
_IDENTITY_CLAIMS = IDENTIFICATION_WORDS | frozenset(
    {
        "positive_id",
        "positive_identity",
        "confirmed_match",
        "confirmed_identification",
        "identity_confirmed",
        "same_person",
    }
)
_SHOWN = 64  # how much of an unknown word an error quotes


def _normal(value: str) -> str:
    """`value` as a word: lower case, spaces and hyphens as single underscores."""
    return "_".join(value.strip().lower().replace("-", " ").replace("_", " ").split())


def stated_kind(value: str, allowed: type[StrEnum], field_name: str) -> str:
    """What the pack is told a reviewer stated: `positive_identification` for any claim of
    identity, else the value of `allowed` it names. Anything else is malformed input."""
    word = _normal(value)
    if word in _IDENTITY_CLAIMS:
        return POSITIVE_IDENTIFICATION
    known = [m.value for m in allowed]
    if word in known:
        return word
    shown = value if len(value) <= _SHOWN else value[:_SHOWN] + "…"
    raise ValidationFailed(
        f"{field_name}: {shown!r} is not one of {', '.join(known)} "
        "(a candidate is never a positive identification, memo 4.D.2)"
    )


def _required(name: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise ValidationFailed(f"{name}: must not be blank")
    return text


def _optional(value: str | None) -> str | None:
    text = value.strip() if value is not None else ""
    return text or None


def verification_required(gate: Gate) -> bool:
    """The pack's parameter: a second reviewer verifies each disposition (memo 4.D.2)."""
    return bool(gate.policy.compiled.parameters.get("disposition_verification_required", False))


def _is_reviewed(
    candidates: Iterable[Candidate], current: dict[str, Disposition], required: bool
) -> bool:
    """Every candidate has a current disposition (verified, when the pack requires it)."""
    for c in candidates:
        d = current.get(c.id)
        if d is None or (required and not d.verified):
            return False
    return True


# --- what the acts answer (as the API and the CLI show it) ----------------------------------


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def flags_dict(flags: Iterable[Flag]) -> list[dict[str, str]]:
    return [{"code": f.code.value, "detail": f.detail} for f in flags]


def disposition_dict(d: Disposition, names: Names, *, current: bool) -> dict[str, Any]:
    return {
        "id": d.id,
        "candidate_id": d.candidate_id,
        "kind": d.kind.value,
        "rationale": d.rationale,
        "traditional_means_compared": d.traditional_means_compared,
        "supersedes_id": d.supersedes_id,
        "decided_by": names.of(d.decided_by),
        "created_at": d.created_at.isoformat(),
        "current": current,
        "verified": d.verified,
        "verified_by": names.of(d.verified_by),
        "verified_at": _iso(d.verified_at),
        "verification_note": d.verification_note,
    }


def examination_dict(e: Examination, names: Names) -> dict[str, Any]:
    return {
        "id": e.id,
        "candidate_id": e.candidate_id,
        "examiner": names.of(e.examiner_id),
        "conclusion": e.conclusion.value,
        "method": e.method,
        "limitations": e.limitations,
        "notes": e.notes,
        "created_at": e.created_at.isoformat(),
    }


@dataclass(frozen=True, slots=True)
class DispositionRecord:
    """A disposition as stored (the candidate's current one), with its list after the act."""

    disposition: Disposition
    candidate_list: CandidateList
    reviewed: bool
    names: Names

    def as_dict(self) -> dict[str, Any]:
        """The stored record, with the lead-only mark and its list's state beside it."""
        clist = self.candidate_list
        return {
            "investigative_lead_only": True,  # memo 4.D.2
            "disposition": disposition_dict(self.disposition, self.names, current=True),
            "candidate_list": {
                "id": clist.id,
                "status": clist.status.value,
                "reviewed": self.reviewed,
            },
        }


@dataclass(frozen=True, slots=True)
class ExaminationRecord:
    examination: Examination
    names: Names

    def as_dict(self) -> dict[str, Any]:
        """The stored record, with the lead-only mark."""
        return {
            "investigative_lead_only": True,  # memo 4.D.2
            "examination": examination_dict(self.examination, self.names),
        }


@dataclass(frozen=True, slots=True)
class CandidateReview:
    """One candidate as its reviewers see it."""

    candidate: Candidate
    flags: list[Flag]
    current: Disposition | None
    superseded: list[Disposition]  # the dispositions the current one replaced, newest first
    examinations: list[Examination]

    def as_dict(self, names: Names) -> dict[str, Any]:
        c = self.candidate
        return {
            "id": c.id,
            "rank": c.rank,
            "score": c.score,
            "gallery_ref": c.gallery_ref,
            "source_database": c.source_database,
            "image_sha256": c.image_sha256,
            "photo_taken_on": _iso(c.photo_taken_on),
            "investigative_lead_only": True,  # memo 4.D.2
            "flags": flags_dict(self.flags),
            "disposition": None
            if self.current is None
            else disposition_dict(self.current, names, current=True),
            "superseded": [disposition_dict(d, names, current=False) for d in self.superseded],
            "examinations": [examination_dict(e, names) for e in self.examinations],
        }


@dataclass(frozen=True, slots=True)
class ListReview:
    submission: Submission
    candidate_list: CandidateList
    purpose: str  # the case number, or program:CODE
    candidates: list[CandidateReview]
    verification_required: bool
    reviewed: bool
    names: Names = field(default_factory=Names)

    def as_dict(self) -> dict[str, Any]:
        clist, names = self.candidate_list, self.names
        return {
            "investigative_lead_only": True,
            "notice": LEAD_ONLY_NOTICE,
            "submission_id": self.submission.id,
            "purpose": self.purpose,
            "candidate_list": {
                "id": clist.id,
                "status": clist.status.value,
                "reviewed_by": names.of(clist.reviewed_by),
                "reviewed_at": _iso(clist.reviewed_at),
                "sandbox": clist.sandbox,
                "size": len(self.candidates),
            },
            "verification_required": self.verification_required,
            "reviewed": self.reviewed,
            "candidates": [r.as_dict(names) for r in self.candidates],
        }


# --- shared steps ---------------------------------------------------------------------------


@dataclass
class _Loaded:
    """The records an act on one candidate is decided on, read inside its transaction."""

    candidate: Candidate
    clist: CandidateList
    sub: Submission
    purpose: purposes.Purpose


def _load_candidate(uow: UnitOfWork, candidate_id: str) -> _Loaded:
    """The candidate, its list (row locked: acts on one list queue there) and submission."""
    candidate = uow.candidates.get(candidate_id)
    clist = uow.candidate_lists.get(candidate.candidate_list_id, lock=True)
    if clist.status is CandidateListStatus.purged:
        raise Conflict(
            f"candidate list {clist.id} was purged under retention; its candidates can no "
            "longer be reviewed"
        )
    sub = uow.submissions.get(clist.submission_id)
    return _Loaded(candidate, clist, sub, purposes.of_submission(uow, sub))


def _ask(
    uow: UnitOfWork,
    gate: Gate,
    action: Action,
    held: _Loaded,
    facts: DispositionFacts,
    subject: str,
    **details: Any,
) -> Ask:
    contexts, purpose, _ = purposes.use_contexts(uow, held.sub, gate.now())
    sub = held.sub
    return Ask(
        action=action,
        resource=Resource(
            kind=ResourceKind.candidate_list, id=held.clist.id, owner_id=sub.requested_by
        ),
        contexts=[replace(c, disposition=facts) for c in contexts],
        subject=subject,
        component=COMPONENT,
        case=purpose.case_number,
        submission=sub.id,
        provider=sub.provider_id,
        program_code=sub.program_code,
        details={"purpose": purpose.ref, "candidate_id": held.candidate.id, **details},
    )


def _act_draft(
    caller: Caller, ruling: Ruling, event: EventTag, subject: str, details: dict[str, Any]
) -> EntryDraft:
    return ruling.act_entry(caller, event, subject=subject, details=details)


def _settle_list(
    uow: UnitOfWork, gate: Gate, caller: Caller, clist: CandidateList, at: datetime
) -> bool:
    """Whether the list is reviewed now; the first time it is, its stored status says so."""
    candidates = uow.candidates.of_list(clist.id)
    current = uow.dispositions.current_of_list(clist.id)
    reviewed = _is_reviewed(candidates, current, verification_required(gate))
    if reviewed and clist.status is CandidateListStatus.received:
        clist.complete_review(by=caller.user_id, at=at)
        uow.candidate_lists.update(clist, expected_status=CandidateListStatus.received.value)
    return reviewed


def _hold(gate: Gate, caller: Caller, held: list[_Loaded]) -> Any:
    """An act on results held for an overdue exigent-use approval waits for it (memo 4.C.3)."""

    def hold(uow: UnitOfWork, ruling: Ruling) -> tuple[list[dict[str, Any]], list[EntryDraft]]:
        return hold_for_use_approval(gate, caller, uow, held[0].sub, ruling.ask.case)

    return hold


# --- the acts -------------------------------------------------------------------------------


def record_disposition(
    *,
    gate: Gate,
    caller: Caller,
    candidate_id: str,
    kind: str,
    rationale: str,
    traditional_means_compared: str | None = None,
) -> DispositionRecord:
    """Record what the reviewer concludes about one candidate (memo 4.D.2); it supersedes the
    candidate's current disposition. The list becomes reviewed in the same transaction once
    every candidate has one (see the module docstring)."""
    stated = stated_kind(kind, DispositionKind, "kind")
    rationale = _required("rationale", rationale)
    compared = _optional(traditional_means_compared)
    held: list[_Loaded] = []
    previous: list[Disposition | None] = []

    def ask(uow: UnitOfWork) -> Ask:
        loaded = _load_candidate(uow, candidate_id)
        held.append(loaded)
        # Read after the list's lock: a reviewer who raced us sees our disposition here.
        previous.append(uow.dispositions.current_of_candidate(loaded.candidate.id))
        facts = DispositionFacts(kind=stated, comparison_recorded=compared is not None)
        return _ask(
            uow, gate, Action.disposition_record, held=loaded, facts=facts,
            subject=f"candidate:{loaded.candidate.id}", kind=stated,
        )  # fmt: skip

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[DispositionRecord, list[EntryDraft]]:
        loaded, before = held[0], previous[0]
        try:
            chosen = DispositionKind(stated)
        except ValueError:  # a pack that allowed an identity claim still could not store it
            raise ValidationFailed(f"kind: {stated!r} cannot be recorded (memo 4.D.2)") from None
        at = gate.now()
        disposition = Disposition(
            id=new_id("disposition"), candidate_id=loaded.candidate.id,
            decided_by=caller.user_id, kind=chosen, rationale=rationale,
            traditional_means_compared=compared,
            supersedes_id=before.id if before is not None else None, created_at=at,
        )  # fmt: skip
        uow.dispositions.add(disposition)
        reviewed = _settle_list(uow, gate, caller, loaded.clist, at)
        record = bound(
            id=disposition.id,
            candidate_id=disposition.candidate_id,
            kind=disposition.kind,
            rationale_sha256=sha(disposition.rationale),
            traditional_means_compared_sha256=sha(disposition.traditional_means_compared),
            supersedes_id=disposition.supersedes_id,
        )
        entry = _act_draft(
            caller, ruling, EventTag.DISPOSITION_RECORD_CREATE, f"disposition:{disposition.id}",
            {"record": record, "candidate_list_id": loaded.clist.id,
             "list_status": loaded.clist.status.value, "reviewed": reviewed},
        )  # fmt: skip
        names = Names.read(uow, [caller.user_id])
        result = DispositionRecord(disposition, loaded.clist, reviewed, names)
        return result, [entry]

    return gate.enforce(caller, ask=ask, act=act, hold=_hold(gate, caller, held)).result


def verify_disposition(
    *, gate: Gate, caller: Caller, disposition_id: str, note: str
) -> DispositionRecord:
    """A second reviewer verifies a candidate's current disposition (memo 4.D.2): never the
    one who recorded it, once, and never a superseded one."""
    note = _required("note", note)
    held: list[_Loaded] = []
    found: list[Disposition] = []

    def ask(uow: UnitOfWork) -> Ask:
        candidate_of = uow.dispositions.get(disposition_id).candidate_id
        loaded = _load_candidate(uow, candidate_of)
        held.append(loaded)
        # Read again under the list's lock: another verifier may have been first.
        disposition = uow.dispositions.get(disposition_id)
        current = uow.dispositions.current_of_candidate(loaded.candidate.id)
        if current is None or current.id != disposition.id:
            newer = current.id if current is not None else "none"
            raise Conflict(
                f"disposition {disposition.id} was superseded (the candidate's current one is "
                f"{newer}); verify the current disposition instead"
            )
        if disposition.verified:
            raise Conflict(
                f"disposition {disposition.id} was already verified at "
                f"{disposition.verified_at.isoformat() if disposition.verified_at else '?'}; "
                "record a new disposition to change the judgement"
            )
        found.append(disposition)
        facts = DispositionFacts(
            kind=disposition.kind.value,
            comparison_recorded=disposition.traditional_means_compared is not None,
            own_disposition=disposition.decided_by == caller.user_id,
        )
        return _ask(
            uow, gate, Action.disposition_verify, held=loaded, facts=facts,
            subject=f"disposition:{disposition.id}", disposition_id=disposition.id,
        )  # fmt: skip

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[DispositionRecord, list[EntryDraft]]:
        loaded, disposition = held[0], found[0]
        at = gate.now()
        disposition.verify(by=caller.user_id, at=at, note=note)
        uow.dispositions.update(disposition)
        reviewed = _settle_list(uow, gate, caller, loaded.clist, at)
        record = bound(
            id=disposition.id,
            verified_by=disposition.verified_by,
            verification_note_sha256=sha(disposition.verification_note),
        )
        entry = _act_draft(
            caller, ruling, EventTag.DISPOSITION_RECORD_VERIFY, f"disposition:{disposition.id}",
            {"record": record, "candidate_id": disposition.candidate_id,
             "candidate_list_id": loaded.clist.id, "list_status": loaded.clist.status.value,
             "reviewed": reviewed},
        )  # fmt: skip
        names = Names.read(uow, [disposition.decided_by, caller.user_id])
        result = DispositionRecord(disposition, loaded.clist, reviewed, names)
        return result, [entry]

    return gate.enforce(caller, ask=ask, act=act, hold=_hold(gate, caller, held)).result


def record_examination(
    *,
    gate: Gate,
    caller: Caller,
    candidate_id: str,
    method: str,
    conclusion: str,
    limitations: str,
    notes: str | None = None,
) -> ExaminationRecord:
    """Record a biometric facial examination of one candidate (memo 4.D.1: examiners only);
    its conclusion is support for a source, never an identification (memo 4.D.2)."""
    stated = stated_kind(conclusion, ExaminationConclusion, "conclusion")
    method = _required("method", method)
    limitations = _required("limitations", limitations)
    remarks = _optional(notes)
    held: list[_Loaded] = []

    def ask(uow: UnitOfWork) -> Ask:
        loaded = _load_candidate(uow, candidate_id)
        held.append(loaded)
        return _ask(
            uow, gate, Action.examination_record, held=loaded,
            facts=DispositionFacts(kind=stated), subject=f"candidate:{loaded.candidate.id}",
            conclusion=stated,
        )  # fmt: skip

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[ExaminationRecord, list[EntryDraft]]:
        loaded = held[0]
        try:
            chosen = ExaminationConclusion(stated)
        except ValueError:
            raise ValidationFailed(
                f"conclusion: {stated!r} cannot be recorded (memo 4.D.2)"
            ) from None
        examination = Examination(
            id=new_id("examination"), candidate_id=loaded.candidate.id,
            examiner_id=caller.user_id, conclusion=chosen, method=method,
            limitations=limitations, notes=remarks, created_at=gate.now(),
        )  # fmt: skip
        uow.examinations.add(examination)
        record = bound(
            id=examination.id,
            candidate_id=examination.candidate_id,
            examiner_id=examination.examiner_id,
            conclusion=examination.conclusion,
            method_sha256=sha(examination.method),
            limitations_sha256=sha(examination.limitations),
            notes_sha256=sha(examination.notes),
        )
        entry = _act_draft(
            caller, ruling, EventTag.EXAMINATION_RECORD_CREATE, f"examination:{examination.id}",
            {"record": record, "candidate_list_id": loaded.clist.id},
        )  # fmt: skip
        return ExaminationRecord(examination, Names.read(uow, [caller.user_id])), [entry]

    return gate.enforce(caller, ask=ask, act=act, hold=_hold(gate, caller, held)).result


# --- the read -------------------------------------------------------------------------------


def _superseded(history: list[Disposition], current: Disposition | None) -> list[Disposition]:
    """The dispositions `current` replaced, newest first (the chain of `supersedes_id`)."""
    by_id = {d.id: d for d in history}
    chain: list[Disposition] = []
    step = current.supersedes_id if current is not None else None
    while step is not None and step in by_id and len(chain) < len(history):
        chain.append(by_id[step])
        step = by_id[step].supersedes_id
    # Any left outside the chain (none, unless two once stood side by side) come last.
    shown = {d.id for d in chain} | ({current.id} if current is not None else set())
    return chain + [d for d in reversed(history) if d.id not in shown]


def review_of(
    *, gate: Gate, caller: Caller, submission_id: str, thresholds: FlagThresholds
) -> ListReview:
    """The review of a submission's candidate list, for those who may see the list (decided
    as `candidates.view`); the read is recorded as `disposition:records:view`."""
    loaded: list[ListReview] = []

    def ask(uow: UnitOfWork) -> Ask:
        sub = uow.submissions.get(submission_id)
        clist = uow.candidate_lists.get_by_submission(sub.id)
        candidates = uow.candidates.of_list(clist.id)
        ids = [c.id for c in candidates]
        history = uow.dispositions.of_candidates(ids)
        current = uow.dispositions.current_of_candidates(ids)
        exams = uow.examinations.of_candidates(ids)
        flags = candidate_flags(sub, clist, candidates, thresholds)
        required = verification_required(gate)
        rows = [
            CandidateReview(
                candidate=c, flags=flags.get(c.id, []), current=current.get(c.id),
                superseded=_superseded(history.get(c.id, []), current.get(c.id)),
                examinations=exams.get(c.id, []),
            )
            for c in candidates
        ]  # fmt: skip
        people: list[str | None] = [clist.reviewed_by]
        for found in history.values():
            people += [p for d in found for p in (d.decided_by, d.verified_by)]
        people += [e.examiner_id for found_exams in exams.values() for e in found_exams]
        purpose = purposes.of_submission(uow, sub)
        loaded.append(
            ListReview(
                submission=sub, candidate_list=clist, purpose=purpose.ref, candidates=rows,
                verification_required=required,
                reviewed=_is_reviewed(candidates, current, required),
                names=Names.read(uow, people),
            )
        )  # fmt: skip
        contexts, _, _ = purposes.use_contexts(uow, sub, gate.now())
        return Ask(
            action=Action.candidates_view,
            resource=Resource(
                kind=ResourceKind.candidate_list, id=clist.id, owner_id=sub.requested_by
            ),
            contexts=contexts,
            subject=f"candidate_list:{clist.id}",
            component=COMPONENT,
            case=purpose.case_number,
            submission=sub.id,
            provider=sub.provider_id,
            program_code=sub.program_code,
            details={"purpose": purpose.ref},
        )

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[ListReview, list[EntryDraft]]:
        view = loaded[0]
        details = {
            "candidate_list_id": view.candidate_list.id,
            "list_size": len(view.candidates),
            "dispositions": sum(1 for c in view.candidates if c.current is not None),
            "examinations": sum(len(c.examinations) for c in view.candidates),
            "reviewed": view.reviewed,
        }
        entry = _act_draft(
            caller, ruling, EventTag.DISPOSITION_RECORDS_VIEW,
            f"candidate_list:{view.candidate_list.id}", details,
        )  # fmt: skip
        return view, [entry]

    def hold(uow: UnitOfWork, ruling: Ruling) -> tuple[list[dict[str, Any]], list[EntryDraft]]:
        return hold_for_use_approval(gate, caller, uow, loaded[0].submission, ruling.ask.case)

    return gate.enforce(caller, ask=ask, act=read, hold=hold).result
