"""Every text a client sends to `/api/v1` is bounded and clean: a NUL (which PostgreSQL cannot
store) or a form field that is not UTF-8 is a 422 naming the field, so is a field over its
maximum, and nothing is recorded. The OpenAPI document declares each bound."""

from __future__ import annotations

from typing import Any

import httpx
import images
import pytest
from harness import Gateway
from helpers import post_probe, probe_form, submission_body

from frsgate.store.unit import unit_of_work

NUL = "\x00"


def _refused(response: httpx.Response, field: str) -> None:
    """A 422 in the API's error shape whose problems name `field`."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "ValidationFailed", body
    assert any(field in p for p in body["problems"]), body


def _stored_probes(gateway: Gateway) -> int:
    with unit_of_work(gateway.runtime.engine) as uow:
        case = uow.cases.get_by_number("HSI-2026-000001")
        return len(uow.probes.of_case(case.id))


@pytest.fixture
def probe_id(gateway: Gateway) -> str:
    with gateway.client("alice") as alice:
        response = post_probe(alice, images.astronaut_jpeg())
    assert response.status_code == 201, response.text
    probe_id: str = response.json()["id"]
    return probe_id


JSON_FIELDS = ["justification", "exigent_reason", "program_code", "provider", "probe_id"]


@pytest.mark.parametrize("field", JSON_FIELDS)
def test_nul_in_a_json_field_is_refused(gateway: Gateway, probe_id: str, field: str) -> None:
    body = submission_body(probe_id, exigent=field == "exigent_reason")
    body[field] = f"{body.get(field) or 'reason'}{NUL}more"
    size = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        response = alice.post("/api/v1/submissions", json=body)
    _refused(response, field)
    assert gateway.runtime.ledger.size() == size


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/approvals/apr_x/decision", {"approve": True, "note": f"ok{NUL}"}, "note"),
        ("/api/v1/submissions/sub_x/outcome-review", {"note": f"closed{NUL}"}, "note"),
        (
            "/api/v1/providers/prv_x/review",
            {"decision": "not_approved", "rationale": f"n{NUL}"},
            "rationale",
        ),
        ("/api/v1/policy/activations", {"reason": f"new pack{NUL}"}, "reason"),
    ],
)
def test_nul_in_the_other_bodies_is_refused(
    gateway: Gateway, path: str, body: dict[str, Any], field: str
) -> None:
    size = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        _refused(alice.post(path, json=body), field)
    assert gateway.runtime.ledger.size() == size


@pytest.mark.parametrize("field", ["justification", "case", "subject_role", "program_code"])
def test_nul_in_a_form_field_is_refused(gateway: Gateway, field: str) -> None:
    size = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        value = probe_form()[field] + NUL
        response = post_probe(alice, images.astronaut_jpeg(), **{field: value})
    _refused(response, field)
    assert gateway.runtime.ledger.size() == size
    assert _stored_probes(gateway) == 0


def _multipart(fields: dict[str, bytes], image: bytes) -> tuple[bytes, str]:
    """A multipart body written byte by byte, so a field can hold bytes that are not UTF-8."""
    boundary = "frsgate-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + image
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def test_invalid_utf8_in_a_form_field_is_refused(gateway: Gateway) -> None:
    fields = {k: v.encode() for k, v in probe_form().items()}
    fields["justification"] = b"seen at the port \xff\xfe on 2026-10-02"
    content, boundary = _multipart(fields, images.astronaut_jpeg())
    size = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        response = alice.post(
            "/api/v1/probes",
            content=content,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    _refused(response, "justification")
    assert "UTF-8" in response.json()["message"]
    assert gateway.runtime.ledger.size() == size
    assert _stored_probes(gateway) == 0


def test_valid_utf8_in_a_form_field_is_taken_as_sent(gateway: Gateway) -> None:
    """The UTF-8 check refuses only what is not UTF-8: accented text goes through."""
    fields = {k: v.encode() for k, v in probe_form().items()}
    fields["justification"] = "vu au port de Sète, café fermé — 2026-10-02".encode()
    content, boundary = _multipart(fields, images.astronaut_jpeg())
    with gateway.client("alice") as alice:
        response = alice.post(
            "/api/v1/probes",
            content=content,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    assert response.status_code == 201, response.text
    with unit_of_work(gateway.runtime.engine) as uow:
        probe = uow.probes.get(response.json()["id"])
    assert probe.justification == "vu au port de Sète, café fermé — 2026-10-02"


def test_invalid_utf8_in_a_json_body_is_refused_in_the_error_shape(
    gateway: Gateway, probe_id: str
) -> None:
    # FastAPI answers a body that is not UTF-8 as one it cannot parse (400), before any
    # field is validated; what matters here is that it is refused in the API's shape, not a
    # 500, and that nothing is recorded.
    size = gateway.runtime.ledger.size()
    content = (
        b'{"probe_id": "' + probe_id.encode() + b'", "provider": "sandbox", '
        b'"match_type": "one_to_many", "justification": "bad \xff\xfe bytes"}'
    )
    with gateway.client("alice") as alice:
        response = alice.post(
            "/api/v1/submissions",
            content=content,
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code in (400, 422), response.text
    assert set(response.json()) >= {"error", "message"}, response.text
    assert gateway.runtime.ledger.size() == size


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", "/api/v1/submissions/sub_1%00", "submission_id"),
        ("GET", "/api/v1/submissions/sub_1%00/candidates", "submission_id"),
        ("GET", "/api/v1/candidates/cand_1%00/image", "candidate_id"),
        ("GET", "/api/v1/probes/prb_1%00/image", "probe_id"),
        ("GET", "/api/v1/submissions/" + "s" * 101, "submission_id"),
    ],
)
def test_a_bad_path_id_is_refused(gateway: Gateway, method: str, path: str, field: str) -> None:
    # %00 is how a NUL reaches a path: the server decodes it into the id.
    size = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        _refused(alice.request(method, path), field)
    assert gateway.runtime.ledger.size() == size


def test_nul_in_a_query_parameter_is_refused(gateway: Gateway) -> None:
    size = gateway.runtime.ledger.size()
    with gateway.client("otto") as auditor:
        response = auditor.get("/api/v1/ledger/entries", params={"start": f"0{NUL}"})
    _refused(response, "start")
    assert gateway.runtime.ledger.size() == size


def test_an_idempotency_key_over_its_maximum_is_refused(gateway: Gateway, probe_id: str) -> None:
    size = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        response = alice.post(
            "/api/v1/submissions",
            json=submission_body(probe_id),
            headers={"Idempotency-Key": "k" * 129},
        )
    _refused(response, "Idempotency-Key")
    assert gateway.runtime.ledger.size() == size


def test_a_field_over_its_maximum_is_refused(gateway: Gateway, probe_id: str) -> None:
    size = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        long = submission_body(probe_id, justification="j" * 4001)
        _refused(alice.post("/api/v1/submissions", json=long), "justification")
        _refused(
            post_probe(alice, images.astronaut_jpeg(), lawful_basis="l" * 4001), "lawful_basis"
        )
    assert gateway.runtime.ledger.size() == size


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _unbounded_strings(schema: dict[str, Any]) -> bool:
    """Whether `schema` (or a branch of its anyOf) is a text string without maxLength. A file
    part (contentMediaType or format binary) is bounded by the body limit instead; one of a
    closed list of values (an enum), an RFC 3339 time (format date-time) and a calendar date
    (format date: YYYY-MM-DD), which the parser accepts only in that form, are no free text."""
    branches = schema.get("anyOf", [schema])
    return any(
        b.get("type") == "string"
        and "maxLength" not in b
        and "contentMediaType" not in b
        and "enum" not in b
        and b.get("format") not in ("binary", "date-time", "date")
        for b in branches
    )


def test_the_document_bounds_every_string_a_client_sends(gateway: Gateway) -> None:
    with gateway.anonymous() as anonymous:
        document: dict[str, Any] = anonymous.get("/openapi.json").json()
    unbounded = []
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                if _unbounded_strings(parameter["schema"]):
                    unbounded.append(f"{where} {parameter['in']} {parameter['name']}")
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                body = _resolve(document, media["schema"])
                for name, prop in body.get("properties", {}).items():
                    if _unbounded_strings(_resolve(document, prop)):
                        unbounded.append(f"{where} body {name}")
    assert unbounded == []
    # The walk saw what it should: a path id, the header, JSON fields and form fields.
    submission = document["paths"]["/api/v1/submissions/{submission_id}"]["get"]
    assert submission["parameters"][0]["schema"]["maxLength"] == 100
