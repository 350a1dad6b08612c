"""The console's pages, one module per role's work; each has a `router` and its `NAV` links."""

from __future__ import annotations

from types import ModuleType

from frsgate.web.pages import (
    admin,
    admin_cases,
    admin_certifications,
    admin_providers,
    agent,
    auth,
    examiner,
    home,
    igp,
    opr,
    osdm,
    reports,
    review,
    supervisor,
)

MODULES: tuple[ModuleType, ...] = (
    auth,
    home,
    agent,
    review,
    supervisor,
    admin,
    admin_cases,
    admin_certifications,
    admin_providers,
    examiner,
    osdm,
    igp,
    opr,
    reports,
)
