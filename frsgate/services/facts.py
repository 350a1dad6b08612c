"""The policy's facts, gathered from stored records (and, for a request not yet stored, from
what the request states) — the one seam between the domain and `frsgate.policy.facts`.

Every attribute a rule reads is set here from a record or the request, never from a constant;
a record that is missing leaves the fact at the value that makes its rule fire (fail closed).
The functions that take a `UnitOfWork` read inside the caller's transaction, so the facts are
those of the moment the act commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from frsgate.domain import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    CaptureSource,
    Case,
    Certification,
    ImageEdit,
    Probe,
    Program,
    ProgramStatus,
    Provider,
    RefusedCaptureSource,
    RefusedImageEdit,
    Submission,
    User,
)
from frsgate.policy import facts as pf
from frsgate.policy.screening import screen_justification
from frsgate.store.unit import UnitOfWork

# The approval kinds a policy grant can stand for (each is a field of `pf.Approvals`).
GRANT_KINDS = (
    ApprovalKind.witness_probe,
    ApprovalKind.flagged_justification,
    ApprovalKind.exigent_provider,
)


def _present(text: str | None) -> bool:
    return bool(text and text.strip())


def principal(user: User, certification: Certification | None, at: datetime) -> pf.Principal:
    """The acting user with their roles and their PALMS certification (memo 4.A.3) at `at`."""

    def done(moment: datetime | None) -> bool:
        return moment is not None and moment <= at

    return pf.Principal(
        user_id=user.id,
        roles=frozenset(user.roles),
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
        status=c.status,
        under_hsi_authority=c.under_hsi_authority,
        assigned_user_ids=frozenset(c.assigned_user_ids),
        supervisor_ids=frozenset(c.supervisor_ids),
    )


def program(p: Program | None, code: str | None) -> pf.ProgramFacts | None:
    """An unknown code gives a program that is neither established nor assessed."""
    if p is None:
        return pf.ProgramFacts(code=code) if code else None
    assessed = p.status is ProgramStatus.assessed
    return pf.ProgramFacts(
        code=p.code,
        established=assessed,
        assessment_ref=p.assessment_ref if assessed else None,
        use_without_case=assessed and p.use_without_case,
        member_ids=frozenset(p.member_ids),
        supervisor_id=p.supervisor_id,
    )


def probe(
    *,
    subject_role: str,
    capture_source: CaptureSource | RefusedCaptureSource,
    lawful_basis: str | None,
    traditional_means: str | None,
    other_methods_exhausted: str | None,
    attestation: bool,
    justification: str | None,
    image_edit: ImageEdit | RefusedImageEdit,
) -> pf.ProbeFacts:
    """Facts of a probe, from what an intake request states or from a stored probe alike."""
    return pf.ProbeFacts(
        subject_role=subject_role,
        capture_source=capture_source.value,
        live_source=isinstance(capture_source, RefusedCaptureSource) and capture_source.is_live,
        lawful_basis_recorded=_present(lawful_basis),
        isolated_facial_image=not isinstance(image_edit, RefusedImageEdit),
        traditional_means_recorded=_present(traditional_means),
        other_methods_exhausted=_present(other_methods_exhausted),
        attestation_present=attestation,
        justification_present=_present(justification),
        justification_flags=frozenset(str(f) for f in screen_justification(justification)),
        edited=image_edit is ImageEdit.enhanced,
        composite=isinstance(image_edit, RefusedImageEdit),
    )


def stored_probe(p: Probe) -> pf.ProbeFacts:
    return probe(
        subject_role=p.subject_role.value,
        capture_source=p.capture_source,
        lawful_basis=p.lawful_basis,
        traditional_means=p.traditional_means,
        other_methods_exhausted=p.other_methods_exhausted,
        attestation=p.attestation,
        justification=p.justification,
        image_edit=p.image_edit,
    )


def provider(p: Provider) -> pf.ProviderFacts:
    return pf.ProviderFacts(
        provider_id=p.id,
        review_status=p.review_status,
        law_enforcement_use_permitted=p.terms.law_enforcement_use,
        match_types=frozenset(p.terms.match_types),
        candidate_cap=p.terms.candidate_cap,
        accepts_edited_probes=p.terms.edited_probes_allowed,
    )


def program_code_established(uow: UnitOfWork, code: str | None, at: datetime) -> bool:
    """memo 4.E.3: the code is one OSDM established, valid at `at`."""
    if not _present(code):
        return False
    assert code is not None
    found = uow.frs_program_codes.find_code(code.strip())
    return found is not None and found.is_valid(at)


def submission(
    s: Submission,
    *,
    program_code_established: bool,
    prior_approval_impracticable: bool,
    exigent_approval_denied: bool = False,
) -> pf.SubmissionFacts:
    return pf.SubmissionFacts(
        match_type=s.match_type,
        program_code=s.program_code,
        program_code_established=program_code_established,
        exigent=s.exigent,
        exigent_reason=s.exigent_reason,
        prior_approval_impracticable=prior_approval_impracticable,
        impracticable_reason=s.impracticable_reason,
        requested_candidates=s.max_candidates or 0,
        provider_review_status_at_use=s.provider_review_status_at_use,
        used_at=s.dispatched_at,
        exigent_approval_denied=exigent_approval_denied,
    )


def approvals(granted: Iterable[Approval], approvers: dict[str, User]) -> pf.Approvals:
    """The approvals already given, as grants the pack checks (approver, roles, time)."""
    grants: dict[ApprovalKind, pf.Grant] = {}
    for a in granted:
        if a.kind not in GRANT_KINDS or a.status is not ApprovalStatus.approved:
            continue
        if a.approver_id is None:
            continue
        approver = approvers.get(a.approver_id)
        roles = frozenset(approver.roles) if approver is not None else frozenset()
        grants[a.kind] = pf.Grant(
            approver_id=a.approver_id, approver_roles=roles, granted_at=a.decided_at
        )
    return pf.Approvals(
        witness_probe=grants.get(ApprovalKind.witness_probe),
        flagged_justification=grants.get(ApprovalKind.flagged_justification),
        exigent_provider=grants.get(ApprovalKind.exigent_provider),
    )


def approval_kind_for_cure(name: str) -> ApprovalKind:
    """The approval kind that cures a `needs_approval` naming `name` (the pack's `@approval`
    values are `ApprovalKind` values; a test pins that)."""
    return ApprovalKind(name)


def approvers(uow: UnitOfWork, decided: Iterable[Approval]) -> dict[str, User]:
    """The users who decided `decided`, by id (the policy checks their roles)."""
    ids = {a.approver_id for a in decided if a.approver_id}
    return {uid: uow.users.get(uid) for uid in ids}


def probe_approvals(uow: UnitOfWork, probe_id: str) -> list[Approval]:
    return uow.approvals.for_subject(ApprovalSubject.probe, probe_id)
