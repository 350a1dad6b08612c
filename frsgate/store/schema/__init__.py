"""All tables of FRS Gate in one SQLAlchemy `MetaData`, so Alembic sees every one of them."""

from frsgate.store.schema.base import metadata

# Importing the modules registers their tables on `metadata`.
from frsgate.store.schema import core as core  # noqa: E402
from frsgate.store.schema import ledger as ledger  # noqa: E402

__all__ = ["metadata"]
