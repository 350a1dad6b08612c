"""The ledger unavailable: a store that cannot take a write stops every act, says why, and
recovers by itself.

Each fault is produced in the database itself, on the connections the running gateway takes
from its pool (a `checkout` listener of the test, standing in for the operator's world):

- disk full: SQLite's page limit (`PRAGMA max_page_count`) at the database's current size,
  which fails a growing write with SQLITE_FULL exactly as a full disk does;
- read-only: SQLite's `PRAGMA query_only` (SQLITE_READONLY, as a read-only file gives; the
  suite may run as root, whom file modes do not stop), PostgreSQL's
  `default_transaction_read_only` (SQLSTATE 25006, as a read-only replica gives);
- lock timeout: another connection holds the write lock (SQLite `BEGIN IMMEDIATE`, with a short
  busy timeout) or the ledger head's row (PostgreSQL `FOR UPDATE`, with a short lock_timeout:
  55P03, or a short statement_timeout: 57014).

For each: a submission and a probe intake answer 503 naming the cause in plain words, with
Retry-After, never a 500 or a trace; the sandbox FRS receives nothing; no probe, submission or
ledger row is left behind; /readyz answers 503. Then the fault is cleared and the same request
succeeds on the same running gateway, /readyz is ready again and the ledger verifies. A full
PostgreSQL disk cannot be produced without a file system of its own; the classification of its
SQLSTATE (53100) is checked in `tests/unit/store/test_store_faults.py`.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from harness import Gateway, Sandbox
from helpers import post_probe, submission_body
from images import astronaut_jpeg, astronaut_png
from sqlalchemy import Connection, Engine, event

from frsgate.ledger.verify import verify_ledger
from frsgate.store.unit import read_only

BACKEND = "postgresql" if os.environ.get("FRSGATE_TEST_DATABASE_URL") else "sqlite"
SHORT_TIMEOUT_MS = 300


@dataclass(frozen=True)
class Fault:
    name: str
    backend: str
    cause: str  # the words the message must hold
    # Started with the engine; returns what undoes it.
    start: Callable[[Engine, dict[str, Any]], Callable[[], None]]


def _sqlite_settings(state: dict[str, Any]) -> Callable[[Any, Any, Any], None]:
    """A checkout listener applying the fault's pragmas (or their normal values) each time."""

    def on_checkout(dbapi: Any, _record: Any, _proxy: Any) -> None:
        cur = dbapi.cursor()
        if state.get("full"):
            # Never below the current size: SQLite answers with the current page count.
            cur.execute("PRAGMA max_page_count = 1")
        else:
            cur.execute("PRAGMA max_page_count = 4294967294")
        cur.execute(f"PRAGMA query_only = {1 if state.get('query_only') else 0}")
        busy = SHORT_TIMEOUT_MS if state.get("short_busy") else 30000
        cur.execute(f"PRAGMA busy_timeout = {busy}")
        cur.close()

    return on_checkout


def _postgres_settings(state: dict[str, Any]) -> Callable[[Any, Any, Any], None]:
    def on_checkout(dbapi: Any, _record: Any, _proxy: Any) -> None:
        cur = dbapi.cursor()
        cur.execute(f"SET default_transaction_read_only = {'on' if state.get('ro') else 'off'}")
        cur.execute(f"SET lock_timeout = {state.get('lock_timeout', 0)}")
        cur.execute(f"SET statement_timeout = {state.get('statement_timeout', 0)}")
        cur.close()
        dbapi.commit()

    return on_checkout


def _sqlite_full(engine: Engine, state: dict[str, Any]) -> Callable[[], None]:
    state["full"] = True
    return lambda: state.update(full=False)


def _sqlite_read_only(engine: Engine, state: dict[str, Any]) -> Callable[[], None]:
    state["query_only"] = True
    return lambda: state.update(query_only=False)


def _sqlite_locked(engine: Engine, state: dict[str, Any]) -> Callable[[], None]:
    # Another process's writer, as far as SQLite can tell: its own connection to the file.
    assert engine.url.database is not None
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    state["short_busy"] = True

    def clear() -> None:
        holder.execute("ROLLBACK")
        holder.close()
        state["short_busy"] = False

    return clear


def _postgres_read_only(engine: Engine, state: dict[str, Any]) -> Callable[[], None]:
    state["ro"] = True
    return lambda: state.update(ro=False)


