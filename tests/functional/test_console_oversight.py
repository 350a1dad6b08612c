"""The oversight offices' console over HTTP (memo 4.A.1, 4.C, 4.D.1, 4.D.2, 4.E.4, 4.E.5, fn2):
the examiner's worklist and examinations, OSDM's structured provider review, IGP's approvals
and program assessments, the oversight reports with their charts and downloads, and the
ledger's status with its witnesses.

Each act is checked where it takes effect (the API, the ledger), each refusal by its status and
memo citation, and a form posted without the session's CSRF token changes nothing. Runs on
SQLite, and on PostgreSQL with FRSGATE_TEST_DATABASE_URL.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from harness import Console, Gateway, gateway_settings, running_gateway
from helpers import DEMO_CASE, probe_for_result, submission_body
from PIL import Image

from frsgate.connectors.serve import serve_in_thread
from frsgate.ledger.cosignature import Cosigner
from frsgate.ledger.notes import NoteVerifier, load_or_create_signing_key
from frsgate.services.witnessing import WitnessClient, witness_checkpoint
from frsgate.web.render import LEAD_ONLY_NOTICE
from frsgate.witness.core import Witness, WitnessStore
from frsgate.witness.http import create_witness_app

COMPARED = "compared with the port badge photo and the DMV record of the badge holder"
UNREVIEWED = "exigent-unreviewed"  # the demo provider waiting for OSDM's review


def _entries(gateway: Gateway, since: int = 0) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _events(gateway: Gateway, event: str, since: int = 0) -> list[dict[str, Any]]:
    return [e for e in _entries(gateway, since) if e["event"] == event]


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if "json" in response.headers.get("content-type", "") else None


def _text(page: str) -> str:
    """A page's text, tags removed and entities read, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _refused(response: httpx.Response, section: str, status: int = 403) -> None:
    assert response.status_code == status, response.text
    assert f"Memo {section}" in _text(response.text), response.text


def _period(gateway: Gateway) -> dict[str, str]:
    today = gateway.runtime.gate.now().date()
    return {
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }


def _use(gateway: Gateway, *, lead: bool = True) -> tuple[str, str, list[dict[str, Any]]]:
    """A search of the demo case answered with candidates, made by alice over the API; with
    `lead`, alice records its first candidate as a possible lead. (submission, probe,
    candidates)"""
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        sub = _ok(alice.post("/api/v1/submissions", json=submission_body(probe["id"])), 201)
        sub_id: str = sub["submission"]["id"]
        listed = _ok(alice.get(f"/api/v1/submissions/{sub_id}/candidates"))
        candidates: list[dict[str, Any]] = listed["candidates"]
        assert len(candidates) >= 2
        if lead:
            _ok(
                alice.post(
                    f"/api/v1/candidates/{candidates[0]['id']}/dispositions",
                    json={"kind": "possible_match_lead", "rationale": "same ear shape",
                          "traditional_means_compared": COMPARED},
                ),
                201,
            )  # fmt: skip
    return sub_id, probe["id"], candidates


# --- the examiner ------------------------------------------------------------------------


