"""ROI entries (memo 4.E.2): the text is complete and byte-for-byte deterministic, the PDF
carries the lead-only notice on every page, and neither ever calls a candidate an
identification."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from pypdf import PdfReader

from frsgate.domain.results import LEAD_ONLY_NOTICE
from frsgate.errors import ValidationFailed
from frsgate.reports import (
    RoiCandidate,
    RoiCorroboration,
    RoiDisposition,
    RoiExamination,
    RoiFlag,
    RoiFrs,
    RoiLead,
    RoiReport,
    RoiShare,
    render_pdf,
    render_text,
)
from frsgate.reports.roi import (
    CONCLUSION_LABELS,
    CORROBORATION_LABELS,
    DISPOSITION_LABELS,
    LEAD_STATUS_LABELS,
    SANDBOX_BANNER,
)

T0 = datetime(2026, 3, 4, 15, 6, 7, tzinfo=UTC)


def _candidate(rank: int, score: float, **kw: Any) -> RoiCandidate:
    return RoiCandidate(
        candidate_id=f"cand-{rank}",
        rank=rank,
        score=score,
        gallery_ref=f"GAL-REF-{rank:04d}",
        source_database="state mugshots",
        **kw,
    )


def make_report(*, sandbox: bool = True, extra: int = 0) -> RoiReport:
    first = _candidate(
        1,
        0.93125,
        photo_taken_on=date(2017, 5, 1),
        flags=(
            RoiFlag(code="photo_old", detail="the gallery photo is 8 years older than the search"),
            RoiFlag(code="close_scores", detail="3 candidates within 0.02 of the top score"),
        ),
        disposition=RoiDisposition(
            kind="possible_match_lead",
            decided_by="Alice Agent",
            decided_at=T0 + timedelta(days=1),
            rationale="Scar on the left cheek agrees.\nEar shape agrees & <hairline> differs.",
            traditional_means_compared="State DMV photo of 2023",
            verified_by="Sam Supervisor",
            verified_at=T0 + timedelta(days=1, hours=2),
            verification_note="Comparison notes reviewed.",
        ),
        examinations=(
            RoiExamination(
                examiner="Erin Examiner",
                examined_at=T0 + timedelta(days=2),
                conclusion="supports_same_source",
                method="Morphological comparison (FISWG)",
                limitations="Probe is low resolution.",
                notes="Ear and scar features agree.",
            ),
        ),
    )
    second = _candidate(
        2,
        0.9101,
        disposition=RoiDisposition(
            kind="no_match",
            decided_by="Alice Agent",
            decided_at=T0 + timedelta(days=1, minutes=5),
            rationale="Different ear shape.",
        ),
    )
    third = _candidate(3, 0.42, flags=(RoiFlag(code="low_score", detail="below 0.6"),))
    more = tuple(_candidate(4 + i, 0.3 - i / 1000) for i in range(extra))
    candidates = (first, second, third, *more)
    return RoiReport(
        submission_id="sub-8c1e",
        case_number="HSI-2026-0042",
        case_title="Operation Example",
        statutory_authority="8 U.S.C. 1324",
        violation_codes=("8 USC 1324(a)", "18 USC 1546"),
        frs=RoiFrs(
            provider_id="p-17",
            provider_name="Sandbox FRS",
            sandbox=sandbox,
            database="synthetic gallery v3",
        ),
        searched_at=T0,
        requested_by="Alice Agent",
        match_type="one_to_many",
        program_code="FRS-PC-01",
        candidate_list_id="cl-77",
        negative=False,
        list_size=len(candidates),
        probe_sha256=("ab" * 32,),
        candidates=candidates,
        leads=(
            RoiLead(
                lead_id="lead-5",
                candidate_rank=1,
                status="corroborated",
                summary="Possible match; check employer records.",
                opened_by="Alice Agent",
                opened_at=T0 + timedelta(days=3),
                corroborations=(
                    RoiCorroboration(
                        kind="records_check",
                        source="State DMV record",
                        description="Registered address matches the witness's account.",
                        obtained_by="Bob Agent",
                        obtained_on=date(2026, 3, 8),
                    ),
                ),
                enforcement_note="Basis noted by the supervisor.",
                close_reason="Case closed by the prosecutor.",
            ),
        ),
        shares=(
            RoiShare(
                recipient="CBP Office of Field Operations",
                authority_kind="agreement",
                authority="MOU 2024-17",
                description="Lead summary and candidate rank 1.",
                shared_by="Alice Agent",
                shared_at=T0 + timedelta(days=4),
            ),
        ),
    )


def _expected(name: str, value: Any) -> list[str]:
    """The text that must appear in the entry for one field's value."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, datetime):
        return [value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")]
    if isinstance(value, date):
        return [value.isoformat()]
    if isinstance(value, float):
        return [f"{value:.4f}"]
    if isinstance(value, int):
        return [str(value)]
    labels = {"kind": {**DISPOSITION_LABELS, **CORROBORATION_LABELS},
              "conclusion": CONCLUSION_LABELS, "status": LEAD_STATUS_LABELS}  # fmt: skip
    if name in labels and value in labels[name]:
        return [labels[name][value]]
    if name in ("match_type", "authority_kind"):
        return [value.replace("_", " ")]
    return value.split("\n")


def _leaves(obj: Any, name: str = "") -> list[tuple[str, Any]]:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: list[tuple[str, Any]] = []
        for f in dataclasses.fields(obj):
            out += _leaves(getattr(obj, f.name), f.name)
        return out
    if isinstance(obj, tuple):
        return [leaf for item in obj for leaf in _leaves(item, name)]
    return [(name, obj)]


def test_the_text_holds_every_field_of_the_report() -> None:
    report = make_report()
    text = render_text(report)
    leaves = _leaves(report)
    assert len(leaves) > 60
    for name, value in leaves:
        for piece in _expected(name, value):
            assert piece in text, f"{name}={value!r}: {piece!r} is missing"
    for heading in ("1. CASE", "2. FRS USE", "3. RESULT", "4. CANDIDATES", "5. LEADS",
                    "6. SHARES", "7. NOTICE"):  # fmt: skip
        assert f"\n{heading}" in text
    assert text.splitlines()[2] == LEAD_ONLY_NOTICE  # the notice opens the entry
    assert f"*** {SANDBOX_BANNER} ***" in text
    for rank in (1, 2, 3):
        assert f"Candidate ranked {rank} of 3: {LEAD_ONLY_NOTICE}" in text


def test_the_text_is_deterministic_byte_for_byte() -> None:
    a, b = make_report(), make_report()
    assert a is not b
    text = render_text(a)
    assert render_text(b) == text
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert hashlib.sha256(render_text(b).encode()).hexdigest() == digest
    assert text.endswith("END OF ENTRY\n")
    assert "\r" not in text
    assert all(line == line.rstrip() for line in text.splitlines())


def test_the_same_moment_in_another_zone_gives_the_same_text() -> None:
    report = make_report()
    elsewhere = dataclasses.replace(
        report, searched_at=T0.astimezone(timezone(timedelta(hours=-5)))
    )
    assert render_text(elsewhere) == render_text(report)
    assert render_text(dataclasses.replace(report, program_code="FRS-PC-02")) != render_text(report)


def test_a_change_to_any_candidate_changes_the_text() -> None:
    report = make_report()
    changed = dataclasses.replace(
        report,
        candidates=(report.candidates[0], dataclasses.replace(report.candidates[1], score=0.9102),
                    report.candidates[2]),
    )  # fmt: skip
    assert render_text(changed) != render_text(report)


def test_a_negative_result_says_so() -> None:
    report = dataclasses.replace(
        make_report(sandbox=False), candidates=(), leads=(), shares=(), list_size=0, negative=True
    )
    text = render_text(report)
    assert "Negative result: the FRS returned no candidates." in text
    assert "\nList size:                          0\n" in text
    assert "No lead was opened from this result." in text
    assert "Nothing from this result was shared outside the agency." in text
    assert SANDBOX_BANNER not in text
    assert "production FRS" in text


def _claims(text: str) -> list[str]:
    """Every mention of identification that is not one of the two fixed denials of it."""
    flat = " ".join(text.split())
    for denial in (LEAD_ONLY_NOTICE, "No candidate list is a positive identification"):
        flat = flat.replace(denial, "")
    return re.findall(r".{0,30}identif.{0,30}", flat, flags=re.IGNORECASE)


def test_neither_rendering_ever_calls_a_candidate_an_identification() -> None:
    report = make_report()
    assert _claims(render_text(report)) == []
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(report))).pages]
    assert _claims("\n".join(pages)) == []
    assert _claims("a candidate identified as the suspect")  # the check can fail


