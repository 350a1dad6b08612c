"""A bad `match_type` in POST /api/v1/submissions is answered with the valid ones: a malformed
name is a 422 naming the field and the memo's match types (nothing recorded); a well-formed one
the memo or the provider's terms do not allow is the pack's cited 403, which names what the
provider's terms offer."""

from __future__ import annotations

import pytest
from harness import Gateway
from helpers import post_probe, submission_body, verify_only_provider
from images import astronaut_jpeg

from frsgate.domain import MatchType

KNOWN = [m.value for m in MatchType]


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        ("one-to-many", "did you mean one_to_many?"),
        ("ONE_TO_ONE", "did you mean one_to_one?"),
        ("two photo", "did you mean two_photo?"),
        ("", ""),
        ("x" * 300, ""),
    ],
)
def test_malformed_match_type_lists_the_valid_ones(gateway: Gateway, given: str, hint: str) -> None:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        before = gateway.runtime.ledger.size()
        answer = alice.post(
            "/api/v1/submissions", json=submission_body(probe["id"], match_type=given)
        )
    assert answer.status_code == 422, answer.text
    message = answer.json()["message"]
    assert message.startswith("match_type: ")
    for name in KNOWN:
        assert name in message
    assert hint in message
    assert "[a-z]" not in message  # the names, not the pattern
    assert len(message) < 400  # a long value is cut, not echoed whole
    assert gateway.runtime.ledger.size() == before


def test_unknown_well_formed_match_type_is_denied_naming_what_the_provider_offers(
    gateway: Gateway,
) -> None:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        before = gateway.runtime.ledger.size()
        answer = alice.post(
            "/api/v1/submissions", json=submission_body(probe["id"], match_type="one_to_few")
        )
    assert answer.status_code == 403, answer.text
    body = answer.json()
    assert "submission.match_type" in {c["rule"] for c in body["decision"]["citations"]}
    # The demo's sandbox provider offers all three.
    assert "provider 'sandbox' offers one_to_many, one_to_one, two_photo" in body["message"]
    assert gateway.runtime.ledger.size() == before + 1  # the refusal is on the ledger


def test_match_type_the_provider_does_not_offer_names_the_ones_it_does(gateway: Gateway) -> None:
    verify_only_provider(gateway)
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        answer = alice.post(
            "/api/v1/submissions", json=submission_body(probe["id"], provider="verify-only")
        )
    assert answer.status_code == 403, answer.text
    body = answer.json()
    assert [c["rule"] for c in body["decision"]["citations"]] == ["provider.terms_match_type"]
    assert body["message"].endswith("; provider 'verify-only' offers one_to_one")


def test_other_refusals_carry_no_match_type_hint(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        answer = alice.post(
            "/api/v1/submissions",
            json=submission_body(probe["id"], provider="not-approved-vendor"),
        )
    assert answer.status_code == 403, answer.text
    assert "offers" not in answer.json()["message"]
