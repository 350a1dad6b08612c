"""Sensitive reads: a submission's record, a candidate list, a candidate image, a probe image.

Each passes the decision point (`Gate.enforce`): the decision and the read are one ledger batch,
committed before any data is returned (DESIGN: every read of a probe image or a candidate list
is an entry). A read the policy holds for an approval (exigent use whose supervisor approval is
overdue, memo 4.C.3) is *not* served: it answers `ApprovalRequired` naming the approval request
it waits for, which is in the queue of a supervisor of the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from frsgate.config import Settings
from frsgate.domain import (
    LEAD_ONLY_NOTICE,
    Approval,
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    Candidate,
    CandidateList,
    Disposition,
    Flag,
    FlagThresholds,
    Probe,
    Submission,
    review_flags,
)
from frsgate.domain.values import new_id
from frsgate.errors import NotFound
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services import facts, purposes
from frsgate.services.casework import Names
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.services.records import approval_request_draft
from frsgate.store.unit import UnitOfWork
from frsgate.vault import KeyEncryptionKey, candidate_aad, open_sealed, probe_aad
from frsgate.vault.crypto import SealedBlob

COMPONENT = "services.reads"

__all__ = [
    "LEAD_ONLY_NOTICE",
    "CandidateView",
    "SubmissionView",
    "candidate_flags",
    "candidate_image",
    "flag_thresholds",
    "my_submissions",
    "probe_image",
    "view_candidates",
    "view_submission",
]


@dataclass(frozen=True, slots=True)
class CandidateView:
    submission: Submission
    candidate_list: CandidateList
    candidates: list[Candidate]
    purpose: str  # the case number, or program:CODE
    # Each candidate's current disposition (those with one), its review flags, and the
    # usernames of the reviewers named.
    current: dict[str, Disposition] = field(default_factory=dict)
    flags: dict[str, list[Flag]] = field(default_factory=dict)
    names: Names = field(default_factory=Names)


def flag_thresholds(settings: Settings) -> FlagThresholds:
    """When each review flag is raised (settings `FRSGATE_FLAG_*`)."""
    return FlagThresholds(
        photo_age_years=settings.flag_photo_age_years,
        low_score=settings.flag_low_score,
        close_score_margin=settings.flag_close_score_margin,
        close_score_count=settings.flag_close_score_count,
    )


def searched_on(sub: Submission, clist: CandidateList) -> date:
    """The day of the search: when the submission reached the FRS (its list's arrival when
    the dispatch time is not on record)."""
    return (sub.dispatched_at or clist.received_at).date()


def candidate_flags(
    sub: Submission,
    clist: CandidateList,
    candidates: list[Candidate],
    thresholds: FlagThresholds,
) -> dict[str, list[Flag]]:
    """The review flags of a list's candidates, keyed by candidate id."""
    return review_flags(candidates, searched_on(sub, clist), thresholds)


@dataclass(frozen=True, slots=True)
class SubmissionView:
    """A submission's record and what it waits for (its own and its probes' approvals)."""

    submission: Submission
    purpose: str  # the case number, or program:CODE
    approvals: list[Approval]


def _use_ask(
    uow: UnitOfWork, gate: Gate, sub: Submission, clist: CandidateList, subject: str
) -> Ask:
    contexts, purpose, _ = purposes.use_contexts(uow, sub, gate.now())
    return Ask(
        action=Action.candidates_view,
        resource=Resource(kind=ResourceKind.candidate_list, id=clist.id, owner_id=sub.requested_by),
        contexts=contexts,
        subject=subject,
        component=COMPONENT,
        case=purpose.case_number,
        submission=sub.id,
        provider=sub.provider_id,
        program_code=sub.program_code,
        details={"purpose": purpose.ref},
    )


def _read_draft(caller: Caller, ruling: Ruling, details: dict[str, Any]) -> EntryDraft:
    return ruling.act_entry(caller, EventTag.CANDIDATES_LIST_VIEW, details=details)


