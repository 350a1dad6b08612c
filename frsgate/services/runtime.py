"""Everything a running FRS Gate process holds open, built once at start-up and passed down.

`Runtime.open(settings)` checks the configuration (writable home, production keys, durable
database settings), loads the keys, the active policy pack, the ledger and the image limits,
and recovers dispatches that were interrupted (an intent without an outcome becomes
`outcome_unknown`, DESIGN "The flow of one use"). Nothing here imports a web framework.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from frsgate.config import Settings
from frsgate.connectors.protocol import FrsConnector, ProviderTerms
from frsgate.domain import Provider
from frsgate.ledger import Ledger, PeriodicCheckpointer, load_or_create_signing_key
from frsgate.policy.engine import PolicyPack, default_pack
from frsgate.services.metrics import ServiceMetrics
from frsgate.store.engine import make_engine
from frsgate.vault import ImageLimits, KeyEncryptionKey, load_or_create_kek


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """The process's open resources. Build with `Runtime.open`; close with `close()`."""

    settings: Settings
    engine: Engine
    ledger: Ledger
    policy: PolicyPack
    kek: KeyEncryptionKey
    image_limits: ImageLimits
    clock: Callable[[], datetime] = utc_now
    checkpointer: PeriodicCheckpointer | None = None
    # True once IGP approved exactly the loaded pack version (memo fn2); until then the gate
    # denies every act but the activation itself.
    policy_active: bool = False
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
    _connectors: dict[tuple[str, str], FrsConnector] = field(default_factory=dict)
    _connectors_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    @contextmanager
    def open(
        cls,
        settings: Settings,
        *,
        create_keys: bool = False,
        recover: bool = True,
        periodic_checkpoints: bool = True,
    ) -> Iterator[Runtime]:
        """Open every resource, yield the runtime, and close it all on exit."""
        runtime = cls.build(settings, create_keys=create_keys)
        try:
            if recover:
                from frsgate.services.dispatch import recover_interrupted

                recover_interrupted(runtime)
            if periodic_checkpoints:
                runtime.start_checkpointer()
            yield runtime
        finally:
            runtime.close()

    @classmethod
    def build(cls, settings: Settings, *, create_keys: bool = False) -> Runtime:
        settings.require_home_writable()
        settings.require_production_ready()
        engine = make_engine(settings.effective_database_url)
        try:
            from frsgate.store.migrate import require_at_head

            require_at_head(engine)
            signer = load_or_create_signing_key(
                settings.ledger_key_path, name=settings.ledger_origin, create=create_keys
            )
            kek = load_or_create_kek(settings.vault_kek_path, create=create_keys)
            ledger = Ledger(engine, signer=signer, origin=settings.ledger_origin)
        except BaseException:
            engine.dispose()
            raise
        limits = ImageLimits.from_settings(settings)
        runtime = cls(
            settings=settings,
            engine=engine,
            ledger=ledger,
            policy=default_pack(),
            kek=kek,
            image_limits=limits,
        )
        from frsgate.services.policy_admin import is_active

        runtime.policy_active = is_active(runtime)
        return runtime

    def start_checkpointer(self) -> None:
        """Sign a checkpoint every FRSGATE_CHECKPOINT_INTERVAL_SECONDS while the log grows."""
        interval = self.settings.checkpoint_interval_seconds
        if interval > 0 and self.checkpointer is None:
            self.checkpointer = PeriodicCheckpointer(self.ledger, interval)
            self.checkpointer.start()

    def refresh_policy_active(self) -> bool:
        """Look again whether IGP approved the loaded pack (another process may have)."""
        if not self.policy_active:
            from frsgate.services.policy_admin import is_active

            self.policy_active = is_active(self)
        return self.policy_active

    def now(self) -> datetime:
        return self.clock()

    def describe(self) -> str:
        backend = self.engine.dialect.name
        return (
            f"{self.settings.environment.value}, {backend}, policy {self.policy.id} "
            f"{self.policy.sha256[:12]}, ledger size {self.ledger.size()}"
        )

    def connector(self, provider: Provider) -> FrsConnector:
        """The provider's connector, bound by its terms (memo 4.C.4); one per provider record
        and kept for the process, since it pools connections."""
        from frsgate.connectors.registry import connector_for

        terms = ProviderTerms(
            match_types=frozenset(provider.terms.match_types),
            candidate_cap=provider.terms.candidate_cap,
            law_enforcement_use=provider.terms.law_enforcement_use,
        )
        kind = provider.kind.value
        key = (provider.id, f"{kind}|{provider.base_url}|{terms.model_dump_json()}")
        with self._connectors_lock:
            existing = self._connectors.get(key)
            if existing is None:
                existing = connector_for(
                    kind, provider.base_url, terms, self.settings, provider_id=provider.id
                )
                self._connectors[key] = existing
            return existing

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
            self.checkpointer = None
        with self._connectors_lock:
            for connector in self._connectors.values():
                connector.close()
            self._connectors.clear()
        self.ledger.close()
        self.engine.dispose()


def resolve_user_id(settings: Settings, user: str) -> str:
    """The id of the user named `user` (an id or a username), or a clear error."""
    from frsgate.store.repositories.people import UserRepository

    engine = make_engine(settings.effective_database_url)
    try:
        with engine.connect() as conn:
            users = UserRepository(conn)
            found = users.find(user)
            return found.id if found is not None else users.get_by_username(user).id
    finally:
        engine.dispose()
