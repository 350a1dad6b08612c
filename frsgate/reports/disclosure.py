"""The printable rendering of a case's disclosure package ("frsgate-disclosure/1").

A disclosure package gives a defence, a court or another agency everything FRS Gate recorded
about a case's use of facial recognition: every use with its full candidate list (candidates
not pursued and negative results included), dispositions, examinations, leads and their
corroboration, shares, partner searches, and the ledger entries with inclusion proofs that
bind each record to the signed log. The JSON package is what `tools/verify_disclosure.py`
verifies; this PDF is its reading copy, and says so. Every page carries the lead-only notice
(memo 4.D.2); long lists run over pages with their header rows repeated.

The renderer reads the package as a plain mapping and prints what it finds: fields it does
not know are still printed (after the ones it does), so nothing in the package is left out of
its reading copy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.platypus import Flowable, Spacer

from frsgate.domain.results import LEAD_ONLY_NOTICE
from frsgate.reports import pdf

FORMAT = "frsgate-disclosure/1"
VERIFY_COMMAND = "python tools/verify_disclosure.py PACKAGE.json --key 'VERIFIER_KEY'"
SANDBOX_NOTE = "SANDBOX FRS: synthetic test data, never evidence"

# Keys printed first, in this order, for each kind of record; any other key follows, sorted.
_ORDER: dict[str, tuple[str, ...]] = {
    "submission": ("id", "provider_name", "provider_id", "match_type", "program_code",
                   "requested_by", "created_at", "dispatched_at", "status", "exigent",
                   "probe_sha256"),
    "result": ("candidate_list_id", "negative", "database", "sandbox", "received_at",
               "probe_sha256", "ledger_seq"),
    "disposition": ("id", "kind", "decided_by", "created_at", "rationale",
                    "traditional_means_compared", "supersedes_id", "current", "ledger_seq"),
    "examination": ("id", "examiner_id", "conclusion", "method", "limitations", "notes",
                    "created_at", "ledger_seq"),
    "lead": ("id", "status", "candidate_id", "disposition_id", "submission_id", "summary",
             "opened_by", "created_at", "ledger_seq"),
    "record": ("id",),
}  # fmt: skip
# Nested lists and objects printed in their own tables, not as a field.
_NESTED = frozenset(
    {"candidates", "dispositions", "examinations", "verification", "corroborations",
     "status_changes", "roi_filings", "flags"}
)  # fmt: skip


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return "\n".join(str(v) for v in value) if value else "none"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _fields(record: Mapping[str, Any], kind: str) -> list[tuple[str, str]]:
    order = _ORDER.get(kind, _ORDER["record"])
    keys = [k for k in order if k in record]
    keys += sorted(k for k in record if k not in order and k not in _NESTED)
    return [(k.replace("_", " "), _value(record[k])) for k in keys]


def _flags(candidate: Mapping[str, Any]) -> str:
    out = []
    for flag in _list(candidate.get("flags")):
        if isinstance(flag, Mapping):
            detail = f": {flag['detail']}" if flag.get("detail") else ""
            out.append(f"{flag.get('code', '')}{detail}")
        else:
            out.append(str(flag))
    return "\n".join(out) if out else "none"


def _current(candidate: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The candidate's current disposition: the one no other of its dispositions supersedes."""
    dispositions = [_map(d) for d in _list(candidate.get("dispositions"))]
    superseded = {d.get("supersedes_id") for d in dispositions}
    current = [d for d in dispositions if d.get("id") not in superseded]
    return current[-1] if current else None


def _records_table(
    title: str, records: Sequence[Any], columns: Sequence[tuple[str, str]], widths: Sequence[float]
) -> list[Flowable]:
    """A heading and one row per record; columns are (key, header)."""
    rows = [[_value(_map(r).get(key)) for key, _ in columns] for r in records]
    return [pdf.para(title, "h3"), pdf.grid_table([h for _, h in columns], rows, widths)]