@pytest.mark.parametrize("claim", ["positive_identification", "identified", "Positive Match"])
def test_a_disposition_claiming_identity_is_refused(claim: str) -> None:
    report = make_report()
    first = report.candidates[0]
    assert first.disposition is not None
    bad = dataclasses.replace(first, disposition=dataclasses.replace(first.disposition, kind=claim))
    claimed = dataclasses.replace(report, candidates=(bad, *report.candidates[1:]))
    with pytest.raises(ValidationFailed, match=r"memo 4\.D\.2"):
        render_text(claimed)
    with pytest.raises(ValidationFailed, match=r"memo 4\.D\.2"):
        render_pdf(claimed)


def test_an_examination_claiming_identity_is_refused() -> None:
    report = make_report()
    first = report.candidates[0]
    exam = dataclasses.replace(first.examinations[0], conclusion="identification")
    bad = dataclasses.replace(first, examinations=(exam,))
    with pytest.raises(ValidationFailed, match="claims an identification"):
        render_text(dataclasses.replace(report, candidates=(bad, *report.candidates[1:])))


def test_inconsistent_reports_are_refused() -> None:
    report = make_report()
    with pytest.raises(ValidationFailed, match="list size"):
        dataclasses.replace(report, list_size=5)
    with pytest.raises(ValidationFailed, match="negative"):
        dataclasses.replace(report, negative=True)
    with pytest.raises(ValidationFailed, match="share a rank"):
        dataclasses.replace(report, candidates=(report.candidates[0],) * 3)
    with pytest.raises(ValidationFailed, match="notice"):
        dataclasses.replace(report, notice="Identification")
    with pytest.raises(ValidationFailed, match="time zone"):
        render_text(dataclasses.replace(report, searched_at=datetime(2026, 3, 4, 15, 6, 7)))


