"""The real `frsgate serve` process, as an operator runs it: `init --demo`, `serve` (with the
sandbox FRS it starts beside itself), tokens from `frsgate token issue`, HTTP only, then
`frsgate ledger verify` over what the service wrote. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from helpers import exigent_body, post_probe, submission_body
from images import astronaut_jpeg

CLI = [sys.executable, "-c", "from frsgate.cli.main import main; main()"]
START_TIMEOUT_S = 60.0
COMMAND_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def frsgate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `frsgate` command to completion; fail with its output if it fails."""
    done = subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S
    )
    assert done.returncode == 0, (
        f"`frsgate {' '.join(args)}` exited {done.returncode}\n"
        f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    )
    return done


@dataclass
class Served:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    log: Path
    sandbox_port: int

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def client(self, username: str) -> httpx.Client:
        token = frsgate(self.env, "token", "issue", username).stdout.strip()
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )


def _wait_ready(served: Served) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        code = served.process.poll()
        if code is not None:
            pytest.fail(f"`frsgate serve` exited {code} before it was ready:\n{served.stderr()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{served.url}/readyz", timeout=1).status_code == 200:
                return
        if time.monotonic() > deadline:
            pytest.fail(f"`frsgate serve` not ready in {START_TIMEOUT_S:.0f} s:\n{served.stderr()}")
        time.sleep(0.1)


def _stop(served: Served) -> None:
    """Stop as a process manager does (SIGTERM): the service must still close its runtime and
    its sandbox child."""
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGTERM)
        try:
            served.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait(timeout=10)


@pytest.fixture(params=[1, 2], ids=["one-process", "two-workers"])
def served(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Iterator[Served]:
    port, sandbox_port = free_port(), free_port()
    env = {
        **os.environ,
        "FRSGATE_HOME": str(tmp_path / "home"),
        "FRSGATE_DATABASE_URL": database_url,
        "FRSGATE_PORT": str(port),
        "FRSGATE_SANDBOX_FRS": "true",
        "FRSGATE_SANDBOX_FRS_PORT": str(sandbox_port),
        "FRSGATE_ENVIRONMENT": "development",
    }
    frsgate(env, "init", "--demo")
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port), "--workers", str(request.param)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    served = Served(f"http://127.0.0.1:{port}", env, process, log, sandbox_port)
    try:
        _wait_ready(served)
        yield served
    finally:
        _stop(served)


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

    _stop(served)
    assert served.process.returncode is not None
    # The sandbox child went with the service: its port answers no more.
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{served.sandbox_port}/v1/health", timeout=1)

    verified = frsgate(served.env, "ledger", "verify")
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