def test_erin_examines_a_candidate_and_verifies_a_disposition(gateway: Gateway) -> None:
    sub_id, probe_id, candidates = _use(gateway)
    first = candidates[0]["id"]
    with gateway.console("erin") as erin:
        work = erin.get("/console/examinations")
        assert work.status_code == 200, work.text
        shown = _text(work.text)
        assert f"Case {DEMO_CASE}" in shown
        assert sub_id in shown
        assert "Waiting for you" in shown  # a possible lead not examined, a disposition unverified
        assert LEAD_ONLY_NOTICE in shown

        path = f"/console/examinations/lists/{sub_id}"
        page = erin.get(path)
        assert page.status_code == 200, page.text
        # The notice atop the list and beside every candidate (memo 4.D.2).
        assert page.text.count('class="lead-only"') == len(candidates) + 1
        assert f'action="/console/examinations/candidates/{first}/examinations"' in page.text
        probe = erin.get(f"/console/examinations/probes/{probe_id}/image")
        assert probe.status_code == 200
        assert probe.headers["content-type"].startswith("image/")
        if candidates[0]["image"]:
            image = erin.get(f"/console/examinations/candidates/{first}/image")
            assert image.status_code == 200
            assert image.headers["content-type"].startswith("image/")

        # A claim of identity is refused by the pack, cited, and nothing is recorded.
        before = gateway.runtime.ledger.size()
        claim = erin.post(
            f"/console/examinations/candidates/{first}/examinations",
            data={"method": "morphological comparison", "conclusion": "positive identification",
                  "limitations": "frontal probe", "submission": sub_id},
        )  # fmt: skip
        _refused(claim, "4.D.2")
        assert not _events(gateway, "examination:record:create", before)

        done = erin.post(
            f"/console/examinations/candidates/{first}/examinations",
            data={"method": "morphological comparison of facial features",
                  "conclusion": "inconclusive", "limitations": "the gallery photo is 9 years old",
                  "notes": "ask for a recent photo", "submission": sub_id},
        )  # fmt: skip
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"{path}?done=examination"
        after = erin.get(done.headers["location"])
        assert "The examination is recorded in the ledger." in after.text
        assert "morphological comparison of facial features" in after.text

        disposition = re.search(
            r'/console/examinations/dispositions/([^/"]+)/verification', after.text
        )
        assert disposition is not None
        verified = erin.post(
            f"/console/examinations/dispositions/{disposition.group(1)}/verification",
            data={"note": "checked the badge photo myself", "submission": sub_id},
        )
        assert verified.status_code == 303, verified.text
    with gateway.client("erin") as api:
        review = _ok(api.get(f"/api/v1/submissions/{sub_id}/review"))
    top = review["candidates"][0]
    [exam] = top["examinations"]
    assert (exam["examiner"], exam["conclusion"]) == ("erin", "inconclusive")
    assert exam["notes"] == "ask for a recent photo"
    assert top["disposition"]["verified_by"] == "erin"
    [entry] = _events(gateway, "examination:record:create")
    assert entry["actor"]["role"] == "examiner"


def test_the_worklist_read_is_decided_per_case_and_recorded(gateway: Gateway) -> None:
    _use(gateway, lead=False)
    before = gateway.runtime.ledger.size()
    with gateway.console("erin") as erin:
        assert erin.get("/console/examinations").status_code == 200
    [read] = _events(gateway, "case:records:view", before)
    assert read["case"] == DEMO_CASE
    assert read["details"]["register"] == "examinations"
    decisions = _events(gateway, "policy:decision:evaluate", before)
    assert [d["details"]["action"] for d in decisions] == ["case_records.view"]


# --- OSDM ----------------------------------------------------------------------------------


def _review_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "decision": "approved",
        "rationale": "reviewed under the PIA: accurate and lawful to use",
        "capabilities": "1:1 verification, 2-photo comparison and 1:N search",
        "match_types": ["one_to_one", "two_photo", "one_to_many"],
        "candidate_cap": "20",
        "law_enforcement_use": "on",
        "terms_ref": "contract FRS-2026-01",
        "evidence_source": ["NIST FRTE 1:N", "", ""],
        "evidence_reference": ["NISTIR 8271", "", ""],
        "evidence_summary": ["FNIR 0.3%", "", ""],
        "demographic_differentials": "NISTIR 8280: false-positive differentials within bounds",
        "data_handling": "probes deleted after the search; no gallery enrolment",
        "retention": "search logs kept 30 days",
    }
    form.update(overrides)
    return form


def _osdm_queue(gateway: Gateway) -> dict[str, str]:
    with gateway.client("olga") as api:
        return {p["name"]: p["id"] for p in _ok(api.get("/api/v1/queue/osdm"))["providers"]}