def _notice_heights(page: Any) -> list[float]:
    heights: list[float] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if LEAD_ONLY_NOTICE in text:
            heights.append(float(tm[5]) * float(cm[3]) + float(cm[5]))

    page.extract_text(visitor_text=visit)
    return heights


def test_the_pdf_carries_the_notice_on_every_page_and_every_candidate() -> None:
    report = make_report(extra=40)
    data = render_pdf(report)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 2
    texts = [p.extract_text() for p in reader.pages]
    for number, text in enumerate(texts, 1):
        assert LEAD_ONLY_NOTICE in text, f"page {number} lacks the notice"
        assert SANDBOX_BANNER in text, f"page {number} lacks the sandbox banner"
    everything = "\n".join(texts)
    for c in report.candidates:
        assert f"Candidate ranked {c.rank} of {report.list_size}" in everything
        assert f"{c.score:.4f}" in everything
        assert c.candidate_id in everything
    assert "Review flags" in texts[1]  # the candidate table's header repeats on its next page
    heights = _notice_heights(reader.pages[0])
    page_height = float(reader.pages[0].mediabox.height)
    assert any(h > page_height * 0.8 for h in heights), heights  # atop the first page
    assert any(h < page_height * 0.1 for h in heights), heights  # and in its footer
    assert render_pdf(make_report(extra=40)) == data  # the same report, the same bytes


def test_a_production_result_has_no_sandbox_banner() -> None:
    reader = PdfReader(io.BytesIO(render_pdf(make_report(sandbox=False))))
    for page in reader.pages:
        text = page.extract_text()
        assert LEAD_ONLY_NOTICE in text
        assert SANDBOX_BANNER not in text
    assert reader.metadata is not None
    assert reader.metadata.title == "ROI entry, case HSI-2026-0042, submission sub-8c1e"


def test_a_two_photo_comparison_states_its_score_not_a_negative_result() -> None:
    report = dataclasses.replace(
        make_report(), candidates=(), list_size=0, negative=False, leads=(), shares=(),
        match_type="two_photo", comparison_score=0.8123,
    )  # fmt: skip
    text = render_text(report)
    assert "likeness score 0.8123" in text
    assert "Negative result" not in text
    with pytest.raises(ValidationFailed, match="comparison"):
        dataclasses.replace(report, negative=True)
