"""The memo's rules that live in the entities themselves, each with the section it cites."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import domain_builders as b
import pytest

from frsgate.domain import (
    CaptureSource,
    CorroborationKind,
    Disposition,
    DispositionKind,
    DomainError,
    IllegalTransition,
    ImageEdit,
    InvalidEntity,
    LeadStatus,
    MatchType,
    ProbeImage,
    ProbeStatus,
    ProgramStatus,
    ProviderKind,
    RefusedValue,
    ReviewStatus,
    RoiStatus,
    Role,
    SelfApproval,
    Share,
    ShareAuthorityKind,
    SubjectRole,
    SubmissionStatus,
    UserStatus,
    initial_probe_status,
    new_id,
    parse_capture_source,
    parse_disposition_kind,
    parse_image_edit,
)
from frsgate.domain.results import Candidate, CandidateImage


def test_ids_are_prefixed_and_unique() -> None:
    first, second = new_id("case"), new_id("case")
    assert first.startswith("case_")
    assert len(first) == 5 + 32
    assert first != second


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidEntity, match=r"case\.created_at must be a timezone-aware"):
        b.case(created_at=datetime(2026, 1, 1))


def test_blank_statements_are_refused() -> None:
    with pytest.raises(InvalidEntity, match=r"case\.statutory_authority must not be blank"):
        b.case(statutory_authority="  ")
    with pytest.raises(InvalidEntity, match=r"probe\.traditional_means must not be blank"):
        b.probe(traditional_means="")


# --- people (memo 4.A.3) ------------------------------------------------------------------


def test_certification_current_only_with_all_three_parts_and_before_expiry() -> None:
    cert = b.certification()
    assert cert.is_current(b.T0 + timedelta(days=10))
    assert not cert.is_current(b.T0 + timedelta(days=365))
    assert "certification expired" in cert.missing(b.T0 + timedelta(days=400))[0]
    partial = b.certification(safeguards_attested_at=None)
    assert partial.missing(b.T0 + timedelta(days=1)) == [
        "safeguards attestation not made (memo 4.A.3)"
    ]
    early = b.certification(training_completed_at=b.T0 + timedelta(days=5))
    assert early.missing(b.T0 + timedelta(days=1)) == [
        "training course not yet completed (memo 4.A.3)"
    ]


def test_disabled_user_holds_no_role() -> None:
    agent = b.user()
    assert agent.has_role(Role.agent)
    agent.grant(Role.examiner)
    assert agent.roles == {Role.agent, Role.examiner}
    agent.revoke(Role.agent)
    assert not agent.has_role(Role.agent)
    agent.disable()
    assert agent.status is UserStatus.disabled
    assert not agent.has_role(Role.examiner)


def test_user_cannot_supervise_themself() -> None:
    with pytest.raises(InvalidEntity, match="supervisor_id"):
        b.user(supervisor_id="usr_agent")


# --- cases and programs (memo 4.A.1) -------------------------------------------------------


def test_case_assignment_is_a_set() -> None:
    case = b.case()
    case.assign("usr_a")
    case.assign("usr_a")
    case.assign("usr_b")
    assert case.assigned_user_ids == ("usr_a", "usr_b")
    case.unassign("usr_a")
    assert case.is_assigned("usr_b")
    assert not case.is_assigned("usr_a")
    with pytest.raises(InvalidEntity, match="lists a user twice"):
        b.case(assigned_user_ids=("usr_a", "usr_a"))


def test_case_close_and_reopen_keep_closed_at_consistent() -> None:
    case = b.case()
    case.close(at=b.T0)
    assert not case.is_open
    assert case.closed_at == b.T0
    case.reopen()
    assert case.is_open
    assert case.closed_at is None


def test_program_usable_only_once_assessed_and_again_after_revision() -> None:
    program = b.program()
    assert not program.is_usable
    program.approve_assessment(by="usr_igp", at=b.T0)
    assert program.is_usable
    assert program.assessment_approved_by == "usr_igp"
    program.revise_assessment(assessment_ref="PIA-ICE-055(a)")
    assert not program.is_usable
    assert program.assessment_approved_by is None
    with pytest.raises(InvalidEntity, match="required once assessed"):
        b.program(ProgramStatus.assessed, assessment_approved_by=None)


# --- providers (memo 4.C) ------------------------------------------------------------------


def test_not_approved_provider_can_never_return_to_review() -> None:
    provider = b.provider(ReviewStatus.pending)
    provider.not_approve(by="usr_osdm", at=b.T0, note="no law-enforcement use")
    assert provider.is_prohibited
    with pytest.raises(IllegalTransition) as caught:
        provider.submit_for_review()
    assert caught.value.state == "not_approved"


def test_not_approving_needs_a_reason() -> None:
    with pytest.raises(InvalidEntity, match="review_note"):
        b.provider(ReviewStatus.pending).not_approve(by="usr_osdm", at=b.T0, note=" ")


def test_provider_terms() -> None:
    terms = b.terms()
    assert terms.allows(MatchType.one_to_many)
    assert not terms.allows(MatchType.two_photo)
    assert terms.allows("one_to_one")
    assert not b.terms(law_enforcement_use=False).allows(MatchType.one_to_many)
    # The memo's redacted fourth use may be named by a provider's terms.
    assert b.terms(match_types=frozenset({"redacted_use_4"})).allows("redacted_use_4")
    with pytest.raises(InvalidEntity, match="not a match type name"):
        b.terms(match_types=frozenset({"One To Many"}))
    with pytest.raises(InvalidEntity, match="candidate_cap"):
        b.terms(candidate_cap=0)
    with pytest.raises(InvalidEntity, match="at least one match type"):
        b.terms(match_types=frozenset())


def test_http_provider_needs_a_url() -> None:
    with pytest.raises(InvalidEntity, match="base_url"):
        b.provider(base_url=None)
    assert b.provider(kind=ProviderKind.sandbox, base_url=None).kind is ProviderKind.sandbox


# --- probes (memo 4.B) ---------------------------------------------------------------------


@pytest.mark.parametrize("source", ["live_stream", "real_time_camera"])
def test_live_sources_are_refused_citing_4b4(source: str) -> None:
    with pytest.raises(RefusedValue) as caught:
        parse_capture_source(source)
    assert caught.value.citation == "memo 4.B.4"
    assert source in caught.value.message


def test_known_sources_and_edits_parse() -> None:
    assert parse_capture_source("booking_photo") is CaptureSource.booking_photo
    assert parse_image_edit("cropped") is ImageEdit.cropped
    with pytest.raises(InvalidEntity, match="is not one of"):
        parse_capture_source("drone")
    with pytest.raises(InvalidEntity, match="is not one of"):
        parse_image_edit("mirrored")


@pytest.mark.parametrize("edit", ["composite", "sketch", "lookalike"])
def test_composites_and_sketches_are_not_probe_photos(edit: str) -> None:
    with pytest.raises(RefusedValue) as caught:
        parse_image_edit(edit)
    assert caught.value.citation == "memo 2"


def test_witness_probe_waits_for_approval_and_needs_methods_exhausted() -> None:
    assert initial_probe_status(SubjectRole.witness) is ProbeStatus.pending_approval
    assert initial_probe_status(SubjectRole.victim) is ProbeStatus.active
    with pytest.raises(InvalidEntity, match="other_methods_exhausted"):
        b.probe(ProbeStatus.pending_approval, subject_role=SubjectRole.witness)
    witness = b.probe(
        ProbeStatus.pending_approval,
        subject_role=SubjectRole.witness,
        other_methods_exhausted="canvass and interviews exhausted",
    )
    assert not witness.is_usable
    witness.approve()
    assert witness.is_usable


def test_probe_without_attestation_is_refused_citing_4b3() -> None:
    with pytest.raises(RefusedValue) as caught:
        b.probe(attestation=False)
    assert caught.value.citation == "memo 4.B.3"


def test_probe_digests_must_be_sha256_hex() -> None:
    with pytest.raises(InvalidEntity, match="SHA-256"):
        b.probe(sha256="ABC")


def test_sealed_images_stay_out_of_reprs() -> None:
    image = ProbeImage(probe_id="prb_1", sealed=b"\x01secret-bytes", key_ref="kek-1")
    assert "secret-bytes" not in repr(image)
    cand = CandidateImage(candidate_id="cand_1", sealed=b"\x02gallery", key_ref="kek-1")
    assert "gallery" not in repr(cand)
    with pytest.raises(InvalidEntity, match="sealed"):
        ProbeImage(probe_id="prb_1", sealed=b"", key_ref="kek-1")


# --- submissions (memo 4.C, 4.E) -----------------------------------------------------------


def test_two_photo_needs_a_second_distinct_probe() -> None:
    with pytest.raises(InvalidEntity, match="second_probe_id is required"):
        b.submission(match_type=MatchType.two_photo)
    with pytest.raises(InvalidEntity, match="different probe"):
        b.submission(match_type=MatchType.two_photo, second_probe_id="prb_1")
    with pytest.raises(InvalidEntity, match="only to two_photo"):
        b.submission(second_probe_id="prb_2")
    pair = b.submission(match_type=MatchType.two_photo, second_probe_id="prb_2")
    assert pair.probe_ids == ("prb_1", "prb_2")


def test_one_to_one_needs_the_target_record() -> None:
    with pytest.raises(InvalidEntity, match="target_ref"):
        b.submission(match_type=MatchType.one_to_one)


def test_exigent_dispatch_needs_the_exigent_flag_and_reason() -> None:
    with pytest.raises(InvalidEntity, match="exigent_reason"):
        b.submission(exigent=True, exigent_reason=None)
    plain = b.submission(exigent=False, exigent_reason=None)
    with pytest.raises(InvalidEntity, match="exigent dispatch"):
        plain.dispatch_exigent(at=b.T0)
    assert plain.status is SubmissionStatus.requested


def test_attempts_count_only_while_dispatching() -> None:
    sub = b.submission(SubmissionStatus.approved)
    with pytest.raises(InvalidEntity, match="while dispatching"):
        sub.record_attempt()
    sub.dispatch(at=b.T0)
    sub.record_attempt()
    sub.record_attempt()
    assert sub.attempts == 2
    sub.complete(at=b.T0)
    assert sub.is_final


def test_submission_final_states() -> None:
    assert b.submission(SubmissionStatus.denied).is_final
    assert not b.submission(SubmissionStatus.outcome_unknown).is_final


# --- approvals: nobody approves their own request ------------------------------------------


def test_requester_cannot_decide_their_own_request() -> None:
    request = b.approval()
    with pytest.raises(SelfApproval, match="cannot decide it"):
        request.approve(by="usr_agent", at=b.T0 + timedelta(hours=1))
    with pytest.raises(SelfApproval):
        request.deny(by="usr_agent", at=b.T0 + timedelta(hours=1), note="x")
    with pytest.raises(SelfApproval):
        b.approval(assigned_to="usr_agent")
    request.approve(by="usr_super", at=b.T0 + timedelta(hours=1), note="exigent indeed")
    assert request.approver_id == "usr_super"


def test_approval_expires_only_after_its_deadline() -> None:
    request = b.approval()
    assert not request.is_overdue(b.T0 + timedelta(hours=1))
    with pytest.raises(DomainError, match="cannot expire"):
        request.expire(at=b.T0 + timedelta(hours=1))
    assert request.is_overdue(b.T0 + timedelta(hours=24))
    request.expire(at=b.T0 + timedelta(hours=24))
    assert not request.is_overdue(b.T0 + timedelta(hours=30))


def test_only_the_requester_withdraws() -> None:
    with pytest.raises(DomainError, match="only the requester"):
        b.approval().withdraw(by="usr_super", at=b.T0)


def test_deadline_must_follow_the_request() -> None:
    with pytest.raises(InvalidEntity, match="deadline"):
        b.approval(deadline=b.T0)


def test_disposition_kinds_parse_and_lead_needs_traditional_comparison() -> None:
    assert parse_disposition_kind("inconclusive") is DispositionKind.inconclusive
    assert "positive_identification" not in set(DispositionKind)
    with pytest.raises(InvalidEntity, match="is not one of"):
        parse_disposition_kind("maybe")
    with pytest.raises(InvalidEntity, match="traditional_means_compared"):
        Disposition(
            id="disp_1",
            candidate_id="cand_1",
            decided_by="usr_agent",
            kind=DispositionKind.possible_match_lead,
            rationale="similar features",
            created_at=b.T0,
        )


def test_candidate_scores_and_images() -> None:
    values = {
        "id": "cand_1",
        "candidate_list_id": "cl_1",
        "rank": 1,
        "score": 0.9,
        "gallery_ref": "g-1",
        "source_database": "mugshots",
    }
    assert Candidate(**values).image_sha256 is None  # type: ignore[arg-type]
    with pytest.raises(InvalidEntity, match="score"):
        Candidate(**(values | {"score": 1.5}))  # type: ignore[arg-type]
    with pytest.raises(InvalidEntity, match="rank"):
        Candidate(**(values | {"rank": 0}))  # type: ignore[arg-type]
    with pytest.raises(InvalidEntity, match="come together"):
        Candidate(**(values | {"image_sha256": b.SHA_A}))  # type: ignore[arg-type]
    with pytest.raises(InvalidEntity, match="comparison_score"):
        b.candidate_list(comparison_score=-0.1)


def test_lead_needs_independent_corroboration_of_itself() -> None:
    lead = b.lead()
    with pytest.raises(DomainError, match=r"memo 4\.D\.3"):
        lead.corroborate([], at=b.T0)
    with pytest.raises(DomainError, match="independent"):
        lead.corroborate([b.corroboration(kind=CorroborationKind.frs_result)], at=b.T0)
    with pytest.raises(DomainError, match="independent"):
        lead.corroborate([b.corroboration(lead_id="lead_other")], at=b.T0)
    assert lead.status is LeadStatus.investigative_lead
    lead.corroborate([b.corroboration()], at=b.T0)
    assert lead.status is LeadStatus.corroborated


def test_no_enforcement_on_an_uncorroborated_lead() -> None:
    with pytest.raises(IllegalTransition) as caught:
        b.lead().rely_for_enforcement(by="usr_agent", at=b.T0, note="arrest")
    assert (caught.value.state, caught.value.act) == (
        "investigative_lead",
        "rely_for_enforcement",
    )


def test_filed_roi_entry_is_never_edited() -> None:
    entry = b.roi_entry()
    entry.revise("Probe submitted; 2 candidates; lead opened.")
    entry.file(by="usr_agent", at=b.T0, case_system_ref="ICM-1")
    assert entry.status is RoiStatus.filed
    assert entry.body_sha256 == hashlib.sha256(entry.body.encode()).hexdigest()
    assert (entry.filed_by, entry.case_system_ref) == ("usr_agent", "ICM-1")
    with pytest.raises(InvalidEntity, match="once filed"):
        entry.revise("changed")


def test_share_records_its_authority() -> None:
    values = {
        "id": "shr_1",
        "case_id": "case_1",
        "lead_id": "lead_1",
        "shared_by": "usr_agent",
        "recipient": "State Police",
        "authority_kind": ShareAuthorityKind.agreement,
        "authority": "MOU 2024-17",
        "description": "lead summary",
        "created_at": b.T0,
    }
    assert Share(**values).authority == "MOU 2024-17"  # type: ignore[arg-type]
    with pytest.raises(InvalidEntity, match=r"share\.authority"):
        Share(**(values | {"authority": ""}))  # type: ignore[arg-type]
    with pytest.raises(InvalidEntity, match="what was shared"):
        Share(**(values | {"lead_id": None}))  # type: ignore[arg-type]