def _use(use: Mapping[str, Any], number: int, notice: str) -> list[Flowable]:
    submission = _map(use.get("submission"))
    story: list[Flowable] = [
        pdf.para(f"Use {number}: submission {submission.get('id', '(no id)')}", "h2"),
        pdf.field_table(_fields(submission, "submission")),
    ]
    result = use.get("result")
    if not isinstance(result, Mapping):
        story.append(pdf.para("No result was received for this submission.", "body"))
    else:
        if result.get("sandbox") is True:
            story.append(pdf.para(SANDBOX_NOTE, "banner"))
        story += [pdf.para("Result", "h3"), pdf.field_table(_fields(result, "result"))]
        candidates = [_map(c) for c in _list(result.get("candidates"))]
        if result.get("negative") is True or not candidates:
            story.append(pdf.para("Negative result: the FRS returned no candidates.", "body"))
        else:
            rows = []
            for c in sorted(candidates, key=lambda c: int(c.get("rank") or 0)):
                current = _current(c)
                rows.append(
                    [
                        _value(c.get("rank")),
                        _value(c.get("score")),
                        _value(c.get("gallery_ref")),
                        _value(c.get("source_database")),
                        _value(c.get("photo_taken_on")),
                        _flags(c),
                        _value(current.get("kind")) if current else "none recorded",
                        str(len(_list(c.get("examinations")))),
                    ]
                )
            story += [
                pdf.para(f"Candidate list ({len(candidates)}): {notice}", "h3"),
                pdf.grid_table(
                    ["Rank", "Score", "FRS record", "Database", "Photo date", "Review flags",
                     "Current disposition", "Exams"],
                    rows,
                    [0.06, 0.08, 0.17, 0.12, 0.1, 0.22, 0.17, 0.08],
                ),
            ]  # fmt: skip
            for c in sorted(candidates, key=lambda c: int(c.get("rank") or 0)):
                story += _candidate_detail(c, notice)
    filings = _list(use.get("roi_filings"))
    story.append(pdf.para("Report-of-investigation filings", "h3"))
    if not filings:
        story.append(pdf.para("None filed.", "body"))
    for filing in filings:
        # The filed text is a whole report: too long for a table cell. The PDF names it by its
        # SHA-256 (what the ledger binds); the JSON package holds the text itself.
        record = dict(_map(filing))
        body = record.pop("body", None)
        if isinstance(body, str):
            record["body_sha256"] = hashlib.sha256(body.encode("utf-8")).hexdigest()
        story += [pdf.field_table(_fields(record, "record")), Spacer(1, 4)]
    return story


def _candidate_detail(c: Mapping[str, Any], notice: str) -> list[Flowable]:
    dispositions = [_map(d) for d in _list(c.get("dispositions"))]
    examinations = [_map(e) for e in _list(c.get("examinations"))]
    if not dispositions and not examinations:
        return []
    story: list[Flowable] = [
        pdf.para(f"Candidate ranked {_value(c.get('rank'))} ({c.get('id', '')}): {notice}", "h3")
    ]
    for d in dispositions:
        story.append(pdf.field_table(_fields(d, "disposition")))
        verification = d.get("verification")
        if isinstance(verification, Mapping):
            rows = [("verification " + k, v) for k, v in _fields(verification, "record")]
            story.append(pdf.field_table(rows))
        story.append(Spacer(1, 4))
    for e in examinations:
        rows = [("examination " + k, v) for k, v in _fields(e, "examination")]
        story += [pdf.field_table(rows), Spacer(1, 4)]
    return story


def _lead(lead: Mapping[str, Any]) -> list[Flowable]:
    story: list[Flowable] = [
        pdf.para(f"Lead {lead.get('id', '(no id)')}", "h3"),
        pdf.field_table(_fields(lead, "lead")),
    ]
    corroborations = _list(lead.get("corroborations"))
    if corroborations:
        story += _records_table(
            "Corroborations",
            corroborations,
            [("kind", "Kind"), ("source", "Source"), ("description", "Description"),
             ("obtained_by", "Obtained by"), ("obtained_on", "Obtained on"),
             ("ledger_seq", "Ledger seq")],
            [0.14, 0.18, 0.34, 0.14, 0.11, 0.09],
        )  # fmt: skip
    else:
        story.append(pdf.para("No corroboration recorded.", "body"))
    changes = _list(lead.get("status_changes"))
    if changes:
        story.append(pdf.para("Status changes", "h3"))
        for change in changes:
            story += [pdf.field_table(_fields(_map(change), "record")), Spacer(1, 4)]
    return story


