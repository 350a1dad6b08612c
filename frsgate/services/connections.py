"""The FRS connectors of one process: one per provider record, bound by its terms (memo 4.C.4)
and kept for the process, since each pools its connections."""

from __future__ import annotations

import threading

from frsgate.config import Settings
from frsgate.connectors.protocol import FrsConnector, ProviderTerms
from frsgate.connectors.registry import connector_for
from frsgate.domain import Provider


class ConnectorPool:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._connectors: dict[tuple[str, str], FrsConnector] = {}
        self._lock = threading.Lock()

    def connector(self, provider: Provider) -> FrsConnector:
        """The provider's connector; a changed record (terms, URL) gets a new one."""
        terms = ProviderTerms(
            match_types=frozenset(provider.terms.match_types),
            candidate_cap=provider.terms.candidate_cap,
            law_enforcement_use=provider.terms.law_enforcement_use,
        )
        kind = provider.kind.value
        key = (provider.id, f"{kind}|{provider.base_url}|{terms.model_dump_json()}")
        with self._lock:
            existing = self._connectors.get(key)
            if existing is None:
                existing = connector_for(
                    kind, provider.base_url, terms, self._settings, provider_id=provider.id
                )
                self._connectors[key] = existing
            return existing

    def close(self) -> None:
        with self._lock:
            for connector in self._connectors.values():
                connector.close()
            self._connectors.clear()
