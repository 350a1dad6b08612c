"""Every match type of the memo (§2) through the gateway, candidate images sealed at rest, the
provider's terms enforced (memo 4.C.4), and image reads on the record."""

from __future__ import annotations

import json

from harness import Gateway
from helpers import post_probe, probe_for_result, submission_body, verify_only_provider
from images import astronaut_jpeg, astronaut_png

from frsgate.store.unit import unit_of_work


def _events(gateway: Gateway) -> list[dict[str, object]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(0, ledger.size())]


def test_two_photo_comparison(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        first = post_probe(alice, astronaut_jpeg()).json()
        second = post_probe(alice, astronaut_png(), media_type="image/png").json()
        done = alice.post(
            "/api/v1/submissions",
            json=submission_body(first["id"], match_type="two_photo", second_probe_id=second["id"]),
        )
        assert done.status_code == 201, done.text
        sub_id = done.json()["submission"]["id"]
        page = alice.get(f"/api/v1/submissions/{sub_id}/candidates").json()
    assert page["candidate_list"]["match_type"] == "two_photo"
    assert 0.0 <= page["candidate_list"]["comparison_score"] <= 1.0
    assert page["candidates"] == []
    assert page["investigative_lead_only"] is True
    intent = next(e for e in _events(gateway) if e["event"] == "submission:dispatch:intent")
    assert intent["details"]["probe_sha256"] == [first["sha256"], second["sha256"]]  # type: ignore[index]


def test_one_to_one_verification_against_a_gallery_record(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        search = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()
        page = alice.get(f"/api/v1/submissions/{search['submission']['id']}/candidates").json()
        assert page["candidates"], "the sandbox returned no candidates to verify against"
        target = page["candidates"][0]["gallery_ref"]
        verify = alice.post(
            "/api/v1/submissions",
            json=submission_body(probe["id"], match_type="one_to_one", target_ref=target),
        )
        assert verify.status_code == 201, verify.text
        assert verify.json()["submission"]["status"] == "completed"
        missing = alice.post(
            "/api/v1/submissions", json=submission_body(probe["id"], match_type="one_to_one")
        )
    assert missing.status_code == 422
    assert "target_ref" in missing.json()["message"]


def test_candidate_images_are_sealed_at_rest_and_reads_are_logged(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        sub = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()
        page = alice.get(f"/api/v1/submissions/{sub['submission']['id']}/candidates").json()
        first = page["candidates"][0]
        image = alice.get(first["image"])
        assert image.status_code == 200
        assert image.headers["content-type"] in ("image/png", "image/jpeg")
        probe_image = alice.get(f"/api/v1/probes/{probe['id']}/image")
        assert probe_image.status_code == 200
    import hashlib

    assert hashlib.sha256(image.content).hexdigest() == first["image_sha256"]
    with unit_of_work(gateway.runtime.engine) as uow:
        sealed = uow.candidates.get_image(first["id"]).sealed
        sealed_probe = uow.probes.get_image(probe["id"]).sealed
    assert image.content not in sealed
    assert image.content[:64] not in sealed
    assert probe_image.content[:64] not in sealed_probe
    events = _events(gateway)
    views = [e for e in events if e["event"] == "candidates:list:view"]
    assert any(e["subject"] == f"candidate:{first['id']}" for e in views)
    assert any(e["event"] == "probe:image:view" for e in events)
    # Probe images never enter the ledger: only their SHA-256 does.
    raw = b"".join(gateway.runtime.ledger.entries(0, gateway.runtime.ledger.size()))
    assert probe_image.content[:32] not in raw


def test_provider_terms_bind_the_match_type(gateway: Gateway) -> None:
    verify_only_provider(gateway)
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        denied = alice.post(
            "/api/v1/submissions", json=submission_body(probe["id"], provider="verify-only")
        )
    assert denied.status_code == 403, denied.text
    assert "4.C.4" in {c["section"] for c in denied.json()["decision"]["citations"]}


def test_opr_reads_but_cannot_submit(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        sub = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()
    with gateway.client("otto") as otto:
        read = otto.get(f"/api/v1/submissions/{sub['submission']['id']}/candidates")
        assert read.status_code == 200, read.text
        write = otto.post("/api/v1/submissions", json=submission_body(probe["id"]))
    assert write.status_code == 403
    with gateway.client("ada") as ada:
        admin_read = ada.get(f"/api/v1/probes/{probe['id']}/image")
    assert admin_read.status_code == 403  # administrators never read probes
