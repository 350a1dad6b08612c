"""The root command: a deliberate error is one clear line and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from frsgate.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_bad_database_url_stops_with_one_line(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, FRSGATE_HOME=str(tmp_path), FRSGATE_DATABASE_URL="mysql://x/y")
    result = _run(["init"], env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "FRSGATE_DATABASE_URL" in lines[0]


def test_missing_key_in_production_stops_serve_with_one_line(tmp_path: Path) -> None:
    import os

    env = dict(
        os.environ,
        FRSGATE_HOME=str(tmp_path),
        FRSGATE_ENVIRONMENT="production",
        FRSGATE_SESSION_SECRET="a-real-secret-" + "x" * 20,
        FRSGATE_SANDBOX_FRS="false",
    )
    result = _run(["serve"], env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "ledger signing key missing" in lines[0]


def test_unwritable_home_stops_with_one_line(tmp_path: Path) -> None:
    import os

    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = _run(["init"], dict(os.environ, FRSGATE_HOME=str(blocker)))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: FRSGATE_HOME=")
    assert len(result.stderr.strip().splitlines()) == 1
