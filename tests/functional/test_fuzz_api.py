"""Every `/api/v1` operation fuzzed from the OpenAPI document the gateway serves: schemathesis
generates requests (valid ones, and ones the document forbids) and sends them to a running
gateway as each of several demo users — an agent, a supervisor, an administrator, OPR — and
without a token. Whatever it sends, the gateway never answers 5xx, and every answer has a
status, a content type and a body the document declares for that operation.

The run is bounded and seeded (few examples per operation, `derandomize`), so CI repeats the
same requests every time; `FRSGATE_FUZZ_EXAMPLES` raises the count for a longer local run. The
figures (operations, requests, findings, time) are printed and kept in docs/SECURITY.md."""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from harness import Gateway
from helpers import (
    DEMO_CASE,
    DEMO_FRS_PROGRAM_CODE,
    DEMO_PROGRAM,
    probe_for_result,
    submission_body,
)
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from frsgate.services.tokens import issue_local_token

EXAMPLES = int(os.environ.get("FRSGATE_FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Who sends the requests: the refusals of each role are exercised along with what it may do.
IDENTITIES = ["anonymous", "alice", "sam", "ada", "otto"]
# Requests the document forbids are answered before the caller's role matters (no token: 401;
# a token: 400/422), so two identities send them; the others spend the time on valid ones.
NEGATIVE = {"anonymous", "alice"}


def _known_records(gateway: Gateway) -> dict[str, str]:
    """Path parameters that name records which exist: a use of the demo case with its
    candidates and a disposition, the demo case, program, program code, users and providers.
    Requests with random ids mostly stop at a 404; these reach the acts and reads behind it."""
    with gateway.client("alice") as alice, gateway.client("ada") as ada:
        probe = probe_for_result(alice, negative=False)
        made = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
        assert made.status_code == 201, made.text
        submission_id = made.json()["submission"]["id"]
        listing = alice.get(f"/api/v1/submissions/{submission_id}/candidates")
        candidate_id = listing.json()["candidates"][0]["id"]
        disposed = alice.post(
            f"/api/v1/candidates/{candidate_id}/dispositions",
            json={"kind": "no_match", "rationale": "the gallery photo differs in the jaw line"},
        )
        assert disposed.status_code == 201, disposed.text
        provider = ada.get("/api/v1/admin/providers/exigent-unreviewed")
        assert provider.status_code == 200, provider.text
    return {
        "probe_id": probe["id"],
        "submission_id": submission_id,
        "candidate_id": candidate_id,
        "disposition_id": disposed.json()["disposition"]["id"],
        "provider_id": provider.json()["id"],
        "number": DEMO_CASE,
        "username": "erin",
        "name": "exigent-unreviewed",
    }


def _fixed_parameters(path: str, known: dict[str, str]) -> dict[str, str]:
    """The known values of the parameters in `path` (a program's code or an FRS program
    code, by the collection the path names)."""
    values = dict(known)
    values["code"] = DEMO_FRS_PROGRAM_CODE if "/program-codes/" in path else DEMO_PROGRAM
    return {name: values[name] for name in re.findall(r"\{(\w+)\}", path) if name in values}


@dataclass
class Run:
    operations: int = 0
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: dict[str, str] = field(default_factory=dict)


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    session: requests.Session,
    base_url: str,
    run: Run,
    path_parameters: dict[str, str] | None = None,
) -> None:
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, session=session)
        run.requests += 1
        run.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (
            AssertionError,
            FailureGroup,
        ) as failure:  # collected, so that one run reports every finding
            known = " known records" if path_parameters else ""
            key = f"{operation.label} [{mode.value}{known}]"
            run.findings.setdefault(key, str(failure)[:1500])

    send()


@pytest.mark.slow
@pytest.mark.parametrize("identity", IDENTITIES)
def test_no_server_error_and_only_documented_answers(
    gateway: Gateway, identity: str, request: pytest.FixtureRequest
) -> None:
    # The service builds its OpenAPI document on the first request; on a loaded CI machine
    # (two suites side by side) that once took 14 s, past schemathesis' 10 s default.
    schema = schemathesis.openapi.from_url(f"{gateway.url}/openapi.json", timeout=60).include(
        path_regex="^/api/v1/"
    )
    session = requests.Session()
    request.addfinalizer(session.close)
    if identity != "anonymous":
        token = issue_local_token(gateway.settings, gateway.users[identity])
        session.headers["Authorization"] = f"Bearer {token}"
    known = _known_records(gateway) if identity != "anonymous" else {}
    run = Run()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        run.operations += 1
        _fuzz_operation(operation, GenerationMode.POSITIVE, session, gateway.url, run)
        if identity in NEGATIVE:
            _fuzz_operation(operation, GenerationMode.NEGATIVE, session, gateway.url, run)
        fixed = _fixed_parameters(operation.path, known)
        if fixed:
            _fuzz_operation(operation, GenerationMode.POSITIVE, session, gateway.url, run, fixed)
    elapsed = time.monotonic() - started
    print(
        f"\nfuzz {identity}: {run.operations} operations, {run.requests} requests, "
        f"{len(run.findings)} findings, {elapsed:.0f} s; "
        f"statuses {dict(sorted(run.statuses.items()))}"
    )
    assert run.operations >= 70
    assert not run.findings, "\n\n".join(f"{k}:\n{v}" for k, v in run.findings.items())