def test_olga_records_a_structured_review_and_a_missing_part_is_named(gateway: Gateway) -> None:
    provider_id = _osdm_queue(gateway)[UNREVIEWED]
    with gateway.console("olga") as olga:
        queue = olga.get("/console/providers/reviews")
        assert queue.status_code == 200, queue.text
        assert f'href="/console/providers/reviews/{provider_id}"' in queue.text
        path = f"/console/providers/reviews/{provider_id}"
        assert "Record the review" in olga.get(path).text

        before = gateway.runtime.ledger.size()
        missing = olga.post(path, data=_review_form(retention=""))
        assert missing.status_code == 422, missing.text
        shown = _text(missing.text)
        assert "Retention is missing or not valid" in shown
        assert "provider_review.retention must not be blank" in shown
        # The form comes back as typed.
        assert "NISTIR 8280: false-positive differentials within bounds" in missing.text
        assert not _events(gateway, "provider:review:decide", before)
        assert UNREVIEWED in _osdm_queue(gateway)

        no_evidence = olga.post(
            path, data=_review_form(evidence_source=["", "", ""], evidence_reference=["", "", ""])
        )
        assert no_evidence.status_code == 422
        assert "Accuracy evidence is missing or not valid" in _text(no_evidence.text)

        done = olga.post(path, data=_review_form())
        assert done.status_code == 303, done.text
        after = olga.get(done.headers["location"])
        assert "The review is recorded in the ledger." in after.text
        assert "Approved on" in _text(after.text)
    assert UNREVIEWED not in _osdm_queue(gateway)
    [decided] = _events(gateway, "provider:review:decide", before)
    review = decided["details"]["review"]
    assert review["retention"] == "search logs kept 30 days"
    assert review["accuracy_evidence"] == [
        {"source": "NIST FRTE 1:N", "reference": "NISTIR 8271", "summary": "FNIR 0.3%"}
    ]
    assert decided["details"]["after"]["review_status"] == "approved"


def test_someone_not_osdm_is_refused_the_provider_reviews(gateway: Gateway) -> None:
    with gateway.console("alice") as alice:
        _refused(alice.get("/console/providers/reviews"), "4.C.1")


# --- IGP -----------------------------------------------------------------------------------


def test_ivan_approves_the_log_format_and_a_programs_assessment(gateway: Gateway) -> None:
    with gateway.client("ada") as ada:
        asked = _ok(ada.post("/api/v1/policy/log-format/approvals", json={"reason": "go"}), 201)
        approval = asked["approval"]["id"]
        _ok(
            ada.post(
                "/api/v1/admin/programs",
                json={"code": "CEU-VID", "name": "Child exploitation video review",
                      "assessment_ref": "PIA-CEU-2026", "use_without_case": True},
            ),
            201,
        )  # fmt: skip
    with gateway.console("ivan") as ivan:
        page = ivan.get("/console/igp")
        assert page.status_code == 200, page.text
        shown = _text(page.text)
        assert approval in shown
        assert "log format approval" in shown
        assert "by ada" in shown  # the requester by name
        assert f'action="/console/igp/approvals/{approval}/decision"' in page.text
        assert "Pending" in shown  # the log format's state
        assert "CEU-VID" in shown
        assert "Waiting for approval" in shown

        decided = ivan.post(
            f"/console/igp/approvals/{approval}/decision",
            data={"decision": "approve", "note": "schema read and accepted"},
        )
        assert decided.status_code == 303, decided.text
        after = ivan.get(decided.headers["location"])
        assert "The request was approved" in after.text
        assert approval not in after.text.split('id="format-heading"')[0]  # no longer waiting

        assessed = ivan.post(
            "/console/igp/programs/CEU-VID/assessment", data={"assessment_ref": "PIA-CEU-2026"}
        )
        assert assessed.status_code == 303, assessed.text
    with gateway.client("ivan") as api:
        assert _ok(api.get("/api/v1/policy/log-format"))["status"] == "approved"
    with gateway.client("ada") as ada:
        assert _ok(ada.get("/api/v1/admin/programs/CEU-VID"))["status"] == "assessed"


def test_nobody_approves_their_own_log_format_request(gateway: Gateway) -> None:
    with gateway.console("ivan") as ivan:
        asked = ivan.post("/console/igp/log-format/approvals", data={"reason": "new schema"})
        assert asked.status_code == 303, asked.text
        with gateway.client("ivan") as api:
            state = _ok(api.get("/api/v1/policy/log-format"))
        assert state["status"] == "pending"
        own = ivan.post(
            f"/console/igp/approvals/{state['approval_id']}/decision", data={"decision": "approve"}
        )
        _refused(own, "fn2")
    with gateway.client("ivan") as api:
        assert _ok(api.get("/api/v1/policy/log-format"))["status"] == "pending"


# --- the reports -----------------------------------------------------------------------------


def _chart_pngs(page: str) -> list[bytes]:
    found = re.findall(
        r'<img class="chart" src="data:image/png;base64,([^"]+)" alt="([^"]+)"', page
    )
    assert all(alt.strip() for _, alt in found)
    return [base64.b64decode(data) for data, _ in found]


