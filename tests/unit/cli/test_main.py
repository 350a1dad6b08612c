"""The root command: a deliberate error is one clear line and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


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


def _files(root: Path) -> list[Path]:
    return sorted(root.rglob("*")) if root.exists() else []


@pytest.mark.parametrize(
    "args",
    [
        ["ledger", "checkpoint"],
        ["ledger", "export"],
        ["ledger", "prove-inclusion", "0"],
        ["token", "issue", "alice"],
        ["serve"],
    ],
)
def test_command_before_init_stops_with_one_line_and_creates_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    import os

    home = tmp_path / "home"
    env = dict(os.environ, FRSGATE_HOME=str(home), FRSGATE_SANDBOX_FRS="false")
    env.pop("FRSGATE_DATABASE_URL", None)
    result = _run(args, env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: database file "), lines[0]
    assert "run `frsgate init`" in lines[0]
    assert _files(home) == []


def test_database_without_schema_stops_with_one_line(tmp_path: Path) -> None:
    import os
    import sqlite3

    home = tmp_path / "home"
    home.mkdir()
    sqlite3.connect(home / "frsgate.sqlite3").close()  # a file, but never initialized
    (home / "frsgate.sqlite3").chmod(0o600)  # else the engine rightly warns it tightened it
    env = dict(os.environ, FRSGATE_HOME=str(home))
    env.pop("FRSGATE_DATABASE_URL", None)
    result = _run(["ledger", "checkpoint"], env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "has no FRS Gate schema; run `frsgate init`" in lines[0]
    assert not (home / "keys").exists()


def test_unreachable_database_stops_with_one_line(tmp_path: Path) -> None:
    import os

    env = dict(
        os.environ,
        FRSGATE_HOME=str(tmp_path / "home"),
        FRSGATE_DATABASE_URL="postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2",
    )
    result = _run(["ledger", "checkpoint"], env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cannot open database "), lines[0]
    assert "sqlalche.me" not in result.stderr
    assert "secret" not in result.stderr
    assert _files(tmp_path / "home") == []
