"""The OpenAPI document (`/openapi.json`, served without a token) describes what `/api/v1`
answers: every operation declares its success and error statuses with their schemas, and
what the running gateway answers validates against the schema the document declares for it —
with nothing the schema does not name (`frsgate.api.schemas` forbids unknown keys) and nothing
lost when the pydantic model behind it reads the body and writes it out again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi.routing import APIRoute
from harness import Gateway
from helpers import approval_review, exigent_body, post_probe, probe_for_result, submission_body
from images import rotated_astronaut_jpeg
from jsonschema import Draft202012Validator
from openapi_oversight import oversee
from pydantic import BaseModel
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from frsgate.api import (
    schemas,
    schemas_casework,
    schemas_disclosure,
    schemas_leads,
    schemas_oversight,
    schemas_reports,
    schemas_review,
)
from frsgate.api.app import ROUTERS
from frsgate.domain import ApprovalSubject
from frsgate.store.unit import unit_of_work

DOCUMENT_URI = "urn:frsgate:openapi"
ERROR_REF = "#/components/schemas/ErrorOut"

# The success statuses that are not a plain 200.
CREATED = {
    ("post", "/api/v1/probes"): {"201"},
    ("post", "/api/v1/submissions"): {"201", "202"},  # 202: stored, waiting for approval
    ("post", "/api/v1/policy/activations"): {"201"},
    ("post", "/api/v1/policy/log-format/approvals"): {"201"},
    ("post", "/api/v1/log-reviews/{period}/sign-off"): {"201"},
    ("post", "/api/v1/log-reviews/{period}/referrals"): {"201"},
    ("post", "/api/v1/admin/cases"): {"201"},
    ("post", "/api/v1/admin/programs"): {"201"},
    ("post", "/api/v1/admin/program-codes"): {"201"},
    ("post", "/api/v1/admin/users"): {"201"},
    ("post", "/api/v1/admin/providers"): {"201"},
    ("post", "/api/v1/candidates/{candidate_id}/dispositions"): {"201"},
    ("post", "/api/v1/dispositions/{disposition_id}/verification"): {"201"},
    ("post", "/api/v1/candidates/{candidate_id}/examinations"): {"201"},
    ("post", "/api/v1/leads"): {"201"},
    ("post", "/api/v1/leads/{lead_id}/corroborations"): {"201"},
    ("post", "/api/v1/leads/{lead_id}/enforcement-basis"): {"201"},
    ("post", "/api/v1/submissions/{submission_id}/roi/filings"): {"201"},
    ("post", "/api/v1/shares"): {"201"},
    ("post", "/api/v1/partner-searches"): {"201"},
}
# The operations that can answer 409: an idempotency key, a record's state (already decided,
# already reviewed, already requested), or a read held for an approval.
CONFLICTS = {
    ("post", "/api/v1/probes"),
    ("post", "/api/v1/submissions"),
    ("get", "/api/v1/submissions/{submission_id}/candidates"),
    ("get", "/api/v1/candidates/{candidate_id}/image"),
    ("post", "/api/v1/approvals/{approval_id}/decision"),
    ("post", "/api/v1/submissions/{submission_id}/outcome-review"),
    ("post", "/api/v1/providers/{provider_id}/review"),
    ("post", "/api/v1/policy/activations"),
    # A record that exists already, an illegal transition (closing a closed case), an
    # assessment approved twice or other than the one on record.
    ("post", "/api/v1/admin/cases"),
    ("post", "/api/v1/admin/cases/{number}/assignments"),
    # A supervisor already on the case; the last supervisor of a case taken off.
    ("post", "/api/v1/admin/cases/{number}/supervisors"),
    ("delete", "/api/v1/admin/cases/{number}/supervisors/{username}"),
    ("post", "/api/v1/admin/cases/{number}/close"),
    ("post", "/api/v1/admin/cases/{number}/reopen"),
    ("post", "/api/v1/admin/programs"),
    ("post", "/api/v1/admin/programs/{code}/assessment/approval"),
    ("post", "/api/v1/admin/programs/{code}/assessment/revision"),
    ("post", "/api/v1/admin/programs/{code}/members"),
    ("post", "/api/v1/admin/program-codes"),
    # Accounts: a username, e-mail or OIDC identity taken; a role held or not; a status.
    ("post", "/api/v1/admin/users"),
    ("patch", "/api/v1/admin/users/{username}"),
    ("post", "/api/v1/admin/users/{username}/roles"),
    ("delete", "/api/v1/admin/users/{username}/roles/{role}"),
    ("post", "/api/v1/admin/users/{username}/disable"),
    ("post", "/api/v1/admin/users/{username}/enable"),
    # A provider's name taken.
    ("post", "/api/v1/admin/providers"),
    # From candidate to lead: an idempotency key, a superseded or verified disposition, a lead
    # already open, marked or closed, a use without results or without a case, a use held for
    # its exigent approval (memo 4.C.3).
    ("post", "/api/v1/candidates/{candidate_id}/dispositions"),
    ("post", "/api/v1/dispositions/{disposition_id}/verification"),
    ("post", "/api/v1/candidates/{candidate_id}/examinations"),
    ("get", "/api/v1/submissions/{submission_id}/review"),
    ("post", "/api/v1/leads"),
    ("get", "/api/v1/leads/{lead_id}"),
    ("get", "/api/v1/cases/{number}/leads"),
    ("post", "/api/v1/leads/{lead_id}/corroborations"),
    ("post", "/api/v1/leads/{lead_id}/enforcement-basis"),
    ("post", "/api/v1/leads/{lead_id}/close"),
    ("get", "/api/v1/submissions/{submission_id}/roi"),
    ("post", "/api/v1/submissions/{submission_id}/roi/filings"),
    # The log review (memo 4.E.4): a period signed off already; a referral already decided; a
    # log-format version already approved or waiting (fn2).
    ("post", "/api/v1/log-reviews/{period}/sign-off"),
    ("post", "/api/v1/referrals/{referral_id}/outcome"),
    ("post", "/api/v1/policy/log-format/approvals"),
    ("post", "/api/v1/shares"),
    ("get", "/api/v1/cases/{number}/shares"),
    ("post", "/api/v1/partner-searches"),
}
# The acts whose body names records (a case, a probe, a provider): 404 when one is unknown.
NAMED_IN_BODY = {
    ("post", "/api/v1/probes"),
    ("post", "/api/v1/submissions"),
    ("post", "/api/v1/admin/cases"),  # the supervisor and agents, by username
    ("post", "/api/v1/admin/programs"),  # the supervisor and members, by username
    ("post", "/api/v1/admin/users"),  # the supervisor, by username
    ("get", "/api/v1/admin/certifications"),  # ?username=
    ("post", "/api/v1/leads"),  # the disposition
    ("post", "/api/v1/shares"),  # the case, the lead or the use
    ("post", "/api/v1/partner-searches"),  # the case
}
# Answers that also come as a document beside their JSON (`?format=` or `format`).
DOCUMENTS = {
    ("get", "/api/v1/submissions/{submission_id}/candidates"): {"text/csv"},
    ("get", "/api/v1/submissions/{submission_id}/roi"): {
        "text/plain; charset=utf-8",
        "application/pdf",
    },
    ("post", "/api/v1/cases/{number}/disclosure"): {"application/pdf"},
    ("get", "/api/v1/reports/{report}"): {"text/csv; charset=utf-8", "application/pdf"},
}
IMAGES = {
    ("get", "/api/v1/probes/{probe_id}/image"),
    ("get", "/api/v1/candidates/{candidate_id}/image"),
}
HOURS_PAST_DEADLINE = 25  # the demo's exigent approval deadline is 24 hours


def _document(gateway: Gateway) -> dict[str, Any]:
    with gateway.anonymous() as anonymous:
        response = anonymous.get("/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        if path.startswith("/api/v1/"):
            for method, operation in operations.items():
                yield method, path, operation


def _expected_errors(method: str, path: str) -> set[str]:
    expected = {"401", "403", "422", "503"}  # 503: the ledger cannot be written
    if "{" in path or (method, path) in NAMED_IN_BODY:
        expected.add("404")
    if (method, path) in CONFLICTS:
        expected.add("409")
    if (method, path) == ("post", "/api/v1/submissions"):
        expected.add("429")
    if method in ("post", "patch"):  # every POST and PATCH takes a body, which has a size limit
        expected.add("413")  # and may be one that cannot be parsed at all
        expected.add("400")
    return expected


def test_every_operation_declares_its_answers(gateway: Gateway) -> None:
    document = _document(gateway)
    served = {
        (method.lower(), route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert {(m, p) for m, p, _ in _operations(document)} == served  # none left out
    for method, path, operation in _operations(document):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        success = {code for code in responses if code.startswith("2")}
        assert success == CREATED.get((method, path), {"200"}), where
        for code in success:
            content = responses[code]["content"]
            if (method, path) in IMAGES:
                assert set(content) == {"image/jpeg", "image/png"}, where
                assert all(c["schema"]["format"] == "binary" for c in content.values()), where
            else:
                assert set(content) == {"application/json"} | DOCUMENTS.get((method, path), set())
                assert content["application/json"]["schema"]["$ref"], where
        errors = set(responses) - success
        assert errors == _expected_errors(method, path), where
        for code in errors:
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR_REF}, f"{where} {code}"
        if "429" in errors:
            assert "Retry-After" in responses["429"]["headers"], where
        assert "Retry-After" in responses["503"]["headers"], where
        assert "WWW-Authenticate" in responses["401"]["headers"], where
    # FastAPI's own 422 shape is never what the gateway answers.
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_candidate_list_schema_says_lead_only(gateway: Gateway) -> None:
    document = _document(gateway)
    operation = document["paths"]["/api/v1/submissions/{submission_id}/candidates"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["properties"]["investigative_lead_only"]["const"] is True
    assert {"investigative_lead_only", "notice", "candidates"} <= set(schema["required"])
    assert schema["additionalProperties"] is False


def test_error_body_schema(gateway: Gateway) -> None:
    schemas_ = _document(gateway)["components"]["schemas"]
    error = schemas_["ErrorOut"]
    assert set(error["required"]) == {"error", "message"}
    assert {"decision", "awaiting", "problems"} <= set(error["properties"])
    decision = schemas_["DecisionOut"]
    assert set(decision["required"]) == {"decision", "citations", "policy"}
    assert set(schemas_["CitationOut"]["required"]) == {"rule", "section", "message"}
    assert set(schemas_["PolicyRefOut"]["required"]) == {"pack", "sha256"}


class _Checker:
    """Checks live answers against the document the same gateway serves."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self.seen: set[tuple[str, str, int]] = set()

    def json(self, response: httpx.Response, path: str, status: int) -> dict[str, Any]:
        """Assert `response` has `status` and a body that fits what the document declares for
        it at `path` (the template); return the body."""
        method = response.request.method.lower()
        assert response.status_code == status, response.text
        declared = self.document["paths"][path][method]["responses"][str(status)]
        assert response.headers["content-type"].startswith("application/json")
        ref: str = declared["content"]["application/json"]["schema"]["$ref"]
        body: dict[str, Any] = response.json()
        validator = Draft202012Validator({"$ref": DOCUMENT_URI + ref}, registry=self.registry)
        validator.validate(body)
        # The model behind the schema reads the body and writes it out the same: no key
        # dropped or renamed, no value changed (keys a body leaves out stay out).
        name = ref.rsplit("/", 1)[1]
        modules = (schemas, schemas_review, schemas_leads, schemas_casework, schemas_disclosure,
                   schemas_oversight, schemas_reports)  # fmt: skip
        (model,) = {getattr(m, name) for m in modules if hasattr(m, name)}
        assert issubclass(model, BaseModel)
        assert model.model_validate(body).model_dump(mode="json", exclude_unset=True) == body
        self.seen.add((method, path, status))
        return body

    def image(self, response: httpx.Response, path: str) -> None:
        method = response.request.method.lower()
        assert response.status_code == 200, response.text
        content = self.document["paths"][path][method]["responses"]["200"]["content"]
        assert response.headers["content-type"] in content
        self.seen.add((method, path, 200))


