"""Translate domain objects into the policy engine's facts (`frsgate.policy.facts`).

The policy package knows nothing of the domain or the store; this module is the one seam
between them, so a change of either side is one edit here. Fail closed: anything unknown maps to
the value that makes a rule fire, never to one that lets an act through.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from frsgate.domain import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Case,
    CaseStatus,
    Certification,
    ImageEdit,
    Probe,
    Program,
    ProgramStatus,
    Provider,
    Submission,
    User,
)
from frsgate.domain import CaptureSource as DomainCaptureSource
from frsgate.policy import facts as pf
from frsgate.policy.screening import screen_justification

# Domain capture sources are all stills; the policy vocabulary is coarser. Live and real-time
# sources never reach here: the domain refuses them at parse time (memo 4.B.4).
_CAPTURE: dict[DomainCaptureSource, pf.CaptureSource] = {
    DomainCaptureSource.booking_photo: pf.CaptureSource.photograph,
    DomainCaptureSource.recorded_video_still: pf.CaptureSource.recorded_video_still,
    DomainCaptureSource.social_media: pf.CaptureSource.social_media,
    DomainCaptureSource.identity_document: pf.CaptureSource.document,
    DomainCaptureSource.other: pf.CaptureSource.photograph,
}


def principal(user: User, certification: Certification | None, at: datetime) -> pf.Principal:
    """The acting user with their roles and their PALMS certification (memo 4.A.3) at `at`."""
    roles = frozenset(pf.Role(r.value) for r in user.roles)

    def done(moment: datetime | None) -> bool:
        return moment is not None and moment <= at

    return pf.Principal(
        user_id=user.id,
        roles=roles,
        training_completed=certification is not None and done(certification.training_completed_at),
        best_practices_attested=certification is not None
        and done(certification.best_practices_attested_at),
        safeguards_attested=certification is not None
        and done(certification.safeguards_attested_at),
        certification_current=certification is not None and certification.is_current(at),
        active=user.is_active,
    )


def case(c: Case) -> pf.CaseFacts:
    return pf.CaseFacts(
        case_id=c.id,
        status=pf.CaseStatus.open if c.status is CaseStatus.open else pf.CaseStatus.closed,
        under_hsi_authority=c.under_hsi_authority,
        assigned_user_ids=frozenset(c.assigned_user_ids),
        supervisor_id=c.supervisor_id,
    )


def program(p: Program | None, code: str | None) -> pf.ProgramFacts | None:
    if p is None:
        return pf.ProgramFacts(code=code) if code else None
    return pf.ProgramFacts(
        code=p.code,
        established=p.status is ProgramStatus.assessed,
        assessment_ref=p.assessment_ref if p.status is ProgramStatus.assessed else None,
    )


def probe(
    *,
    subject_role: str,
    capture_source: DomainCaptureSource,
    traditional_means: str | None,
    other_methods_exhausted: str | None,
    attestation: bool,
    justification: str | None,
    image_edit: ImageEdit,
) -> pf.ProbeFacts:
    """Facts of a probe, from intake fields or a stored probe alike."""
    return pf.ProbeFacts(
        subject_role=pf.SubjectRole(subject_role),
        capture_source=_CAPTURE[capture_source],
        live_source=False,
        traditional_means_recorded=bool(traditional_means and traditional_means.strip()),
        other_methods_exhausted=bool(other_methods_exhausted and other_methods_exhausted.strip()),
        attestation_present=attestation,
        justification_present=bool(justification and justification.strip()),
        justification_flags=frozenset(str(f) for f in screen_justification(justification)),
        edited=image_edit is ImageEdit.enhanced,
        composite=False,
    )


def stored_probe(p: Probe) -> pf.ProbeFacts:
    return probe(
        subject_role=p.subject_role.value,
        capture_source=p.capture_source,
        traditional_means=p.traditional_means,
        other_methods_exhausted=p.other_methods_exhausted,
        attestation=p.attestation,
        justification=p.justification,
        image_edit=p.image_edit,
    )


def provider(p: Provider) -> pf.ProviderFacts:
    return pf.ProviderFacts(
        provider_id=p.id,
        review_status=pf.ReviewStatus(p.review_status.value),
        law_enforcement_use_permitted=p.terms.law_enforcement_use,
        match_types=frozenset(p.terms.match_types),
        candidate_cap=p.terms.candidate_cap,
        accepts_edited_probes=True,
    )


def submission(
    s: Submission, *, prior_approval_impracticable: bool, used_at: datetime | None = None
) -> pf.SubmissionFacts:
    return pf.SubmissionFacts(
        match_type=s.match_type,
        program_code=s.program_code,
        exigent=s.exigent,
        exigent_reason=s.exigent_reason,
        prior_approval_impracticable=prior_approval_impracticable,
        requested_candidates=s.max_candidates or 0,
        realtime=False,
        used_at=used_at,
    )


_GRANT_KIND = {
    ApprovalKind.witness_probe: "witness",
    ApprovalKind.flagged_justification: "flagged_justification",
    ApprovalKind.exigent_provider: "exigent_provider",
}


def approvals(granted: Iterable[Approval], approvers: dict[str, User]) -> pf.Approvals:
    """The approvals already given, as grants the pack checks (approver, roles, time)."""
    grants: dict[str, pf.Grant] = {}
    for a in granted:
        name = _GRANT_KIND.get(a.kind)
        if name is None or a.status is not ApprovalStatus.approved or a.approver_id is None:
            continue
        approver = approvers.get(a.approver_id)
        roles = frozenset(pf.Role(r.value) for r in approver.roles) if approver else frozenset()
        grants[name] = pf.Grant(
            approver_id=a.approver_id, approver_roles=roles, granted_at=a.decided_at
        )
    return pf.Approvals(
        witness=grants.get("witness"),
        flagged_justification=grants.get("flagged_justification"),
        exigent_provider=grants.get("exigent_provider"),
    )


def approval_kind_for_cure(name: str) -> ApprovalKind:
    """The domain approval kind that cures a `needs_approval` naming `name`."""
    for kind, grant_name in _GRANT_KIND.items():
        if grant_name == name or kind.value == name:
            return kind
    raise ValueError(f"unknown approval kind {name!r} in a policy decision")


def approval_request(a: Approval) -> pf.ApprovalRequestFacts | None:
    mapping = {
        ApprovalKind.witness_probe: pf.ApprovalKind.witness,
        ApprovalKind.flagged_justification: pf.ApprovalKind.flagged_justification,
        ApprovalKind.exigent_provider: pf.ApprovalKind.exigent_provider,
    }
    kind = mapping.get(a.kind)
    return pf.ApprovalRequestFacts(kind=kind) if kind is not None else None
