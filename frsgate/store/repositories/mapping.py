"""Mapping between domain dataclasses and table rows, derived from the entities' type hints.

Columns carry the entities' field names, so one generic mapper per entity does the work: enum
members are stored as their values and rebuilt on read, tuples and frozensets travel as JSON
lists. The mapper checks at import that every field has a column and every column a field (bar
the ones a repository handles itself), so the schema and the model cannot drift apart quietly.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any, Generic, TypeVar

from sqlalchemy import Table

E = TypeVar("E")
Reader = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _optional(read: Reader) -> Reader:
    return lambda value: None if value is None else read(value)


def _reader_for(hint: Any) -> Reader:
    """How to turn a column value back into a field of type `hint`."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:  # pragma: no cover - the model uses only `X | None`
            raise TypeError(f"unsupported union {hint!r}")
        return _optional(_reader_for(inner[0]))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if origin is tuple:
        item = _reader_for(args[0]) if args else _identity
        return lambda value: tuple(item(v) for v in value)
    if origin is frozenset:
        item = _reader_for(args[0]) if args else _identity
        return lambda value: frozenset(item(v) for v in value)
    if hint is bytes:
        return bytes
    if hint is float:
        return float
    return _identity


def dump(value: Any) -> Any:
    """A field value as its column value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [dump(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(dump(v) for v in value)
    return value


class EntityMapper(Generic[E]):
    """Rows of `table` to `cls` and back; `external` fields are stored by the repository."""

    def __init__(
        self,
        cls: type[E],
        table: Table,
        *,
        external: Iterable[str] = (),
        extra_columns: Iterable[str] = (),
    ) -> None:
        hints = typing.get_type_hints(cls)
        external = frozenset(external)
        init_fields = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
        self.cls = cls
        self.table = table
        self.fields = tuple(n for n in init_fields if n not in external)
        missing = [n for n in self.fields if n not in table.c]
        unmapped = set(table.c.keys()) - set(self.fields) - frozenset(extra_columns)
        if missing or unmapped:
            raise TypeError(
                f"{cls.__name__} and table {table.name} disagree: fields without a column "
                f"{sorted(missing)}, columns without a field {sorted(unmapped)}"
            )
        self._readers = {n: _reader_for(hints[n]) for n in self.fields}

    def to_row(self, entity: E) -> dict[str, Any]:
        return {name: dump(getattr(entity, name)) for name in self.fields}

    def from_row(self, row: Mapping[Any, Any], **external: Any) -> E:
        values = {name: self._readers[name](row[name]) for name in self.fields}
        return self.cls(**values, **external)
