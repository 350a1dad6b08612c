"""The oversight reports over HTTP (memo 4.E.4, 4.E.5, fn2): each figure checked against a
fixture built through the product's own routes and counted by hand, the CSV read back, the PDF
opened (its first page turned into an image) and the lead-only notice found in it, the
checkpoint each report names checked against the ledger, and the users each report refuses.

The fixture (all on the demo case HSI-2026-000001 unless said, offices set to "Newark"):

    U1 alice  sandbox             one_to_many  candidates; a corroborated lead, shared
    U2 alice  sandbox             one_to_many  negative
    U3 alice  exigent-unreviewed  one_to_many  exigent; approval decided 25 h later (late)
    U4 sam    sandbox             two_photo    a comparison score
    U5 alice  sandbox             one_to_many  a witness's probe, approved by sam first
    U6 alice  exigent-unreviewed  one_to_many  exigent; approval left pending
    U7 alice  sandbox             one_to_many  program FRS-DEMO-01, no case

refused outright: alice on a closed case (purpose.case_open, 4.A.1), alice on a case she is not
on (purpose.case_assignment, 4.A.1), alice to a provider OSDM refused (provider.not_approved,
4.C.3); held for an approval: the witness probe (probe.witness_approval). One partner search.
"""

from __future__ import annotations

import base64
import csv
import io
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Gateway
from helpers import DEMO_CASE, DEMO_PROGRAM, exigent_body, post_probe, probe_for_result
from helpers import submission_body as body
from images import astronaut_jpeg, rotated_astronaut_jpeg
from PIL import Image
from pypdf import PdfReader

from frsgate.api.schemas_reports import ReportOut
from frsgate.domain import LEAD_ONLY_NOTICE
from frsgate.services.activation import pack_subject

REPORTS = "/api/v1/reports/{}"
PDFTOPPM = "/usr/bin/pdftoppm"


@contextmanager
def _later(gateway: Gateway, **delta: float) -> Iterator[None]:
    gate = gateway.runtime.gate
    real = gate.clock
    gate.clock = lambda: real() + timedelta(**delta)
    try:
        yield
    finally:
        gate.clock = real