def _postgres_head_held(setting: str) -> Callable[[Engine, dict[str, Any]], Callable[[], None]]:
    def start(engine: Engine, state: dict[str, Any]) -> Callable[[], None]:
        holder: Connection = engine.connect()
        holder.exec_driver_sql("SELECT size FROM ledger_head WHERE id = 1 FOR UPDATE")
        state[setting] = SHORT_TIMEOUT_MS

        def clear() -> None:
            holder.rollback()
            holder.close()
            state[setting] = 0

        return clear

    return start


FAULTS = [
    Fault("sqlite disk full", "sqlite", "the disk is full", _sqlite_full),
    Fault("sqlite read-only", "sqlite", "the database is read-only", _sqlite_read_only),
    Fault("sqlite locked", "sqlite", "lock timeout", _sqlite_locked),
    Fault("postgresql read-only", "postgresql", "the database is read-only", _postgres_read_only),
    Fault(
        "postgresql lock_timeout", "postgresql", "lock timeout", _postgres_head_held("lock_timeout")
    ),
    Fault(
        "postgresql statement_timeout",
        "postgresql",
        "statement timeout",
        _postgres_head_held("statement_timeout"),
    ),
]


@contextmanager
def _fault_listener(engine: Engine) -> Iterator[dict[str, Any]]:
    state: dict[str, Any] = {}
    listener = (_sqlite_settings if BACKEND == "sqlite" else _postgres_settings)(state)
    event.listen(engine, "checkout", listener)
    try:
        yield state
    finally:
        event.remove(engine, "checkout", listener)


def _counts(engine: Engine) -> dict[str, int]:
    with read_only(engine) as uow:
        return {
            table: int(uow.conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
            for table in ("probes", "probe_images", "submissions", "ledger_entries")
        }


def _assert_unavailable(response: httpx.Response, cause: str) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"] == "LedgerUnavailable", body
    assert body["message"].startswith("the audit ledger cannot be written: "), body
    assert cause in body["message"], body
    assert "nothing was done" in body["message"], body
    for internal in ("Traceback", "sqlite3", "psycopg", "SELECT", "INSERT"):
        assert internal not in response.text, body
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_no_act_while_the_ledger_cannot_be_written_and_service_resumes(
    gateway: Gateway, sandbox: Sandbox, fault: Fault
) -> None:
    if fault.backend != BACKEND:
        pytest.skip(f"a fault of {fault.backend}; this run is on {BACKEND}")
    engine = gateway.runtime.engine
    seen = sandbox.app.state.sandbox.seen
    with gateway.client("alice") as alice, gateway.anonymous() as anonymous:
        probe = post_probe(alice, astronaut_jpeg())
        assert probe.status_code == 201, probe.text
        body = submission_body(probe.json()["id"])
        key = {"Idempotency-Key": f"ledger-fault-{fault.name}"}
        assert anonymous.get("/readyz").status_code == 200
        with _fault_listener(engine) as state:
            engine.pool.dispose()  # no connection keeps its settings from before
            before, sent_before = _counts(engine), len(seen)
            clear = fault.start(engine, state)
            try:
                refused = alice.post("/api/v1/submissions", json=body, headers=key)
                _assert_unavailable(refused, fault.cause)
                intake = post_probe(alice, astronaut_png(), media_type="image/png")
                _assert_unavailable(intake, fault.cause)
                # Nothing went to the FRS, and nothing was stored without its ledger entries.
                assert len(seen) == sent_before
                assert _counts(engine) == before
                assert anonymous.get("/readyz").status_code == 503
            finally:
                clear()
            cleared = time.monotonic()
            # The same request on the same running gateway: no restart.
            done = alice.post("/api/v1/submissions", json=body, headers=key)
            served = time.monotonic() - cleared
            assert done.status_code == 201, done.text
            ready = anonymous.get("/readyz")
            ready_after = time.monotonic() - cleared
    assert done.json()["submission"]["status"] == "completed", done.text
    assert done.headers.get("Idempotent-Replayed") is None  # acted, not replayed
    assert ready.status_code == 200, ready.text
    assert len(seen) == sent_before + 1
    assert verify_ledger(engine, gateway.runtime.ledger.signer.verifier).ok
    # Figures for docs/SECURITY.md (printed with -s).
    refused_ms = refused.elapsed.total_seconds() * 1000
    print(
        f"\n{fault.name}: 503 after {refused_ms:.0f} ms; once cleared, served "
        f"{served * 1000:.0f} ms, ready {ready_after * 1000:.0f} ms"
    )
