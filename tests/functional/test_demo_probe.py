"""The demo probe `frsgate demo probe` writes is accepted as a probe of the demo case over HTTP,
so the README walk-through works with the package alone."""

from __future__ import annotations

from harness import Gateway
from helpers import post_probe

from frsgate.demo import demo_probe


def test_demo_probe_passes_intake(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        created = post_probe(alice, demo_probe())
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "active"


def test_demo_probe_gets_candidates_from_the_sandbox(gateway: Gateway) -> None:
    """The walk-through shows a candidate list. The sandbox answers from the SHA-256 of the
    re-encoded probe and gives nothing for one probe in eight (connectors.gallery), and the
    re-encoded bytes depend on the image library's encoder: a dependency update that turns the
    demo photo into a negative probe fails here, not in a reader's first try."""
    with gateway.client("alice") as alice:
        created = post_probe(alice, demo_probe())
        assert created.status_code == 201, created.text
        submitted = alice.post("/api/v1/submissions", json={
            "probe_id": created.json()["id"], "provider": "sandbox",
            "match_type": "one_to_many", "program_code": "HSI-FRS-DEMO",
            "justification": "identify the suspect"})  # fmt: skip
        assert submitted.status_code == 201, submitted.text
        listed = alice.get(f"/api/v1/submissions/{submitted.json()['submission']['id']}/candidates")
        assert listed.status_code == 200, listed.text
    assert len(listed.json()["candidates"]) >= 3
