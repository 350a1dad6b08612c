"""Build the connector a provider's registry record names.

Two kinds exist: `http`, a provider (or an adapter in front of one) that speaks the connector
protocol, and `sandbox`, the same connector pointed at the sandbox FRS. The sandbox kind only
accepts answers labelled as sandbox data and is refused outside development; the http kind
refuses sandbox-labelled answers in production, so synthetic data cannot enter a real case.
Either way the connector enforces the provider's terms (memo 4.C.4), and reaches it with the
record's TLS settings (`TlsOptions`) and API key.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from enum import StrEnum

import httpx
from pydantic import SecretStr

from frsgate.config import Settings
from frsgate.connectors.http import HttpConnector
from frsgate.connectors.protocol import ProviderTerms
from frsgate.errors import ConfigurationError


class ConnectorKind(StrEnum):
    http = "http"
    sandbox = "sandbox"


@dataclass(frozen=True, slots=True)
class TlsOptions:
    """How to reach a provider over TLS: verify its certificate (against `ca_bundle` when
    given, else the usual trust store), and present a client certificate (mutual TLS)."""

    verify: bool = True
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None


def tls_context(options: TlsOptions, *, provider_id: str) -> ssl.SSLContext | bool:
    """The `verify` argument of the provider's HTTP client: True (the default trust store) when
    nothing is set, else a context built from the files named (a file that cannot be loaded is
    a configuration error naming the setting)."""
    if options.verify and options.ca_bundle is None and options.client_cert is None:
        return True
    setting = "tls_ca_bundle"
    try:
        if options.verify:
            # Only the named CA bundle is trusted for this provider when one is given: a
            # private CA should not widen to every public CA, nor the reverse.
            context = ssl.create_default_context(cafile=options.ca_bundle)
        else:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if options.client_cert is not None:
            setting = "tls_client_cert"
            context.load_cert_chain(options.client_cert, options.client_key)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None)
        raise ConfigurationError(
            f"provider {provider_id!r}: {setting} cannot be loaded ({reason or type(exc).__name__})"
        ) from None
    return context


def sandbox_base_url(settings: Settings) -> str:
    """Where `frsgate sandbox-frs` listens beside the service on the embedded default."""
    return f"http://127.0.0.1:{settings.sandbox_frs_port}"


def connector_for(
    kind: str,
    base_url: str | None,
    terms: ProviderTerms,
    settings: Settings,
    *,
    provider_id: str,
    api_key: SecretStr | None = None,
    tls: TlsOptions | None = None,
    transport: httpx.BaseTransport | None = None,
) -> HttpConnector:
    """The connector for one provider record. `base_url` None: the sandbox's default URL."""
    try:
        connector_kind = ConnectorKind(kind)
    except ValueError:
        raise ConfigurationError(
            f"provider {provider_id!r} names connector kind {kind!r}; known kinds: "
            f"{', '.join(k.value for k in ConnectorKind)}"
        ) from None
    if connector_kind is ConnectorKind.sandbox:
        if not settings.is_development:
            raise ConfigurationError(
                f"provider {provider_id!r} uses the sandbox FRS, which serves synthetic data "
                "for development and tests only; FRSGATE_ENVIRONMENT is production"
            )
        url = base_url or sandbox_base_url(settings)
    else:
        if not base_url:
            raise ConfigurationError(f"provider {provider_id!r} has no base URL")
        url = base_url
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"provider {provider_id!r} base URL {url!r} is not http(s)")
    return HttpConnector(
        url,
        provider_id=provider_id,
        terms=terms,
        timeout_s=settings.frs_timeout_seconds,
        max_attempts=settings.frs_max_attempts,
        api_key=api_key,
        verify=tls_context(tls or TlsOptions(), provider_id=provider_id),
        transport=transport,
        accept_sandbox_data=connector_kind is ConnectorKind.sandbox or settings.is_development,
        require_sandbox_data=connector_kind is ConnectorKind.sandbox,
    )