@contextmanager
def _later(gateway: Gateway, hours: int) -> Iterator[None]:
    """The gateway's clock `hours` ahead (the deadline of an exigent approval passes)."""
    gate = gateway.runtime.gate
    real = gate.clock
    gate.clock = lambda: real() + timedelta(hours=hours)
    try:
        yield
    finally:
        gate.clock = real


def test_what_the_gateway_answers_fits_the_document(gateway: Gateway) -> None:
    check = _Checker(_document(gateway))
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        witness = check.json(
            post_probe(
                alice,
                rotated_astronaut_jpeg(),
                subject_role="witness",
                other_methods_exhausted="interviews and records checks exhausted",
            ),
            "/api/v1/probes",
            201,
        )
        assert witness["decision"]["decision"] == "needs_approval"
        assert witness["approvals"]
        done = check.json(
            alice.post("/api/v1/submissions", json=submission_body(probe["id"])),
            "/api/v1/submissions",
            201,
        )
        assert "candidate_list" in done
        waiting = check.json(
            alice.post(
                "/api/v1/submissions",
                json=submission_body(
                    probe["id"], match_type="two_photo", second_probe_id=witness["id"]
                ),
            ),
            "/api/v1/submissions",
            202,
        )
        exigent = check.json(
            alice.post(
                "/api/v1/submissions",
                json=exigent_body(probe["id"], "exigent-unreviewed", "suspect fleeing"),
            ),
            "/api/v1/submissions",
            201,
        )
        assert exigent["submission"]["impracticable_reason"]
        assert exigent["submission"]["provider_review_status_at_use"] == "unreviewed"
        lost = check.json(
            alice.post("/api/v1/submissions", json=submission_body(probe["id"])),
            "/api/v1/submissions",
            201,
        )
        mine = check.json(alice.get("/api/v1/submissions"), "/api/v1/submissions", 200)
        assert any(s["waiting_for"] for s in mine["submissions"])
        one = check.json(
            alice.get(f"/api/v1/submissions/{waiting['submission']['id']}"),
            "/api/v1/submissions/{submission_id}",
            200,
        )
        assert one["waiting_for"]
        assert one["purpose"]
        page = check.json(
            alice.get(f"/api/v1/submissions/{done['submission']['id']}/candidates"),
            "/api/v1/submissions/{submission_id}/candidates",
            200,
        )
        assert page["investigative_lead_only"] is True
        assert page["candidates"]
        check.image(
            alice.get(f"/api/v1/candidates/{page['candidates'][0]['id']}/image"),
            "/api/v1/candidates/{candidate_id}/image",
        )
        # Errors: malformed input, an unknown id.
        malformed = check.json(
            alice.post("/api/v1/submissions", json={"probe_id": probe["id"]}),
            "/api/v1/submissions",
            422,
        )
        assert malformed["problems"]
        check.json(
            alice.get("/api/v1/submissions/submission_nonexistent"),
            "/api/v1/submissions/{submission_id}",
            404,
        )
    with gateway.anonymous() as anonymous:
        check.json(anonymous.get("/api/v1/submissions"), "/api/v1/submissions", 401)
    with gateway.client("olga") as olga:
        denied = check.json(olga.get("/api/v1/submissions"), "/api/v1/submissions", 403)
        assert denied["decision"]["citations"]

    with gateway.client("sam") as sam:
        check.image(
            sam.get(f"/api/v1/probes/{probe['id']}/image"), "/api/v1/probes/{probe_id}/image"
        )
        queue = check.json(sam.get("/api/v1/approvals"), "/api/v1/approvals", 200)
        assert queue["approvals"]
        decided = check.json(
            sam.post(
                f"/api/v1/approvals/{witness['approvals'][0]['id']}/decision",
                json={"approve": True, "note": "other methods are exhausted"},
            ),
            "/api/v1/approvals/{approval_id}/decision",
            200,
        )
        assert [s["id"] for s in decided["dispatched"]] == [waiting["submission"]["id"]]

    # A read held for an overdue approval, and the supervisor's queue with it on top.
    with _later(gateway, HOURS_PAST_DEADLINE):
        with gateway.client("alice") as alice:
            held = check.json(
                alice.get(f"/api/v1/submissions/{exigent['submission']['id']}/candidates"),
                "/api/v1/submissions/{submission_id}/candidates",
                409,
            )
        assert held["decision"]["decision"] == "needs_approval"
        assert [a["id"] for a in held["awaiting"]] == [exigent["approvals"][0]["id"]]
        with gateway.client("sam") as sam:
            supervisor = check.json(
                sam.get("/api/v1/queue/supervisor"), "/api/v1/queue/supervisor", 200
            )
            assert supervisor["overdue"]
            late = check.json(
                sam.post(
                    f"/api/v1/approvals/{exigent['approvals'][0]['id']}/decision",
                    json={"approve": True, "note": "approved late"},
                ),
                "/api/v1/approvals/{approval_id}/decision",
                200,
            )
            assert late["late"] is True

    # An unknown outcome (as start-up recovery leaves one), reviewed by the supervisor.
    with unit_of_work(gateway.runtime.engine) as uow:
        table = uow.submissions.table
        uow.conn.execute(
            table.update()
            .where(table.c.id == lost["submission"]["id"])
            .values(status="outcome_unknown")
        )
    with gateway.client("sam") as sam:
        supervisor = check.json(
            sam.get("/api/v1/queue/supervisor"), "/api/v1/queue/supervisor", 200
        )
        assert [s["id"] for s in supervisor["outcome_unknown"]] == [lost["submission"]["id"]]
        check.json(
            sam.post(
                f"/api/v1/submissions/{lost['submission']['id']}/outcome-review",
                json={"note": "the provider confirms the search ran once"},
            ),
            "/api/v1/submissions/{submission_id}/outcome-review",
            200,
        )

    with gateway.client("olga") as olga:
        osdm = check.json(olga.get("/api/v1/queue/osdm"), "/api/v1/queue/osdm", 200)
        [provider] = [p for p in osdm["providers"] if p["name"] == "exigent-unreviewed"]
        check.json(
            olga.post(
                f"/api/v1/providers/{provider['id']}/review",
                json=approval_review("terms reviewed"),
            ),
            "/api/v1/providers/{provider_id}/review",
            200,
        )

    # FRS providers: registered, read, changed, keyed and checked by an administrator, and
    # reviewed by OSDM with the structured record.
    with gateway.client("ada") as ada:
        acme = check.json(
            ada.post("/api/v1/admin/providers", json={
                "name": "acme", "base_url": gateway.sandbox_url, "api_key": "acme-key-0123456789",
                "terms": {"match_types": ["one_to_many"], "candidate_cap": 5,
                          "law_enforcement_use": True, "terms_ref": "contract 1"}}),
            "/api/v1/admin/providers", 201,
        )  # fmt: skip
        check.json(ada.get("/api/v1/admin/providers"), "/api/v1/admin/providers", 200)
        check.json(ada.patch("/api/v1/admin/providers/acme", json={"tls": {"verify": True}}),
                   "/api/v1/admin/providers/{name}", 200)  # fmt: skip
        check.json(ada.post("/api/v1/admin/providers/acme/api-key",
                            json={"api_key": "acme-key-rotated-0123"}),
                   "/api/v1/admin/providers/{name}/api-key", 200)  # fmt: skip
        checked = check.json(ada.post("/api/v1/admin/providers/acme/check"),
                             "/api/v1/admin/providers/{name}/check", 200)  # fmt: skip
        assert checked["ok"] is True
    with gateway.client("olga") as olga:
        reviewed = check.json(
            olga.post(f"/api/v1/providers/{acme['id']}/review", json={
                "decision": "approved", "capabilities": "1:N search",
                "terms": {"match_types": ["one_to_many"], "candidate_cap": 5,
                          "law_enforcement_use": True, "terms_ref": "contract 1"},
                "accuracy_evidence": [{"source": "NIST FRTE 1:N", "reference": "IR 8271"}],
                "demographic_differentials": "within NIST bounds", "data_handling": "deleted",
                "retention": "30 days", "rationale": "accurate enough"}),
            "/api/v1/providers/{provider_id}/review", 200,
        )  # fmt: skip
        assert reviewed["review"]["decision"] == "approved"
    with gateway.client("ada") as ada:
        shown = check.json(ada.get("/api/v1/admin/providers/acme"),
                           "/api/v1/admin/providers/{name}", 200)  # fmt: skip
        assert [r["decision"] for r in shown["reviews"]] == ["approved"]

    with gateway.client("otto") as otto:
        check.json(otto.get("/api/v1/ledger/checkpoint"), "/api/v1/ledger/checkpoint", 200)
        entries = check.json(
            otto.get("/api/v1/ledger/entries", params={"start": 0, "end": 3}),
            "/api/v1/ledger/entries",
            200,
        )
        assert len(entries["entries"]) == 3
        check.json(
            otto.get("/api/v1/ledger/proof/inclusion", params={"index": 1}),
            "/api/v1/ledger/proof/inclusion",
            200,
        )
        check.json(
            otto.get("/api/v1/ledger/proof/consistency", params={"first": 1, "second": 3}),
            "/api/v1/ledger/proof/consistency",
            200,
        )
        reports = "/api/v1/reports/{report}"
        audit = check.json(otto.get("/api/v1/reports/opr"), reports, 200)
        assert audit["kind"] == "opr"
        check.json(otto.get("/api/v1/reports/igp"), reports, 403)  # IGP's own record
        check.json(otto.get("/api/v1/reports/opr", params={"from": "2026-13-01"}), reports, 422)
    with gateway.client("sam") as sam:  # a case's entries, for its supervisor
        case_ledger = "/api/v1/cases/{case}/ledger"
        page = check.json(sam.get("/api/v1/cases/HSI-2026-000001/ledger",
                                  params={"limit": 2, "from": "2000-01-01"}),
                          case_ledger, 200)  # fmt: skip
        assert len(page["entries"]) == 2
        assert page["from"] == "2000-01-01"
        check.json(sam.get("/api/v1/cases/HSI-2099-000001/ledger"), case_ledger, 404)
        check.json(sam.get("/api/v1/cases/HSI-2026-000001/ledger", params={"from": "x"}),
                   case_ledger, 422)  # fmt: skip

    # The demo's pack is approved already: asking again is a conflict; with that approval
    # withdrawn (the gate stays active: it remembers), asking succeeds.
    with gateway.client("ada") as ada:
        check.json(
            ada.post("/api/v1/policy/activations", json={"reason": "again"}),
            "/api/v1/policy/activations",
            409,
        )
        with unit_of_work(gateway.runtime.engine) as uow:
            table = uow.approvals.table
            uow.conn.execute(
                table.update()
                .where(table.c.subject_kind == ApprovalSubject.policy_pack.value)
                .values(status="withdrawn")
            )
        activation = check.json(
            ada.post("/api/v1/policy/activations", json={"reason": "a new version"}),
            "/api/v1/policy/activations",
            201,
        )
        assert activation["pack"]["active"] is True

    _administer_casework(gateway, check)
    _work_results(gateway, check)
    _administer_accounts(gateway, check)
    _administer_certifications(gateway, check)
    oversee(gateway, check)

    # Every operation was answered with a success at least once.
    answered = {(m, p) for m, p, s in check.seen if 200 <= s < 300}
    assert answered == {(m, p) for m, p, _ in _operations(check.document)}


