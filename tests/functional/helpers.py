"""Requests the functional tests make again and again."""

from __future__ import annotations

from typing import Any

import httpx

DEMO_CASE = "HSI-2026-000001"
DEMO_PROGRAM = "FRS-DEMO-01"


def probe_form(**overrides: Any) -> dict[str, str]:
    form = {
        "case": DEMO_CASE,
        "subject_role": "suspect",
        "capture_source": "recorded_video_still",
        "lawful_basis": "still from CCTV footage obtained by subpoena 2026-114",
        "traditional_means": "records checks and canvass of the port workers; no identification",
        "attestation": "true",
        "justification": "suspect seen loading undeclared goods at the port on 2026-10-02",
        "program_code": DEMO_PROGRAM,
    }
    form.update({k: str(v) for k, v in overrides.items()})
    return form


def post_probe(
    client: httpx.Client, image: bytes, *, media_type: str = "image/jpeg", **overrides: Any
) -> httpx.Response:
    return client.post(
        "/api/v1/probes",
        data=probe_form(**overrides),
        files={"image": ("probe.jpg", image, media_type)},
    )


def submission_body(probe_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "probe_id": probe_id,
        "provider": "sandbox",
        "match_type": "one_to_many",
        "program_code": DEMO_PROGRAM,
        "justification": "identify the suspect loading undeclared goods",
    }
    body.update(overrides)
    return body
