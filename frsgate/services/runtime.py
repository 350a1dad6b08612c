"""Everything a running FRS Gate process holds open, built once at start-up and passed down.

`Runtime.open(settings)` checks the configuration (writable home, production keys, durable
database settings), loads the keys, the active policy pack, the ledger and the image limits,
and recovers dispatches that were interrupted (an intent without an outcome becomes
`outcome_unknown`, DESIGN "The flow of one use"). Nothing here imports a web framework.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from frsgate.config import Settings
from frsgate.ledger import Ledger, PeriodicCheckpointer, load_or_create_signing_key
from frsgate.policy.engine import PolicyPack, default_pack
from frsgate.services.connections import ConnectorPool
from frsgate.services.dispatch import Dispatcher
from frsgate.services.gate import Gate
from frsgate.services.metrics import ServiceMetrics
from frsgate.store.engine import make_engine
from frsgate.vault import ImageLimits, KeyEncryptionKey, load_or_create_kek


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """The process's open resources, and the services' dependencies built from them (the
    decision point, the dispatcher). Build with `Runtime.open`; close with `close()`.
    Services take the parts they use, never the runtime itself."""

    settings: Settings
    engine: Engine
    ledger: Ledger
    gate: Gate
    kek: KeyEncryptionKey
    image_limits: ImageLimits
    connectors: ConnectorPool
    dispatcher: Dispatcher
    checkpointer: PeriodicCheckpointer | None = None

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
                runtime.dispatcher.recover_interrupted()
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
            from frsgate.services.vault_keys import require_no_pending_rotation

            require_no_pending_rotation(settings)
            kek = load_or_create_kek(settings.vault_kek_path, create=create_keys)
            ledger = Ledger(engine, signer=signer, origin=settings.ledger_origin)
        except BaseException:
            engine.dispose()
            raise
        gate = Gate(
            engine=engine, ledger=ledger, policy=default_pack(), clock=utc_now,
            exigent_escalation=timedelta(hours=settings.exigent_escalation_hours),
        )  # fmt: skip
        # Connectors open the providers' sealed API keys with the vault's KEK.
        connectors = ConnectorPool(settings, engine=engine, kek=kek)
        return cls(
            settings=settings,
            engine=engine,
            ledger=ledger,
            gate=gate,
            kek=kek,
            image_limits=ImageLimits.from_settings(settings),
            connectors=connectors,
            dispatcher=Dispatcher(gate=gate, kek=kek, connectors=connectors),
        )

    def start_checkpointer(self) -> None:
        """Sign a checkpoint every FRSGATE_CHECKPOINT_INTERVAL_SECONDS while the log grows."""
        interval = self.settings.checkpoint_interval_seconds
        if interval > 0 and self.checkpointer is None:
            from frsgate.services.witnessing import configured_witnesses, witness_latest

            witnesses = configured_witnesses(self.settings)
            self.checkpointer = PeriodicCheckpointer(
                self.ledger,
                interval,
                after=(lambda: witness_latest(self.ledger, witnesses)) if witnesses else None,
                first_round_now=bool(witnesses),
            )
            self.checkpointer.start()

    @property
    def policy(self) -> PolicyPack:
        return self.gate.policy

    @property
    def metrics(self) -> ServiceMetrics:
        return self.gate.metrics

    def now(self) -> datetime:
        return self.gate.now()

    def describe(self) -> str:
        backend = self.engine.dialect.name
        return (
            f"{self.settings.environment.value}, {backend}, policy {self.policy.id} "
            f"{self.policy.sha256[:12]}, ledger size {self.ledger.size()}"
        )

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
            self.checkpointer = None
        self.connectors.close()
        self.dispatcher.close()
        self.ledger.close()
        self.engine.dispose()


@contextmanager
def database(settings: Settings) -> Iterator[Engine]:
    """The configured database, for commands that work on the store without a whole runtime
    (ledger verification and proofs); its connections are closed when the block ends."""
    engine = make_engine(settings.effective_database_url)
    try:
        yield engine
    finally:
        engine.dispose()


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
