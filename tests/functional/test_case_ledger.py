"""Scoped ledger reading over HTTP (memo 4.E.4, 4.E.5, fn2): a supervisor reads the entries of
the cases they supervise, a page at a time, each with an inclusion proof against a signed
checkpoint; OPR and IGP read everything; the whole-log contract routes are the auditors'
alone; every read, and every refusal, is decided, cited and on the ledger.

Runs on SQLite, and on PostgreSQL with FRSGATE_TEST_DATABASE_URL."""

from __future__ import annotations

import json
from typing import Any

import httpx
from harness import Gateway
from helpers import DEMO_CASE, post_probe, submission_body
from images import astronaut_jpeg

from frsgate.ledger import Actor
from frsgate.ledger.merkle import b64decode, leaf_hash, verify_inclusion
from frsgate.ledger.notes import open_checkpoint
from frsgate.services import admin
from frsgate.store.unit import unit_of_work

PREFIX_CASE = "HSI-2026-00000"  # a prefix of the demo case's number
LONGER_CASE = "HSI-2026-0000010"  # the demo case's number is a prefix of this one


def _entries(gateway: Gateway, since: int = 0) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _rules(response: httpx.Response) -> set[str]:
    return {c["rule"] for c in response.json()["decision"]["citations"]}


def _cases_beside_the_demo_case(gateway: Gateway) -> None:
    """Two cases whose numbers share a prefix with the demo case's, supervised by sue."""
    gate = gateway.runtime.gate
    with unit_of_work(gate.engine) as uow:
        sue = uow.users.get_by_username("sue")
        alice = uow.users.get_by_username("alice")
    for number in (PREFIX_CASE, LONGER_CASE):
        admin.create_case(
            gate, Actor.system(), number=number, title=f"case {number}",
            statutory_authority="18 U.S.C. 545", violation_codes=("18USC545",),
            supervisor=sue, assigned=[alice], opened_by=sue.id, under_hsi_authority=True,
        )  # fmt: skip


def _verified_page(gateway: Gateway, body: dict[str, Any]) -> list[int]:
    """Check every entry's proof against the page's checkpoint, whose signature is checked
    with the ledger's public key; returns the seqs of the page."""
    verifier = gateway.runtime.ledger.signer.verifier
    signed = open_checkpoint(verifier, body["checkpoint"]["note"])
    root = signed.checkpoint.root
    assert signed.checkpoint.tree_size == body["checkpoint"]["tree_size"]
    seqs = []
    for item in body["entries"]:
        raw = item["entry"].encode("utf-8")
        assert b64decode(item["leaf_hash"]) == leaf_hash(raw)
        proof = item["proof"]
        assert proof["leaf_index"] == item["seq"]
        assert proof["tree_size"] == signed.checkpoint.tree_size
        hashes = [b64decode(h) for h in proof["hashes"]]
        verify_inclusion(item["seq"], proof["tree_size"], leaf_hash(raw), hashes, root)
        assert json.loads(raw)["seq"] == item["seq"]
        seqs.append(item["seq"])
    return seqs


