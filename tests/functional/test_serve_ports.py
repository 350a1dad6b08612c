"""`frsgate serve` refuses a sandbox port another process holds, instead of taking that process
for the sandbox FRS and sending it probes."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from processes import CLI, COMMAND_TIMEOUT_S, free_port, frsgate


class _Impostor(BaseHTTPRequestHandler):
    """Answers every request with 200, as a sandbox's health check would be answered."""

    requests: list[str] = []  # noqa: RUF012 - shared with the test on purpose

    def do_GET(self) -> None:
        _Impostor.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    do_POST = do_GET  # noqa: N815 - the name http.server calls

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def impostor() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Impostor)
    _Impostor.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_serve_refuses_a_sandbox_port_in_use(
    tmp_path: Path, database_url: str, impostor: int
) -> None:
    env = {
        **os.environ,
        "FRSGATE_HOME": str(tmp_path / "home"),
        "FRSGATE_DATABASE_URL": database_url,
        "FRSGATE_ENVIRONMENT": "development",
        "FRSGATE_SANDBOX_FRS": "true",
        "FRSGATE_SANDBOX_FRS_PORT": str(impostor),
    }
    frsgate(env, "init")
    done = subprocess.run(
        [*CLI, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"port {impostor} (FRSGATE_SANDBOX_FRS_PORT) is already in use" in lines[0]
    # Refused before a word was said to the process on the port.
    assert _Impostor.requests == []