def _administer_casework(gateway: Gateway, check: _Checker) -> None:
    """Cases, programs and FRS program codes: each operation answered as documented."""
    cases, programs, codes = (
        "/api/v1/admin/cases",
        "/api/v1/admin/programs",
        "/api/v1/admin/program-codes",
    )
    case = f"{cases}/{{number}}"
    with gateway.client("ada") as ada:
        body = {"number": "HSI-2026-000901", "title": "t", "statutory_authority": "18 U.S.C. 545",
                "under_hsi_authority": True, "supervisor": "sam", "agents": ["alice"]}  # fmt: skip
        check.json(ada.post(cases, json=body), cases, 201)
        check.json(ada.post(cases, json={"number": "HSI-2026-000901"}), cases, 422)
        check.json(ada.get(cases, params={"status": "open"}), cases, 200)
        n = "HSI-2026-000901"
        check.json(ada.get(f"{cases}/{n}"), case, 200)
        check.json(ada.get(f"{cases}/HSI-2099-000001"), case, 404)
        check.json(ada.patch(f"{cases}/{n}", json={"title": "renamed"}), case, 200)
        check.json(ada.post(f"{cases}/{n}/assignments", json={"username": "erin"}),
                   f"{case}/assignments", 200)  # fmt: skip
        check.json(ada.post(f"{cases}/{n}/assignments", json={"username": "erin"}),
                   f"{case}/assignments", 409)  # fmt: skip
        check.json(ada.delete(f"{cases}/{n}/assignments/erin"),
                   f"{case}/assignments/{{username}}", 200)  # fmt: skip
        check.json(ada.post(f"{cases}/{n}/supervisors", json={"username": "sue"}),
                   f"{case}/supervisors", 200)  # fmt: skip
        check.json(ada.post(f"{cases}/{n}/supervisors", json={"username": "sue"}),
                   f"{case}/supervisors", 409)  # fmt: skip
        check.json(ada.delete(f"{cases}/{n}/supervisors/sam"),
                   f"{case}/supervisors/{{username}}", 200)  # fmt: skip
        check.json(ada.delete(f"{cases}/{n}/supervisors/sue"),
                   f"{case}/supervisors/{{username}}", 409)  # fmt: skip
        check.json(ada.post(f"{cases}/{n}/close", json={"reason": "r"}), f"{case}/close", 200)
        check.json(ada.post(f"{cases}/{n}/reopen", json={"reason": "r"}), f"{case}/reopen", 200)
        program = f"{programs}/{{code}}"
        new = {"code": "TF-DOC", "name": "n", "assessment_ref": "PIA-DOC"}
        check.json(ada.post(programs, json=new), programs, 201)
        check.json(ada.get(programs), programs, 200)
        check.json(ada.get(f"{programs}/TF-DOC"), program, 200)
        check.json(ada.post(f"{programs}/TF-DOC/members", json={"username": "alice"}),
                   f"{program}/members", 200)  # fmt: skip
        check.json(ada.delete(f"{programs}/TF-DOC/members/alice"),
                   f"{program}/members/{{username}}", 200)  # fmt: skip
        check.json(ada.post(f"{programs}/TF-DOC/assessment/revision",
                            json={"assessment_ref": "PIA-DOC-R1", "reason": "r"}),
                   f"{program}/assessment/revision", 200)  # fmt: skip
    with gateway.client("ivan") as ivan:
        check.json(ivan.post(f"{programs}/TF-DOC/assessment/approval",
                             json={"assessment_ref": "PIA-DOC-R1"}),
                   f"{program}/assessment/approval", 200)  # fmt: skip
    with gateway.client("olga") as olga:
        code = f"{codes}/{{code}}"
        check.json(olga.post(codes, json={"code": "HSI-FRS-DOC", "description": "d"}), codes, 201)
        check.json(olga.get(codes), codes, 200)
        check.json(olga.get(f"{codes}/HSI-FRS-DOC"), code, 200)
        check.json(olga.patch(f"{codes}/HSI-FRS-DOC", json={"description": "renamed"}), code, 200)


