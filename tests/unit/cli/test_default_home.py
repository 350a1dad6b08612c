"""When FRSGATE_HOME was not set and the default home cannot be used, the one-line error says
so and names the default it used (a relative default depends on the working directory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-c", "from frsgate.cli.main import main; main()"]


def _run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FRSGATE_")}
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_unset_home_that_cannot_be_created_names_the_default(tmp_path: Path) -> None:
    (tmp_path / "var").write_text("not a directory")
    done = _run(tmp_path, "init")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: FRSGATE_HOME is not set; the default ./var ")
    assert f"(here {tmp_path / 'var'})" in lines[0]
    assert "it is a file, not a directory" in lines[0]


def test_set_home_that_cannot_be_created_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("not a directory")
    done = _run(tmp_path, "init", FRSGATE_HOME=str(blocker))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: FRSGATE_HOME={blocker} is not writable: it is a file, not a directory"
    )


def test_command_run_where_no_default_home_exists_names_the_default(tmp_path: Path) -> None:
    done = _run(tmp_path, "ledger", "checkpoint")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "FRSGATE_HOME is not set; the default ./var" in lines[0]
    assert "run `frsgate init`" in lines[0]
    assert not (tmp_path / "var").exists()