def _figures(page: str) -> dict[str, str]:
    return dict(re.findall(r'<td data-figure="([^"]+)">([^<]*)</td>', page))


def test_otto_opens_the_opr_report_for_a_period(gateway: Gateway) -> None:
    _use(gateway)
    _use(gateway, lead=False)
    period = _period(gateway)
    with gateway.client("otto") as api:
        expected = _ok(api.get("/api/v1/reports/opr", params=period))
    with gateway.console("otto") as otto:
        form = otto.get("/console/reports/opr")
        assert form.status_code == 200, form.text
        assert "Run the report" in form.text
        assert not _figures(form.text)  # opening the page runs nothing

        page = otto.get("/console/reports/opr", params=period)
        assert page.status_code == 200, page.text
        figures = _figures(page.text)
        stable = ("uses", "exigent_uses", "witness_uses")
        for key in stable:
            assert figures[key] == str(expected["figures"][key]["value"]), key
        assert int(figures["uses"]) >= 2
        assert set(figures) == set(expected["figures"])
        assert LEAD_ONLY_NOTICE in _text(page.text)
        charts = _chart_pngs(page.text)
        assert charts
        for png in charts:
            with Image.open(io.BytesIO(png)) as image:
                assert image.format == "PNG"
                assert image.size[0] > 0
        for table in expected["tables"].values():
            assert html.escape(table["title"], quote=False) in page.text

        links = dict(
            re.findall(
                r'<a class="button secondary" href="([^"]+)">(Download [A-Z]+)</a>', page.text
            )
        )
        assert set(links.values()) == {"Download CSV", "Download PDF", "Download JSON"}
        by_label = {label: html.unescape(href) for href, label in links.items()}
        csv = otto.get(by_label["Download CSV"])
        assert csv.status_code == 200
        assert csv.headers["content-type"].startswith("text/csv")
        assert "attachment" in csv.headers["content-disposition"]
        assert csv.text.startswith("section,report")
        pdf = otto.get(by_label["Download PDF"])
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
        body = otto.get(by_label["Download JSON"]).json()
        assert body["figures"]["uses"]["value"] == expected["figures"]["uses"]["value"]


def test_a_bad_period_is_named_on_the_form(gateway: Gateway) -> None:
    with gateway.console("otto") as otto:
        page = otto.get("/console/reports/opr", params={"from": "2026-02-30", "to": "2026-03-01"})
        assert page.status_code == 422, page.text
        assert "from: '2026-02-30' is not a date" in html.unescape(page.text)


def test_alice_is_refused_the_opr_report_with_the_citation(gateway: Gateway) -> None:
    before = gateway.runtime.ledger.size()
    with gateway.console("alice") as alice:
        _refused(alice.get("/console/reports/opr", params=_period(gateway)), "4.E.5")
        _refused(alice.get("/console/reports/opr/download", params={"format": "csv"}), "4.E.5")
    refusals = _events(gateway, "policy:decision:evaluate", before)
    assert {r["outcome"] for r in refusals} == {"denied"}
    assert not _events(gateway, "report:record:create", before)


def test_the_supervisor_igp_and_annual_reports_are_pages_too(gateway: Gateway) -> None:
    _use(gateway, lead=False)
    period = _period(gateway)
    with gateway.console("sam") as sam:
        page = sam.get("/console/reports/supervisor", params=period)
        assert page.status_code == 200, page.text
        assert "Supervisor's report" in html.unescape(page.text)
        assert int(_figures(page.text)["uses"]) >= 1
        _refused(sam.get("/console/reports/opr", params=period), "4.E.5")
    with gateway.console("ivan") as ivan:
        annual = ivan.get("/console/reports/annual", params=period)
        assert annual.status_code == 200, annual.text
        assert _figures(annual.text)
        igp = ivan.get("/console/reports/igp", params=period)
        assert igp.status_code == 200, igp.text
        assert "IGP report" in _text(igp.text)
        assert LEAD_ONLY_NOTICE not in _text(igp.text)  # it counts no use or result


# --- the ledger ------------------------------------------------------------------------------


