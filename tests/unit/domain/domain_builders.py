"""Builders of valid domain entities for the domain tests, each in any requested state."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from frsgate.domain import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    CandidateList,
    CandidateListStatus,
    CaptureSource,
    Case,
    CaseStatus,
    Certification,
    Corroboration,
    CorroborationKind,
    Lead,
    LeadStatus,
    MatchType,
    Probe,
    ProbeStatus,
    Program,
    ProgramStatus,
    Provider,
    ProviderKind,
    ProviderTerms,
    ReviewStatus,
    RoiEntry,
    RoiStatus,
    Role,
    SubjectRole,
    Submission,
    SubmissionStatus,
    User,
    UserStatus,
)

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SHA_A = hashlib.sha256(b"a").hexdigest()
SHA_B = hashlib.sha256(b"b").hexdigest()


def user(status: UserStatus = UserStatus.active, **kw: Any) -> User:
    values: dict[str, Any] = {
        "id": "usr_agent",
        "username": "agent.one",
        "display_name": "Agent One",
        "roles": frozenset({Role.agent}),
        "status": status,
        "created_at": T0,
    }
    return User(**(values | kw))


def certification(**kw: Any) -> Certification:
    values: dict[str, Any] = {
        "id": "cert_1",
        "user_id": "usr_agent",
        "training_completed_at": T0,
        "best_practices_attested_at": T0,
        "safeguards_attested_at": T0,
        "expires_at": T0 + timedelta(days=365),
        "recorded_at": T0,
    }
    return Certification(**(values | kw))


def case(status: CaseStatus = CaseStatus.open, **kw: Any) -> Case:
    values: dict[str, Any] = {
        "id": "case_1",
        "number": "HSI-2026-000123",
        "under_hsi_authority": True,
        "title": "Operation Example",
        "statutory_authority": "18 U.S.C. 2252A",
        "violation_codes": ("CE-01",),
        "status": status,
        "opened_by": "usr_agent",
        "created_at": T0,
        "closed_at": T0 + timedelta(days=1) if status is CaseStatus.closed else None,
    }
    return Case(**(values | kw))


def program(status: ProgramStatus = ProgramStatus.pending_assessment, **kw: Any) -> Program:
    approved = status is not ProgramStatus.pending_assessment
    values: dict[str, Any] = {
        "id": "prg_1",
        "code": "CE-TF",
        "name": "Child Exploitation Task Force",
        "assessment_ref": "PIA-ICE-055",
        "status": status,
        "assessment_approved_by": "usr_igp" if approved else None,
        "assessment_approved_at": T0 if approved else None,
        "created_at": T0,
    }
    return Program(**(values | kw))


def terms(**kw: Any) -> ProviderTerms:
    values: dict[str, Any] = {
        "match_types": frozenset({MatchType.one_to_many, MatchType.one_to_one}),
        "candidate_cap": 20,
        "law_enforcement_use": True,
        "reference": "contract 70CMSD21C0001",
    }
    return ProviderTerms(**(values | kw))


def provider(status: ReviewStatus = ReviewStatus.unreviewed, **kw: Any) -> Provider:
    values: dict[str, Any] = {
        "id": "prv_1",
        "name": "Example FRS",
        "kind": ProviderKind.http,
        "base_url": "https://frs.example/api",
        "terms": terms(),
        "review_status": status,
        "created_at": T0,
    }
    return Provider(**(values | kw))


def probe(status: ProbeStatus = ProbeStatus.active, **kw: Any) -> Probe:
    values: dict[str, Any] = {
        "id": "prb_1",
        "case_id": "case_1",
        "submitted_by": "usr_agent",
        "subject_role": SubjectRole.suspect,
        "capture_source": CaptureSource.recorded_video_still,
        "lawful_basis": "seized under warrant 21-MJ-0001",
        "traditional_means": "records checks and interviews did not identify the subject",
        "attestation": True,
        "justification": "the subject appears in the seized video",
        "media_type": "image/png",
        "width": 640,
        "height": 480,
        "original_sha256": SHA_A,
        "sha256": SHA_B,
        "status": status,
        "created_at": T0,
    }
    return Probe(**(values | kw))


def submission(status: SubmissionStatus = SubmissionStatus.requested, **kw: Any) -> Submission:
    values: dict[str, Any] = {
        "id": "sub_1",
        "case_id": "case_1",
        "probe_id": "prb_1",
        "provider_id": "prv_1",
        "match_type": MatchType.one_to_many,
        "program_code": "FRS-01",
        "justification": "identify the unknown subject of the seized video",
        "requested_by": "usr_agent",
        "status": status,
        "exigent": True,  # so that every act, dispatch_exigent included, can be driven
        "exigent_reason": "imminent harm to a victim",
        "created_at": T0,
    }
    return Submission(**(values | kw))


def approval(status: ApprovalStatus = ApprovalStatus.pending, **kw: Any) -> Approval:
    values: dict[str, Any] = {
        "id": "apr_1",
        "kind": ApprovalKind.exigent_provider,
        "subject_kind": ApprovalSubject.submission,
        "subject_id": "sub_1",
        "case_id": "case_1",
        "requester_id": "usr_agent",
        "assigned_to": "usr_super",
        "reason": "the approved FRS is down and a victim is at risk",
        "status": status,
        "requested_at": T0,
        "deadline": T0 + timedelta(hours=24),
    }
    return Approval(**(values | kw))


def candidate_list(
    status: CandidateListStatus = CandidateListStatus.received, **kw: Any
) -> CandidateList:
    values: dict[str, Any] = {
        "id": "cl_1",
        "submission_id": "sub_1",
        "provider_id": "prv_1",
        "match_type": MatchType.one_to_many,
        "status": status,
        "received_at": T0,
    }
    return CandidateList(**(values | kw))


def lead(status: LeadStatus = LeadStatus.investigative_lead, **kw: Any) -> Lead:
    values: dict[str, Any] = {
        "id": "lead_1",
        "case_id": "case_1",
        "submission_id": "sub_1",
        "candidate_id": "cand_1",
        "disposition_id": "disp_1",
        "opened_by": "usr_agent",
        "summary": "candidate 2 resembles the subject; travel records to check",
        "status": status,
        "created_at": T0,
    }
    return Lead(**(values | kw))


def corroboration(**kw: Any) -> Corroboration:
    values: dict[str, Any] = {
        "id": "cor_1",
        "lead_id": "lead_1",
        "recorded_by": "usr_agent",
        "kind": CorroborationKind.records_check,
        "source": "travel records",
        "description": "entry record places the candidate at the scene that week",
        "obtained_by": "SA Example",
        "created_at": T0,
    }
    return Corroboration(**(values | kw))


def roi_entry(status: RoiStatus = RoiStatus.draft, **kw: Any) -> RoiEntry:
    values: dict[str, Any] = {
        "id": "roi_1",
        "case_id": "case_1",
        "submission_id": "sub_1",
        "author_id": "usr_agent",
        "body": "Probe submitted to Example FRS; 3 candidates returned; no match.",
        "status": status,
        "created_at": T0,
    }
    return RoiEntry(**(values | kw))
