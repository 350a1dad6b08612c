"""The shared shape of every repository: add, get, update, and select helpers.

A repository works on a `Connection` its caller opened (usually through `unit_of_work`), so a
service composes several repositories and the ledger in one transaction. Lookups of a missing
id raise `NotFound` naming the entity and id; a duplicate or dangling reference raises
`Conflict` whose message names the entity and what to do, never the database's own text (that
goes to the server log only: it names tables and constraints, which a client has no use for);
an update whose row has moved on since it was read (another process decided the
approval first, say) raises `Conflict` naming the state it found.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Connection, Select, Table, Update, bindparam, select
from sqlalchemy.exc import IntegrityError

from frsgate.errors import Conflict, NotFound
from frsgate.store.repositories.mapping import EntityMapper

E = TypeVar("E")

log = logging.getLogger(__name__)


class Repository(Generic[E]):
    """Persistence of one entity type in one table keyed by `id`."""

    label: ClassVar[str]
    mapper: ClassVar[EntityMapper[Any]]
    _updates: ClassVar[dict[tuple[tuple[str, ...], bool], Update]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._updates = {}

    status_column: ClassVar[str | None] = "status"

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @property
    def table(self) -> Table:
        return self.mapper.table

    # --- writing ---------------------------------------------------------------------------

    def add(self, entity: E) -> E:
        self._insert(self.table, self._row(entity), getattr(entity, "id", ""))
        self._after_write(entity)
        return entity

    def update(self, entity: E, *, expected_status: str | None = None) -> E:
        """Write every field of `entity`; with `expected_status`, only if the row still has it.

        Pass the status the entity had when read: that turns a lost race between two
        processes deciding the same thing into a `Conflict` instead of a silent overwrite.
        """
        entity_id: str = getattr(entity, "id")  # noqa: B009 - every entity has an id
        guarded = expected_status is not None and self.status_column is not None
        row = self._row(entity)
        params = {f"new_{name}": value for name, value in row.items() if name != "id"}
        params["row_id"] = entity_id
        if guarded:
            params["expected_status"] = str(expected_status)
        try:
            result = self.conn.execute(self._update_statement(tuple(row), guarded), params)
        except IntegrityError as exc:
            raise _conflict(exc, f"cannot update {self.label} {entity_id!r}") from None
        if result.rowcount != 1:
            current = self._current_status(entity_id)
            if current is None:
                raise NotFound(f"{self.label} {entity_id!r} does not exist")
            raise Conflict(
                f"{self.label} {entity_id!r} changed meanwhile: it is now {current!r}, "
                f"not {str(expected_status)!r}; reload it and try again"
            )
        self._after_write(entity)
        return entity

    def _update_statement(self, columns: tuple[str, ...], guarded: bool) -> Update:
        """UPDATE ... SET every column WHERE id (AND status), with bound parameters: built once
        per shape and reused, so SQLAlchemy compiles it once instead of once per call."""
        key = (columns, guarded)
        stmt = self._updates.get(key)
        if stmt is None:
            table = self.table
            stmt = table.update().where(table.c.id == bindparam("row_id"))
            if guarded and self.status_column is not None:
                stmt = stmt.where(table.c[self.status_column] == bindparam("expected_status"))
            stmt = stmt.values({c: bindparam(f"new_{c}") for c in columns if c != "id"})
            self._updates[key] = stmt
        return stmt

    def _row(self, entity: E) -> dict[str, Any]:
        """The table row for `entity`; overridden where a field spans several columns."""
        return self.mapper.to_row(entity)

    def _after_write(self, entity: E) -> None:
        """Hook for child rows (roles, assignments) a repository stores beside the entity."""

    def _insert(self, table: Table, row: dict[str, Any], entity_id: str) -> None:
        try:
            self.conn.execute(table.insert(), row)
        except IntegrityError as exc:
            raise _conflict(exc, f"cannot add {self.label} {entity_id!r}") from None

    def _insert_many(self, table: Table, rows: list[dict[str, Any]]) -> None:
        try:
            self.conn.execute(table.insert(), rows)
        except IntegrityError as exc:
            raise _conflict(exc, f"cannot add {len(rows)} {self.label} rows") from None

    def _current_status(self, entity_id: str) -> str | None:
        column = self.table.c[self.status_column] if self.status_column else self.table.c.id
        value = self.conn.execute(select(column).where(self.table.c.id == entity_id)).scalar()
        return None if value is None else str(value)

    # --- reading ---------------------------------------------------------------------------

    def get(self, entity_id: str, *, lock: bool = False) -> E:
        """The entity with `entity_id`; `lock` holds its row until the transaction ends
        (SELECT ... FOR NO KEY UPDATE on PostgreSQL; SQLite's writer lock already covers it).

        NO KEY UPDATE, not UPDATE: our lockers still exclude one another, but an insert that
        only references the row (its foreign-key check takes KEY SHARE) is not blocked, so two
        transactions locking and referencing a user and a case in other orders cannot deadlock.
        No row's key is ever changed or a locked row deleted."""
        stmt = select(self.table).where(self.table.c.id == entity_id)
        if lock:
            stmt = stmt.with_for_update(key_share=True)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"{self.label} {entity_id!r} does not exist")
        return self._load(row)

    def lock(self, entity_id: str) -> None:
        """Hold the row of `entity_id` until the transaction ends without loading it
        (SELECT id ... FOR NO KEY UPDATE on PostgreSQL, as `get`; on SQLite the writer lock,
        taken when the transaction began, already holds every row)."""
        if self.conn.dialect.name == "sqlite":
            return
        stmt = (
            select(self.table.c.id)
            .where(self.table.c.id == entity_id)
            .with_for_update(key_share=True)
        )
        if self.conn.execute(stmt).first() is None:
            raise NotFound(f"{self.label} {entity_id!r} does not exist")

    def find(self, entity_id: str) -> E | None:
        try:
            return self.get(entity_id)
        except NotFound:
            return None

    def _load(self, row: Any) -> E:
        loaded: E = self.mapper.from_row(row)
        return loaded

    def _many(self, stmt: Select[Any]) -> list[E]:
        return [self._load(row) for row in self.conn.execute(stmt).mappings()]

    def _select(self) -> Select[Any]:
        return select(self.table)


def _reason(exc: IntegrityError) -> str:
    """The driver's one-line reason (unique or foreign-key violation), without the SQL and
    without PostgreSQL's DETAIL line, which quotes the values."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else "integrity constraint violated"


# SQLSTATE (PostgreSQL) and the start of SQLite's message, for each kind of constraint, and
# what a client is told about it.
_KINDS: tuple[tuple[str, str, str], ...] = (
    ("23505", "unique", "a record with the same id or key already exists; do not add it again"),
    (
        "23503",
        "foreign key",
        "it refers to a record that does not exist (or is still referred to); "
        "check the ids it names",
    ),
    ("23502", "not null", "a required value is missing"),
    ("23514", "check", "a value is outside what the record allows"),
)


def _conflict(exc: IntegrityError, what: str) -> Conflict:
    """A `Conflict` saying `what` failed and why in the entity's terms; the driver's reason is
    logged here, for the operator, and never reaches the message a client sees."""
    reason = _reason(exc)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    told = "it conflicts with the stored records; reload them and try again"
    for state, sqlite_prefix, meaning in _KINDS:
        if sqlstate == state or reason.upper().startswith(sqlite_prefix.upper()):
            told = meaning
            break
    log.warning("integrity constraint refused a write: %s: %s", what, reason)
    return Conflict(f"{what}: {told}")


def statuses(values: Sequence[Any]) -> list[str]:
    return [str(v) for v in values]
