"""All tables of FRS Gate in one SQLAlchemy `MetaData`, so Alembic sees every one of them."""

# Importing the modules registers their tables on `metadata`.
from frsgate.store.schema import core as core
from frsgate.store.schema import ledger as ledger
from frsgate.store.schema import oversight as oversight
from frsgate.store.schema import report_indexes as report_indexes
from frsgate.store.schema import sessions as sessions
from frsgate.store.schema.base import metadata

__all__ = ["metadata"]