def _ok(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()
    return found


def _submit(client: httpx.Client, submission: dict[str, Any]) -> dict[str, Any]:
    return _ok(client.post("/api/v1/submissions", json=submission))


def _refused(response: httpx.Response, rule: str) -> None:
    assert response.status_code == 403, response.text
    assert rule in {c["rule"] for c in response.json()["decision"]["citations"]}


def _fixture(gateway: Gateway) -> dict[str, str]:
    ids: dict[str, str] = {}
    with gateway.client("ada") as ada:
        for name in ("alice", "sam"):
            _ok(ada.patch(f"/api/v1/admin/users/{name}", json={"office": "Newark"}), 200)
    with gateway.client("sam") as sam:
        for number, agents in (("HSI-2026-000801", ["alice"]), ("HSI-2026-000802", [])):
            _ok(
                sam.post(
                    "/api/v1/admin/cases",
                    json={
                        "number": number,
                        "title": "t",
                        "statutory_authority": "18 U.S.C. 545",
                        "violation_codes": ["18USC545"],
                        "under_hsi_authority": True,
                        "supervisor": "sam",
                        "agents": agents,
                    },
                )
            )
        _ok(sam.post("/api/v1/admin/cases/HSI-2026-000801/close", json={"reason": "closed"}), 200)
    with gateway.client("alice") as alice:
        u1 = probe_for_result(alice, negative=False)
        ids["u1"] = _submit(alice, body(u1["id"]))["submission"]["id"]
        u2 = probe_for_result(alice, negative=True)
        ids["u2"] = _submit(alice, body(u2["id"]))["submission"]["id"]
        for key in ("u3", "u6"):
            probe = probe_for_result(alice, negative=False)
            made = _submit(alice, exigent_body(probe["id"], "exigent-unreviewed", "fleeing"))
            ids[key] = made["submission"]["id"]
            ids[f"{key}_approval"] = made["approvals"][0]["id"]
        witness = probe_for_result(
            alice,
            negative=False,
            subject_role="witness",
            other_methods_exhausted="canvass and records checks",
        )
        u7 = probe_for_result(alice, negative=False, case="", program_code=DEMO_PROGRAM)
        ids["u7"] = _submit(alice, body(u7["id"]))["submission"]["id"]
        # Refused outright: a closed case, a case she is not on, a provider OSDM refused.
        _refused(post_probe(alice, astronaut_jpeg(), case="HSI-2026-000801"), "purpose.case_open")
        _refused(
            post_probe(alice, astronaut_jpeg(), case="HSI-2026-000802"), "purpose.case_assignment"
        )
        _refused(
            alice.post("/api/v1/submissions", json=body(u1["id"], provider="not-approved-vendor")),
            "provider.not_approved",
        )
    with gateway.client("sam") as sam:
        _ok(
            sam.post(
                f"/api/v1/approvals/{witness['approvals'][0]['id']}/decision",
                json={"approve": True, "note": "canvass done"},
            ),
            200,
        )
        first = _ok(post_probe(sam, astronaut_jpeg()))
        second = _ok(post_probe(sam, rotated_astronaut_jpeg()))
        ids["u4"] = _submit(
            sam, body(first["id"], match_type="two_photo", second_probe_id=second["id"])
        )["submission"]["id"]
    with gateway.client("alice") as alice:
        ids["u5"] = _submit(alice, body(witness["id"]))["submission"]["id"]
        candidates = _ok(alice.get(f"/api/v1/submissions/{ids['u1']}/candidates"), 200)
        disposition = _ok(
            alice.post(
                f"/api/v1/candidates/{candidates['candidates'][0]['id']}/dispositions",
                json={
                    "kind": "possible_match_lead",
                    "rationale": "same scar",
                    "traditional_means_compared": "port badge photo",
                },
            )
        )
        lead = _ok(
            alice.post(
                "/api/v1/leads",
                json={
                    "disposition_id": disposition["disposition"]["id"],
                    "summary": "may be the worker",
                },
            )
        )
        _ok(
            alice.post(
                f"/api/v1/leads/{lead['id']}/corroborations",
                json={
                    "kind": "records_check",
                    "source": "State DMV record",
                    "description": "matches",
                    "obtained_by": "SA Alice Agent",
                    "obtained_on": "2026-10-05",
                },
            )
        )
        _ok(
            alice.post(
                "/api/v1/shares",
                json={
                    "case": DEMO_CASE,
                    "lead_id": lead["id"],
                    "recipient": "CBP Newark",
                    "authority_kind": "agreement",
                    "authority": "MOU HSI-CBP 2024-07",
                    "description": "lead summary",
                },
            )
        )
        _ok(
            alice.post(
                "/api/v1/partner-searches",
                json={
                    "case": DEMO_CASE,
                    "partner_agency": "NJ State Police",
                    "partner_system": "NJ FRS",
                    "searched_on": "2026-10-04",
                    "result": "negative",
                    "summary": "no candidates",
                },
            )
        )
    with _later(gateway, hours=25), gateway.client("sam") as sam:
        _ok(
            sam.post(
                f"/api/v1/approvals/{ids['u3_approval']}/decision",
                json={"approve": True, "note": "late"},
            ),
            200,
        )
    return ids


def _period(gateway: Gateway) -> dict[str, str]:
    today = gateway.runtime.gate.now().date()
    return {
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }


def _report(client: httpx.Client, kind: str, params: dict[str, str]) -> dict[str, Any]:
    body = _ok(client.get(REPORTS.format(kind), params=params), 200)
    # The body is what the OpenAPI document declares, read and written back unchanged.
    assert ReportOut.model_validate(body).model_dump(mode="json", exclude_unset=True) == body
    return body


def _figures(report: dict[str, Any]) -> dict[str, Any]:
    return {k: f["value"] for k, f in report["figures"].items()}


def _rows(report: dict[str, Any], table: str, *columns: str) -> set[tuple[Any, ...]]:
    return {tuple(r[c] for c in columns) for r in report["tables"][table]["rows"]}


def _check_checkpoint(gateway: Gateway, report: dict[str, Any], kind: str) -> None:
    """The report names a checkpoint of this log that covers its own run."""
    cp = report["ledger"]["checkpoint"]
    ledger = gateway.runtime.ledger
    assert base64.b64encode(ledger.root(cp["tree_size"])).decode() == cp["root"]
    assert f"\n{cp['tree_size']}\n{cp['root']}\n" in cp["note"]
    assert report["ledger"]["verification"]["ok"] is True
    assert report["ledger"]["verification"]["method"] == "consistency"
    entries = [e.decode() for e in ledger.entries(cp["tree_size"] - 3, cp["tree_size"])]
    assert any('"report:record:create"' in e and f'"report":"{kind}"' in e for e in entries)
    assert report["seconds"] >= 0


def test_each_report_counts_the_fixture(gateway: Gateway) -> None:
    _fixture(gateway)
    period = _period(gateway)
    with gateway.client("otto") as otto:
        opr = _report(otto, "opr", period)
        annual_by_opr = _report(otto, "annual", period)
    with gateway.client("sam") as sam:
        mine = _report(sam, "supervisor", period)
    with gateway.client("ivan") as ivan:
        annual = _report(ivan, "annual", period)
        igp = _report(ivan, "igp", period)

    # OPR: every case and program.
    _check_checkpoint(gateway, opr, "opr")
    assert opr["notice"] == LEAD_ONLY_NOTICE
    f = _figures(opr)
    assert (f["uses"], f["exigent_uses"], f["witness_uses"]) == (7, 2, 1)
    assert f["exigent_rate"] == round(2 / 7, 4)
    assert f["witness_rate"] == round(1 / 7, 4)
    assert _rows(opr, "uses_by_user", "user", "office", "uses") == {
        ("alice", "Newark", 6),
        ("sam", "Newark", 1),
    }
    assert _rows(opr, "uses_by_office", "office", "users", "uses") == {("Newark", 2, 7)}
    # Newark's per-user uses are [1, 6]: the 95th percentile is 1 + 0.95 * 5 = 5.75.
    assert _rows(opr, "volume_above_peers", "office", "peers", "p95", "user", "uses") == {
        ("Newark", 2, 5.75, "alice", 6)
    }
    assert _rows(opr, "uses_by_provider", "provider", "uses") == {
        ("sandbox", 5),
        ("exigent-unreviewed", 2),
    }
    assert _rows(opr, "uses_by_match_type", "match_type", "uses") == {
        ("one_to_many", 6),
        ("two_photo", 1),
    }
    assert _rows(opr, "uses_by_case", "case", "uses") == {
        (DEMO_CASE, 6),
        ("(no case: program use)", 1),
    }
    assert sum(r["uses"] for r in opr["tables"]["uses_over_time"]["rows"]) == 7
    assert (f["refused"], f["held_for_approval"]) == (3, 1)
    assert (f["closed_case_attempts"], f["unassigned_attempts"]) == (1, 1)
    assert _rows(opr, "refusals_by_section", "section", "refusals") == {("4.A.1", 2), ("4.C.3", 1)}
    assert _rows(opr, "closed_or_unassigned", "user", "rule", "attempts") == {
        ("alice", "purpose.case_open", 1),
        ("alice", "purpose.case_assignment", 1),
    }
    assert (f["exigent_approvals"], f["exigent_approvals_late"]) == (2, 1)
    [late] = opr["tables"]["late_exigent_approvals"]["rows"]
    assert (late["case"], late["requester"], late["status"]) == (DEMO_CASE, "alice", "approved")
    assert (f["shares"], f["partner_searches"], f["unfiled_roi"]) == (1, 1, 0)
    assert _rows(opr, "partner_searches", "partner_agency", "result", "searches") == {
        ("NJ State Police", "negative", 1)
    }

    # The supervisor's report: sam's cases only (the program's use is not a case of his).
    _check_checkpoint(gateway, mine, "supervisor")
    m = _figures(mine)
    assert (m["uses"], m["exigent_uses"], m["witness_uses"]) == (6, 2, 1)
    assert _rows(mine, "uses_by_user", "user", "office", "uses") == {
        ("alice", "Newark", 5),
        ("sam", "Newark", 1),
    }
    assert "volume_above_peers" not in mine["tables"]
    assert _rows(mine, "refusals_by_section", "section", "refusals") == {("4.A.1", 2), ("4.C.3", 1)}
    assert "3 case(s) sam supervises" in mine["scope"]

    # The annual aggregate, the same for IGP and OPR.
    for report in (annual, annual_by_opr):
        a = _figures(report)
        assert (a["uses"], a["leads"], a["leads_corroborated"], a["leads_enforcement_basis"]) == (
            7,
            1,
            1,
            0,
        )
        assert _rows(report, "uses_by_crime_category", "category", "uses") == {
            ("18USC545", 6),
            ("(no case: program use)", 1),
        }
        assert _rows(report, "uses_by_outcome", "outcome", "uses") == {
            ("candidates returned", 5),
            ("no candidates (negative)", 1),
            ("comparison score", 1),
        }
        assert _rows(report, "refusals_by_section", "section", "refusals") == {
            ("4.A.1", 2),
            ("4.C.3", 1),
        }

    # IGP: the approval of the loaded pack and the program's assessment.
    _check_checkpoint(gateway, igp, "igp")
    assert "notice" not in igp
    g = _figures(igp)
    assert g["pack_approved"] == "yes"
    subject = pack_subject(gateway.runtime.gate.policy)
    assert ("policy_pack", subject, "approved", "ada", "ivan") in _rows(
        igp, "governance_approvals", "subject_kind", "subject", "status", "requester", "approver"
    )
    assert _rows(igp, "program_assessments", "code", "status", "approved_by") == {
        (DEMO_PROGRAM, "assessed", "ivan")
    }


def test_what_is_overdue_counts_as_of_the_report(gateway: Gateway) -> None:
    """Run 31 days on: U6's exigent approval is pending past its deadline, and every use of a
    case with results but no filed report-of-investigation entry is overdue (U1 is filed)."""
    ids = _fixture(gateway)
    with gateway.client("alice") as alice:
        _ok(
            alice.post(
                f"/api/v1/submissions/{ids['u1']}/roi/filings", json={"case_system_ref": "ROI-1"}
            )
        )
    period = _period(gateway)
    with _later(gateway, days=31), gateway.client("otto") as otto:
        opr = _report(otto, "opr", period)
    f = _figures(opr)
    assert (f["exigent_approvals"], f["exigent_approvals_late"]) == (2, 2)
    assert {r["status"] for r in opr["tables"]["late_exigent_approvals"]["rows"]} == {
        "approved",
        "pending",
    }
    # U2..U6 are uses of the demo case with results and no filing; U7 has no case.
    assert f["unfiled_roi"] == 5
    assert {r["submission"] for r in opr["tables"]["unfiled_roi"]["rows"]} == {
        ids[k] for k in ("u2", "u3", "u4", "u5", "u6")
    }


def _sections(text: str) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO(text)):
        if not row:
            continue
        if row[0] == "section":
            rows = found.setdefault(row[1], [])
            continue
        rows.append(row)
    return found


