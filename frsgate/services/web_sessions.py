"""The web console's server-side sessions: create, find, end, and the OIDC sign-in under way.

A session token is 256 random bits the browser keeps in an HttpOnly cookie; the store keeps only
its SHA-256 (`web_sessions`), so neither a database copy nor a log line can be replayed as a
signed-in browser. A session ends after FRSGATE_WEB_IDLE_MINUTES without a request and
FRSGATE_WEB_ABSOLUTE_HOURS after sign-in, whichever comes first; an ended session's row is
deleted when it is next presented, and `sweep` (run at each sign-in) deletes the rest.

Each session has its own CSRF token (the synchronizer-token pattern, OWASP CSRF Prevention
Cheat Sheet): every form of the console carries it, and a post without the session's token is
refused before any service runs. Signing in makes a new session (a new token and a new CSRF
token), so a token planted in a browser before sign-in is worth nothing after it (session
fixation). What the user may do is never kept in the session: every request finds the user in
the store again and the decision point decides (a user made inactive is refused at once).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from frsgate.store.schema.sessions import web_sessions
from frsgate.store.unit import read_only, unit_of_work

# A signed-in session's last-seen time is written at most this often: a page of the console
# makes several requests, and each need not be a write.
TOUCH_INTERVAL = timedelta(seconds=30)
# An OIDC sign-in not completed within this long must start again (state, nonce, verifier).
FLOW_LIFETIME = timedelta(minutes=10)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class WebSession:
    """A session as the console sees it. `user_id` is None while an OIDC sign-in is under way.
    The token is what the cookie holds (only at creation: it is never read back)."""

    token_sha256: str
    user_id: str | None
    via: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    flow: dict[str, Any] | None

    def __repr__(self) -> str:  # the CSRF token is a secret of the session
        return f"WebSession(user_id={self.user_id!r}, via={self.via!r})"

    def csrf_matches(self, presented: str | None) -> bool:
        if not presented:
            return False
        return hmac.compare_digest(presented.encode(), self.csrf_token.encode())


class SessionStore:
    """The sessions of the console, over the store's engine."""

    def __init__(self, engine: Engine, *, idle: timedelta, absolute: timedelta) -> None:
        self._engine = engine
        self.idle = idle
        self.absolute = absolute

    def open(self, *, user_id: str | None, via: str, now: datetime,
             flow: dict[str, Any] | None = None) -> tuple[str, WebSession]:  # fmt: skip
        """A new session; returns the token for the cookie and the session."""
        token = secrets.token_urlsafe(32)
        session = WebSession(
            token_sha256=_digest(token),
            user_id=user_id,
            via=via,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            flow=flow,
        )
        with unit_of_work(self._engine) as uow:
            uow.conn.execute(
                insert(web_sessions).values(
                    token_sha256=session.token_sha256,
                    user_id=user_id,
                    via=via,
                    csrf_token=session.csrf_token,
                    created_at=now,
                    last_seen_at=now,
                    flow=flow,
                )
            )
        return token, session

    def find(self, token: str | None, *, now: datetime) -> WebSession | None:
        """The live session the token names, or None (unknown, or ended: an ended one is
        deleted). A signed-in session's last-seen time moves on."""
        if not token or len(token) > 256:
            return None
        key = _digest(token)
        with read_only(self._engine) as uow:
            row = uow.conn.execute(
                select(web_sessions).where(web_sessions.c.token_sha256 == key)
            ).first()
        if row is None:
            return None
        session = WebSession(
            token_sha256=row.token_sha256,
            user_id=row.user_id,
            via=row.via,
            csrf_token=row.csrf_token,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            flow=row.flow,
        )
        if self._ended(session, now):
            self.end(token)
            return None
        if session.user_id is not None and now - session.last_seen_at >= TOUCH_INTERVAL:
            with unit_of_work(self._engine) as uow:
                uow.conn.execute(
                    update(web_sessions)
                    .where(web_sessions.c.token_sha256 == key)
                    .values(last_seen_at=now)
                )
        return session

    def _ended(self, session: WebSession, now: datetime) -> bool:
        if session.user_id is None:
            return now - session.created_at > FLOW_LIFETIME
        return now - session.last_seen_at > self.idle or now - session.created_at > self.absolute

    def end(self, token: str) -> None:
        """End the session the token names (sign-out); ending an unknown one does nothing."""
        with unit_of_work(self._engine) as uow:
            uow.conn.execute(
                delete(web_sessions).where(web_sessions.c.token_sha256 == _digest(token))
            )

    def sweep(self, *, now: datetime) -> int:
        """Delete every ended session; returns how many."""
        idle_before = now - self.idle
        absolute_before = now - self.absolute
        flow_before = now - FLOW_LIFETIME
        with unit_of_work(self._engine) as uow:
            result = uow.conn.execute(
                delete(web_sessions).where(
                    (web_sessions.c.last_seen_at < idle_before)
                    | (web_sessions.c.created_at < absolute_before)
                    | (web_sessions.c.user_id.is_(None) & (web_sessions.c.created_at < flow_before))
                )
            )
        return int(result.rowcount or 0)
