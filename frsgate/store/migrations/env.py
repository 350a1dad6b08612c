"""Alembic environment: every table of `frsgate.store.schema.metadata`, on SQLite or PostgreSQL.

The URL comes, in order, from a connection handed over by `frsgate.store.migrate`
(`config.attributes["connection"]`), `config.attributes["url"]`, `-x url=...`,
FRSGATE_DATABASE_URL, then the settings' default. Engines are made by `make_engine`, so a
migration never runs on a database with weaker durability than the service itself requires.
SQLite runs in batch mode (it cannot ALTER most things in place).
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from frsgate.config import load_settings
from frsgate.store.engine import make_engine
from frsgate.store.schema import metadata
from frsgate.store.schema.types import UtcDateTime

config = context.config
if config.config_file_name is not None and not config.attributes.get("programmatic"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    given = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    if given:
        return str(given)
    from_env = os.environ.get("FRSGATE_DATABASE_URL")
    if from_env:
        return from_env
    return load_settings().effective_database_url


def _render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations must not depend on our Python types, which may change: write the plain type.
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=_url().startswith("sqlite"),
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    handed_over = config.attributes.get("connection")
    if handed_over is not None:
        _configure(handed_over)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
