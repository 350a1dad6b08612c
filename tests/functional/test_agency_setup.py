"""An agency sets FRS Gate up from nothing, as its administrator would: only `frsgate` commands
and the HTTP API, never the database.

Starting from `frsgate init --admin root` on an empty database, the administrator creates the
privacy office's approvers, who approve the policy pack (memo fn2); then the people of every
role, a case with its agents, a program with its assessment (memo 4.A.1), an FRS program code
(4.E.3), the training certifications by importing the training system's export (4.A.3), and an
HTTP provider with its API key, which OSDM reviews and approves (4.C.1). The provider is the
sandbox FRS run as a separate process that checks the key. Then the agent's 1:N search
succeeds, and the ledger of it all verifies.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import approval_review, probe_for_result, submission_body
from processes import CLI, Served, free_port, frsgate, stop, wait_ready

CASE = "HSI-2026-000777"
PROGRAM = "TF-HARBOR"
FRS_CODE = "HSI-FRS-777"
API_KEY = "acme-key-7f3a9c0e5b2d4811"

pytestmark = pytest.mark.slow


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[str]]:
    with log.open("w") as sink:
        process = subprocess.Popen(
            [*CLI, *args], env=env, stdout=sink, stderr=subprocess.STDOUT, text=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_for(url: str, process: subprocess.Popen[str], log: Path) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not answer:\n{log.read_text()[-3000:]}")


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _cli(env: dict[str, str], *args: str) -> str:
    return frsgate(env, *args).stdout


def test_an_agency_is_set_up_through_the_cli_and_the_api_alone(
    tmp_path: Path, database_url: str
) -> None:
    port, frs_port = free_port(), free_port()
    env = {
        **os.environ,
        "FRSGATE_HOME": str(tmp_path / "home"),
        "FRSGATE_DATABASE_URL": database_url,
        "FRSGATE_PORT": str(port),
        "FRSGATE_SANDBOX_FRS": "false",
        "FRSGATE_WITNESS_BESIDE": "false",
        "FRSGATE_ENVIRONMENT": "development",
        "FRSGATE_CHECKPOINT_INTERVAL_SECONDS": "0",
    }
    env.pop("FRSGATE_OPERATOR", None)
    # 1. An empty database and its first administrator.
    out = _cli(env, "init", "--admin", "root", "--display-name", "Riley Root")
    assert "root" in out
    key_file = tmp_path / "acme.key"
    key_file.write_text(API_KEY + "\n")
    key_file.chmod(0o600)

    frs_log, serve_log = tmp_path / "frs.log", tmp_path / "serve.log"
    frs_args = ["sandbox-frs", "--port", str(frs_port), "--api-key-file", str(key_file)]
    with (
        _process(frs_args, env, frs_log) as frs,
        _process(["serve", "--port", str(port)], env, serve_log) as serve,
    ):
        _wait_for(f"http://127.0.0.1:{frs_port}/v1/health", frs, frs_log)
        served = Served(f"http://127.0.0.1:{port}", env, serve, serve_log, frs_port)
        wait_ready(served)
        try:
            _set_up_and_search(served, env, tmp_path)
        finally:
            stop(served)
    # Everything above is on the ledger, and the ledger verifies.
    assert "verified" in _cli(env, "ledger", "verify", "--no-witness").lower()


def _set_up_and_search(served: Served, env: dict[str, str], tmp_path: Path) -> None:
    # 2. The privacy office's approvers, from the command line; they approve the pack.
    for name, display in (("ivy", "Ivy IGP"), ("ian", "Ian IGP")):
        _cli(env, "users", "add", name, "--display-name", display, "--role", "igp",
             "--office", "Privacy Office", "--as", "root")  # fmt: skip
    with served.client("root") as root:
        # Nothing but the pack's activation and accounts is decided before IGP approves it.
        refused = root.get("/api/v1/admin/cases")
        assert refused.status_code == 403, refused.text
        asked = _ok(root.post("/api/v1/policy/activations", json={"reason": "go live"}), 201)
    with served.client("ivy") as ivy:
        approval = asked["approval"]["id"]
        _ok(ivy.post(f"/api/v1/approvals/{approval}/decision",
                     json={"approve": True, "note": "pack reviewed"}))  # fmt: skip

    # 3. The people of every role, over the API.
    with served.client("root") as root:
        people = [
            ("sally", "Sally Supervisor", ["supervisor"], None),
            ("andy", "Andy Agent", ["agent"], "sally"),
            ("eve", "Eve Examiner", ["examiner"], "sally"),
            ("oscar", "Oscar OSDM", ["osdm"], None),
            ("olive", "Olive OSDM", ["osdm"], None),
            ("otis", "Otis OPR", ["opr"], None),
        ]
        for username, display, roles, boss in people:
            body: dict[str, Any] = {"username": username, "display_name": display,
                                    "roles": roles, "office": "Port of Newark"}  # fmt: skip
            if boss:
                body["supervisor"] = boss
            _ok(root.post("/api/v1/admin/users", json=body), 201)
        listed = _ok(root.get("/api/v1/admin/users"))
        names = {u["username"] for u in listed["users"]}
        assert {"root", "ivy", "ian", "sally", "andy", "eve", "oscar", "olive", "otis"} <= names

    # 4. A case with its agent (CLI) and its examiner (API, by the case's supervisor).
    _cli(env, "cases", "add", CASE, "--title", "Undeclared goods at the port",
         "--authority", "19 U.S.C. 1595a", "--violation", "18 U.S.C. 545", "--hsi-authority",
         "--supervisor", "sally", "--agent", "andy", "--as", "root")  # fmt: skip
    with served.client("sally") as sally:
        _ok(sally.post(f"/api/v1/admin/cases/{CASE}/assignments", json={"username": "eve"}),
            200)  # fmt: skip
        shown = _ok(sally.get(f"/api/v1/admin/cases/{CASE}"))
    assert {a for a in _usernames(shown["assigned"])} == {"andy", "eve"}

    # 5. A program with its assessment (API by the administrator, approval by IGP on the CLI)
    #    and an FRS program code OSDM establishes.
    with served.client("root") as root:
        _ok(root.post("/api/v1/admin/programs", json={
            "code": PROGRAM, "name": "Harbor task force", "assessment_ref": "PIA-ICE-054",
            "supervisor": "sally", "members": ["andy"]}), 201)  # fmt: skip
    _cli(env, "programs", "approve-assessment", PROGRAM, "--document", "PIA-ICE-054",
         "--as", "ivy")  # fmt: skip
    with served.client("oscar") as oscar:
        code = {"code": FRS_CODE, "description": "harbor investigations"}
        _ok(oscar.post("/api/v1/admin/program-codes", json=code), 201)

    # 6. Certifications, imported from the training system's export (memo 4.A.3).
    day = "2026-11-02"
    export = tmp_path / "palms-export.csv"
    export.write_text(
        "username,course_id,completed_on,best_practices_attested_on,safeguards_attested_on\n"
        + "".join(f"{u},ICE-FRS-101,{day},{day},{day}\n" for u in ("andy", "eve", "sally"))
    )
    imported = _cli(env, "certifications", "import", str(export), "--as", "root")
    assert "3" in imported, imported

    # 7. The provider: registered with its API key by the administrator, checked, and reviewed
    #    by OSDM with a structured record; unreviewed, the agent may not use it.
    _cli(env, "providers", "add", "acme", "--url", f"http://127.0.0.1:{served.sandbox_port}",
         "--match-type", "one_to_many", "--match-type", "one_to_one", "--candidate-cap", "20",
         "--terms-ref", "contract ACME-2026-7", "--law-enforcement-use",
         "--api-key-file", str(tmp_path / "acme.key"), "--as", "root")  # fmt: skip
    checked = _cli(env, "providers", "check", "acme", "--as", "root")
    assert "ok" in checked.lower(), checked
    with served.client("root") as root:
        provider = _ok(root.get("/api/v1/admin/providers/acme"))
    assert API_KEY not in json.dumps(provider)
    with served.client("andy") as andy:
        probe = probe_for_result(andy, negative=False, case=CASE, program_code="")
        body = submission_body(probe["id"], provider="acme", program_code=FRS_CODE)
        unreviewed = andy.post("/api/v1/submissions", json=body)
        assert unreviewed.status_code == 403, unreviewed.text
        cited = {c["rule"] for c in unreviewed.json()["decision"]["citations"]}
        assert "provider.unreviewed" in cited
    with served.client("oscar") as oscar:
        review = approval_review("NIST FRTE results and terms reviewed",
                                 match_types=["one_to_many", "one_to_one"])  # fmt: skip
        reviewed = _ok(oscar.post(f"/api/v1/providers/{provider['id']}/review", json=review))
        assert reviewed["review_status"] == "approved"

    # 8. The agent's 1:N search succeeds, its candidates leads only.
    with served.client("andy") as andy:
        made = andy.post("/api/v1/submissions", json=body)
        assert made.status_code == 201, made.text
        submission = made.json()["submission"]
        assert submission["status"] == "completed", submission
        shown = _ok(andy.get(f"/api/v1/submissions/{submission['id']}/candidates"))
        assert shown["candidates"], shown
        assert "not a positive identification" in json.dumps(shown).lower()

    # The ledger names who did each administrative act, and never the API key.
    exported = _cli(env, "ledger", "export")
    assert API_KEY not in exported
    entries = [json.loads(line) for line in exported.splitlines() if line.strip()]
    by_event: dict[str, set[str]] = {}
    for entry in entries:
        by_event.setdefault(entry["event"], set()).add(entry["actor"]["id"])
    for event in ("user:account:create", "case:record:create", "program:record:create",
                  "program:assessment:approve", "program:code:establish",
                  "certification:import:run", "provider:record:create",
                  "provider:health:check",
                  "provider:review:decide"):  # fmt: skip
        assert event in by_event, event
    [registered] = [e for e in entries if e["event"] == "provider:record:create"]
    assert json.dumps(registered).count("fingerprint") >= 1, registered


def _usernames(assigned: Any) -> list[str]:
    return [a["username"] if isinstance(a, dict) else str(a) for a in assigned]
