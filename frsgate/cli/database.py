"""The installed database, checked before a command that uses it but must not create it.

Only `frsgate init` creates or upgrades the database. Every other command checks it here first,
before anything creates a key, a home folder or an empty SQLite file: run before `frsgate init`,
or on a database that cannot be reached, it fails with one `StoreError` line that says what to
do, and leaves nothing behind. (The CLI reaches the store only through the services, so the
check uses the services' engine and reads the schema revision Alembic keeps.)
"""

from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url

from frsgate.config import Settings
from frsgate.errors import StoreError
from frsgate.services.runtime import database


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for PostgreSQL or a `file:` URI SQLite reads itself."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if str(parsed.query.get("uri", "")).lower() in ("true", "1"):
        return None
    return Path(parsed.database)


def require_installed_database(settings: Settings) -> None:
    """Refuse (StoreError, one line) unless the configured database exists and holds an FRS
    Gate schema; creates nothing. A schema at another revision is refused where it is used
    (`frsgate.store.migrate.require_at_head`, on the service's start-up)."""
    url = settings.effective_database_url
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None and not sqlite_file.exists():
        # Checked before opening: opening a SQLite file creates it. Run from another working
        # directory, the relative default home is another folder: say which one was used.
        where = "" if settings.database_url else f" ({settings.home_described})"
        raise StoreError(
            f"database file {sqlite_file} does not exist{where}; run `frsgate init` to create it"
        )
    # Opening checks the connection and its durability settings (a one-line StoreError).
    with database(settings) as engine, engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None:
        raise StoreError(
            f"database {engine.url!r} has no FRS Gate schema; run `frsgate init` to create it"
        )
