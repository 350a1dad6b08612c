"""Requests the functional tests make again and again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import images

if TYPE_CHECKING:  # for typing only: loading these helpers loads no part of the gateway
    from harness import Gateway

DEMO_CASE = "HSI-2026-000001"
DEMO_PROGRAM = "FRS-DEMO-01"
DEMO_FRS_PROGRAM_CODE = "HSI-FRS-DEMO"  # the FRS program code (memo 4.E.3)


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
        "program_code": DEMO_FRS_PROGRAM_CODE,
        "justification": "identify the suspect loading undeclared goods",
    }
    body.update(overrides)
    return body


NEGATIVE_BELOW = 0x20  # the sandbox answers a probe whose SHA-256 starts below this with nothing


def _variants() -> Iterator[tuple[bytes, str]]:
    yield images.astronaut_png(), "image/png"
    yield images.rotated_astronaut_jpeg(), "image/jpeg"
    yield images.astronaut_jpeg(), "image/jpeg"
    for size in range(320, 512, 6):
        yield images.astronaut_jpeg(size=size), "image/jpeg"


def probe_for_result(client: httpx.Client, *, negative: bool, **form: Any) -> dict[str, Any]:
    """A stored probe the sandbox will answer with candidates (or, with `negative`, with none).

    The sandbox decides from the SHA-256 of the bytes it receives, which is the probe's
    re-encoded `sha256`: so the test knows the answer before it asks.
    """
    for data, media_type in _variants():
        response = post_probe(client, data, media_type=media_type, **form)
        if response.status_code != 201:
            continue
        probe: dict[str, Any] = response.json()
        if (int(probe["sha256"][:2], 16) < NEGATIVE_BELOW) == negative:
            return probe
    raise AssertionError("no probe variant gives the wanted sandbox result")


def searched(client: httpx.Client) -> tuple[str, list[dict[str, Any]]]:
    """A dispatched search of the demo case the sandbox answered with candidates: the
    submission's id and its candidate list, as the API lists it."""
    probe = probe_for_result(client, negative=False)
    done = client.post("/api/v1/submissions", json=submission_body(probe["id"]))
    assert done.status_code == 201, done.text
    submission_id: str = done.json()["submission"]["id"]
    listed = client.get(f"/api/v1/submissions/{submission_id}/candidates")
    assert listed.status_code == 200, listed.text
    found: list[dict[str, Any]] = listed.json()["candidates"]
    return submission_id, found


def certified_agent(gateway: Gateway, username: str) -> None:
    """A certified agent of the test's own, not assigned to the demo case."""
    from frsgate.domain import Role
    from frsgate.ledger import Actor
    from frsgate.services import admin

    gate = gateway.runtime.gate
    user = admin.create_user(
        gate, Actor.system(), username=username, display_name=username.title(),
        roles=[Role.agent], supervisor_id=gateway.users["sam"],
    )  # fmt: skip
    now = datetime.now(UTC)
    admin.record_certification(
        gate, Actor.system(), user=user, completed_at=now - timedelta(days=10),
        best_practices_at=now - timedelta(days=10), safeguards_at=now - timedelta(days=10),
        expires_at=now + timedelta(days=300), palms_reference=f"PALMS-{username}",
    )  # fmt: skip
    gateway.users[username] = user.id


def exigent_body(probe_id: str, provider: str, reason: str) -> dict[str, Any]:
    """An exigent submission where no supervisor can approve before use (memo 4.C.3)."""
    return submission_body(
        probe_id,
        provider=provider,
        exigent=True,
        exigent_reason=reason,
        prior_approval_impracticable=True,
        impracticable_reason="no supervisor reachable: night shift, the case supervisor is abroad",
    )


def approval_review(
    rationale: str = "reviewed: accurate and lawful to use", **terms: Any
) -> dict[str, Any]:
    """OSDM's structured approval of a provider (memo 4.C.1, fn1), with every part an approval
    must rest on; `terms` override the accepted terms."""
    accepted = {"match_types": ["one_to_one", "two_photo", "one_to_many"], "candidate_cap": 20,
                "law_enforcement_use": True, "edited_probes_allowed": True,
                "terms_ref": "contract FRS-2026-01"} | terms  # fmt: skip
    return {
        "decision": "approved",
        "rationale": rationale,
        "capabilities": "1:1 verification, 2-photo comparison and 1:N search",
        "terms": accepted,
        "accuracy_evidence": [
            {"source": "NIST FRTE 1:N", "reference": "NISTIR 8271", "summary": "FNIR 0.3%"}
        ],
        "demographic_differentials": "NISTIR 8280: false-positive differentials within bounds",
        "data_handling": "probes deleted after the search; no gallery enrolment",
        "retention": "search logs kept 30 days",
    }


def refusal_review(rationale: str) -> dict[str, Any]:
    """OSDM's structured refusal of a provider (memo 4.C.3): its rationale."""
    return {"decision": "not_approved", "rationale": rationale}


def verify_only_provider(gateway: Any) -> None:
    """A provider whose terms offer 1:1 verification only (memo 4.C.4), approved by OSDM."""
    from frsgate.domain import MatchType, ProviderKind, ProviderTerms
    from frsgate.ledger import Actor
    from frsgate.services import admin

    runtime = gateway.runtime
    provider = admin.create_provider(
        runtime.gate, Actor.system(), name="verify-only", kind=ProviderKind.sandbox,
        base_url=None,
        terms=ProviderTerms(match_types=frozenset({MatchType.one_to_one}), candidate_cap=5,
                            law_enforcement_use=True, reference="terms:verify-only"),
    )  # fmt: skip
    admin.seed_provider_review(
        runtime.gate, Actor(id=gateway.users["olga"], role="osdm"), provider,
        approve=True, note="verification only", source="test",
    )  # fmt: skip
