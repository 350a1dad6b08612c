"""The pack walk's part from candidate to lead (memo 3, 4.D, 4.E.1–2): every rule of the
review, lead, sharing, report-of-investigation, partner-search and disclosure acts is made to
fire through the routes, and with a pack that asks a second reviewer, the verification rule
too (`walk_second_reviewer`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from harness import Gateway
from helpers import probe_for_result, submission_body

from frsgate.policy.engine import PolicyPack, load_pack

CASE = "HSI-2026-000001"
EXAM = {"method": "morphological comparison", "conclusion": "inconclusive",
        "limitations": "low resolution probe"}  # fmt: skip
RECORDS_CHECK = {"kind": "records_check", "source": "State DMV record",
                 "description": "registered owner of the car at the port",
                 "obtained_by": "SA Alice Agent"}  # fmt: skip
SHARE = {"recipient": "CBP Office of Field Operations", "authority_kind": "agreement",
         "authority": "MOU CBP-HSI 2019-04", "description": "the lead's summary"}  # fmt: skip
PARTNER = {"case": CASE, "partner_agency": "State Police", "partner_system": "State DMV FRS",
           "searched_on": "2026-11-01", "result": "negative",
           "summary": "ran for us, nothing found"}  # fmt: skip

Expect = Callable[..., dict[str, Any]]


def _results(alice: httpx.Client, expect: Expect) -> tuple[str, list[dict[str, Any]]]:
    probe = probe_for_result(alice, negative=False)
    sub = expect(alice.post("/api/v1/submissions", json=submission_body(probe["id"])), 201)
    sub_id: str = sub["submission"]["id"]
    page = expect(alice.get(f"/api/v1/submissions/{sub_id}/candidates"), 200)
    assert len(page["candidates"]) >= 2
    return sub_id, page["candidates"]


def walk_leads(gw: Gateway, expect: Expect) -> None:
    with gw.client("alice") as alice:
        sub, (first, second, *_) = _results(alice, expect)

        def dispose(c: dict[str, Any], status: int, *rules: str, **body: Any) -> dict[str, Any]:
            return expect(alice.post(f"/api/v1/candidates/{c['id']}/dispositions", json=body),
                          status, *rules)  # fmt: skip

        dispose(first, 403, "disposition.no_positive_identification",
                kind="positive identification", rationale="same person")  # fmt: skip
        dispose(first, 403, "disposition.lead_requires_comparison",
                kind="possible_match_lead", rationale="alike")  # fmt: skip
        possible = dispose(first, 201, kind="possible_match_lead", rationale="alike",
                           traditional_means_compared="visa photo")["disposition"]  # fmt: skip
        not_lead = dispose(second, 201, kind="no_match", rationale="different ears")["disposition"]
        expect(alice.post(f"/api/v1/dispositions/{possible['id']}/verification",
                          json={"note": "checked"}), 403, "disposition.verify_not_own")  # fmt: skip
        expect(alice.post(f"/api/v1/candidates/{first['id']}/examinations", json=EXAM), 403,
               "examination.examiner_only")  # fmt: skip
        expect(alice.post("/api/v1/leads", json={"disposition_id": not_lead["id"],
                                                 "summary": "s"}),
               403, "lead.requires_possible_lead")  # fmt: skip
        opened = {"disposition_id": possible["id"], "summary": "possible suspect"}
        lead = expect(alice.post("/api/v1/leads", json=opened), 201)
        leads = f"/api/v1/leads/{lead['id']}"
        expect(alice.post(f"{leads}/enforcement-basis", json={"note": "n"}), 403,
               "lead.corroborated")  # fmt: skip
        expect(alice.post(f"{leads}/corroborations", json=RECORDS_CHECK | {"kind": "frs_result"}),
               403, "corroboration.independent_source")  # fmt: skip
        expect(alice.post(f"{leads}/corroborations", json=RECORDS_CHECK | {"description": ""}),
               403, "corroboration.described")  # fmt: skip
        with gw.client("erin") as erin:  # before the lead is marked (then it is a 409)
            expect(erin.post(f"{leads}/enforcement-basis", json={"note": "n"}), 403,
                   "duty.lead_enforcement_basis")  # fmt: skip
        expect(alice.post(f"{leads}/corroborations", json=RECORDS_CHECK), 201)
        expect(alice.post(f"{leads}/enforcement-basis", json={"note": "corroborated"}), 201)
        expect(alice.post("/api/v1/shares", json={"case": CASE, "submission_id": sub,
                                                  "description": "the list"}),
               403, "share.recipient", "share.authority")  # fmt: skip
        expect(alice.post("/api/v1/shares", json=SHARE | {"case": CASE, "lead_id": lead["id"]}),
               201)  # fmt: skip
        expect(alice.post("/api/v1/partner-searches", json=PARTNER | {"partner_system": ""}),
               403, "partner_search.frs_named")  # fmt: skip
        expect(alice.post("/api/v1/partner-searches", json=PARTNER | {"partner_agency": ""}),
               403, "partner_search.frs_named")  # fmt: skip
        expect(alice.post("/api/v1/partner-searches", json=PARTNER), 201)
        expect(alice.get(f"/api/v1/cases/{CASE}/partner-searches"), 200)
        expect(alice.post(f"/api/v1/submissions/{sub}/roi/filings",
                          json={"case_system_ref": "ICM-1"}), 201)  # fmt: skip
        expect(alice.post(f"/api/v1/cases/{CASE}/disclosure", json={}), 403, "duty.export_run")
    with gw.client("erin") as erin:
        expect(erin.post(f"/api/v1/candidates/{first['id']}/examinations", json=EXAM), 201)
        expect(erin.post("/api/v1/leads", json=opened), 403, "duty.lead_open")
        expect(erin.post("/api/v1/shares", json=SHARE | {"case": CASE, "lead_id": lead["id"]}),
               403, "duty.share_create")  # fmt: skip
        expect(erin.post(f"/api/v1/submissions/{sub}/roi/filings",
                         json={"case_system_ref": "ICM-2"}), 403, "duty.roi_file")  # fmt: skip
    with gw.client("olga") as olga:
        expect(olga.get(f"/api/v1/cases/{CASE}/partner-searches"), 403,
               "duty.case_records_view")  # fmt: skip
    with gw.client("ivan") as ivan:
        expect(ivan.post(f"/api/v1/dispositions/{possible['id']}/verification",
                         json={"note": "n"}), 403, "duty.disposition_verify")  # fmt: skip
    with gw.client("sue") as sue:
        expect(sue.post(f"/api/v1/candidates/{second['id']}/dispositions",
                        json={"kind": "no_match", "rationale": "r"}), 403,
               "duty.disposition_record")  # fmt: skip
        expect(sue.post(f"{leads}/corroborations", json=RECORDS_CHECK), 403,
               "duty.corroboration_record")  # fmt: skip
        expect(sue.post(f"{leads}/close", json={"reason": "r"}), 403, "duty.lead_close")
        expect(sue.post("/api/v1/partner-searches", json=PARTNER), 403,
               "duty.partner_search_record")  # fmt: skip
        expect(sue.post(f"/api/v1/cases/{CASE}/disclosure", json={}), 403,
               "export.case_supervisor")  # fmt: skip
    with gw.client("sam") as sam:
        expect(sam.post(f"/api/v1/dispositions/{possible['id']}/verification",
                        json={"note": "agree"}), 201)  # fmt: skip
        expect(sam.post(f"/api/v1/cases/{CASE}/disclosure",
                        json={"recipient": "USAO"}), 403, "export.authority")  # fmt: skip
        expect(sam.post(f"/api/v1/cases/{CASE}/disclosure",
                        json={"recipient": "USAO", "authority_kind": "statute",
                              "authority": "Fed. R. Crim. P. 16"}), 200)  # fmt: skip
        expect(sam.post(f"/api/v1/cases/{CASE}/disclosure", json={}), 200)
    with gw.client("alice") as alice:
        expect(alice.post(f"{leads}/close", json={"reason": "charged; lead closed"}), 200)


def _variant(tmp_path: Path) -> PolicyPack:
    """The bundled pack with `disposition_verification_required = true`."""
    source = Path(__file__).resolve().parents[2] / "frsgate" / "policy" / "packs" / "hsi_2021"
    folder = tmp_path / "hsi_2021_second_reviewer"
    shutil.copytree(source, folder)
    toml = folder / "pack.toml"
    text = toml.read_text(encoding="utf-8")
    assert "disposition_verification_required = false" in text
    toml.write_text(text.replace("disposition_verification_required = false",
                                 "disposition_verification_required = true"), "utf-8")  # fmt: skip
    return load_pack(folder)


def walk_second_reviewer(gw: Gateway, expect: Expect, tmp_path: Path) -> None:
    """An agency's pack that asks a second reviewer: IGP approves it through the product, then
    a lead waits for the verification of its disposition (memo 4.D.2)."""
    gate = gw.runtime.gate
    default = gate.policy
    gate.use_pack(_variant(tmp_path))
    try:
        with gw.client("ada") as ada:
            asked = expect(ada.post("/api/v1/policy/activations",
                                    json={"reason": "second reviewer for leads"}), 201)  # fmt: skip
        with gw.client("ivan") as ivan:
            expect(ivan.post(f"/api/v1/approvals/{asked['approval']['id']}/decision",
                             json={"approve": True, "note": "approved"}), 200)  # fmt: skip
        with gw.client("alice") as alice:
            _, (first, *_) = _results(alice, expect)
            possible = expect(alice.post(f"/api/v1/candidates/{first['id']}/dispositions",
                                         json={"kind": "possible_match_lead", "rationale": "r",
                                               "traditional_means_compared": "visa photo"}),
                              201)["disposition"]  # fmt: skip
            body = {"disposition_id": possible["id"], "summary": "s"}
            expect(alice.post("/api/v1/leads", json=body), 403, "lead.disposition_verified")
        with gw.client("erin") as erin:
            expect(erin.post(f"/api/v1/dispositions/{possible['id']}/verification",
                             json={"note": "agree"}), 201)  # fmt: skip
        with gw.client("alice") as alice:
            expect(alice.post("/api/v1/leads", json=body), 201)
    finally:
        gate.use_pack(default)
