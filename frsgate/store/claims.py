"""Which dispatches a running process owns, so that another process's start-up recovery leaves
them alone.

A submission stored `dispatching` whose process died gets an `outcome_unknown` entry at the
next start-up (log before act). With several processes on one PostgreSQL database, a process
that starts while another is waiting for an FRS must not take that live dispatch for a dead
one: the FRS's answer would then be thrown away and a retry would send the probe again.

On PostgreSQL each process holds a session advisory lock per dispatch it owns, on one
connection of its own, taken before the submission's `dispatching` state commits and released
after its outcome commits. Recovery asks for the same lock without waiting: granted, the owner
is gone (a dead session releases its locks); refused, the dispatch is alive and is left alone.
An embedded SQLite database has one service process (its `--workers` recover once, in the
parent, before any worker starts), so there the claims are nothing.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger(__name__)


def claim_key(submission_id: str) -> int:
    """The advisory-lock key of a submission: 64 bits of the SHA-256 of its id, signed as
    PostgreSQL's bigint is."""
    return int.from_bytes(hashlib.sha256(submission_id.encode()).digest()[:8], "big", signed=True)


class DispatchClaims:
    """This process's claims on the dispatches it is carrying out (thread-safe)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._enabled = engine.dialect.name == "postgresql"
        self._guard = threading.Lock()  # one statement at a time on the claims connection
        self._raw: Any = None

    def _run(self, sql: str, key: int) -> Any:
        with self._guard:
            if self._raw is None:
                raw = self._engine.raw_connection()
                driver: Any = raw.driver_connection
                driver.autocommit = True  # a lock outlives no transaction
                self._raw = raw
            cur = self._raw.cursor()
            try:
                cur.execute(sql, (key,))
                row = cur.fetchone()
            except Exception:
                # The connection is gone (and its locks with it): a new one next time.
                self._drop()
                raise
            finally:
                cur.close()
            return row[0] if row else None

    def take(self, submission_id: str) -> None:
        """Claim a dispatch; call before its `dispatching` state commits."""
        if self._enabled:
            self._run("SELECT pg_advisory_lock(%s)", claim_key(submission_id))

    def release(self, submission_id: str) -> None:
        """Give a dispatch up; call once its outcome (or its refusal) has committed."""
        if not self._enabled:
            return
        try:
            self._run("SELECT pg_advisory_unlock(%s)", claim_key(submission_id))
        except Exception:  # the connection is gone, and the claim with it
            log.warning("could not release the claim on dispatch %s", submission_id)

    def owned_elsewhere(self, submission_id: str) -> bool:
        """Whether a live process other than this one claims the dispatch (never waits)."""
        if not self._enabled:
            return False
        key = claim_key(submission_id)
        if self._run("SELECT pg_try_advisory_lock(%s)", key):
            self._run("SELECT pg_advisory_unlock(%s)", key)
            return False
        return True

    def _drop(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            try:
                raw.invalidate()
            except Exception:  # closing a broken connection is best effort
                log.debug("claims connection already closed")

    def close(self) -> None:
        with self._guard:
            raw, self._raw = self._raw, None
        if raw is None:
            return
        try:
            cur = raw.cursor()
            cur.execute("SELECT pg_advisory_unlock_all()")  # never into the pool with a claim
            cur.close()
        finally:
            raw.close()
