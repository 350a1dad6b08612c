"""The connector's TLS settings: the context a provider's record asks for, and a file that
cannot be loaded named as the setting it came from."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from frsgate.connectors.registry import TlsOptions, tls_context
from frsgate.errors import ConfigurationError


def test_nothing_set_is_the_default_trust_store() -> None:
    assert tls_context(TlsOptions(), provider_id="p") is True


def test_verification_off_is_a_context_that_checks_nothing() -> None:
    context = tls_context(TlsOptions(verify=False), provider_id="p")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_NONE
    assert context.check_hostname is False


def test_a_ca_bundle_that_is_not_one_is_named(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate")
    with pytest.raises(ConfigurationError, match="tls_ca_bundle cannot be loaded"):
        tls_context(TlsOptions(ca_bundle=str(bogus)), provider_id="p")
    with pytest.raises(ConfigurationError, match="tls_client_cert cannot be loaded"):
        tls_context(TlsOptions(client_cert=str(bogus)), provider_id="p")