def test_csv_and_pdf(gateway: Gateway, tmp_path: Path) -> None:
    _fixture(gateway)
    period = _period(gateway)
    with gateway.client("otto") as otto:
        as_csv = otto.get(REPORTS.format("opr"), params=period | {"format": "csv"})
        as_pdf = otto.get(REPORTS.format("opr"), params=period | {"format": "pdf"})
    with gateway.client("ivan") as ivan:
        igp_pdf = ivan.get(REPORTS.format("igp"), params=period | {"format": "pdf"})
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    sections = _sections(as_csv.text)
    header = dict(sections["report"][1:])
    assert header["kind"] == "opr"
    assert header["notice"] == LEAD_ONLY_NOTICE
    assert int(header["checkpoint_tree_size"]) > 0
    figures = {r[0]: r[2] for r in sections["figures"][1:]}
    assert figures["uses"] == "7"
    by_user = sections["uses_by_user"]
    assert by_user[0] == ["user", "office", "uses"]
    assert sorted(by_user[1:]) == [["alice", "Newark", "6"], ["sam", "Newark", "1"]]

    for response, notice in ((as_pdf, True), (igp_pdf, False)):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        path = tmp_path / "report.pdf"
        path.write_bytes(response.content)
        text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        assert (LEAD_ONLY_NOTICE in text) is notice
        subprocess.run(
            [PDFTOPPM, "-png", "-f", "1", "-l", "1", "-r", "40", str(path), str(tmp_path / "page")],
            check=True,
            timeout=60,
        )
        [png] = tmp_path.glob("page*.png")
        with Image.open(png) as image:
            low, high = image.convert("L").getextrema()
        assert low < 128 < high  # ink on paper: the page is not blank
        png.unlink()
    assert b"/Subtype /Image" in as_pdf.content  # a chart was drawn