@contextmanager
def _witness(tmp_path: Path, origin: str, log_key: NoteVerifier) -> Iterator[WitnessClient]:
    """A witness (c2sp.org/tlog-witness) of the log `origin`, served on a free port."""
    cosigner = Cosigner(Ed25519PrivateKey.generate(), "witness.test/w1")
    store = WitnessStore(tmp_path / "witness.sqlite3")
    app = create_witness_app(Witness(store, cosigner, {origin: log_key}))
    try:
        with serve_in_thread(app) as url:
            yield WitnessClient(url, cosigner.verifier)
    finally:
        store.close()


def test_otto_reads_the_ledger_status_with_its_witness(
    tmp_path: Path, database_url: str, sandbox_url: str
) -> None:
    home = tmp_path / "home"
    settings = gateway_settings(home, database_url, sandbox_url)
    signer = load_or_create_signing_key(settings.ledger_key_path, name=settings.ledger_origin)
    with _witness(tmp_path, settings.ledger_origin, signer.verifier) as witness, running_gateway(
        home, database_url, sandbox_url,
        witnesses=f"{witness.url} {witness.verifier.verifier_string}",
    ) as gateway:  # fmt: skip
        ledger = gateway.runtime.ledger
        witnessed = ledger.checkpoint()
        witness_checkpoint(ledger, witnessed, witness)
        before = ledger.size()
        with gateway.console("otto") as otto:
            page = otto.get("/console/ledger")
            assert page.status_code == 200, page.text
        latest = ledger.latest_checkpoint()
        assert latest is not None
        assert latest.tree_size > witnessed.tree_size
        shown = re.search(r'<dd data-field="tree_size">(\d+)</dd>', page.text)
        assert shown is not None
        assert int(shown.group(1)) == latest.tree_size
        root = base64.b64encode(latest.root).decode()
        assert f'<code data-field="root">{root}</code>' in page.text
        text = _text(page.text)
        assert "Check of this checkpoint: passed" in text
        assert "witness.test/w1" in text
        assert f"tree size {witnessed.tree_size}" in text
        assert "The log's root at that size is the one it cosigned." in text
        assert "Current key" in text
        # The read is decided and recorded as the API's reads of the log are.
        [read] = _events(gateway, "ledger:entries:read", before)
        assert read["subject"] == "ledger:status"
        decisions = _events(gateway, "policy:decision:evaluate", before)
        assert [d["details"]["action"] for d in decisions] == ["ledger.read"]

        with gateway.console("alice") as alice:
            _refused(alice.get("/console/ledger"), "fn2")


# --- CSRF ------------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_does_nothing(gateway: Gateway) -> None:
    sub_id, _, candidates = _use(gateway)
    provider_id = _osdm_queue(gateway)[UNREVIEWED]
    with gateway.client("ada") as ada:
        approval = _ok(ada.post("/api/v1/policy/log-format/approvals", json={"reason": "go"}), 201)
    forms: list[tuple[str, str, dict[str, Any]]] = [
        ("erin", f"/console/examinations/candidates/{candidates[0]['id']}/examinations",
         {"method": "m", "conclusion": "inconclusive", "limitations": "l", "submission": sub_id}),
        ("olga", f"/console/providers/reviews/{provider_id}", _review_form()),
        ("ivan", f"/console/igp/approvals/{approval['approval']['id']}/decision",
         {"decision": "approve"}),
        ("ivan", "/console/igp/programs/FRS-DEMO-01/assessment",
         {"assessment_ref": "PIA-DEMO-FRS-2026"}),
    ]  # fmt: skip
    consoles = {name: gateway.console(name) for name in ("erin", "olga", "ivan")}
    before = gateway.runtime.ledger.size()
    try:
        for username, path, data in forms:
            console = consoles[username]
            assert _without_csrf(console, path, data).status_code == 403
            wrong = console.client.post(path, data={**data, "csrf": "not-the-token"})
            assert wrong.status_code == 403, wrong.text
            assert "security token" in wrong.text
    finally:
        for console in consoles.values():
            console.close()
    assert _entries(gateway, before) == [], "a refused form left a trace of an act"
    assert UNREVIEWED in _osdm_queue(gateway)
    with gateway.client("ivan") as api:
        assert _ok(api.get("/api/v1/policy/log-format"))["status"] == "pending"


def _without_csrf(console: Console, path: str, data: dict[str, Any]) -> httpx.Response:
    return console.client.post(path, data=data)
