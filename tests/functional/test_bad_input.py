"""Bad input at the HTTP edge: each a 4xx whose message names the problem, and nothing stored
(no probe row, no probe image, no probe entry in the ledger). What the memo governs (a live
source, a composite, a missing attestation) is a policy refusal: 403, cited, on the ledger."""

from __future__ import annotations

import io
import json

import httpx
import images
import pytest
from harness import Gateway
from helpers import post_probe, probe_form
from PIL import Image

from frsgate.store.unit import unit_of_work


def _nothing_stored(gateway: Gateway) -> None:
    with unit_of_work(gateway.runtime.engine) as uow:
        case = uow.cases.get_by_number("HSI-2026-000001")
        assert uow.probes.of_case(case.id) == []
    ledger = gateway.runtime.ledger
    events = [json.loads(e)["event"] for e in ledger.entries(0, ledger.size())]
    assert "probe:record:create" not in events


IMAGE_CASES = [
    ("not an image", images.not_an_image, "image/jpeg", "JPEG"),
    ("pdf/html polyglot", lambda: images.pdf_html_polyglot("pdf"), "image/jpeg", "PDF"),
    ("html polyglot", lambda: images.pdf_html_polyglot("html"), "image/png", "HTML"),
    ("animated gif", images.animated_gif, "image/gif", "GIF"),
    ("animated png", images.animated_png, "image/png", "frame"),
    ("decompression bomb", images.decompression_bomb_png, "image/png", "pixels"),
    ("no face", images.no_face_jpeg, "image/jpeg", "face"),
    ("two faces", images.two_faces_jpeg, "image/jpeg", "face"),
]


@pytest.mark.parametrize(
    ("label", "build", "media_type", "named"), IMAGE_CASES, ids=[c[0] for c in IMAGE_CASES]
)
def test_bad_images_are_refused_and_nothing_is_stored(
    gateway: Gateway, label: str, build: object, media_type: str, named: str
) -> None:
    assert callable(build)
    with gateway.client("alice") as alice:
        response = post_probe(alice, build(), media_type=media_type)
    assert response.status_code == 422, (label, response.text)
    assert named.lower() in response.json()["message"].lower(), response.text
    _nothing_stored(gateway)
    _refusal_recorded(gateway, response.json()["message"])


def _refusal_recorded(gateway: Gateway, message: str) -> None:
    """An image refusal is on the ledger with its reason and the SHA-256 of what was sent."""
    ledger = gateway.runtime.ledger
    last = json.loads(ledger.entries(ledger.size() - 1, ledger.size())[0])
    assert last["event"] == "probe:intake:refuse"
    assert last["outcome"] == "denied"
    assert last["details"]["reason"] == message[:500]
    assert len(last["details"]["received_sha256"]) == 64


def test_oversized_file_is_refused(gateway: Gateway) -> None:
    limit = gateway.settings.max_probe_bytes
    with gateway.client("alice") as alice:
        response = post_probe(alice, images.oversized_jpeg(limit + 1))
    assert response.status_code == 422, response.text
    assert "over the limit" in response.json()["message"]
    _nothing_stored(gateway)
    _refusal_recorded(gateway, response.json()["message"])


def _cited_on_the_ledger(gateway: Gateway, response: object, rule: str, section: str) -> None:
    assert isinstance(response, httpx.Response)
    assert response.status_code == 403, response.text
    cited = {(c["rule"], c["section"]) for c in response.json()["decision"]["citations"]}
    assert (rule, section) in cited, cited
    ledger = gateway.runtime.ledger
    last = json.loads(ledger.entries(ledger.size() - 1, ledger.size())[0])
    assert last["event"] == "policy:decision:evaluate"
    assert last["outcome"] == "denied"
    assert rule in {c["rule"] for c in last["citations"]}


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("live_stream", "probe.live_source"),
        ("real_time_camera", "probe.live_source"),
        ("surveillance_feed", "probe.surveillance_source"),
    ],
)
def test_live_sources_are_refused(gateway: Gateway, source: str, rule: str) -> None:
    with gateway.client("alice") as alice:
        response = post_probe(alice, images.astronaut_jpeg(), capture_source=source)
    _cited_on_the_ledger(gateway, response, rule, "4.B.4")
    _nothing_stored(gateway)


def test_an_unknown_capture_source_is_a_shape_error(gateway: Gateway) -> None:
    before = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        response = post_probe(alice, images.astronaut_jpeg(), capture_source="drone")
    assert response.status_code == 422, response.text
    assert "capture_source" in response.json()["message"]
    assert gateway.runtime.ledger.size() == before
    _nothing_stored(gateway)


@pytest.mark.parametrize("edit", ["composite", "sketch", "lookalike"])
def test_composite_is_refused(gateway: Gateway, edit: str) -> None:
    with gateway.client("alice") as alice:
        response = post_probe(alice, images.astronaut_jpeg(), image_edit=edit)
    _cited_on_the_ledger(gateway, response, "probe.isolated_facial_image", "2")
    _nothing_stored(gateway)


def test_missing_attestation_is_refused(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        missing = alice.post(
            "/api/v1/probes",
            data={k: v for k, v in probe_form().items() if k != "attestation"},
            files={"image": ("p.jpg", images.astronaut_jpeg(), "image/jpeg")},
        )
        _cited_on_the_ledger(gateway, missing, "probe.attestation", "4.B.3")
        false = post_probe(alice, images.astronaut_jpeg(), attestation="false")
        _cited_on_the_ledger(gateway, false, "probe.attestation", "4.B.3")
    _nothing_stored(gateway)


def test_unknown_case_is_refused(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        response = post_probe(alice, images.astronaut_jpeg(), case="HSI-1999-999999")
    assert response.status_code == 404, response.text
    assert "HSI-1999-999999" in response.json()["message"]
    _nothing_stored(gateway)


def test_forwarded_bytes_carry_no_exif_or_gps(gateway: Gateway) -> None:
    original = images.astronaut_jpeg(with_exif_gps=True)
    assert Image.open(io.BytesIO(original)).getexif()
    with gateway.client("alice") as alice:
        created = post_probe(alice, original)
        assert created.status_code == 201, created.text
    probe_id = created.json()["id"]
    with gateway.client("sam") as sam:
        stored = sam.get(f"/api/v1/probes/{probe_id}/image")
    assert stored.status_code == 200, stored.text
    clean = Image.open(io.BytesIO(stored.content))
    assert not clean.getexif()
    assert b"Exif" not in stored.content
    assert b"GPS" not in stored.content
    assert created.json()["original_sha256"] != created.json()["sha256"]


def test_a_body_that_is_not_utf8_json_is_a_400_saying_so(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        before = gateway.runtime.ledger.size()
        response = alice.post(
            "/api/v1/leads",
            content=b'{"disposition_id": "\xff\xfe", "summary": "s"}',
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 400, response.text
    assert "UTF-8 JSON" in response.json()["message"]
    assert "application/json" in response.json()["message"]
    assert gateway.runtime.ledger.size() == before  # nothing recorded
