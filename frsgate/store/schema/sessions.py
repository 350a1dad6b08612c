"""The web console's server-side sessions (`web_sessions`).

A browser holds only a random session token in a cookie; the row keeps what the session means.
The token itself is never stored: the row's key is its SHA-256, so a copy of the database (a
backup, a replica) cannot be replayed as a signed-in browser. A row is either a sign-in under
way with the OIDC issuer (`user_id` empty; `flow` holds the state, nonce and PKCE verifier the
callback must match) or a signed-in session (`user_id` set). Each carries its own CSRF token,
which every form of the console posts back.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table

from frsgate.store.schema.base import metadata
from frsgate.store.schema.types import ID_LENGTH, UtcDateTime

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("user_id", String(ID_LENGTH), ForeignKey("users.id"), nullable=True),
    # How the user signed in: "local" (the embedded default's demo sign-in) or "oidc".
    Column("via", String(8), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("flow", JSON, nullable=True),
    Index("ix_web_sessions_user_id", "user_id"),
    Index("ix_web_sessions_last_seen_at", "last_seen_at"),
)
