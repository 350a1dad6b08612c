"""Building a provider's connector from its registry record."""

from __future__ import annotations

import pytest

from frsgate.config import Environment, Settings
from frsgate.connectors import FrsProtocolError, MatchType, ProviderTerms, SearchRequest
from frsgate.connectors.http import HttpConnector
from frsgate.connectors.protocol import new_idempotency_key
from frsgate.connectors.registry import connector_for
from frsgate.errors import ConfigurationError


def _settings(**values: object) -> Settings:
    return Settings(**values)  # type: ignore[arg-type]


def test_sandbox_kind_defaults_to_the_local_sandbox(terms: ProviderTerms) -> None:
    connector = connector_for(
        "sandbox",
        None,
        terms,
        _settings(sandbox_frs_port=9191, frs_max_attempts=4),
        provider_id="sbx",
    )
    assert isinstance(connector, HttpConnector)
    assert "http://127.0.0.1:9191" in repr(connector)
    assert connector.max_attempts == 4
    assert connector.require_sandbox_data
    connector.close()


def test_sandbox_kind_refused_in_production(terms: ProviderTerms) -> None:
    with pytest.raises(ConfigurationError, match="development and tests only"):
        connector_for(
            "sandbox",
            None,
            terms,
            _settings(environment=Environment.production),
            provider_id="sbx",
        )


def test_http_kind_needs_a_url_and_a_known_kind(terms: ProviderTerms) -> None:
    with pytest.raises(ConfigurationError, match="no base URL"):
        connector_for("http", None, terms, _settings(), provider_id="acme")
    with pytest.raises(ConfigurationError, match="known kinds: http, sandbox"):
        connector_for("grpc", "https://x.example", terms, _settings(), provider_id="acme")
    with pytest.raises(ConfigurationError, match="not http"):
        connector_for("http", "ftp://x.example", terms, _settings(), provider_id="acme")


def test_http_kind_refuses_sandbox_data_in_production(
    terms: ProviderTerms, sandbox_url: str, probe: bytes
) -> None:
    production = _settings(environment=Environment.production)
    connector = connector_for("http", sandbox_url, terms, production, provider_id="acme")
    request = SearchRequest(
        submission_id="s",
        probe=probe,
        match_type=MatchType.one_to_many,
        max_candidates=5,
        idempotency_key=new_idempotency_key(),
    )
    with pytest.raises(FrsProtocolError, match="sandbox data"):
        connector.search(request)
    connector.close()
    sandbox = connector_for("sandbox", sandbox_url, terms, _settings(), provider_id="sbx")
    assert sandbox.search(request).sandbox is True
    sandbox.close()
