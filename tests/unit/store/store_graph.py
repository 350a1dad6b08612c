"""A complete, consistent set of entities with every optional field filled, for round trips.

Times carry microseconds and a non-UTC offset on purpose: the store must keep the instant to
the microsecond and hand it back as UTC.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from frsgate.domain import (
    Approval,
    ApprovalKind,
    ApprovalSubject,
    Candidate,
    CandidateImage,
    CandidateList,
    CandidateListStatus,
    CaptureSource,
    Case,
    Certification,
    Corroboration,
    CorroborationKind,
    Disposition,
    DispositionKind,
    Examination,
    ExaminationConclusion,
    ImageEdit,
    Lead,
    LeadStatus,
    PartnerResult,
    PartnerSearch,
    Probe,
    ProbeImage,
    ProbeStatus,
    Program,
    ProgramKind,
    ProgramStatus,
    Provider,
    ProviderKind,
    ProviderTerms,
    ReviewStatus,
    RoiEntry,
    RoiStatus,
    Role,
    Share,
    ShareAuthorityKind,
    SubjectRole,
    Submission,
    SubmissionStatus,
    User,
)

EAST = timezone(timedelta(hours=2))
T0 = datetime(2026, 3, 1, 11, 30, 15, 123456, tzinfo=EAST)  # 09:30:15.123456 UTC
T0_UTC = T0.astimezone(UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Graph:
    agent: User
    supervisor: User
    igp: User
    osdm: User
    examiner: User
    certification: Certification
    program: Program
    case: Case
    provider: Provider
    probe: Probe
    probe2: Probe
    probe_image: ProbeImage
    submission: Submission
    approval: Approval
    candidate_list: CandidateList
    candidate: Candidate
    candidate2: Candidate
    candidate_image: CandidateImage
    disposition: Disposition
    disposition2: Disposition
    examination: Examination
    lead: Lead
    corroboration: Corroboration
    roi_entry: RoiEntry
    share: Share
    partner_search: PartnerSearch


def _user(uid: str, role: Role, **kw: Any) -> User:
    return User(
        id=uid,
        username=uid.removeprefix("usr_"),
        display_name=f"{role.value.title()} {uid}",
        roles=frozenset({role}),
        created_at=T0,
        **kw,
    )


def build(suffix: str = "") -> Graph:
    """Every entity once (candidates and dispositions twice), ids made unique by `suffix`."""

    def i(prefix: str) -> str:
        return f"{prefix}_{suffix}" if suffix else prefix

    supervisor = _user(i("usr_super"), Role.supervisor)
    agent = _user(i("usr_agent"), Role.agent, supervisor_id=supervisor.id)
    agent.grant(Role.examiner)
    igp = _user(i("usr_igp"), Role.igp)
    osdm = _user(i("usr_osdm"), Role.osdm)
    examiner = _user(i("usr_exam"), Role.examiner)
    examiner.disable()
    program = Program(
        id=i("prg"),
        code=i("CE-TF"),
        name="Child Exploitation Task Force",
        kind=ProgramKind.task_force,
        assessment_ref="PIA-ICE-055",
        status=ProgramStatus.assessed,
        assessment_approved_by=igp.id,
        assessment_approved_at=at(1),
        created_at=T0,
    )
    case = Case(
        id=i("case"),
        number=i("HSI-2026-000123"),
        title="Operation Example",
        statutory_authority="18 U.S.C. 2252A",
        violation_codes=("CE-01", "CE-07"),
        under_hsi_authority=False,
        supervisor_ids=(supervisor.id,),
        assigned_user_ids=(examiner.id, agent.id),
        opened_by=agent.id,
        created_at=T0,
    )
    case.close(at=at(500))
    provider = Provider(
        id=i("prv"),
        name=i("Example FRS"),
        kind=ProviderKind.http,
        base_url="https://frs.example/api",
        terms=ProviderTerms(
            match_types=frozenset({"one_to_many", "two_photo", "redacted_use_4"}),
            candidate_cap=25,
            law_enforcement_use=True,
            reference="contract 70CMSD21C0001",
        ),
        review_status=ReviewStatus.approved,
        reviewed_by=osdm.id,
        reviewed_at=at(2),
        review_note="terms reviewed",
        created_at=T0,
    )
    probe = Probe(
        id=i("prb"),
        case_id=case.id,
        program_code=program.code,
        submitted_by=agent.id,
        subject_role=SubjectRole.witness,
        capture_source=CaptureSource.social_media,
        lawful_basis="public post, preserved under 18 U.S.C. 2703(f)",
        traditional_means="canvass and records checks",
        other_methods_exhausted="interviews and canvass exhausted",
        attestation=True,
        justification="the witness saw the transfer",
        image_edit=ImageEdit.cropped,
        media_type="image/png",
        width=640,
        height=480,
        original_sha256=sha("original"),
        sha256=sha("reencoded"),
        status=ProbeStatus.purged,
        created_at=at(3),
        purged_at=at(900),
    )
    probe2 = Probe(
        id=i("prb2"),
        case_id=case.id,
        submitted_by=agent.id,
        subject_role=SubjectRole.suspect,
        capture_source=CaptureSource.booking_photo,
        lawful_basis="booking record",
        traditional_means="records checks",
        attestation=True,
        justification="compare with the booking photo",
        media_type="image/jpeg",
        width=300,
        height=400,
        original_sha256=sha("o2"),
        sha256=sha("r2"),
        status=ProbeStatus.active,
        created_at=at(4),
    )
    probe_image = ProbeImage(probe_id=probe2.id, sealed=bytes(range(256)) * 4, key_ref="kek-1")
    submission = Submission(
        id=i("sub"),
        case_id=case.id,
        probe_id=probe.id,
        second_probe_id=probe2.id,
        target_ref="unused-but-stored",
        provider_id=provider.id,
        match_type="two_photo",
        program_code="FRS-01",
        justification="compare the witness photo with the booking photo",
        requested_by=agent.id,
        status=SubmissionStatus.completed,
        exigent=True,
        exigent_reason="victim at risk",
        max_candidates=10,
        idempotency_key=i("idem-key-0123456789abcdef"),
        attempts=2,
        status_reason="done",
        created_at=at(5),
        decided_at=at(6),
        dispatched_at=at(7),
        finished_at=at(8),
    )
    approval = Approval(
        id=i("apr"),
        kind=ApprovalKind.exigent_provider,
        subject_kind=ApprovalSubject.submission,
        subject_id=submission.id,
        case_id=case.id,
        requester_id=agent.id,
        assigned_to=supervisor.id,
        reason="approved FRS down",
        requested_at=at(5),
        deadline=at(5 + 24 * 60),
    )
    approval.approve(by=supervisor.id, at=at(9), note="exigent indeed")
    candidate_list = CandidateList(
        id=i("cl"),
        submission_id=submission.id,
        provider_id=provider.id,
        match_type="two_photo",
        database="state mugshots",
        comparison_score=0.8125,
        sandbox=True,
        provider_notice="synthetic data",
        status=CandidateListStatus.reviewed,
        received_at=at(8),
        reviewed_by=agent.id,
        reviewed_at=at(10),
        purged_at=None,
    )
    candidate = Candidate(
        id=i("cand"),
        candidate_list_id=candidate_list.id,
        rank=1,
        score=0.8125,
        gallery_ref="g-001",
        source_database="state mugshots",
        image_sha256=sha("cand"),
        media_type="image/jpeg",
        photo_taken_on=date(2017, 6, 30),
    )
    candidate2 = Candidate(
        id=i("cand2"),
        candidate_list_id=candidate_list.id,
        rank=2,
        score=0.5,
        gallery_ref="g-002",
        source_database="state mugshots",
    )
    candidate_image = CandidateImage(
        candidate_id=candidate.id, sealed=b"\x00sealed\xff", key_ref="k"
    )
    disposition = Disposition(
        id=i("disp"),
        candidate_id=candidate.id,
        decided_by=agent.id,
        kind=DispositionKind.inconclusive,
        rationale="image quality",
        created_at=at(11),
    )
    disposition2 = Disposition(
        id=i("disp2"),
        candidate_id=candidate.id,
        decided_by=agent.id,
        kind=DispositionKind.possible_match_lead,
        rationale="scar matches the description",
        traditional_means_compared="witness description, travel records",
        supersedes_id=disposition.id,
        created_at=at(12),
        verified_by=supervisor.id,
        verified_at=at(13),
        verification_note="checked the travel records myself",
    )
    examination = Examination(
        id=i("exam"),
        candidate_id=candidate.id,
        examiner_id=examiner.id,
        conclusion=ExaminationConclusion.supports_same_source,
        method="FISWG morphological comparison",
        limitations="gallery photo eight years old; probe at a 30 degree angle",
        notes="ear shape consistent",
        created_at=at(13),
    )
    lead = Lead(
        id=i("lead"),
        case_id=case.id,
        submission_id=submission.id,
        candidate_id=candidate.id,
        disposition_id=disposition2.id,
        opened_by=agent.id,
        summary="candidate 1 worth pursuing",
        status=LeadStatus.closed,
        created_at=at(14),
        corroborated_at=at(15),
        enforcement_basis_at=at(16),
        enforcement_marked_by=supervisor.id,
        enforcement_note="warrant affidavit",
        closed_at=at(17),
        closed_by=agent.id,
        close_reason="arrest made",
    )
    corroboration = Corroboration(
        id=i("cor"),
        lead_id=lead.id,
        recorded_by=agent.id,
        kind=CorroborationKind.records_check,
        source="travel records",
        description="entry record at the scene that week",
        obtained_by="SA Example, CBP liaison",
        obtained_on=date(2026, 2, 27),
        created_at=at(15),
    )
    roi_entry = RoiEntry(
        id=i("roi"),
        case_id=case.id,
        submission_id=submission.id,
        candidate_list_id=candidate_list.id,
        lead_id=lead.id,
        author_id=agent.id,
        body="Two-photo comparison via Example FRS; lead opened and corroborated.",
        status=RoiStatus.filed,
        created_at=at(18),
        filed_at=at(19),
        filed_by=agent.id,
        case_system_ref="ICM-ROI-0042",
        body_sha256=sha("Two-photo comparison via Example FRS; lead opened and corroborated."),
    )
    share = Share(
        id=i("shr"),
        case_id=case.id,
        lead_id=lead.id,
        submission_id=submission.id,
        shared_by=agent.id,
        recipient="State Police",
        authority_kind=ShareAuthorityKind.agreement,
        authority="MOU 2024-17",
        description="lead summary",
        created_at=at(20),
    )
    partner_search = PartnerSearch(
        id=i("psr"),
        case_id=case.id,
        recorded_by=agent.id,
        partner_agency="State Police",
        partner_system="State FRS",
        searched_on=date(2026, 2, 28),
        match_type="one_to_many",
        result=PartnerResult.candidates,
        candidate_count=4,
        summary="four candidates, none pursued",
        probe_sha256=sha("reencoded"),
        created_at=at(21),
    )
    return Graph(
        agent=agent,
        supervisor=supervisor,
        igp=igp,
        osdm=osdm,
        examiner=examiner,
        certification=Certification(
            id=i("cert"),
            user_id=agent.id,
            palms_reference="PALMS-778",
            training_completed_at=T0,
            best_practices_attested_at=T0,
            safeguards_attested_at=T0,
            expires_at=at(60 * 24 * 365),
            recorded_at=at(1),
            recorded_by=supervisor.id,
        ),
        program=program,
        case=case,
        provider=provider,
        probe=probe,
        probe2=probe2,
        probe_image=probe_image,
        submission=submission,
        approval=approval,
        candidate_list=candidate_list,
        candidate=candidate,
        candidate2=candidate2,
        candidate_image=candidate_image,
        disposition=disposition,
        disposition2=disposition2,
        examination=examination,
        lead=lead,
        corroboration=corroboration,
        roi_entry=roi_entry,
        share=share,
        partner_search=partner_search,
    )


def store(uow: Any, g: Graph) -> None:
    """Add the whole graph through the repositories, parents before children."""
    for user in (g.supervisor, g.agent, g.igp, g.osdm, g.examiner):
        uow.users.add(user)
    uow.certifications.add(g.certification)
    uow.programs.add(g.program)
    uow.cases.add(g.case)
    uow.providers.add(g.provider)
    uow.probes.add(g.probe)
    uow.probes.add(g.probe2)
    uow.probes.add_image(g.probe_image)
    uow.submissions.add(g.submission)
    uow.approvals.add(g.approval)
    uow.candidate_lists.add(g.candidate_list)
    uow.candidates.add_all([g.candidate, g.candidate2])
    uow.candidates.add_image(g.candidate_image)
    uow.dispositions.add(g.disposition)
    uow.dispositions.add(g.disposition2)
    uow.examinations.add(g.examination)
    uow.leads.add(g.lead)
    uow.corroborations.add(g.corroboration)
    uow.roi_entries.add(g.roi_entry)
    uow.shares.add(g.share)
    uow.partner_searches.add(g.partner_search)
