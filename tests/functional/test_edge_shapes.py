"""Shape errors are refused once, at the HTTP edge, before anything is recorded: a field the
match type does not take, one it needs and lacks, and a value beyond the connector's own
limits each get a 422 naming the field, and leave the ledger and the submissions untouched."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from harness import Gateway
from helpers import post_probe, submission_body
from images import astronaut_jpeg, astronaut_png

from frsgate.connectors.protocol import SUBJECT_REF_MAX_LENGTH
from frsgate.store.unit import read_only


def _probe(client: httpx.Client, image: bytes, media_type: str = "image/jpeg") -> str:
    response = post_probe(client, image, media_type=media_type)
    assert response.status_code == 201, response.text
    probe_id: str = response.json()["id"]
    return probe_id


def _submissions_of(gateway: Gateway, username: str) -> list[Any]:
    with read_only(gateway.runtime.engine) as uow:
        return list(uow.submissions.of_user(gateway.users[username]))


def _refused_without_a_trace(gateway: Gateway, body: dict[str, Any], field: str) -> None:
    """POST `body` as alice; expect a 422 naming `field` and nothing recorded."""
    size = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        response = alice.post("/api/v1/submissions", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "ValidationFailed"
    assert field in response.json()["message"], response.json()
    assert gateway.runtime.ledger.size() == size
    assert _submissions_of(gateway, "alice") == []


def test_one_to_many_with_a_target_ref_is_refused(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe_id = _probe(alice, astronaut_jpeg())
    body = submission_body(probe_id, match_type="one_to_many", target_ref="gallery-0001")
    _refused_without_a_trace(gateway, body, "target_ref")


def test_target_ref_beyond_the_connector_limit_is_refused(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe_id = _probe(alice, astronaut_jpeg())
    too_long = "g" * (SUBJECT_REF_MAX_LENGTH + 1)
    assert len(too_long) == 201
    body = submission_body(probe_id, match_type="one_to_one", target_ref=too_long)
    _refused_without_a_trace(gateway, body, "target_ref")


def test_one_to_one_without_a_target_ref_is_refused(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe_id = _probe(alice, astronaut_jpeg())
    _refused_without_a_trace(
        gateway, submission_body(probe_id, match_type="one_to_one"), "target_ref"
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"match_type": "two_photo"}, "second_probe_id"),
        ({"match_type": "one_to_many", "second_probe_id": "SECOND"}, "second_probe_id"),
        (
            {"match_type": "two_photo", "second_probe_id": "SECOND", "target_ref": "g-1"},
            "target_ref",
        ),
        ({"match_type": "two_photo", "second_probe_id": "FIRST"}, "second_probe_id"),
        ({"match_type": "One-To-Many"}, "match_type"),
        ({"second_probe_id": "p" * 101, "match_type": "two_photo"}, "second_probe_id"),
        ({"probe_id": "p" * 101}, "probe_id"),
        ({"unexpected": True}, "unexpected"),
    ],
    ids=[
        "two_photo without second probe",
        "second probe for one_to_many",
        "target_ref for two_photo",
        "second probe is the first",
        "match type not a slug",
        "second probe id too long",
        "probe id too long",
        "unknown field",
    ],
)
def test_other_shape_errors_are_refused(
    gateway: Gateway, overrides: dict[str, Any], field: str
) -> None:
    with gateway.client("alice") as alice:
        first = _probe(alice, astronaut_jpeg())
        second = _probe(alice, astronaut_png(), media_type="image/png")
    names = {"FIRST": first, "SECOND": second}
    body = submission_body(first)
    body.update({k: names.get(v, v) for k, v in overrides.items()})
    _refused_without_a_trace(gateway, body, field)


def test_a_well_shaped_one_to_one_still_goes_through(gateway: Gateway) -> None:
    # The limit is the connector's, inclusive: a reference of exactly that length is accepted
    # at the edge (the sandbox then simply finds no such gallery record).
    with gateway.client("alice") as alice:
        probe_id = _probe(alice, astronaut_jpeg())
        body = submission_body(
            probe_id, match_type="one_to_one", target_ref="g" * SUBJECT_REF_MAX_LENGTH
        )
        response = alice.post("/api/v1/submissions", json=body)
    assert response.status_code in (201, 202), response.text
    assert len(_submissions_of(gateway, "alice")) == 1
