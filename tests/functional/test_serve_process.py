"""The real `frsgate serve` process, as an operator runs it: `init --demo`, `serve` (with the
sandbox FRS it starts beside itself), tokens from `frsgate token issue`, HTTP only, then
`frsgate ledger verify` over what the service wrote. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import exigent_body, post_probe, submission_body
from images import astronaut_jpeg
from processes import CLI, Served, frsgate, serving, stop


@pytest.fixture(params=[1, 2], ids=["one-process", "two-workers"])
def served(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Iterator[Served]:
    with serving(tmp_path, database_url, workers=request.param) as running:
        yield running


@pytest.mark.slow
def test_serve_process_allows_denies_and_keeps_a_verifiable_ledger(served: Served) -> None:
    with served.client("alice") as alice:
        created = post_probe(alice, astronaut_jpeg())
        assert created.status_code == 201, f"{created.text}\n{served.stderr()}"
        probe = created.json()
        assert probe["status"] == "active"

        allowed = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
        assert allowed.status_code == 201, f"{allowed.text}\n{served.stderr()}"
        submission = allowed.json()["submission"]
        assert submission["status"] == "completed"
        listing = alice.get(f"/api/v1/submissions/{submission['id']}/candidates")
        assert listing.status_code == 200, f"{listing.text}\n{served.stderr()}"
        page = listing.json()
        assert page["investigative_lead_only"] is True
        assert page["candidate_list"]["sandbox"] is True
        # The sandbox may answer a probe with no candidates; either way the list is whole.
        assert page["candidate_list"]["size"] == len(page["candidates"])
        assert page["candidate_list"]["negative"] is (not page["candidates"])

        denied = alice.post(
            "/api/v1/submissions",
            json=exigent_body(
                probe["id"], "not-approved-vendor", "imminent threat to life at the port"
            ),
        )
    assert denied.status_code == 403, f"{denied.text}\n{served.stderr()}"
    decision = denied.json()["decision"]
    assert decision["decision"] == "deny"
    assert "4.C.3" in {c["section"] for c in decision["citations"]}

    # The witness `serve` runs beside the service cosigned a checkpoint at start, and verify
    # checks the log against it while both run.
    deadline = time.monotonic() + 30
    while True:
        live = subprocess.run(
            [*CLI, "ledger", "verify"], env=served.env, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        if live.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert live.returncode == 0, live.stdout + live.stderr
    assert "witnessed: " in live.stdout

    stop(served)
    assert served.process.returncode is not None
    # The sandbox child went with the service: its port answers no more.
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{served.sandbox_port}/v1/health", timeout=1)

    # The witness went with the service too: the tree and stored checkpoints still verify.
    verified = frsgate(served.env, "ledger", "verify", "--no-witness")
    assert verified.stdout.strip(), "ledger verify printed no summary"
    entries = [
        json.loads(line)
        for line in frsgate(served.env, "ledger", "export").stdout.splitlines()
        if line
    ]
    events = [e["event"] for e in entries]
    assert "submission:dispatch:outcome" in events
    assert any(
        e["outcome"] == "denied" and "4.C.3" in {c["section"] for c in e.get("citations", [])}
        for e in entries
    ), "the denial and its citation are not in the ledger"
