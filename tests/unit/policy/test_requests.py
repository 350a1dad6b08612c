"""Reading requests from JSON: strict types, named paths, justification screening."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action, ResourceKind, Role
from frsgate.policy.requests import request_from_dict


def base() -> dict[str, Any]:
    return {
        "principal": {"user_id": "a1", "roles": ["agent"], "training_completed": True},
        "action": "probe.create",
        "resource": {"kind": "probe", "id": "p1"},
        "context": {
            "probe": {"subject_role": "suspect", "justification": "Seen at a rally"},
            "submission": {"match_type": "one_to_many", "used_at": "2021-06-01T08:00:00Z"},
        },
    }


def test_a_request_reads_into_typed_facts() -> None:
    request = request_from_dict(base())
    assert request.principal.roles == frozenset({Role.agent})
    assert request.principal.training_completed is True
    assert request.principal.safeguards_attested is False  # fail-closed default
    assert request.action is Action.probe_create
    assert request.resource.kind is ResourceKind.probe
    probe = request.context.probe
    assert probe is not None
    assert probe.subject_role == "suspect"
    assert probe.justification_present is True
    assert probe.justification_flags == frozenset({"protest"})
    submission = request.context.submission
    assert submission is not None
    assert submission.used_at == datetime(2021, 6, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("action",), "probe.destroy", "action: 'probe.destroy' is not one of"),
        (("principal", "roles"), ["agent", "king"], r"principal\.roles\[1\]: 'king'"),
        (("principal", "training_completed"), "yes", "expected true or false"),
        (("context", "probe", "colour"), "red", r"context\.probe: unknown field\(s\) colour"),
        (("context", "submission", "used_at"), "2021-06-01T08:00:00", "with a zone"),
        (("context", "submission", "requested_candidates"), True, "expected an integer"),
        (("resource",), "p1", "resource: expected an object"),
    ],
)
def test_bad_values_are_named(path: tuple[str, ...], value: Any, message: str) -> None:
    data = base()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ValidationFailed, match=message):
        request_from_dict(data)


def test_a_missing_required_field_is_named() -> None:
    data = base()
    del data["principal"]["user_id"]
    with pytest.raises(ValidationFailed, match="user_id"):
        request_from_dict(data)