def _ledger(ledger: Mapping[str, Any]) -> list[Flowable]:
    entries = [_map(e) for e in _list(ledger.get("entries"))]
    with_proofs = sum(1 for e in entries if isinstance(e.get("proof"), Mapping))
    story: list[Flowable] = [
        pdf.para("Ledger", "h2"),
        pdf.field_table(
            [
                ("origin", _value(ledger.get("origin"))),
                ("verifier key", _value(ledger.get("public_key"))),
                ("checkpoint tree size", _value(ledger.get("tree_size"))),
                ("checkpoint root hash", _value(ledger.get("root_hash"))),
                ("entries with inclusion proofs", f"{with_proofs} of {len(entries)}"),
            ]
        ),
        pdf.para("Signed checkpoint", "h3"),
        pdf.para(str(ledger.get("checkpoint", "")), "mono"),
        pdf.para("How to verify offline", "h3"),
        pdf.para(
            "This PDF is a reading copy. What can be verified is the JSON package it was "
            "rendered from. With Python 3.11 or later and the cryptography package, and the "
            "ledger's verifier key obtained from the agency (not from the package), run:"
        ),
        pdf.para(VERIFY_COMMAND, "mono"),
        pdf.para(
            "It checks the checkpoint's Ed25519 signature, each entry's inclusion proof against "
            "the checkpoint's root (RFC 9162), that every record carries a ledger_seq, and that "
            "each record matches what the entry at that seq recorded. It exits 0 when all hold "
            "and 1 naming the first failure. It does not show that the package holds every "
            "entry of the case, nor that what was recorded is true."
        ),
    ]
    rows = []
    for e in entries:
        try:
            body = _map(json.loads(str(e.get("entry", ""))))
        except json.JSONDecodeError:
            body = {}
        actor = _map(body.get("actor"))
        rows.append(
            [
                _value(e.get("seq")),
                _value(body.get("time")),
                _value(body.get("event")),
                _value(body.get("outcome")),
                f"{actor.get('id', '')} ({actor.get('role', '')})" if actor else "",
                _value(body.get("subject")),
            ]
        )
    if rows:
        story.append(pdf.para("Entries", "h3"))
        story.append(
            pdf.grid_table(
                ["Seq", "Time (UTC)", "Event", "Outcome", "Actor", "Subject"],
                rows,
                [0.06, 0.24, 0.26, 0.11, 0.15, 0.18],
            )
        )
    return story


def render_pdf(package: Mapping[str, Any]) -> bytes:
    """The reading copy of a disclosure package: the lead-only notice atop the first page and
    in every footer; each use, lead, share, partner search and the ledger summary in order."""
    notice = LEAD_ONLY_NOTICE  # whatever the package says, the reading copy says this
    case = _map(package.get("case"))
    uses = [_map(u) for u in _list(package.get("uses"))]
    sandbox = any(_map(u.get("result")).get("sandbox") is True for u in uses)
    story: list[Flowable] = [
        pdf.para(notice, "notice"),
        pdf.para(f"Disclosure package: case {case.get('number', '(no number)')}", "title"),
        pdf.field_table(
            [
                ("format", _value(package.get("format", FORMAT))),
                ("generated at", _value(package.get("generated_at"))),
                ("generated by", _value(package.get("generated_by"))),
            ]
        ),
        pdf.para("Case", "h2"),
        pdf.field_table(
            [
                ("number", _value(case.get("number"))),
                ("title", _value(case.get("title"))),
                ("statutory authority", _value(case.get("statutory_authority"))),
                ("violation codes", _value(case.get("violation_codes"))),
            ]
        ),
        pdf.para(
            f"Uses of facial recognition: {len(uses)}. Every candidate below is an "
            "investigative lead only; none is a positive identification (memo 4.D.2), and no "
            "enforcement action rests on FRS data alone (memo 4.D.3).",
        ),
    ]
    if not uses:
        story.append(pdf.para("No FRS use is recorded for this case."))
    for number, use in enumerate(uses, 1):
        story += _use(use, number, notice)
    leads = [_map(lead) for lead in _list(package.get("leads"))]
    story.append(pdf.para("Leads", "h2"))
    if not leads:
        story.append(pdf.para("No lead was opened."))
    for lead in leads:
        story += _lead(lead)
    shares = _list(package.get("shares"))
    story.append(pdf.para("Shares", "h2"))
    if shares:
        story += _records_table(
            "Information shared outside the agency (memo 3)",
            shares,
            [("recipient", "Recipient"), ("authority_kind", "Authority kind"),
             ("authority", "Authority"), ("description", "What was shared"),
             ("shared_by", "Shared by"), ("created_at", "When"), ("ledger_seq", "Ledger seq")],
            [0.15, 0.1, 0.15, 0.25, 0.1, 0.15, 0.1],
        )  # fmt: skip
    else:
        story.append(pdf.para("Nothing was shared outside the agency."))
    partner = _list(package.get("partner_searches"))
    story.append(pdf.para("Partner searches", "h2"))
    if partner:
        story += _records_table(
            "Searches partner agencies ran for this case (memo 4.E.1)",
            partner,
            [("partner_agency", "Agency"), ("partner_system", "System"),
             ("searched_on", "Searched on"), ("match_type", "Match type"),
             ("result", "Result"), ("candidate_count", "Candidates"), ("summary", "Summary"),
             ("ledger_seq", "Ledger seq")],
            [0.13, 0.12, 0.1, 0.1, 0.1, 0.09, 0.28, 0.08],
        )  # fmt: skip
    else:
        story.append(pdf.para("No partner search was recorded."))
    story += _ledger(_map(package.get("ledger")))
    return pdf.build(
        story,
        title=f"Disclosure package, case {case.get('number', '')}",
        notice=notice,
        banner="CONTAINS SANDBOX FRS RESULTS: SYNTHETIC TEST DATA" if sandbox else None,
    )
