"""The FRS connectors of one process: one per provider record, bound by its terms (memo 4.C.4),
reaching the provider with the record's TLS settings and sealed API key, and kept for the
process, since each pools its connections.

A provider's API key is stored sealed under the vault's key-encryption key, bound to the
provider's id (`api_key_aad`), so a sealed key copied onto another provider's row does not
open. It is opened here, only when a connector is built, and lives on in that connector's
`Authorization` header alone.
"""

from __future__ import annotations

import threading
from datetime import datetime

from pydantic import SecretStr
from sqlalchemy import Engine

from frsgate.config import Settings
from frsgate.connectors.protocol import FrsConnector, ProviderTerms
from frsgate.connectors.registry import TlsOptions, connector_for
from frsgate.domain import Provider
from frsgate.domain.providers import api_key_fingerprint
from frsgate.errors import ConfigurationError
from frsgate.store.repositories.providers import SealedSecret
from frsgate.store.unit import read_only
from frsgate.vault import KeyEncryptionKey, SealedBlob, open_sealed, seal


def api_key_aad(provider_id: str) -> bytes:
    """Associated data of a provider's sealed API key: its kind and the provider's id."""
    return b"provider-api-key\x00" + provider_id.encode("utf-8")


def seal_api_key(
    kek: KeyEncryptionKey, provider_id: str, api_key: SecretStr, *, at: datetime, by: str | None
) -> SealedSecret:
    """The key as stored: sealed under the KEK for this provider, with its fingerprint."""
    plain = api_key.get_secret_value()
    blob = seal(plain.encode("utf-8"), kek=kek, associated_data=api_key_aad(provider_id))
    return SealedSecret(
        provider_id=provider_id, sealed=blob.to_bytes(), key_ref=f"kek:{kek.kek_id_hex}",
        fingerprint=api_key_fingerprint(plain), set_at=at, set_by=by,
    )  # fmt: skip


def open_api_key(kek: KeyEncryptionKey, secret: SealedSecret) -> SecretStr:
    plain = open_sealed(
        SealedBlob.from_bytes(secret.sealed),
        kek=kek,
        associated_data=api_key_aad(secret.provider_id),
    )
    return SecretStr(plain.decode("utf-8"))


class ConnectorPool:
    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        kek: KeyEncryptionKey | None = None,
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._kek = kek
        self._connectors: dict[str, tuple[str, FrsConnector]] = {}
        # Connectors replaced by a changed record: another thread may still be using one, so
        # they are closed with the pool, not at once.
        self._retired: list[FrsConnector] = []
        self._lock = threading.Lock()

    def connector(self, provider: Provider) -> FrsConnector:
        """The provider's connector; a changed record (terms, URL, TLS, API key) gets a new
        one."""
        terms = ProviderTerms(
            match_types=frozenset(provider.terms.match_types),
            candidate_cap=provider.terms.candidate_cap,
            law_enforcement_use=provider.terms.law_enforcement_use,
        )
        tls = TlsOptions(
            verify=provider.tls.verify,
            ca_bundle=provider.tls.ca_bundle,
            client_cert=provider.tls.client_cert,
            client_key=provider.tls.client_key,
        )
        kind = provider.kind.value
        # The fingerprint, never the key, tells a rotated key apart.
        version = (
            f"{kind}|{provider.base_url}|{tls!r}|{provider.api_key_fingerprint}|"
            f"{terms.model_dump_json()}"
        )
        with self._lock:
            current = self._connectors.get(provider.id)
            if current is not None and current[0] == version:
                return current[1]
            built = connector_for(
                kind, provider.base_url, terms, self._settings, provider_id=provider.id,
                api_key=self._api_key(provider), tls=tls,
            )  # fmt: skip
            if current is not None:
                self._retired.append(current[1])
            self._connectors[provider.id] = (version, built)
            return built

    def _api_key(self, provider: Provider) -> SecretStr | None:
        if provider.api_key_fingerprint is None:
            return None
        if self._engine is None or self._kek is None:
            raise ConfigurationError(
                f"provider {provider.name!r} has an API key, but this process cannot open it"
            )
        with read_only(self._engine) as uow:
            secret = uow.provider_secrets.get(provider.id)
        if secret is None or secret.fingerprint != provider.api_key_fingerprint:
            # Set again meanwhile (or lost): the record read and the key would disagree.
            raise ConfigurationError(
                f"provider {provider.name!r}: the stored API key is not the one its record "
                f"names ({provider.api_key_fingerprint}); set it again or retry"
            )
        return open_api_key(self._kek, secret)

    def close(self) -> None:
        with self._lock:
            for _, connector in self._connectors.values():
                connector.close()
            for connector in self._retired:
                connector.close()
            self._connectors.clear()
            self._retired.clear()
