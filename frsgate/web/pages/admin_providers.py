"""The administrator's console: FRS providers (memo 4.C) — registering an `http` provider with
the vendor's stated terms (memo 4.C.4), reading its record and OSDM's reviews, setting its API
key and checking that it answers.

The pages call what /api/v1/admin/providers calls (`services.providers`) and declare the same
action, `provider.manage`. A provider registered here is unreviewed until OSDM reviews it, on
OSDM's own page (memo 4.C.1-4.C.3). The API key is typed into a password field, sealed by the
service and never shown again, nor kept in a form sent back: only its fingerprint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Form, Path
from pydantic import SecretStr
from starlette.responses import Response

from frsgate.api.errors import status_for
from frsgate.api.fields import Clean
from frsgate.domain import Role
from frsgate.domain.errors import DomainError
from frsgate.domain.providers import MatchType, ProviderTls, ReviewStatus
from frsgate.errors import FrsGateError, ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services import providers
from frsgate.services.providers import CheckResult
from frsgate.web.context import Console, page
from frsgate.web.pages.admin import (
    bounded_int,
    done_or_refused,
    flash_of,
    input_refused,
    message_of,
    see,
    yes_no,
)
from frsgate.web.render import NavItem
from frsgate.web.routing import console_router

router = console_router()
PROVIDERS = "/console/admin/providers"
NAV = (NavItem(Role.admin, "Providers", PROVIDERS),)
Manager = Annotated[Console, page(Action.provider_manage)]
Name = Annotated[Clean, Path(min_length=1, max_length=64, description="The provider's name")]
FilePath = Annotated[Clean, Form(max_length=1024)]
ApiKey = Annotated[str, Form(max_length=providers.API_KEY_MAX)]
CANDIDATE_CAP_MAX = 10_000  # the API's bound (TermsIn.candidate_cap)

# What each review status means for use, in plain words (memo 4.C.1-4.C.3).
STATUS_WORDS = {
    ReviewStatus.unreviewed: "Unreviewed: usable only in exigent circumstances, with a "
                             "supervisor's approval, until OSDM reviews it (memo 4.C.3)",
    ReviewStatus.pending: "Waiting for OSDM's review: not approved yet (memo 4.C.3)",
    ReviewStatus.approved: "Approved by OSDM (memo 4.C.2)",
    ReviewStatus.not_approved: "Not approved by OSDM: prohibited, even in exigent "
                               "circumstances (memo 4.C.3)",
    ReviewStatus.suspended: "Suspended by OSDM: no use at all until OSDM decides again",
}  # fmt: skip
_DONE = {
    "registered": "{name} was registered. It stays unreviewed until OSDM reviews it.",
    "key-set": "The API key of {name} was set; only its fingerprint is shown.",
}


def _blank() -> dict[str, Any]:
    return {
        "name": "", "base_url": "", "tls_verify": True, "ca_bundle": "", "client_cert": "",
        "client_key": "", "match_types": [], "candidate_cap": "", "law_enforcement_use": "",
        "edited_probes_allowed": False, "terms_ref": "",
    }  # fmt: skip


def _form(console: Console, typed: Mapping[str, Any], *, error: str = "",
          status: int = 200) -> Response:  # fmt: skip
    taken = [p.name for p in providers.list_providers(console.gate, console.caller)]
    return console.render(
        "admin/provider_new.html", title="Register a provider", typed=typed, error=error,
        taken=taken, match_types=[m.value for m in MatchType], status_code=status,
    )  # fmt: skip


@router.get("/admin/providers")
def list_providers(console: Manager) -> Response:
    found = providers.list_providers(console.gate, console.caller)
    return console.render("admin/providers.html", title="FRS providers", providers=found,
                          status_words=STATUS_WORDS)  # fmt: skip


@router.get("/admin/providers/new")
def new_provider(console: Manager) -> Response:
    return _form(console, _blank())


@router.post("/admin/providers")
def register_provider(
    console: Manager,
    name: Annotated[Clean, Form(max_length=64)] = "",
    base_url: Annotated[Clean, Form(max_length=2048)] = "",
    api_key: ApiKey = "",
    tls_verify: Annotated[Clean, Form(max_length=8)] = "",
    ca_bundle: FilePath = "",
    client_cert: FilePath = "",
    client_key: FilePath = "",
    match_types: Annotated[list[Clean], Form(max_length=10)] = [],  # noqa: B006 - copied
    candidate_cap: Annotated[Clean, Form(max_length=16)] = "",
    law_enforcement_use: Annotated[Clean, Form(max_length=8)] = "",
    edited_probes_allowed: Annotated[Clean, Form(max_length=8)] = "",
    terms_ref: Annotated[Clean, Form(max_length=4000)] = "",
) -> Response:
    # What was typed comes back on a refusal, the API key excepted: it is never sent back.
    typed = {
        "name": name, "base_url": base_url, "tls_verify": tls_verify == "yes",
        "ca_bundle": ca_bundle, "client_cert": client_cert, "client_key": client_key,
        "match_types": match_types, "candidate_cap": candidate_cap,
        "law_enforcement_use": law_enforcement_use,
        "edited_probes_allowed": edited_probes_allowed == "yes", "terms_ref": terms_ref,
    }  # fmt: skip
    try:
        with providers.domain_checked():
            tls = ProviderTls(verify=tls_verify == "yes", ca_bundle=ca_bundle.strip() or None,
                              client_cert=client_cert.strip() or None,
                              client_key=client_key.strip() or None)  # fmt: skip
        terms = providers.stated_terms(
            match_types=match_types,
            candidate_cap=bounded_int("terms.candidate_cap", candidate_cap, 1, CANDIDATE_CAP_MAX),
            # memo 4.C.4: what the vendor's terms say, stated, never assumed.
            law_enforcement_use=yes_no("terms.law_enforcement_use", law_enforcement_use,
                                       "whether the terms permit law-enforcement use"),
            edited_probes_allowed=edited_probes_allowed == "yes", terms_ref=terms_ref,
        )  # fmt: skip
        made = providers.register(
            console.gate, console.caller, kek=console.runtime.kek,
            settings=console.runtime.settings, name=name.strip(), base_url=base_url.strip(),
            tls=tls, terms=terms, api_key=SecretStr(api_key) if api_key else None,
        )  # fmt: skip
    except (FrsGateError, DomainError) as exc:
        if not input_refused(exc):
            raise
        return _form(console, typed, error=message_of(exc), status=status_for(exc))
    return see(f"{PROVIDERS}/{made.name}?done=registered")


def _provider_page(console: Console, name: str, *, done: str | None = None,
                   check: CheckResult | None = None, errors: Mapping[str, str] | None = None,
                   status: int = 200) -> Response:  # fmt: skip
    found = providers.show(console.gate, console.caller, name=name)
    p = found.provider
    return console.render(
        "admin/provider.html", title=f"Provider {p.name}", record=found, provider=p,
        terms=providers.terms_of(p.terms), status_words=STATUS_WORDS, check=check,
        errors=dict(errors or {}), flash=flash_of(done, _DONE, name=p.name),
        status_code=status,
    )  # fmt: skip


@router.get("/admin/providers/{name}")
def show_provider(console: Manager, name: Name, done: str | None = None) -> Response:
    return _provider_page(console, name, done=done)


@router.post("/admin/providers/{name}/api-key")
def set_api_key(console: Manager, name: Name, api_key: ApiKey = "") -> Response:
    def act() -> None:
        if not api_key:
            raise ValidationFailed("api_key: type the key the vendor issued")
        providers.set_api_key(console.gate, console.caller, kek=console.runtime.kek, name=name,
                              api_key=SecretStr(api_key))  # fmt: skip

    return done_or_refused(
        act, f"{PROVIDERS}/{name}?done=key-set", "api_key",
        lambda errors, status: _provider_page(console, name, errors=errors, status=status),
    )  # fmt: skip


@router.post("/admin/providers/{name}/check")
def check_provider(console: Manager, name: Name) -> Response:
    # The outcome is shown at once, not after a redirect: a check changes no record (it is
    # only recorded), and checking again is harmless.
    result = providers.check(console.gate, console.caller, connectors=console.runtime.connectors,
                             name=name)  # fmt: skip
    return _provider_page(console, name, check=result)
