"""The demo probe `frsgate demo probe` writes is accepted as a probe of the demo case over HTTP,
so the README walk-through works with the package alone."""

from __future__ import annotations

from harness import Gateway
from helpers import post_probe

from frsgate.demo import demo_probe


def test_demo_probe_passes_intake(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        created = post_probe(alice, demo_probe())
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "active"
