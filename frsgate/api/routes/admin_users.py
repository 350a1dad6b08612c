"""Administration over HTTP: users (see frsgate.services.administration)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])
