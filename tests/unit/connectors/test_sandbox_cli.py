"""`frsgate sandbox-frs`: options reach the app it serves."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from frsgate.cli import sandbox as sandbox_cli
from frsgate.connectors.sandbox import SandboxFaults, SandboxState
from frsgate.errors import ValidationFailed


def test_build_app_applies_seed_size_and_faults() -> None:
    app = sandbox_cli.build_sandbox_app(seed=5, gallery_size=30, fault="delay_ms=20,status=503")
    state: SandboxState = app.state.sandbox
    assert state.gallery.seed == 5
    assert state.gallery.size == 30
    assert state.faults == SandboxFaults(delay_ms=20, status=503)
    assert state.gallery.drawn == 30  # warmed: every avatar drawn before serving
    with pytest.raises(ValidationFailed, match="unknown sandbox fault"):
        sandbox_cli.build_sandbox_app(seed=0, gallery_size=1, fault="boom")


def test_command_serves_on_the_requested_port(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}

    def fake_run(app: Any, **options: Any) -> None:
        served.update(options, app=app)

    monkeypatch.setattr("uvicorn.run", fake_run)
    cli = typer.Typer()
    cli.command()(sandbox_cli.command)
    result = CliRunner().invoke(cli, ["--port", "9123", "--seed", "4", "--gallery-size", "12"])
    assert result.exit_code == 0, result.output
    assert served["port"] == 9123
    assert served["host"] == "127.0.0.1"
    assert served["app"].state.sandbox.gallery.size == 12
    assert "SANDBOX DATA" in result.output