def hold_for_use_approval(
    gate: Gate, caller: Caller, uow: UnitOfWork, sub: Submission, case_number: str | None
) -> tuple[list[dict[str, Any]], list[EntryDraft]]:
    """The approval a held read of results waits for: the submission's pending exigent-use
    approval (it stays in the case supervisor's queue, overdue, until decided), asked for now
    if none is pending. Returns what the caller is told and the entries of anything created."""
    mine = uow.approvals.for_subject(ApprovalSubject.submission, sub.id)
    pending = [
        a for a in mine
        if a.kind is ApprovalKind.exigent_provider and a.status is ApprovalStatus.pending
    ]  # fmt: skip
    drafts: list[EntryDraft] = []
    if not pending:
        purpose = purposes.of_submission(uow, sub)
        item = Approval(
            id=new_id("approval"),
            kind=ApprovalKind.exigent_provider,
            subject_kind=ApprovalSubject.submission,
            subject_id=sub.id,
            case_id=sub.case_id,
            program_id=purpose.program_id,
            requester_id=sub.requested_by,
            assigned_to=purpose.approver_for(uow.users.get(sub.requested_by)),
            reason=sub.exigent_reason or sub.justification,
            requested_at=gate.now(),
        )
        uow.approvals.add(item)
        pending = [item]
        drafts.append(approval_request_draft(gate, caller, item, case_number, COMPONENT))
    awaiting = [
        {
            "id": a.id,
            "kind": a.kind.value,
            "approver_role": _role(gate, a),
            "status": a.status.value,
            "deadline": a.deadline.isoformat() if a.deadline else None,
            "overdue": a.is_overdue(gate.now()),
        }
        for a in pending
    ]
    return awaiting, drafts


def _role(gate: Gate, approval: Approval) -> str | None:
    role = gate.approver_role(approval.kind)
    return role.value if role is not None else None


def view_candidates(
    *, gate: Gate, caller: Caller, submission_id: str, thresholds: FlagThresholds
) -> CandidateView:
    """The candidate list of a submission, for an authorized viewer, with each candidate's
    review flags and current disposition; the view is recorded."""
    loaded: list[tuple[Submission, CandidateList, list[Candidate]]] = []
    current: dict[str, Disposition] = {}
    names: list[Names] = []

    def ask(uow: UnitOfWork) -> Ask:
        sub = uow.submissions.get(submission_id)
        try:
            clist = uow.candidate_lists.get_by_submission(sub.id)
        except NotFound:
            raise NotFound(
                f"submission {sub.id} has no candidate list (status {sub.status.value})"
            ) from None
        loaded.append((sub, clist, uow.candidates.of_list(clist.id)))
        current.update(uow.dispositions.current_of_list(clist.id))
        names.append(Names.read(uow, [d.decided_by for d in current.values()]))
        return _use_ask(uow, gate, sub, clist, f"candidate_list:{clist.id}")

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[CandidateView, list[EntryDraft]]:
        sub, clist, candidates = loaded[0]
        view = CandidateView(
            sub, clist, candidates, str(ruling.ask.details["purpose"]), current=current,
            flags=candidate_flags(sub, clist, candidates, thresholds), names=names[0],
        )  # fmt: skip
        details = {"list_size": len(candidates), "sandbox": clist.sandbox}
        return view, [_read_draft(caller, ruling, details)]

    def hold(uow: UnitOfWork, ruling: Ruling) -> tuple[list[dict[str, Any]], list[EntryDraft]]:
        return hold_for_use_approval(gate, caller, uow, loaded[0][0], ruling.ask.case)

    return gate.enforce(caller, ask=ask, act=read, hold=hold).result


def candidate_image(
    *, gate: Gate, kek: KeyEncryptionKey, caller: Caller, candidate_id: str
) -> tuple[bytes, str]:
    """A candidate's image (decrypted), for an authorized viewer; the view is recorded."""
    loaded: list[tuple[Submission, Candidate, bytes]] = []

    def ask(uow: UnitOfWork) -> Ask:
        candidate = uow.candidates.get(candidate_id)
        clist = uow.candidate_lists.get(candidate.candidate_list_id)
        sub = uow.submissions.get(clist.submission_id)
        loaded.append((sub, candidate, uow.candidates.get_image(candidate.id).sealed))
        return _use_ask(uow, gate, sub, clist, f"candidate:{candidate.id}")

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[Candidate, list[EntryDraft]]:
        candidate = loaded[0][1]
        details = {"image_sha256": candidate.image_sha256, "rank": candidate.rank}
        return candidate, [_read_draft(caller, ruling, details)]

    def hold(uow: UnitOfWork, ruling: Ruling) -> tuple[list[dict[str, Any]], list[EntryDraft]]:
        return hold_for_use_approval(gate, caller, uow, loaded[0][0], ruling.ask.case)

    candidate = gate.enforce(caller, ask=ask, act=read, hold=hold).result
    data = open_sealed(
        SealedBlob.from_bytes(loaded[0][2]), kek=kek, associated_data=candidate_aad(candidate.id)
    )
    return data, candidate.media_type or "application/octet-stream"


