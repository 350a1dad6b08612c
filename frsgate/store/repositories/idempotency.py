"""Client idempotency keys: who claimed which `Idempotency-Key` on which route, and the answer.

A record is keyed by (user, route, key), not by an id. `claim` is an insert that never fails on
a taken key (INSERT ... ON CONFLICT DO NOTHING on both backends): it reports whether this call
took the key, and the caller reads the holder's record otherwise. On PostgreSQL the insert
waits for a concurrent transaction inserting the same key to end, so two requests never both
believe they hold it; on SQLite the writer lock orders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from frsgate.errors import Conflict
from frsgate.store.repositories.base import Repository
from frsgate.store.repositories.mapping import EntityMapper
from frsgate.store.schema.core import idempotency_keys


@dataclass(slots=True)
class IdempotencyRecord:
    """One claimed key: in progress while `status_code` is None, completed afterwards with the
    status and the JSON text of the body it answered."""

    user_id: str
    route: str
    key: str
    request_sha256: str
    created_at: datetime
    status_code: int | None = None
    response: str | None = None
    completed_at: datetime | None = None

    @property
    def completed(self) -> bool:
        return self.status_code is not None


class IdempotencyKeyRepository(Repository[IdempotencyRecord]):
    label = "idempotency key"
    mapper = EntityMapper(IdempotencyRecord, idempotency_keys)
    status_column = None

    def claim(self, record: IdempotencyRecord) -> bool:
        """Insert `record` unless its key is taken; True if this call took the key."""
        table = idempotency_keys
        dialect_insert = sqlite_insert if self.conn.dialect.name == "sqlite" else pg_insert
        stmt = (
            dialect_insert(table)
            .values(self.mapper.to_row(record))
            .on_conflict_do_nothing(index_elements=[table.c.user_id, table.c.route, table.c.key])
            # RETURNING, not rowcount: psycopg reports no row count for this INSERT.
            .returning(table.c.key)
        )
        return self.conn.execute(stmt).first() is not None

    def find_key(self, user_id: str, route: str, key: str) -> IdempotencyRecord | None:
        row = (
            self.conn.execute(select(idempotency_keys).where(_key(user_id, route, key)))
            .mappings()
            .first()
        )
        return None if row is None else self._load(row)

    def complete(
        self, user_id: str, route: str, key: str, *, status_code: int, response: str, at: datetime
    ) -> None:
        """Store the answer of a claim in progress; a claim already completed or released
        meanwhile is a `Conflict` (only the request holding the claim completes it)."""
        table = idempotency_keys
        stmt = (
            table.update()
            .where(_key(user_id, route, key), table.c.completed_at.is_(None))
            .values(status_code=status_code, response=response, completed_at=at)
        )
        if self.conn.execute(stmt).rowcount != 1:
            raise Conflict(f"idempotency key on {route} is no longer in progress; not completed")

    def release(self, user_id: str, route: str, key: str) -> None:
        """Delete a claim still in progress (a completed answer is never deleted here)."""
        table = idempotency_keys
        self.conn.execute(
            table.delete().where(_key(user_id, route, key), table.c.completed_at.is_(None))
        )


def _key(user_id: str, route: str, key: str) -> ColumnElement[bool]:
    table = idempotency_keys
    return and_(table.c.user_id == user_id, table.c.route == route, table.c.key == key)