def _administer_accounts(gateway: Gateway, check: _Checker) -> None:
    """User accounts: each operation answered as documented."""
    users = "/api/v1/admin/users"
    one = f"{users}/{{username}}"
    with gateway.client("ada") as ada:
        made = check.json(
            ada.post(users, json={"username": "ivy", "display_name": "Ivy", "roles": ["agent"],
                                  "supervisor": "sam", "email": "ivy@example.gov"}),
            users, 201,
        )  # fmt: skip
        assert made["supervisor"] == "sam"
        check.json(ada.post(users, json={"username": "ivy", "display_name": "I"}), users, 409)
        listed = check.json(ada.get(users), users, 200)
        assert "ivy" in {u["username"] for u in listed["users"]}
        check.json(ada.get(f"{users}/ivy"), one, 200)
        check.json(ada.get(f"{users}/nobody"), one, 404)
        check.json(ada.patch(f"{users}/ivy", json={"office": "HQ", "email": None}), one, 200)
        check.json(ada.post(f"{users}/ivy/roles", json={"role": "examiner"}),
                   f"{one}/roles", 200)  # fmt: skip
        check.json(ada.post(f"{users}/ivy/roles", json={"role": "wizard"}), f"{one}/roles", 422)
        check.json(ada.post(f"{users}/ada/roles", json={"role": "igp"}), f"{one}/roles", 403)
        check.json(ada.delete(f"{users}/ivy/roles/agent"), f"{one}/roles/{{role}}", 200)
        check.json(ada.post(f"{users}/ivy/disable", json={"reason": "moved"}),
                   f"{one}/disable", 200)  # fmt: skip
        check.json(ada.post(f"{users}/ivy/enable"), f"{one}/enable", 200)
        check.json(ada.post(f"{users}/ivy/enable"), f"{one}/enable", 409)


