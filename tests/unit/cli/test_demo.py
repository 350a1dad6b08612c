"""`frsgate demo probe`: the public-domain demo photo ships with the package and is written
where the operator asks, with its attribution; nothing is overwritten unasked."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata
from typer.testing import CliRunner

from frsgate.cli.main import app
from frsgate.demo import PROBE_FILE, demo_probe

ROOT = Path(__file__).resolve().parents[3]


def test_demo_probe_writes_the_astronaut_portrait(tmp_path: Path) -> None:
    out = tmp_path / "probe.jpg"
    result = CliRunner().invoke(app, ["demo", "probe", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    assert "Eileen Collins" in result.output
    assert "public domain" in result.output
    image = Image.open(io.BytesIO(out.read_bytes()))
    assert image.format == "JPEG"
    assert image.size == (512, 512)
    # The scikit-image portrait, up to JPEG's loss: the shipped file is what it says it is.
    shipped = np.asarray(image.convert("RGB"), dtype=np.int16)
    original = skdata.astronaut().astype(np.int16)
    assert float(np.abs(shipped - original).mean()) < 4.0


def test_demo_probe_defaults_to_astronaut_jpg_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "probe"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "astronaut.jpg").read_bytes() == demo_probe()


def test_demo_probe_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "taken.jpg"
    out.write_bytes(b"someone else's file")
    refused = CliRunner().invoke(app, ["demo", "probe", "--out", str(out)])
    assert refused.exit_code == 2
    assert "already exists" in refused.output
    assert "--force" in refused.output
    assert out.read_bytes() == b"someone else's file"
    forced = CliRunner().invoke(app, ["demo", "probe", "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_bytes()[:2] == b"\xff\xd8"


def test_demo_probe_names_an_unwritable_destination(tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "probe.jpg"
    result = CliRunner().invoke(app, ["demo", "probe", "--out", str(out)])
    assert result.exit_code == 2
    assert f"cannot write {out}" in result.output


def test_demo_probe_is_installed_as_package_data(tmp_path: Path) -> None:
    # Build the package's files as an install would (setuptools' build_py reads the
    # package-data of pyproject.toml) from a copy, so the working tree is left alone.
    copy = tmp_path / "src"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(
        ROOT / "frsgate", copy / "frsgate", ignore=shutil.ignore_patterns("__pycache__")
    )
    built = tmp_path / "built"
    done = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
         "--build-lib", str(built)],
        cwd=copy, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    installed = built / "frsgate" / "demo"
    assert (installed / PROBE_FILE).read_bytes() == (
        ROOT / "frsgate" / "demo" / PROBE_FILE
    ).read_bytes()
    assert (installed / "ATTRIBUTION.md").is_file()
