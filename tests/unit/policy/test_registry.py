"""The registry: several packs by identity, and the active one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from frsgate.errors import ConfigurationError, NotFound
from frsgate.policy import DEFAULT_PACK_DIR, PolicyRegistry, default_pack


def test_no_active_pack_fails_closed() -> None:
    registry = PolicyRegistry()
    assert registry.active_ref is None
    with pytest.raises(ConfigurationError, match="no policy pack is active"):
        _ = registry.active


def test_two_versions_side_by_side(tmp_path: Path) -> None:
    registry = PolicyRegistry()
    first = registry.add(default_pack())
    folder = tmp_path / "hsi_2021_next"
    shutil.copytree(DEFAULT_PACK_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    toml = folder / "pack.toml"
    toml.write_text(toml.read_text().replace('version = "1.0.0"', 'version = "1.0.1"'))
    second = registry.load(folder)
    assert first.id == second.id
    assert first.sha256 != second.sha256
    assert registry.refs() == [first, second]

    registry.activate(first.id, first.sha256)
    assert registry.is_active(first.id, first.sha256)
    assert not registry.is_active(second.id, second.sha256)
    assert registry.active.ref == first
    registry.activate(second.id, second.sha256)
    assert registry.active_ref == second
    assert registry.get(first.id, first.sha256).ref == first


def test_an_unknown_identity_is_not_found() -> None:
    registry = PolicyRegistry()
    registry.add(default_pack())
    with pytest.raises(NotFound, match="hsi-2021@000000000000 is not loaded"):
        registry.activate("hsi-2021", "0" * 64)
    assert registry.active_ref is None


def test_adding_the_same_pack_twice_is_idempotent() -> None:
    registry = PolicyRegistry()
    registry.add(default_pack())
    registry.add(default_pack())
    assert len(registry.refs()) == 1
