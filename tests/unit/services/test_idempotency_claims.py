"""Client idempotency keys in the store: claim, complete, replay, release, and their scope."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from frsgate.domain import Role, User
from frsgate.errors import Conflict, ValidationFailed
from frsgate.services.idempotency import (
    Claim,
    Replay,
    claim,
    complete,
    release,
    request_digest,
)
from frsgate.store.unit import unit_of_work

AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
ROUTE = "POST /api/v1/submissions"
H1 = request_digest({"probe_id": "probe_1", "justification": "first"})
H2 = request_digest({"probe_id": "probe_1", "justification": "second"})


@pytest.fixture
def users(engine: Engine) -> tuple[str, str]:
    with unit_of_work(engine) as uow:
        for uid in ("user_a", "user_b"):
            uow.users.add(
                User(
                    id=uid,
                    username=uid,
                    display_name=uid,
                    roles=frozenset({Role.agent}),
                    created_at=AT,
                )
            )
    return "user_a", "user_b"


def _claim(engine: Engine, user: str, key: str = "k-1", sha: str = H1, route: str = ROUTE) -> Any:
    return claim(engine, user_id=user, route=route, key=key, request_sha256=sha, at=AT)


def test_a_completed_key_replays_its_answer(engine: Engine, users: tuple[str, str]) -> None:
    held = _claim(engine, users[0])
    assert isinstance(held, Claim)
    body = {"submission": {"id": "sub_1", "score": 0.125}, "b": [1, "é"], "a": None}
    complete(engine, held, 201, body, at=AT)
    again = _claim(engine, users[0])
    assert again == Replay(status_code=201, body=body)
    assert list(again.body) == ["submission", "b", "a"]  # the order the first answer had


def test_a_key_in_progress_is_a_conflict(engine: Engine, users: tuple[str, str]) -> None:
    assert isinstance(_claim(engine, users[0]), Claim)
    with pytest.raises(Conflict, match="in progress"):
        _claim(engine, users[0])


def test_a_key_with_another_request_is_a_conflict(engine: Engine, users: tuple[str, str]) -> None:
    held = _claim(engine, users[0])
    with pytest.raises(Conflict, match="different request"):
        _claim(engine, users[0], sha=H2)
    assert isinstance(held, Claim)
    complete(engine, held, 403, {"error": "PolicyDenied"}, at=AT)
    with pytest.raises(Conflict, match="different request"):
        _claim(engine, users[0], sha=H2)


def test_a_released_key_may_be_claimed_again(engine: Engine, users: tuple[str, str]) -> None:
    held = _claim(engine, users[0])
    assert isinstance(held, Claim)
    release(engine, held)
    again = _claim(engine, users[0], sha=H2)
    assert isinstance(again, Claim)
    # Only the holder completes: the released claim cannot overwrite the new one's answer.
    complete(engine, again, 201, {"ok": True}, at=AT)
    with pytest.raises(Conflict, match="no longer in progress"):
        complete(engine, held, 500, {}, at=AT)
    release(engine, held)  # releasing never deletes a completed answer
    assert _claim(engine, users[0], sha=H2) == Replay(201, {"ok": True})


def test_keys_are_scoped_per_user_and_per_route(engine: Engine, users: tuple[str, str]) -> None:
    assert isinstance(_claim(engine, users[0]), Claim)
    assert isinstance(_claim(engine, users[1]), Claim)
    assert isinstance(_claim(engine, users[0], route="POST /api/v1/probes"), Claim)


@pytest.mark.parametrize("key", ["", "x" * 129, "clé", "tab\there", "nul\x00"])
def test_a_malformed_key_is_refused(engine: Engine, users: tuple[str, str], key: str) -> None:
    with pytest.raises(ValidationFailed, match="printable ASCII"):
        _claim(engine, users[0], key=key)


def test_the_digest_ignores_key_order() -> None:
    assert request_digest({"a": 1, "b": [1, 2]}) == request_digest({"b": [1, 2], "a": 1})
    assert request_digest({"a": 1}) != request_digest({"a": 2})


def test_concurrent_claims_leave_one_holder(engine: Engine, users: tuple[str, str]) -> None:
    n = 8
    barrier = threading.Barrier(n)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            result: object = _claim(engine, users[0], key="race")
        except Conflict as exc:
            result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == n
    assert sum(isinstance(o, Claim) for o in outcomes) == 1
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(conflicts) == n - 1
    assert all("in progress" in c.message for c in conflicts)
