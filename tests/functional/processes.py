"""A real `frsgate serve` process for tests, as an operator runs it: `init --demo`, then `serve`
with the sandbox FRS beside it, on free local ports; stopped with SIGTERM."""

from __future__ import annotations

import contextlib
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


def wait_ready(served: Served) -> None:
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


def stop(served: Served) -> None:
    """Stop as a process manager does (SIGTERM): the service must still close its runtime and
    its sandbox child."""
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGTERM)
        try:
            served.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait(timeout=10)


@contextlib.contextmanager
def serving(tmp_path: Path, database_url: str, *, workers: int) -> Iterator[Served]:
    """`frsgate serve --workers N` over a demo installation, until the block ends."""
    port, sandbox_port = free_port(), free_port()
    env = {
        **os.environ,
        "FRSGATE_HOME": str(tmp_path / "home"),
        "FRSGATE_DATABASE_URL": database_url,
        "FRSGATE_PORT": str(port),
        "FRSGATE_SANDBOX_FRS": "true",
        "FRSGATE_SANDBOX_FRS_PORT": str(sandbox_port),
        "FRSGATE_WITNESS_PORT": str(free_port()),
        "FRSGATE_ENVIRONMENT": "development",
    }
    frsgate(env, "init", "--demo")
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    served = Served(f"http://127.0.0.1:{port}", env, process, log, sandbox_port)
    try:
        wait_ready(served)
        yield served
    finally:
        stop(served)