def probe_image(
    *, gate: Gate, kek: KeyEncryptionKey, caller: Caller, probe_id: str
) -> tuple[Probe, bytes]:
    """A probe's re-encoded image, for an authorized viewer; the view is recorded."""
    loaded: list[tuple[Probe, bytes]] = []

    def ask(uow: UnitOfWork) -> Ask:
        probe = uow.probes.get(probe_id)
        purpose = purposes.of_probe(uow, probe)
        loaded.append((probe, uow.probes.get_image(probe.id).sealed))
        return Ask(
            action=Action.probe_image_view,
            resource=Resource(kind=ResourceKind.probe, id=probe.id, owner_id=probe.submitted_by),
            contexts=[purpose.context()],
            subject=f"probe:{probe.id}",
            component=COMPONENT,
            case=purpose.case_number,
        )

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[Probe, list[EntryDraft]]:
        probe = loaded[0][0]
        entry = draft(
            caller,
            EventTag.PROBE_IMAGE_VIEW,
            action=Action.probe_image_view,
            subject=f"probe:{probe.id}",
            component=COMPONENT,
            case=ruling.ask.case,
            details={"probe_sha256": probe.sha256},
        )
        return probe, [entry]

    probe = gate.enforce(caller, ask=ask, act=read).result
    data = open_sealed(
        SealedBlob.from_bytes(loaded[0][1]), kek=kek, associated_data=probe_aad(probe.id)
    )
    return probe, data


def _submission_ask(uow: UnitOfWork, sub: Submission, subject: str) -> tuple[Ask, str]:
    purpose = purposes.of_submission(uow, sub)
    ask = Ask(
        action=Action.submission_view,
        resource=Resource(kind=ResourceKind.submission, id=sub.id, owner_id=sub.requested_by),
        contexts=[purpose.context()],
        subject=subject,
        component=COMPONENT,
        case=purpose.case_number,
        submission=sub.id,
        provider=sub.provider_id,
        program_code=sub.program_code,
    )
    return ask, purpose.ref


def _waiting_on(uow: UnitOfWork, sub: Submission) -> list[Approval]:
    own = uow.approvals.for_subject(ApprovalSubject.submission, sub.id)
    probes = [a for pid in sub.probe_ids for a in facts.probe_approvals(uow, pid)]
    return own + probes


def view_submission(*, gate: Gate, caller: Caller, submission_id: str) -> SubmissionView:
    """One submission's record, status and approvals, for its requester, a supervisor of its
    case or OPR; the read is decided and recorded."""
    loaded: list[SubmissionView] = []

    def ask(uow: UnitOfWork) -> Ask:
        sub = uow.submissions.get(submission_id)
        question, number = _submission_ask(uow, sub, f"submission:{sub.id}")
        loaded.append(SubmissionView(sub, number, _waiting_on(uow, sub)))
        return question

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[SubmissionView, list[EntryDraft]]:
        view = loaded[0]
        entry = draft(
            caller, EventTag.SUBMISSION_RECORD_VIEW, action=Action.submission_view,
            subject=ruling.ask.subject, component=COMPONENT, case=ruling.ask.case,
            submission=view.submission.id, details={"status": view.submission.status.value},
        )  # fmt: skip
        return view, [entry]

    return gate.enforce(caller, ask=ask, act=read).result


def my_submissions(*, gate: Gate, caller: Caller, limit: int = 100) -> list[SubmissionView]:
    """The caller's own submissions, newest first, with what each waits for. Listing one's
    own record is decided once (`submission.view` of the caller's own list) and recorded."""
    loaded: list[list[SubmissionView]] = []

    def ask(uow: UnitOfWork) -> Ask:
        subs = list(reversed(uow.submissions.of_user(caller.user_id)))[:limit]
        views = []
        for sub in subs:
            ref = purposes.of_submission(uow, sub).ref
            views.append(SubmissionView(sub, ref, _waiting_on(uow, sub)))
        loaded.append(views)
        return Ask(
            action=Action.submission_view,
            resource=Resource(
                kind=ResourceKind.submission, id=f"user:{caller.user_id}", owner_id=caller.user_id
            ),
            contexts=[Context()],
            subject=f"submissions:user:{caller.user_id}",
            component=COMPONENT,
        )

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[list[SubmissionView], list[EntryDraft]]:
        views = loaded[0]
        entry = draft(
            caller, EventTag.SUBMISSION_RECORD_VIEW, action=Action.submission_view,
            subject=ruling.ask.subject, component=COMPONENT,
            details={"count": len(views), "submissions": [v.submission.id for v in views]},
        )  # fmt: skip
        return views, [entry]

    return gate.enforce(caller, ask=ask, act=read).result