def _administer_certifications(gateway: Gateway, check: _Checker) -> None:
    """PALMS certifications: an import (a CSV body) and the list, answered as documented."""
    imports, listing = "/api/v1/admin/certifications/import", "/api/v1/admin/certifications"
    header = b"username,course_id,completed_on,best_practices_attested_on,safeguards_attested_on"
    csv = {"Content-Type": "text/csv"}
    with gateway.client("ada") as ada:
        done = check.json(ada.post(imports, headers=csv,
                                   content=header + b"\nerin,ICE-FRS-101,2025-06-01,,\n"),
                          imports, 200)  # fmt: skip
        assert (done["new"], done["certifications"][0]["current"]) == (1, False)
        refused = check.json(ada.post(imports, headers=csv, content=header + b"\nerin,X,,,\n"),
                             imports, 422)  # fmt: skip
        assert refused["problems"][0].startswith("line 2, ")
        check.json(ada.get(listing, params={"username": "erin"}), listing, 200)
        check.json(ada.get(listing, params={"username": "nobody"}), listing, 404)


def _work_results(gateway: Gateway, check: _Checker) -> None:
    """From candidate to lead: each operation answered as documented."""
    case = "HSI-2026-000001"
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        done = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()
        sub = done["submission"]["id"]
        page = alice.get(f"/api/v1/submissions/{sub}/candidates").json()
        first = page["candidates"][0]["id"]
        csv = alice.get(f"/api/v1/submissions/{sub}/candidates", params={"format": "csv"})
        assert csv.headers["content-type"].startswith("text/csv")
        disposed = check.json(
            alice.post(f"/api/v1/candidates/{first}/dispositions",
                       json={"kind": "possible_match_lead", "rationale": "alike",
                             "traditional_means_compared": "visa photo"}),
            "/api/v1/candidates/{candidate_id}/dispositions", 201,
        )  # fmt: skip
        disposition = disposed["disposition"]["id"]
        check.json(alice.get(f"/api/v1/submissions/{sub}/review"),
                   "/api/v1/submissions/{submission_id}/review", 200)  # fmt: skip
        lead = check.json(
            alice.post("/api/v1/leads", json={"disposition_id": disposition, "summary": "s"}),
            "/api/v1/leads", 201,
        )  # fmt: skip
        one = "/api/v1/leads/{lead_id}"
        check.json(alice.get(f"/api/v1/leads/{lead['id']}"), one, 200)
        check.json(alice.get(f"/api/v1/cases/{case}/leads"), "/api/v1/cases/{number}/leads", 200)
        check.json(
            alice.post(f"/api/v1/leads/{lead['id']}/corroborations",
                       json={"kind": "records_check", "source": "DMV",
                             "description": "registered owner", "obtained_by": "SA Alice",
                             "obtained_on": "2026-11-01"}),
            f"{one}/corroborations", 201,
        )  # fmt: skip
        check.json(alice.post(f"/api/v1/leads/{lead['id']}/enforcement-basis",
                              json={"note": "corroborated"}),
                   f"{one}/enforcement-basis", 201)  # fmt: skip
        check.json(alice.post(f"/api/v1/leads/{lead['id']}/close", json={"reason": "charged"}),
                   f"{one}/close", 200)  # fmt: skip
        check.json(alice.get(f"/api/v1/submissions/{sub}/roi"),
                   "/api/v1/submissions/{submission_id}/roi", 200)  # fmt: skip
        check.json(alice.post(f"/api/v1/submissions/{sub}/roi/filings",
                              json={"case_system_ref": "ICM-1"}),
                   "/api/v1/submissions/{submission_id}/roi/filings", 201)  # fmt: skip
        check.json(
            alice.post("/api/v1/shares", json={
                "case": case, "lead_id": lead["id"], "recipient": "CBP",
                "authority_kind": "agreement", "authority": "MOU 1", "description": "the lead"}),
            "/api/v1/shares", 201,
        )  # fmt: skip
        check.json(alice.get(f"/api/v1/cases/{case}/shares"),
                   "/api/v1/cases/{number}/shares", 200)  # fmt: skip
        check.json(
            alice.post("/api/v1/partner-searches", json={
                "case": case, "partner_agency": "State Police", "partner_system": "DMV FRS",
                "searched_on": "2026-11-01", "result": "negative", "summary": "none found"}),
            "/api/v1/partner-searches", 201,
        )  # fmt: skip
        check.json(alice.get(f"/api/v1/cases/{case}/partner-searches"),
                   "/api/v1/cases/{number}/partner-searches", 200)  # fmt: skip
    with gateway.client("erin") as erin:
        check.json(
            erin.post(f"/api/v1/candidates/{first}/examinations",
                      json={"method": "morphology", "conclusion": "inconclusive",
                            "limitations": "low resolution"}),
            "/api/v1/candidates/{candidate_id}/examinations", 201,
        )  # fmt: skip
    with gateway.client("sam") as sam:
        check.json(sam.post(f"/api/v1/dispositions/{disposition}/verification",
                            json={"note": "agree"}),
                   "/api/v1/dispositions/{disposition_id}/verification", 201)  # fmt: skip
        package = check.json(sam.post(f"/api/v1/cases/{case}/disclosure", json={}),
                             "/api/v1/cases/{number}/disclosure", 200)  # fmt: skip
        assert package["format"] == "frsgate-disclosure/1"
        pdf = sam.post(f"/api/v1/cases/{case}/disclosure", json={"format": "pdf"})
        assert pdf.headers["content-type"] == "application/pdf"
