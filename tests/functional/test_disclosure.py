"""A case's disclosure package over HTTP: every FR use of the case, its proofs, and who may have it.

The package is checked three ways: by the ledger's own verifier (each entry's inclusion proof
against the package's signed checkpoint), by the offline script `tools/verify_disclosure.py`
with nothing but the package and the published key, and by altering one candidate, which the
offline script must then refuse.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from frsgate.domain import LEAD_ONLY_NOTICE
from frsgate.ledger.merkle import leaf_hash, verify_inclusion
from frsgate.ledger.notes import open_checkpoint
from frsgate.services.bootstrap import DEMO_CASE
from tests.functional.harness import Gateway
from tests.functional.helpers import probe_for_result, submission_body

ROOT = Path(__file__).resolve().parents[2]
VERIFY = ROOT / "tools" / "verify_disclosure.py"
CASE = DEMO_CASE


def _ok(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _submission(alice: httpx.Client, *, negative: bool) -> tuple[str, list[dict[str, Any]]]:
    probe = probe_for_result(alice, negative=negative)
    sub = _ok(alice.post("/api/v1/submissions", json=submission_body(probe["id"])))
    sub_id = sub["submission"]["id"]
    page = _ok(alice.get(f"/api/v1/submissions/{sub_id}/candidates"), 200)
    return sub_id, page["candidates"]


def _case_activity(gateway: Gateway) -> dict[str, Any]:
    """One of every kind of record on the demo case, made through the API."""
    with gateway.client("alice") as alice, gateway.client("erin") as erin:
        sub_id, candidates = _submission(alice, negative=False)
        negative_id, none = _submission(alice, negative=True)
        assert candidates
        assert not none
        first, *rest = candidates
        lead_disposition = _ok(
            alice.post(
                f"/api/v1/candidates/{first['id']}/dispositions",
                json={
                    "kind": "possible_match_lead",
                    "rationale": "Same scar above the left eyebrow; worth a lead.",
                    "traditional_means_compared": "Compared with the visa photo on file.",
                },
            )
        )["disposition"]
        for c in rest:
            _ok(
                alice.post(
                    f"/api/v1/candidates/{c['id']}/dispositions",
                    json={"kind": "no_match", "rationale": "Different ear shape."},
                )
            )
        _ok(
            erin.post(
                f"/api/v1/candidates/{first['id']}/examinations",
                json={
                    "method": "ACE-V morphological comparison",
                    "conclusion": "supports_same_source",
                    "limitations": "Probe is low resolution; left profile only.",
                },
            )
        )
        lead = _ok(
            alice.post(
                "/api/v1/leads",
                json={"disposition_id": lead_disposition["id"], "summary": "Possible suspect."},
            )
        )
        _ok(
            alice.post(
                f"/api/v1/leads/{lead['id']}/corroborations",
                json={
                    "kind": "records_check",
                    "source": "State DMV record",
                    "description": "Registered owner of the vehicle seen at the port.",
                    "obtained_by": "SA Alice Agent",
                    "obtained_on": "2026-11-20",
                },
            )
        )
        _ok(
            alice.post(
                f"/api/v1/leads/{lead['id']}/enforcement-basis",
                json={"note": "DMV record and port video corroborate the lead."},
            ),
        )
        _ok(alice.post(f"/api/v1/submissions/{sub_id}/roi/filings",
                       json={"case_system_ref": "ICM-ROI-0042"}))  # fmt: skip
        _ok(
            alice.post(
                "/api/v1/partner-searches",
                json={
                    "case": CASE,
                    "partner_agency": "State Police Fusion Center",
                    "partner_system": "State DMV face search",
                    "searched_on": "2026-11-18",
                    "result": "negative",
                    "summary": "The partner ran the probe for us; no candidates.",
                },
            )
        )
    return {"submission": sub_id, "negative": negative_id, "lead": lead["id"],
            "candidates": candidates}  # fmt: skip


def _disclose(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post(f"/api/v1/cases/{CASE}/disclosure", json=body)


def _verify_offline(
    tmp_path: Path, package: dict[str, Any], key: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"package-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(VERIFY), str(path), "--key", key],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def package_and_key(gateway: Gateway) -> tuple[dict[str, Any], str, dict[str, Any]]:
    made = _case_activity(gateway)
    with gateway.client("sam") as sam:
        package = _ok(_disclose(sam), 200)
    return package, gateway.runtime.ledger.signer.verifier.verifier_string, made


def test_the_package_holds_every_use_of_the_case(
    package_and_key: tuple[dict[str, Any], str, dict[str, Any]],
) -> None:
    package, _, made = package_and_key
    assert package["format"] == "frsgate-disclosure/1"
    assert package["notice"] == LEAD_ONLY_NOTICE
    uses = {u["submission"]["id"]: u for u in package["uses"]}
    assert {made["submission"], made["negative"]} <= set(uses)
    negative = uses[made["negative"]]["result"]
    assert negative["negative"] is True
    assert negative["candidates"] == []
    listed = uses[made["submission"]]["result"]["candidates"]
    # The full list, candidates nobody pursued included, each a lead only.
    assert [c["id"] for c in listed] == [c["id"] for c in made["candidates"]]
    assert all(c["investigative_lead_only"] is True for c in listed)
    assert all(len(c["dispositions"]) == 1 for c in listed)
    assert listed[0]["examinations"][0]["limitations"].startswith("Probe is low resolution")
    assert len(uses[made["submission"]]["submission"]["probe_sha256"][0]) == 64
    assert uses[made["submission"]]["roi_filings"][0]["case_system_ref"] == "ICM-ROI-0042"
    (lead,) = [x for x in package["leads"] if x["id"] == made["lead"]]
    assert lead["status"] == "enforcement_basis"
    assert lead["corroborations"][0]["kind"] == "records_check"
    assert [c["status"] for c in lead["status_changes"]] == ["enforcement_basis"]
    assert package["partner_searches"][0]["partner_system"] == "State DMV face search"
    # Every record names the entry that recorded it, and that entry is in the package.
    seqs = {e["seq"] for e in package["ledger"]["entries"]}
    named = [r["ledger_seq"] for r in _records(package)]
    assert named
    assert None not in named
    assert set(named) <= seqs


def _records(package: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for use in package["uses"]:
        out += use["roi_filings"]
        if use["result"]:
            out.append(use["result"])
            for c in use["result"]["candidates"]:
                out += c["examinations"]
                for d in c["dispositions"]:
                    out.append(d)
                    if d["verification"]:
                        out.append(d["verification"])
    for lead in package["leads"]:
        out += [lead, *lead["corroborations"], *lead["status_changes"]]
    return out + package["shares"] + package["partner_searches"]


def test_the_ledgers_own_verifier_proves_every_entry(
    gateway: Gateway, package_and_key: tuple[dict[str, Any], str, dict[str, Any]]
) -> None:
    package, _, _ = package_and_key
    ledger = package["ledger"]
    signed = open_checkpoint(
        gateway.runtime.ledger.signer.verifier, ledger["checkpoint"], origin=ledger["origin"]
    )
    assert signed.tree_size == ledger["tree_size"]
    assert base64.b64encode(signed.root).decode() == ledger["root_hash"]
    for item in ledger["entries"]:
        proof = item["proof"]
        assert proof["leaf_index"] == item["seq"]
        verify_inclusion(
            item["seq"], proof["tree_size"], leaf_hash(item["entry"].encode("utf-8")),
            [base64.b64decode(h) for h in proof["hashes"]], signed.root,
        )  # fmt: skip
        assert json.loads(item["entry"])["case"] == CASE or item["seq"] in {
            r["ledger_seq"] for r in _records(package)
        }
    # The export itself is on the ledger, inside the checkpoint it hands out.
    events = [json.loads(e["entry"])["event"] for e in ledger["entries"]]
    assert "export:disclosure:run" in events


def test_the_offline_script_verifies_the_package_and_refuses_an_altered_candidate(
    tmp_path: Path, package_and_key: tuple[dict[str, Any], str, dict[str, Any]]
) -> None:
    package, key, made = package_and_key
    good = _verify_offline(tmp_path, package, key)
    assert good.returncode == 0, good.stdout + good.stderr

    def use_of(p: dict[str, Any]) -> dict[str, Any]:
        (use,) = [u for u in p["uses"] if u["submission"]["id"] == made["submission"]]
        return use

    rescored = copy.deepcopy(package)
    use_of(rescored)["result"]["candidates"][-1]["score"] = 0.999
    bad = _verify_offline(tmp_path, rescored, key)
    assert bad.returncode == 1, bad.stdout + bad.stderr

    other_person = copy.deepcopy(package)
    use_of(other_person)["result"]["candidates"][0]["gallery_ref"] = "someone-else"
    bad = _verify_offline(tmp_path, other_person, key)
    assert bad.returncode == 1, bad.stdout + bad.stderr

    reworded = copy.deepcopy(package)
    use_of(reworded)["result"]["candidates"][0]["dispositions"][0]["rationale"] = "Certain."
    bad = _verify_offline(tmp_path, reworded, key)
    assert bad.returncode == 1, bad.stdout + bad.stderr


def test_who_may_export_a_case(gateway: Gateway) -> None:
    with gateway.client("sue") as sue, gateway.client("alice") as alice:
        other = _disclose(sue)
        assert other.status_code == 403, other.text
        assert [c["rule"] for c in other.json()["decision"]["citations"]] == [
            "export.case_supervisor"
        ]
        agent = _disclose(alice)
        assert agent.status_code == 403
        assert "duty.export_run" in [c["rule"] for c in agent.json()["decision"]["citations"]]
    with gateway.client("otto") as otto:
        assert _disclose(otto).status_code == 200  # OPR audits any case (memo 4.E.5)
    refusals = [
        json.loads(e) for e in gateway.runtime.ledger.entries(0, gateway.runtime.ledger.size())
    ]
    denied = [
        e for e in refusals
        if e["event"] == "policy:decision:evaluate" and e["outcome"] == "denied"
        and e["details"].get("action") == "export.run"
    ]  # fmt: skip
    assert [c["rule"] for c in denied[0]["citations"]] == ["export.case_supervisor"]


def test_a_package_leaving_the_agency_needs_its_authority_and_is_registered(
    gateway: Gateway,
) -> None:
    _case_activity(gateway)
    with gateway.client("sam") as sam:
        refused = _disclose(sam, recipient="U.S. Attorney's Office, D. Md.")
        assert refused.status_code == 403, refused.text
        assert [c["rule"] for c in refused.json()["decision"]["citations"]] == ["export.authority"]
        bad_kind = _disclose(sam, recipient="USAO", authority_kind="whim", authority="x")
        assert bad_kind.status_code == 422
        sent = _disclose(
            sam, recipient="U.S. Attorney's Office, D. Md.", authority_kind="statute",
            authority="Fed. R. Crim. P. 16; 18 U.S.C. 3500",
        )  # fmt: skip
        assert sent.status_code == 200, sent.text
        package = sent.json()
        register = _ok(sam.get(f"/api/v1/cases/{CASE}/shares"), 200)
    recipients = [s["recipient"] for s in package["shares"]]
    assert "U.S. Attorney's Office, D. Md." in recipients
    assert "U.S. Attorney's Office, D. Md." in json.dumps(register)


def test_the_pdf_carries_the_lead_only_notice_on_every_page(gateway: Gateway) -> None:
    _case_activity(gateway)
    with gateway.client("sam") as sam:
        response = _disclose(sam, format="pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 1
    for page in reader.pages:
        text = " ".join(page.extract_text().split())
        assert "Not a positive identification" in text


def test_an_unknown_case_is_not_found(gateway: Gateway) -> None:
    with gateway.client("otto") as otto:
        response = otto.post("/api/v1/cases/HSI-NO-SUCH/disclosure", json={})
    assert response.status_code == 404
    assert "HSI-NO-SUCH" in response.json()["message"]
