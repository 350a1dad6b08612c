"""Sensitive reads: a candidate list, a candidate image, a probe image. Each is decided by the
policy and is a ledger entry before any data is returned (DESIGN: every read of a probe image
or a candidate list is one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frsgate.domain import Candidate, CandidateList, Probe, Submission
from frsgate.errors import NotFound
from frsgate.ledger import EventTag
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services import facts, lookup
from frsgate.services.gate import Caller, decide, draft
from frsgate.services.runtime import Runtime
from frsgate.store.unit import read_only
from frsgate.vault import candidate_aad, open_sealed, probe_aad
from frsgate.vault.crypto import SealedBlob

COMPONENT = "services.reads"
LEAD_ONLY_NOTICE = "Not a positive identification — memo 4.D.2"


@dataclass(frozen=True, slots=True)
class CandidateView:
    submission: Submission
    candidate_list: CandidateList
    candidates: list[Candidate]
    case_number: str


def _use_context(runtime: Runtime, sub: Submission) -> tuple[Context, str]:
    with read_only(runtime.engine) as uow:
        context, case, _ = lookup.use_context(uow, sub)
    return context, case.number


def _authorize_view(
    runtime: Runtime,
    caller: Caller,
    sub: Submission,
    clist: CandidateList,
    *,
    subject: str,
    details: dict[str, Any],
) -> str:
    """Decide `candidates.view` for this list and record the decision with the read; returns
    the case number. A denial raises before anything is read out."""
    context, case_number = _use_context(runtime, sub)
    decide(
        runtime,
        caller,
        Action.candidates_view,
        Resource(kind=ResourceKind.candidate_list, id=clist.id, owner_id=sub.requested_by),
        context,
        subject=subject,
        component=COMPONENT,
        case=case_number,
        submission=sub.id,
        provider=sub.provider_id,
        program_code=sub.program_code,
        read=draft(
            caller,
            EventTag.CANDIDATES_LIST_VIEW,
            action=Action.candidates_view,
            subject=subject,
            component=COMPONENT,
            case=case_number,
            submission=sub.id,
            provider=sub.provider_id,
            program_code=sub.program_code,
            details=details,
        ),
    )
    return case_number


def view_candidates(runtime: Runtime, caller: Caller, submission_id: str) -> CandidateView:
    """The candidate list of a submission, for an authorized viewer; the view is recorded."""
    with read_only(runtime.engine) as uow:
        sub = uow.submissions.get(submission_id)
        try:
            clist = uow.candidate_lists.get_by_submission(sub.id)
        except NotFound:
            raise NotFound(
                f"submission {sub.id} has no candidate list (status {sub.status.value})"
            ) from None
        candidates = uow.candidates.of_list(clist.id)
    case_number = _authorize_view(
        runtime, caller, sub, clist, subject=f"candidate_list:{clist.id}",
        details={"list_size": len(candidates), "sandbox": clist.sandbox},
    )  # fmt: skip
    return CandidateView(
        submission=sub, candidate_list=clist, candidates=candidates, case_number=case_number
    )


def candidate_image(runtime: Runtime, caller: Caller, candidate_id: str) -> tuple[bytes, str]:
    """A candidate's image (decrypted), for an authorized viewer; the view is recorded."""
    with read_only(runtime.engine) as uow:
        candidate = uow.candidates.get(candidate_id)
        clist = uow.candidate_lists.get(candidate.candidate_list_id)
        sub = uow.submissions.get(clist.submission_id)
        sealed = uow.candidates.get_image(candidate.id)
    _authorize_view(
        runtime, caller, sub, clist, subject=f"candidate:{candidate.id}",
        details={"image_sha256": candidate.image_sha256, "rank": candidate.rank},
    )  # fmt: skip
    data = open_sealed(
        SealedBlob.from_bytes(sealed.sealed),
        kek=runtime.kek,
        associated_data=candidate_aad(candidate.id),
    )
    return data, candidate.media_type or "application/octet-stream"


def probe_image(runtime: Runtime, caller: Caller, probe_id: str) -> tuple[Probe, bytes]:
    """A probe's re-encoded image, for an authorized viewer; the view is recorded."""
    with read_only(runtime.engine) as uow:
        probe = uow.probes.get(probe_id)
        case = uow.cases.get(probe.case_id)
        program = lookup.program(uow, probe.program_code)
        sealed = uow.probes.get_image(probe.id)
    decide(
        runtime,
        caller,
        Action.probe_image_view,
        Resource(kind=ResourceKind.probe, id=probe.id, owner_id=probe.submitted_by),
        Context(case=facts.case(case), program=facts.program(program, probe.program_code)),
        subject=f"probe:{probe.id}",
        component=COMPONENT,
        case=case.number,
        read=draft(
            caller,
            EventTag.PROBE_IMAGE_VIEW,
            action=Action.probe_image_view,
            subject=f"probe:{probe.id}",
            component=COMPONENT,
            case=case.number,
            details={"probe_sha256": probe.sha256},
        ),
    )
    data = open_sealed(
        SealedBlob.from_bytes(sealed.sealed), kek=runtime.kek, associated_data=probe_aad(probe.id)
    )
    return probe, data