@pytest.mark.parametrize(
    ("kind", "refused", "rule", "allowed"),
    [
        ("supervisor", "alice", "report.supervisor_only", "sam"),
        ("opr", "sam", "report.opr_only", "otto"),
        ("igp", "otto", "report.igp_only", "ivan"),
        ("annual", "sam", "report.annual_igp_opr", "otto"),
    ],
)
def test_each_report_refuses_who_the_memo_does_not_name(
    gateway: Gateway, kind: str, refused: str, rule: str, allowed: str
) -> None:
    with gateway.client(refused) as client:
        _refused(client.get(REPORTS.format(kind)), rule)
    with gateway.client(allowed) as client:
        assert client.get(REPORTS.format(kind)).status_code == 200


def test_bad_periods_are_named(gateway: Gateway) -> None:
    with gateway.client("otto") as otto:
        backwards = otto.get(
            REPORTS.format("opr"), params={"from": "2026-02-01", "to": "2026-01-01"}
        )
        nonsense = otto.get(REPORTS.format("opr"), params={"from": "2026-02-31"})
        unknown = otto.get(REPORTS.format("weekly"))
        too_far = otto.get(REPORTS.format("opr"), params={"from": "9999-12-31"})
    assert backwards.status_code == 422
    assert "before" in backwards.json()["message"]
    assert nonsense.status_code == 422
    assert "2026-02-31" in nonsense.json()["message"]
    assert unknown.status_code == 422
    assert too_far.status_code == 422
    assert "9999-12-31" in too_far.json()["message"]


def test_a_supervisor_report_shows_nothing_of_another_supervisors_cases(
    gateway: Gateway,
) -> None:
    """sue supervises no case of the fixture: her report runs (it is hers to run) and counts
    none of sam's uses, refusals or users, whatever the period."""
    _fixture(gateway)
    with gateway.client("sue") as sue:
        hers = _report(sue, "supervisor", _period(gateway))
    f = _figures(hers)
    assert (f["uses"], f["exigent_uses"], f["witness_uses"]) == (0, 0, 0)
    assert _rows(hers, "uses_by_user", "user", "office", "uses") == set()
    assert _rows(hers, "refusals_by_section", "section", "refusals") == set()
    assert "0 case(s) sue supervises" in hers["scope"]
