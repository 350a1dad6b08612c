"""Reading a decision request from plain data (JSON or YAML), strictly.

Used by `frsgate policy explain REQUEST.json` and by scenario files. The shape mirrors
`frsgate.policy.facts` field for field; unknown keys, wrong types and unknown enum values are
refused with the path of the offending value. One convenience: a probe may give its
``justification`` as text, which is screened (`screen_justification`) into
``justification_present`` and ``justification_flags``, as the services layer does.

Example::

    {"principal": {"user_id": "a1", "roles": ["agent"], "training_completed": true, ...},
     "action": "probe.create",
     "resource": {"kind": "probe", "id": "p1"},
     "context": {"case": {"case_id": "c1", "status": "open", ...},
                 "probe": {"subject_role": "suspect", "justification": "...", ...}}}
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any, Union, get_args, get_origin, get_type_hints

from frsgate.errors import ValidationFailed
from frsgate.policy.facts import DecisionRequest, ProbeFacts
from frsgate.policy.screening import screen_justification


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _convert(tp: Any, value: Any, path: str) -> Any:
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _convert(inner, value, path)
    if origin is frozenset:
        if not isinstance(value, list | tuple | set | frozenset):
            raise ValidationFailed(f"{path}: expected a list, got {value!r}")
        (item,) = get_args(tp)
        return frozenset(_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass(tp, value, path)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(m.value for m in tp)
            raise ValidationFailed(f"{path}: {value!r} is not one of {allowed}") from None
    if tp is bool:
        if not isinstance(value, bool):
            raise ValidationFailed(f"{path}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationFailed(f"{path}: expected an integer, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ValidationFailed(f"{path}: expected a string, got {value!r}")
        return value
    if tp is datetime:
        parsed = value if isinstance(value, datetime) else None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise ValidationFailed(f"{path}: expected an ISO 8601 time with a zone, got {value!r}")
        return parsed
    raise ValidationFailed(f"{path}: cannot read a {tp!r}")  # a facts type this reader lacks


def _dataclass(cls: type, value: Any, path: str) -> Any:
    if not isinstance(value, Mapping):
        raise ValidationFailed(f"{path}: expected an object, got {value!r}")
    data = dict(value)
    if cls is ProbeFacts and "justification" in data:
        text = data.pop("justification")
        if text is not None and not isinstance(text, str):
            raise ValidationFailed(f"{path}.justification: expected text, got {text!r}")
        data.setdefault("justification_present", bool(text and text.strip()))
        data.setdefault("justification_flags", sorted(screen_justification(text)))
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValidationFailed(f"{path}: unknown field(s) {', '.join(unknown)}")
    kwargs = {k: _convert(hints[k], v, f"{path}.{k}" if path else k) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        raise ValidationFailed(f"{path or cls.__name__}: {exc}") from None


def request_from_dict(data: Mapping[str, Any]) -> DecisionRequest:
    """A `DecisionRequest` from plain data; raises `ValidationFailed` naming the bad path."""
    result: DecisionRequest = _dataclass(DecisionRequest, data, "")
    return result
