"""What provider registration refuses before anything is decided: where a provider may be
reached (https; plain http only to loopback in production), unreadable TLS files, API keys
that cannot go into a header, match types outside the memo's uses. And a sealed API key opens
only for the provider it was sealed for."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from frsgate.config import Environment, Settings
from frsgate.domain.providers import ProviderTls, api_key_fingerprint
from frsgate.errors import ValidationFailed
from frsgate.services import providers
from frsgate.services.connections import open_api_key, seal_api_key
from frsgate.store.repositories.providers import SealedSecret
from frsgate.vault import KeyEncryptionKey, VaultIntegrityError

PRODUCTION = Settings(environment=Environment.production)  # type: ignore[call-arg]
DEVELOPMENT = Settings()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("url", "settings", "problem"),
    [
        ("http://frs.example", PRODUCTION, "plain http is allowed only to a loopback host"),
        ("https://u:p@frs.example", DEVELOPMENT, "user name or password"),
        ("https://frs.example/?k=v", DEVELOPMENT, "query"),
        ("ftp://frs.example", DEVELOPMENT, "http(s) URL"),
        ("https://frs.example:port", DEVELOPMENT, "not a URL"),
    ],
)
def test_refused_urls_are_named(url: str, settings: Settings, problem: str) -> None:
    with pytest.raises(ValidationFailed, match=r"base_url") as refused:
        providers.check_base_url(url, settings)
    assert problem in refused.value.message


@pytest.mark.parametrize(
    ("url", "settings"),
    [
        ("https://frs.example/api/", PRODUCTION),
        ("http://127.0.0.1:9000", PRODUCTION),
        ("http://[::1]:9000", PRODUCTION),
        ("http://localhost:9000", PRODUCTION),
        ("http://frs.internal", DEVELOPMENT),
    ],
)
def test_allowed_urls(url: str, settings: Settings) -> None:
    assert providers.check_base_url(url, settings) == url.rstrip("/")


def test_tls_files_must_exist_be_absolute_and_readable(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match=r"tls\.ca_bundle.*does not exist"):
        providers.check_tls(ProviderTls(ca_bundle=str(tmp_path / "none.pem")))
    with pytest.raises(ValidationFailed, match=r"tls\.client_cert.*absolute"):
        providers.check_tls(ProviderTls(client_cert="cert.pem"))
    present = tmp_path / "ca.pem"
    present.write_text("x")
    assert providers.check_tls(ProviderTls(ca_bundle=str(present))).ca_bundle == str(present)


def test_api_keys_are_checked_without_being_quoted() -> None:
    for bad in ("short", "has spaces inside it", "tab\tinside-the-key"):
        with pytest.raises(ValidationFailed) as refused:
            providers.check_api_key(SecretStr(bad))
        assert bad not in refused.value.message
    assert providers.check_api_key(SecretStr("a-good-key-123")).get_secret_value()


def test_match_types_outside_the_memo_list_the_valid_ones() -> None:
    with pytest.raises(ValidationFailed, match="valid: one_to_one, two_photo, one_to_many"):
        providers.valid_match_types(["one_to_many", "face_grab"])
    providers.valid_match_types(["two_photo"])


def test_a_sealed_key_opens_for_its_provider_only() -> None:
    kek = KeyEncryptionKey.generate()
    at = datetime.now(UTC)
    sealed = seal_api_key(kek, "provider_a", SecretStr("the-key-0123456789"), at=at, by=None)
    assert b"the-key" not in sealed.sealed
    assert sealed.fingerprint == api_key_fingerprint("the-key-0123456789")
    assert open_api_key(kek, sealed).get_secret_value() == "the-key-0123456789"
    moved = SealedSecret(
        provider_id="provider_b", sealed=sealed.sealed, key_ref=sealed.key_ref,
        fingerprint=sealed.fingerprint, set_at=at, set_by=None,
    )  # fmt: skip
    with pytest.raises(VaultIntegrityError):
        open_api_key(kek, moved)
    assert "the-key" not in repr(open_api_key(kek, sealed))
