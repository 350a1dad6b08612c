"""Bad configuration stops start-up with one clear line naming the setting."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from frsgate.config import Environment, load_settings
from frsgate.errors import ConfigurationError
from frsgate.keyfiles import load_or_create_ed25519_key, read_private_file, write_private_file


def test_unknown_database_scheme_names_the_setting() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(database_url="mysql://root@localhost/frs")
    assert "FRSGATE_DATABASE_URL" in str(caught.value)
    assert "'mysql'" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_out_of_range_port_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="FRSGATE_PORT"):
        load_settings(port=70000)


def test_home_that_is_a_file_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    settings = load_settings(home=blocker)
    with pytest.raises(ConfigurationError) as caught:
        settings.require_home_writable()
    assert str(caught.value).startswith("FRSGATE_HOME=")


def test_production_refuses_default_secret(tmp_path: Path) -> None:
    settings = load_settings(environment=Environment.production, home=tmp_path)
    with pytest.raises(ConfigurationError, match="FRSGATE_SESSION_SECRET"):
        settings.require_production_ready()


def test_production_refuses_missing_ledger_key(tmp_path: Path) -> None:
    settings = load_settings(
        environment=Environment.production, home=tmp_path, session_secret="s3cr3t-" + "x" * 30
    )
    with pytest.raises(ConfigurationError, match="ledger signing key missing"):
        settings.require_production_ready()


def test_production_refuses_the_sandbox_frs(tmp_path: Path) -> None:
    settings = load_settings(
        environment=Environment.production, home=tmp_path, session_secret="s3cr3t-" + "x" * 30
    )
    load_or_create_ed25519_key(settings.ledger_key_path)
    write_private_file(settings.vault_kek_path, os.urandom(32))
    with pytest.raises(ConfigurationError, match="FRSGATE_SANDBOX_FRS"):
        settings.require_production_ready()


def test_production_refuses_missing_oidc_issuer(tmp_path: Path) -> None:
    settings = load_settings(
        environment=Environment.production,
        home=tmp_path,
        session_secret="s3cr3t-" + "x" * 30,
        sandbox_frs=False,
    )
    load_or_create_ed25519_key(settings.ledger_key_path)
    write_private_file(settings.vault_kek_path, os.urandom(32))
    with pytest.raises(ConfigurationError, match="FRSGATE_OIDC_ISSUER"):
        settings.require_production_ready()


def test_development_accepts_defaults(tmp_path: Path) -> None:
    load_settings(home=tmp_path).require_production_ready()


def test_secret_never_in_repr() -> None:
    settings = load_settings(session_secret="do-not-print-me")
    assert "do-not-print-me" not in repr(settings)
    assert "do-not-print-me" not in str(settings.model_dump())


def test_key_files_are_0600_and_loose_ones_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k.pem"
    load_or_create_ed25519_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="must be 0600"):
        read_private_file(path)


def test_missing_key_file_says_run_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="frsgate init"):
        load_or_create_ed25519_key(tmp_path / "absent.pem", create=False)


def test_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k.bin"
    write_private_file(path, b"first")
    with pytest.raises(FileExistsError):
        write_private_file(path, b"second")
    assert read_private_file(path) == b"first"
    assert [p.name for p in path.parent.iterdir()] == ["k.bin"]  # no temporary left behind


def test_concurrent_key_creation_yields_one_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from cryptography.hazmat.primitives import serialization

    path = tmp_path / "keys" / "race.pem"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: load_or_create_ed25519_key(path), range(8)))
    raw = {
        k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        for k in keys
    }
    assert len(raw) == 1


def test_home_created_by_frsgate_is_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask would otherwise leave it 0755
    try:
        settings = load_settings(home=tmp_path / "new" / "home")
        settings.require_home_writable()
    finally:
        os.umask(previous)
    assert settings.home.stat().st_mode & 0o777 == 0o700


def test_existing_shared_home_is_kept_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "shared"
    home.mkdir()
    home.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="frsgate.config"):
        load_settings(home=home).require_home_writable()
    assert home.stat().st_mode & 0o777 == 0o755  # the operator's directory, not ours
    assert any(str(home) in r.getMessage() for r in caplog.records)


def test_token_max_lifetime_has_a_floor() -> None:
    assert load_settings().token_max_lifetime_seconds == 3600
    with pytest.raises(ConfigurationError, match="FRSGATE_TOKEN_MAX_LIFETIME_SECONDS"):
        load_settings(token_max_lifetime_seconds=59)
