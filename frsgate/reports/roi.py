"""The report-of-investigation (ROI) entry of one FRS use, as plain text and as PDF (memo 4.E.2).

Memo 4.E.2: "All results of an FRS used in a case will be noted in a report of investigation in
the relevant case file." `RoiReport` holds everything such a note must say, as plain values
gathered by the service that reads the records: the FRS, when it was searched, for which case
and under which authority, the match type and program code (memo 4.E.3), the result (negative,
or every candidate with its rank, score, review flags, current disposition and examinations),
the leads opened from it with their corroboration, and what was shared.

`render_text` gives the text filed in the case file. It is deterministic: the same report gives
byte-identical text, because the filing records that text's SHA-256 and anyone must be able to
render it again and compare. It therefore contains no clock reading of its own, and every time
is written in UTC. `render_pdf` lays the same content out for print. Neither ever calls a
candidate an identification (memo 4.D.2): dispositions and conclusions are rendered from a
fixed vocabulary, and a kind that claims identity is refused rather than printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from reportlab.platypus import Flowable, KeepTogether, Spacer

from frsgate.domain.results import LEAD_ONLY_NOTICE
from frsgate.errors import ValidationFailed
from frsgate.reports import pdf

TITLE = "REPORT OF INVESTIGATION ENTRY: FACIAL RECOGNITION SERVICE RESULT"
SANDBOX_BANNER = "SANDBOX FRS: SYNTHETIC TEST DATA, NEVER EVIDENCE"

# Fixed wording for the values a reviewer or the FRS states (memo 4.D.2, 4.D.3).
DISPOSITION_LABELS = {
    "no_match": "no match (not pursued)",
    "possible_match_lead": "possible match: an investigative lead only",
    "inconclusive": "inconclusive (not pursued)",
}
CONCLUSION_LABELS = {
    "supports_same_source": "supports same source (an examiner's opinion, not an identity)",
    "inconclusive": "inconclusive",
    "supports_different_source": "supports different source",
}
LEAD_STATUS_LABELS = {
    "investigative_lead": "investigative lead (not corroborated)",
    "open": "investigative lead (not corroborated)",
    "corroborated": "corroborated by information independent of the FRS",
    "enforcement_basis": "basis for enforcement action (corroborated)",
    "closed": "closed",
}
CORROBORATION_LABELS = {
    "records_check": "records check",
    "witness_statement": "witness statement",
    "physical_evidence": "physical evidence",
    "other_biometric": "other biometric",
    "documentary_evidence": "documentary evidence",
    "digital_evidence": "digital evidence",
    "investigative_observation": "investigative observation",
    "other": "other",
}
# Any of these as a stated kind is a claim of identity, which no entry may make (memo 4.D.2).
_IDENTITY_CLAIMS = frozenset(
    {"positive_identification", "identification", "identified", "match", "positive_match"}
)

CLOSING_STATEMENT = (
    "Every candidate in this entry is an investigative lead only. No candidate list is a "
    "positive identification (memo 4.D.2), and no enforcement action rests on FRS data "
    "alone: it must be supplemented with investigative information obtained by traditional "
    "means (memo 4.D.3). A score is the FRS's similarity figure, not a probability."
)
NEGATIVE_STATEMENT = "Negative result: the FRS returned no candidates."
SANDBOX_STATEMENT = (
    "This result came from the sandbox FRS, which answers over a synthetic gallery of "
    "generated images. It is test data and is never evidence of anything."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoiFrs:
    """The FRS that was used (memo 4.E.1: "the FRS used")."""

    provider_id: str
    provider_name: str
    sandbox: bool  # the answer came from the sandbox FRS: synthetic data
    database: str | None = None  # the gallery the FRS says it searched


@dataclass(frozen=True, slots=True, kw_only=True)
class RoiFlag:
    """A review flag shown with a candidate (e.g. photo_old, low_score, close_scores)."""

    code: str
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoiDisposition:
    """A candidate's current disposition: what was concluded, by whom, and why."""

    kind: str
    decided_by: str
    decided_at: datetime
    rationale: str
    traditional_means_compared: str | None = None  # memo 4.D.2
    verified_by: str | None = None
    verified_at: datetime | None = None
    verification_note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoiExamination:
    """A biometric facial examination by a trained, authorized examiner (memo 4.D.1)."""

    examiner: str
    examined_at: datetime
    conclusion: str
    method: str
    limitations: str
    notes: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoiCandidate:
    """One candidate as the FRS ranked it, with what reviewers made of it."""

    candidate_id: str
    rank: int
    score: float
    gallery_ref: str | None = None
    source_database: str | None = None
    photo_taken_on: date | None = None
    flags: tuple[RoiFlag, ...] = ()
    disposition: RoiDisposition | None = None
    examinations: tuple[RoiExamination, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RoiCorroboration:
    """Information independent of the FRS that supplements a lead (memo 4.D.3)."""

    kind: str
    source: str
    description: str
    obtained_by: str
    obtained_on: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoiLead:
    """An investigative lead opened from one of the candidates."""

    lead_id: str
    candidate_rank: int
    status: str
    summary: str
    opened_by: str
    opened_at: datetime
    corroborations: tuple[RoiCorroboration, ...] = ()
    enforcement_note: str | None = None
    close_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoiShare:
    """Information from this use given to another party, with its authority (memo 3)."""

    recipient: str
    authority_kind: str
    authority: str
    description: str
    shared_by: str
    shared_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RoiReport:
    """Everything the ROI entry of one FRS use says (memo 4.E.2)."""

    submission_id: str
    case_number: str
    case_title: str
    statutory_authority: str
    violation_codes: tuple[str, ...]
    frs: RoiFrs
    searched_at: datetime  # when the search was sent to the FRS
    requested_by: str
    match_type: str
    program_code: str  # memo 4.E.3: mandatory
    candidate_list_id: str | None
    negative: bool
    list_size: int
    probe_sha256: tuple[str, ...] = ()
    candidates: tuple[RoiCandidate, ...] = ()
    leads: tuple[RoiLead, ...] = ()
    shares: tuple[RoiShare, ...] = ()
    # two_photo: the likeness score of the two images the FRS compared (no candidate list).
    comparison_score: float | None = None
    notice: str = field(default=LEAD_ONLY_NOTICE)

    def __post_init__(self) -> None:
        if self.list_size != len(self.candidates):
            raise ValidationFailed(
                f"ROI entry: list size {self.list_size} but {len(self.candidates)} candidates"
            )
        if self.comparison_score is not None and (self.negative or self.candidates):
            raise ValidationFailed("ROI entry: a comparison has a score, not candidates")
        if self.comparison_score is None and self.negative != (self.list_size == 0):
            raise ValidationFailed("ROI entry: a negative result is exactly one with no candidates")
        ranks = [c.rank for c in self.candidates]
        if len(set(ranks)) != len(ranks):
            raise ValidationFailed("ROI entry: two candidates share a rank")
        if self.notice != LEAD_ONLY_NOTICE:
            raise ValidationFailed("ROI entry: the notice is the lead-only notice, unchanged")


# Values ---------------------------------------------------------------------------------------


def _time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValidationFailed("ROI entry: times must carry a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _day(day: date | None) -> str:
    return day.isoformat() if day is not None else "not given"


def _words(value: str) -> str:
    return value.replace("_", " ")


def _kind(value: str, labels: dict[str, str], what: str) -> str:
    """The fixed wording of a stated kind; a claim of identity is refused (memo 4.D.2)."""
    if value.strip().lower().replace(" ", "_").replace("-", "_") in _IDENTITY_CLAIMS:
        raise ValidationFailed(
            f"ROI entry: {what} {value!r} claims an identification, which no entry may state "
            "(memo 4.D.2)"
        )
    return labels.get(value, _words(value))


def _score(score: float) -> str:
    return f"{score:.4f}"


def _text(value: str | None, absent: str = "none recorded") -> str:
    if value is None or not value.strip():
        return absent
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


Fields = list[tuple[str, str]]


def _case_fields(r: RoiReport) -> Fields:
    return [
        ("Case number", r.case_number),
        ("Case title", _text(r.case_title)),
        ("Statutory authority", _text(r.statutory_authority)),
        ("Violation codes", ", ".join(r.violation_codes) if r.violation_codes else "none recorded"),
    ]


def _use_fields(r: RoiReport) -> Fields:
    source = "sandbox FRS (synthetic test data)" if r.frs.sandbox else "production FRS"
    return [
        ("FRS used", f"{r.frs.provider_name} (provider id {r.frs.provider_id})"),
        ("FRS data", source),
        ("Gallery searched", _text(r.frs.database, "not stated by the FRS")),
        ("Date and time of search", _time(r.searched_at)),
        ("Submission", r.submission_id),
        ("Requested by", r.requested_by),
        ("Match type", _words(r.match_type)),
        ("FRS program code", r.program_code),
        ("Probe image SHA-256", "\n".join(r.probe_sha256) if r.probe_sha256 else "none recorded"),
    ]


def _result_fields(r: RoiReport) -> Fields:
    return [
        ("Candidate list", r.candidate_list_id or "none"),
        ("Result", _result(r)),
        ("List size", str(r.list_size)),
    ]


def _no_candidates(r: RoiReport) -> str:
    if r.comparison_score is not None:
        return "A comparison of two photos returns a score, not a candidate list."
    return NEGATIVE_STATEMENT


def _result(r: RoiReport) -> str:
    if r.comparison_score is not None:
        # A likeness figure of two photos, never a statement that they show one person.
        return f"comparison of two photos: likeness score {r.comparison_score:.4f} ({r.notice})"
    return NEGATIVE_STATEMENT if r.negative else "candidates returned"


def _flags(c: RoiCandidate) -> str:
    if not c.flags:
        return "none"
    return "\n".join(f"{f.code}: {f.detail}" for f in c.flags)


def _candidate_fields(c: RoiCandidate) -> Fields:
    rows: Fields = [
        ("Rank", str(c.rank)),
        ("Score", f"{_score(c.score)} (the FRS's similarity figure, not a probability)"),
        ("Candidate id", c.candidate_id),
        ("FRS record reference", _text(c.gallery_ref, "not given")),
        ("Source database", _text(c.source_database, "not given")),
        ("Gallery photo date", _day(c.photo_taken_on)),
        ("Review flags", _flags(c)),
    ]
    d = c.disposition
    if d is None:
        rows.append(("Disposition", "none recorded yet"))
    else:
        rows += [
            ("Disposition", _kind(d.kind, DISPOSITION_LABELS, "disposition")),
            ("Disposition by", f"{d.decided_by}, {_time(d.decided_at)}"),
            ("Rationale", _text(d.rationale)),
            ("Compared with (traditional means)", _text(d.traditional_means_compared)),
        ]
        if d.verified_by is not None:
            when = f", {_time(d.verified_at)}" if d.verified_at is not None else ""
            rows += [
                ("Verified by", f"{d.verified_by}{when}"),
                ("Verification note", _text(d.verification_note)),
            ]
        else:
            rows.append(("Verified by", "not verified"))
    if not c.examinations:
        rows.append(("Facial examinations", "none"))
    for i, e in enumerate(c.examinations, 1):
        rows += [
            (f"Examination {i}", _kind(e.conclusion, CONCLUSION_LABELS, "examination conclusion")),
            (f"Examination {i} by", f"{e.examiner}, {_time(e.examined_at)}"),
            (f"Examination {i} method", _text(e.method)),
            (f"Examination {i} limitations", _text(e.limitations)),
            (f"Examination {i} notes", _text(e.notes)),
        ]
    return rows


def _lead_fields(lead: RoiLead) -> Fields:
    rows: Fields = [
        ("Lead", lead.lead_id),
        ("From candidate rank", str(lead.candidate_rank)),
        ("Status", _kind(lead.status, LEAD_STATUS_LABELS, "lead status")),
        ("Opened by", f"{lead.opened_by}, {_time(lead.opened_at)}"),
        ("Summary", _text(lead.summary)),
    ]
    if lead.enforcement_note is not None:
        rows.append(("Enforcement basis note", _text(lead.enforcement_note)))
    if lead.close_reason is not None:
        rows.append(("Close reason", _text(lead.close_reason)))
    if not lead.corroborations:
        rows.append(("Corroborations", "none recorded"))
    for i, co in enumerate(lead.corroborations, 1):
        rows += [
            (f"Corroboration {i}", _kind(co.kind, CORROBORATION_LABELS, "corroboration kind")),
            (f"Corroboration {i} source", _text(co.source)),
            (f"Corroboration {i} description", _text(co.description)),
            (f"Corroboration {i} obtained", f"by {co.obtained_by} on {_day(co.obtained_on)}"),
        ]
    return rows


def _share_fields(s: RoiShare) -> Fields:
    return [
        ("Recipient", s.recipient),
        ("Authority", f"{_words(s.authority_kind)}: {_text(s.authority)}"),
        ("What was shared", _text(s.description)),
        ("Shared by", f"{s.shared_by}, {_time(s.shared_at)}"),
    ]


# Plain text -----------------------------------------------------------------------------------

_LABEL_WIDTH = 34


def _text_fields(rows: Fields, indent: str = "") -> list[str]:
    lines: list[str] = []
    pad = indent + " " * (_LABEL_WIDTH + 2)
    for label, value in rows:
        first, *rest = value.split("\n")
        lines.append(f"{indent}{(label + ':').ljust(_LABEL_WIDTH)}  {first}".rstrip())
        lines += [f"{pad}{more}".rstrip() for more in rest]
    return lines


def _heading(number: int, title: str) -> list[str]:
    text = f"{number}. {title}"
    return ["", text, "-" * len(text)]


def render_text(report: RoiReport) -> str:
    """The ROI entry as plain text: headed sections, fixed wording, UTC times, LF line ends.

    Deterministic: the same report always gives the same text, byte for byte.
    """
    r = report
    lines = [TITLE, "=" * len(TITLE), r.notice]
    if r.frs.sandbox:
        lines += ["", f"*** {SANDBOX_BANNER} ***", SANDBOX_STATEMENT]
    lines += _heading(1, "CASE")
    lines += _text_fields(_case_fields(r))
    lines += _heading(2, "FRS USE")
    lines += _text_fields(_use_fields(r))
    lines += _heading(3, "RESULT")
    lines += _text_fields(_result_fields(r))
    lines += _heading(4, "CANDIDATES (INVESTIGATIVE LEADS ONLY)")
    if not r.candidates:
        lines.append(_no_candidates(r))
    for c in sorted(r.candidates, key=lambda c: c.rank):
        lines += ["", f"Candidate ranked {c.rank} of {r.list_size}: {r.notice}"]
        lines += _text_fields(_candidate_fields(c), "  ")
    lines += _heading(5, "LEADS")
    if not r.leads:
        lines.append("No lead was opened from this result.")
    for lead in r.leads:
        lines.append("")
        lines += _text_fields(_lead_fields(lead), "  ")
    lines += _heading(6, "SHARES")
    if not r.shares:
        lines.append("Nothing from this result was shared outside the agency.")
    for share in r.shares:
        lines.append("")
        lines += _text_fields(_share_fields(share), "  ")
    lines += _heading(7, "NOTICE")
    lines += [CLOSING_STATEMENT, r.notice, "", "END OF ENTRY"]
    return "\n".join(lines) + "\n"


# PDF ------------------------------------------------------------------------------------------


def render_pdf(report: RoiReport) -> bytes:
    """The ROI entry for print: the lead-only notice atop the first page and in every footer,
    and a sandbox banner on every page when the result came from the sandbox FRS."""
    r = report
    story: list[Flowable] = [pdf.para(r.notice, "notice")]
    if r.frs.sandbox:
        story.append(pdf.para(f"{SANDBOX_BANNER}. {SANDBOX_STATEMENT}", "banner"))
    story += [
        pdf.para("Report of investigation entry: facial recognition service result", "title"),
        pdf.para("1. Case", "h2"),
        pdf.field_table(_case_fields(r)),
        pdf.para("2. FRS use", "h2"),
        pdf.field_table(_use_fields(r)),
        pdf.para("3. Result", "h2"),
        pdf.field_table(_result_fields(r)),
        pdf.para("4. Candidates (investigative leads only)", "h2"),
    ]
    ordered = sorted(r.candidates, key=lambda c: c.rank)
    if not ordered:
        story.append(pdf.para(_no_candidates(r)))
    else:
        summary = [
            [
                str(c.rank),
                _score(c.score),
                _flags(c),
                _kind(c.disposition.kind, DISPOSITION_LABELS, "disposition")
                if c.disposition
                else "none recorded yet",
                str(len(c.examinations)),
            ]
            for c in ordered
        ]
        story.append(
            pdf.grid_table(
                ["Rank", "Score", "Review flags", "Current disposition", "Exams"],
                summary,
                [0.07, 0.1, 0.38, 0.35, 0.1],
            )
        )
        for c in ordered:
            story.append(
                KeepTogether(
                    [
                        pdf.para(f"Candidate ranked {c.rank} of {r.list_size}: {r.notice}", "h3"),
                        pdf.field_table(_candidate_fields(c)),
                    ]
                )
            )
    story.append(pdf.para("5. Leads", "h2"))
    if not r.leads:
        story.append(pdf.para("No lead was opened from this result."))
    for lead in r.leads:
        story += [pdf.field_table(_lead_fields(lead)), Spacer(1, 6)]
    story.append(pdf.para("6. Shares", "h2"))
    if not r.shares:
        story.append(pdf.para("Nothing from this result was shared outside the agency."))
    for share in r.shares:
        story += [pdf.field_table(_share_fields(share)), Spacer(1, 6)]
    story += [pdf.para("7. Notice", "h2"), pdf.para(CLOSING_STATEMENT), pdf.para(r.notice)]
    return pdf.build(
        story,
        title=f"ROI entry, case {r.case_number}, submission {r.submission_id}",
        notice=r.notice,
        banner=SANDBOX_BANNER if r.frs.sandbox else None,
    )
