"""The records from candidate to lead: verification of a disposition, corroboration kinds,
examination limitations, leads with who acted, ROI filings and partner searches."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import domain_builders as b
import pytest

from frsgate.domain import (
    NOT_INDEPENDENT,
    CorroborationKind,
    Disposition,
    DispositionKind,
    DomainError,
    Examination,
    ExaminationConclusion,
    InvalidEntity,
    LeadStatus,
    PartnerResult,
    PartnerSearch,
    RoiStatus,
)

LATER = b.T0 + timedelta(hours=1)


def disposition(**kw: Any) -> Disposition:
    values: dict[str, Any] = {
        "id": "disp_1",
        "candidate_id": "cand_1",
        "decided_by": "usr_agent",
        "kind": DispositionKind.possible_match_lead,
        "rationale": "scar over the left eye as in the probe",
        "traditional_means_compared": "DMV record, witness description",
        "created_at": b.T0,
    }
    return Disposition(**(values | kw))


def test_a_second_reviewer_verifies_a_disposition_once() -> None:
    d = disposition()
    assert not d.verified
    d.verify(by="usr_super", at=LATER, note="compared the DMV record myself")
    assert (d.verified_by, d.verified_at, d.verification_note) == (
        "usr_super",
        LATER,
        "compared the DMV record myself",
    )
    assert d.verified
    with pytest.raises(DomainError, match="already verified by usr_super"):
        d.verify(by="usr_other", at=LATER, note="again")
    assert d.verified_by == "usr_super"


def test_nobody_verifies_their_own_disposition() -> None:
    d = disposition()
    with pytest.raises(DomainError, match=r"recorded disposition disp_1 and cannot verify it"):
        d.verify(by="usr_agent", at=LATER, note="looks right to me")
    assert d.verified_by is None
    with pytest.raises(InvalidEntity, match="verified_by must be another reviewer"):
        disposition(verified_by="usr_agent", verified_at=LATER)


def test_a_verification_needs_its_note_and_its_parts_together() -> None:
    with pytest.raises(InvalidEntity, match="verification_note must not be blank"):
        disposition().verify(by="usr_super", at=LATER, note="  ")
    with pytest.raises(InvalidEntity, match="come together"):
        disposition(verified_by="usr_super")
    with pytest.raises(InvalidEntity, match="needs a verification"):
        disposition(verification_note="orphan note")
    with pytest.raises(InvalidEntity, match="timezone-aware"):
        disposition().verify(by="usr_super", at=LATER.replace(tzinfo=None), note="ok")


def test_examination_states_its_limitations() -> None:
    values: dict[str, Any] = {
        "id": "exam_1",
        "candidate_id": "cand_1",
        "examiner_id": "usr_exam",
        "conclusion": ExaminationConclusion.inconclusive,
        "method": "FISWG morphological comparison",
        "created_at": b.T0,
    }
    with pytest.raises(InvalidEntity, match="limitations must not be blank"):
        Examination(**values, limitations=" ")
    assert Examination(**values, limitations="low resolution probe").limitations


def test_only_independent_kinds_corroborate_a_lead() -> None:
    assert {k.value for k in NOT_INDEPENDENT} == {
        "frs_result",
        "photo_lineup_from_frs",
        "show_up_from_frs",
        "facial_examination",
    }
    for kind in CorroborationKind:
        assert b.corroboration(kind=kind).independent_of_frs is (kind not in NOT_INDEPENDENT)
    lead = b.lead()
    with pytest.raises(DomainError, match="independent"):
        lead.corroborate([b.corroboration(kind=CorroborationKind.show_up_from_frs)], at=LATER)
    lead.corroborate([b.corroboration(kind=CorroborationKind.witness_statement)], at=LATER)
    assert lead.status is LeadStatus.corroborated


def test_a_corroboration_says_who_obtained_it() -> None:
    with pytest.raises(InvalidEntity, match="obtained_by must not be blank"):
        b.corroboration(obtained_by="")
    dated = b.corroboration(obtained_on=date(2026, 2, 27))
    assert dated.obtained_on == date(2026, 2, 27)


def test_a_lead_records_who_relied_on_it_and_who_closed_it() -> None:
    lead = b.lead(LeadStatus.corroborated)
    lead.rely_for_enforcement(by="usr_super", at=LATER, note="warrant affidavit")
    assert (lead.status, lead.enforcement_marked_by) == (LeadStatus.enforcement_basis, "usr_super")
    lead.close(by="usr_agent", at=LATER, reason="arrest made")
    assert (lead.status, lead.closed_by, lead.close_reason) == (
        LeadStatus.closed,
        "usr_agent",
        "arrest made",
    )
    with pytest.raises(InvalidEntity, match="closed_by"):
        b.lead().close(by=" ", at=LATER, reason="excluded")


def test_roi_filing_binds_the_text_it_filed() -> None:
    entry = b.roi_entry()
    entry.file(by="usr_agent", at=LATER)
    assert entry.status is RoiStatus.filed
    assert entry.case_system_ref is None
    assert entry.body_sha256 == hashlib.sha256(entry.body.encode("utf-8")).hexdigest()
    with pytest.raises(InvalidEntity, match="body_sha256 is not the SHA-256 of body"):
        b.roi_entry(body_sha256=hashlib.sha256(b"other text").hexdigest())
    with pytest.raises(InvalidEntity, match="body_sha256 must be a SHA-256"):
        b.roi_entry(body_sha256="abc")


def partner_search(**kw: Any) -> PartnerSearch:
    values: dict[str, Any] = {
        "id": "psr_1",
        "case_id": "case_1",
        "recorded_by": "usr_agent",
        "partner_agency": "State Police",
        "partner_system": "State FRS",
        "searched_on": date(2026, 2, 28),
        "result": PartnerResult.negative,
        "summary": "no candidates",
        "created_at": b.T0,
    }
    return PartnerSearch(**(values | kw))


def test_partner_search_is_checked_like_our_own_records() -> None:
    assert partner_search().candidate_count is None
    assert partner_search(result=PartnerResult.candidates, candidate_count=3).candidate_count == 3
    assert partner_search(probe_sha256=b.SHA_A).probe_sha256 == b.SHA_A
    for field, value, problem in [
        ("partner_agency", " ", "must not be blank"),
        ("partner_system", "", "must not be blank"),
        ("summary", " ", "must not be blank"),
        ("match_type", "", "must not be blank"),
        ("candidate_count", -1, "must be 0 or more"),
        ("candidate_count", 2, "must be 0 or absent for a negative result"),
        ("probe_sha256", "ABC", "must be a SHA-256 digest"),
        ("created_at", b.T0.replace(tzinfo=None), "must be a timezone-aware"),
    ]:
        with pytest.raises(InvalidEntity, match=f"partner_search.{field} {problem}"):
            partner_search(**{field: value})
    with pytest.raises(InvalidEntity, match="at least 1 when candidates came back"):
        partner_search(result=PartnerResult.candidates, candidate_count=0)
