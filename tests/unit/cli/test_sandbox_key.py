"""`frsgate sandbox-frs --api-key-file`: the sandbox demands the key, read from a file or from
FRSGATE_SANDBOX_FRS_API_KEY, and never prints it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from frsgate.cli import sandbox as sandbox_cli
from frsgate.connectors.serve import serve_in_thread


def _statuses(app: Any, headers: dict[str, str]) -> tuple[int, int]:
    """The health route's status without and with `headers`."""
    with serve_in_thread(app) as url:
        bare = httpx.get(f"{url}/v1/health").status_code
        keyed = httpx.get(f"{url}/v1/health", headers=headers).status_code
    return bare, keyed


def _serve(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[dict[str, Any], str]:
    served: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.update(options, app=app))
    cli = typer.Typer()
    cli.command()(sandbox_cli.command)
    result = CliRunner().invoke(cli, ["--port", "9124", "--gallery-size", "5", *args])
    assert result.exit_code == 0, result.output
    return served, result.output


def test_the_key_file_makes_the_sandbox_demand_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(sandbox_cli.API_KEY_ENV, raising=False)
    key = tmp_path / "key"
    key.write_text("sandbox-secret-key-123\n")
    served, output = _serve(monkeypatch, "--api-key-file", str(key))
    assert "API key required" in output
    assert "sandbox-secret-key-123" not in output
    good = {"Authorization": "Bearer sandbox-secret-key-123"}
    assert _statuses(served["app"], good) == (401, 200)
    assert served["ssl_certfile"] is None


def test_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox_cli.API_KEY_ENV, "env-secret-key-456")
    served, _ = _serve(monkeypatch)
    headers = {"Authorization": "Bearer env-secret-key-456"}
    assert _statuses(served["app"], headers) == (401, 200)


def test_without_a_key_it_answers_anyone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sandbox_cli.API_KEY_ENV, raising=False)
    served, output = _serve(monkeypatch)
    assert "API key required" not in output
    assert _statuses(served["app"], {}) == (200, 200)