def _all_pages(client: httpx.Client, gateway: Gateway, case: str, limit: int) -> list[int]:
    seqs: list[int] = []
    cursor: int | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.get(f"/api/v1/cases/{case}/ledger", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["case"] == case
        assert len(body["entries"]) <= limit
        seqs += _verified_page(gateway, body)
        cursor = body["next_cursor"]
        if cursor is None:
            return seqs


def test_a_supervisor_reads_every_entry_of_their_case_and_nothing_else(gateway: Gateway) -> None:
    _cases_beside_the_demo_case(gateway)
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        done = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
        assert done.status_code == 201, done.text
        # A use of the case whose number is the demo case's with a digit more.
        other = post_probe(alice, astronaut_jpeg(), case=LONGER_CASE)
        assert other.status_code == 201, other.text
    with gateway.client("sam") as sam:
        seqs = _all_pages(sam, gateway, DEMO_CASE, limit=4)
    assert seqs == sorted(set(seqs))
    assert len(seqs) > 8  # more than two pages: the cursor was followed
    stored = _entries(gateway)
    by_seq = {e["seq"]: e for e in stored}
    assert {by_seq[s]["case"] for s in seqs} == {DEMO_CASE}
    # Complete: every entry of the case up to the last page is on the pages, and after it
    # only the last read's own decision and record (filed under the case) were appended.
    of_case = [e["seq"] for e in stored if e.get("case") == DEMO_CASE]
    last = max(seqs)
    assert [s for s in of_case if s <= last] == seqs
    tail = [(by_seq[s]["event"], by_seq[s]["actor"]["id"]) for s in of_case if s > last]
    sam_id = gateway.users["sam"]
    assert tail == [("policy:decision:evaluate", sam_id), ("ledger:entries:read", sam_id)]
    # The prefix-sharing cases' entries exist, and never appear on the demo case's pages.
    assert any(e.get("case") == LONGER_CASE for e in stored)
    assert any(e.get("case") == PREFIX_CASE for e in stored)
    with gateway.client("sue") as sue:
        for number in (PREFIX_CASE, LONGER_CASE):
            seen = _all_pages(sue, gateway, number, limit=1000)
            assert {by_seq[s]["case"] for s in seen if s in by_seq} == {number}


def test_a_supervisor_of_another_case_is_refused_cited_and_recorded(gateway: Gateway) -> None:
    before = gateway.runtime.ledger.size()
    with gateway.client("sue") as sue:  # sue supervises no case of the demo's
        refused = sue.get(f"/api/v1/cases/{DEMO_CASE}/ledger")
    assert refused.status_code == 403, refused.text
    assert _rules(refused) == {"ledger.case_supervisor"}
    [entry] = _entries(gateway, before)
    assert entry["event"] == "policy:decision:evaluate"
    assert entry["outcome"] == "denied"
    assert entry["case"] == DEMO_CASE  # the case's own log shows the attempt
    assert entry["actor"]["id"] == gateway.users["sue"]
    assert [c["section"] for c in entry["citations"]] == ["4.E.4"]
    assert "entries" not in refused.json()


def test_the_whole_log_is_the_auditors_alone(gateway: Gateway) -> None:
    routes = (
        "/api/v1/ledger/checkpoint",
        "/api/v1/ledger/entries?start=0&end=2",
        "/api/v1/ledger/proof/inclusion?index=0",
        "/api/v1/ledger/proof/consistency?first=1&second=2",
    )
    for user, rule in (("sam", "ledger.whole_log_auditors"), ("ada", "duty.ledger_read")):
        with gateway.client(user) as client:
            for path in routes:
                before = gateway.runtime.ledger.size()
                refused = client.get(path)
                assert refused.status_code == 403, (user, path, refused.text)
                assert rule in _rules(refused)
                [entry] = _entries(gateway, before)
                assert (entry["event"], entry["outcome"]) == ("policy:decision:evaluate",
                                                              "denied")  # fmt: skip
    for auditor in ("otto", "ivan"):
        with gateway.client(auditor) as client:
            for path in routes:
                assert client.get(path).status_code == 200, (auditor, path)
            page = client.get(f"/api/v1/cases/{DEMO_CASE}/ledger")
            assert page.status_code == 200, page.text
            assert page.json()["entries"]


def test_a_read_is_recorded_under_the_case_with_what_it_showed(gateway: Gateway) -> None:
    with gateway.client("sam") as sam:
        page = sam.get(f"/api/v1/cases/{DEMO_CASE}/ledger", params={"limit": 2})
    assert page.status_code == 200, page.text
    body = page.json()
    read = [e for e in _entries(gateway) if e["event"] == "ledger:entries:read"][-1]
    assert read["case"] == DEMO_CASE
    assert read["actor"] == {"id": gateway.users["sam"], "role": "supervisor"}
    details = read["details"]
    assert details["scope"] == "case"
    assert details["entries"] == 2
    assert [details["first_seq"], details["last_seq"]] == [e["seq"] for e in body["entries"]]
    assert body["next_cursor"] == details["last_seq"]
    # The page's checkpoint covers the page.
    assert body["checkpoint"]["tree_size"] > details["last_seq"]


def test_a_period_selects_by_the_entries_time(gateway: Gateway) -> None:
    stored = [e for e in _entries(gateway) if e.get("case") == DEMO_CASE]
    first_day = stored[0]["time"][:10]
    with gateway.client("sam") as sam:
        future = sam.get(f"/api/v1/cases/{DEMO_CASE}/ledger", params={"from": "2999-01-01"})
        assert future.status_code == 200, future.text
        assert future.json()["entries"] == []
        past = sam.get(f"/api/v1/cases/{DEMO_CASE}/ledger", params={"to": "2000-01-01"})
        assert past.json()["entries"] == []
        day = sam.get(
            f"/api/v1/cases/{DEMO_CASE}/ledger",
            params={"from": first_day, "to": first_day, "limit": 1000},
        )
        assert day.status_code == 200, day.text
        shown = [json.loads(e["entry"]) for e in day.json()["entries"]]
        assert shown
        assert all(e["time"].startswith(first_day) for e in shown)
        assert shown[0]["seq"] == stored[0]["seq"]
        moment = stored[1]["time"]
        after = sam.get(f"/api/v1/cases/{DEMO_CASE}/ledger", params={"from": moment})
        assert all(json.loads(e["entry"])["time"] >= moment for e in after.json()["entries"])


def test_bad_input_is_refused_naming_the_field_and_nothing_is_recorded(
    gateway: Gateway,
) -> None:
    with gateway.client("sam") as sam:
        for params, field in (
            ({"from": "yesterday"}, "from"),
            ({"from": "2026-01-01T00:00:00"}, "from"),  # no zone
            ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
            ({"cursor": -1}, "cursor"),
            ({"limit": 0}, "limit"),
            ({"limit": 1001}, "limit"),
        ):
            before = gateway.runtime.ledger.size()
            bad = sam.get(f"/api/v1/cases/{DEMO_CASE}/ledger", params=params)
            assert bad.status_code == 422, (params, bad.text)
            assert field in bad.text
            assert gateway.runtime.ledger.size() == before
        missing = sam.get("/api/v1/cases/HSI-2099-999999/ledger")
    assert missing.status_code == 404, missing.text
