"""FRS providers as an administrator keeps them (memo 4.C): registration of an `http` provider
with its URL, TLS settings, sealed API key and the vendor's stated terms; changes of URL and
TLS; rotation of the key; reads of the records; a connectivity check. Each act is decided as
`provider.manage` at the decision point and recorded with who, what, and the record before and
after (the key only as its fingerprint). OSDM's review is `frsgate.services.queues`.

Where a provider may be reached: `https` always; plain `http` only to a loopback address (an
adapter on the gateway's own host) or outside production (the sandbox FRS, tests), since the
API key and the probe photos would otherwise cross the network in the clear. A URL carries no
user name or password (they would end up on the ledger), no query and no fragment.

The API key is sealed under the vault's key-encryption key (`connections.seal_api_key`); it is
never answered, logged or recorded. Over HTTP it arrives in the JSON body, on the command line
from a file or an environment variable, never as an argument.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from frsgate.config import Settings
from frsgate.connectors.errors import ConnectorError
from frsgate.domain import Provider, ProviderKind, ProviderTerms
from frsgate.domain.errors import DomainError, IllegalTransition
from frsgate.domain.providers import MatchType, ProviderReview, ProviderTls, api_key_fingerprint
from frsgate.domain.values import new_id
from frsgate.errors import Conflict, FrsGateError, ValidationFailed
from frsgate.ledger import EntryDraft, EventTag, Outcome
from frsgate.policy.facts import Action, ChangeFacts, ChangeOp
from frsgate.services.administration import admin_ask, administer, change_draft
from frsgate.services.connections import ConnectorPool, seal_api_key
from frsgate.services.gate import Ask, Caller, Gate, draft
from frsgate.store.unit import UnitOfWork, unit_of_work
from frsgate.vault import KeyEncryptionKey

COMPONENT = "services.providers"
API_KEY_MIN = 8
API_KEY_MAX = 4096
_LOOPBACK_NAMES = frozenset({"localhost"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


# --- checking what is asked --------------------------------------------------------------


def valid_match_types(names: list[str] | frozenset[str], *, field: str = "match_types") -> None:
    """A vendor's match types must be among the memo's uses (memo 2), listed when not."""
    known = [m.value for m in MatchType]
    bad = sorted(set(names) - set(known))
    if bad:
        raise ValidationFailed(
            f"{field}: {', '.join(repr(b) for b in bad)} is not a match type; "
            f"valid: {', '.join(known)}"
        )
    if not names:
        raise ValidationFailed(f"{field}: name at least one of {', '.join(known)}")


def check_base_url(url: str, settings: Settings) -> str:
    """The provider's base URL, refused (naming `base_url` and the problem) unless it is
    https, or plain http to a loopback host or outside production."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ValidationFailed(f"base_url: not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationFailed("base_url: must be an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed("base_url: must not carry a user name or password (use the API key)")
    if parts.query or parts.fragment:
        raise ValidationFailed("base_url: must not have a query or a fragment")
    if parts.scheme == "http" and not settings.is_development and not _loopback(host):
        raise ValidationFailed(
            "base_url: plain http is allowed only to a loopback host in production; use https"
        )
    return url.rstrip("/")


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of a URL (the port as given, or the scheme's default)."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def check_name(name: str) -> str:
    """The name submissions use to choose the FRS: 1-64 letters, digits, '.', '_' or '-'."""
    if not _NAME.fullmatch(name):
        raise ValidationFailed(
            "name: must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def _loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_tls(tls: ProviderTls) -> ProviderTls:
    """Each file the TLS settings name must exist and be readable by this process."""
    for field, path in (
        ("tls.ca_bundle", tls.ca_bundle),
        ("tls.client_cert", tls.client_cert),
        ("tls.client_key", tls.client_key),
    ):
        if path is None:
            continue
        if not os.path.isabs(path):
            raise ValidationFailed(f"{field}: {path!r} must be an absolute path")
        if not os.path.isfile(path):
            raise ValidationFailed(f"{field}: {path!r} does not exist or is not a file")
        if not os.access(path, os.R_OK):
            raise ValidationFailed(f"{field}: {path!r} is not readable by FRS Gate")
    return tls


def check_api_key(api_key: SecretStr) -> SecretStr:
    """A key goes into an HTTP header: printable ASCII, no spaces, of a sensible length. The
    message never quotes it."""
    value = api_key.get_secret_value()
    if not API_KEY_MIN <= len(value) <= API_KEY_MAX:
        raise ValidationFailed(
            f"api_key: must be {API_KEY_MIN} to {API_KEY_MAX} characters (it has {len(value)})"
        )
    if not all("!" <= ch <= "~" for ch in value):
        raise ValidationFailed("api_key: must be printable ASCII without spaces")
    return api_key


@contextmanager
def domain_checked() -> Iterator[None]:
    """A domain value built inside: its refusal becomes a 422 naming the field."""
    try:
        yield
    except IllegalTransition as exc:  # the record's state does not allow it: a conflict
        raise Conflict(exc.message) from None
    except DomainError as exc:
        raise ValidationFailed(exc.message) from None


def stated_terms(
    *,
    match_types: list[str],
    candidate_cap: int,
    law_enforcement_use: bool,
    edited_probes_allowed: bool,
    terms_ref: str,
    field: str = "terms",
) -> ProviderTerms:
    """A provider's terms as a vendor or OSDM states them (memo 4.C.4), checked field by
    field."""
    valid_match_types(match_types, field=f"{field}.match_types")
    with domain_checked():
        return ProviderTerms(
            match_types=frozenset(match_types), candidate_cap=candidate_cap,
            law_enforcement_use=law_enforcement_use, edited_probes_allowed=edited_probes_allowed,
            reference=terms_ref,
        )  # fmt: skip


# --- what the ledger and the answers show --------------------------------------------------


def record_of(provider: Provider) -> dict[str, Any]:
    """The provider's record as the ledger shows it before and after a change: no secret, the
    API key as its fingerprint."""
    return {
        "name": provider.name,
        "kind": provider.kind.value,
        "base_url": provider.base_url,
        "tls": tls_of(provider.tls),
        "api_key_fingerprint": provider.api_key_fingerprint,
        "terms": terms_of(provider.terms),
        "review_status": provider.review_status.value,
    }


def tls_of(tls: ProviderTls) -> dict[str, Any]:
    return {
        "verify": tls.verify,
        "ca_bundle": tls.ca_bundle,
        "client_cert": tls.client_cert,
        # "client_key" alone would read as a credential: it is the key file's path.
        "client_key_path": tls.client_key,
    }


def terms_of(terms: ProviderTerms) -> dict[str, Any]:
    return {
        "match_types": sorted(terms.match_types),
        "candidate_cap": terms.candidate_cap,
        "law_enforcement_use": terms.law_enforcement_use,
        "edited_probes_allowed": terms.edited_probes_allowed,
        "terms_ref": terms.reference,
    }


def review_json(review: ProviderReview) -> dict[str, Any]:
    """A structured review as the ledger and the answers show it."""
    return {
        "id": review.id,
        "provider_id": review.provider_id,
        "decision": review.decision.value,
        "reviewer_id": review.reviewer_id,
        "decided_at": review.decided_at.isoformat(),
        "capabilities": review.capabilities,
        "terms": terms_of(review.terms),
        "accuracy_evidence": [
            {"source": e.source, "reference": e.reference, "summary": e.summary}
            for e in review.accuracy_evidence
        ],
        "demographic_differentials": review.demographic_differentials,
        "data_handling": review.data_handling,
        "retention": review.retention,
        "rationale": review.rationale,
    }


def provider_json(p: Provider) -> dict[str, Any]:
    """A provider as the administration answers it (HTTP and `--json`): its TLS file paths,
    its API key only as the fingerprint."""
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind.value,
        "base_url": p.base_url,
        "tls": {"verify": p.tls.verify, "ca_bundle": p.tls.ca_bundle,
                "client_cert": p.tls.client_cert, "client_key": p.tls.client_key},
        "api_key_fingerprint": p.api_key_fingerprint,
        "registered_by": p.registered_by,
        "terms": terms_of(p.terms),
        "review_status": p.review_status.value,
        "reviewed_by": p.reviewed_by,
        "reviewed_at": p.reviewed_at.isoformat() if p.reviewed_at else None,
        "review_note": p.review_note,
        "created_at": p.created_at.isoformat(),
    }  # fmt: skip


# --- the acts ----------------------------------------------------------------------------


def _ask(provider_id: str, op: ChangeOp, **details: Any) -> Ask:
    return admin_ask(
        Action.provider_manage,
        resource_id=provider_id,
        subject=f"provider:{provider_id}",
        change=ChangeFacts(op=op),
        provider=provider_id,
        details={"op": op.value, **details},
        component=COMPONENT,
    )


def _named(uow: UnitOfWork, name: str, *, lock: bool = False) -> Provider:
    provider = uow.providers.get_by_name(name)
    return uow.providers.get(provider.id, lock=True) if lock else provider


def register(
    gate: Gate,
    caller: Caller,
    *,
    kek: KeyEncryptionKey,
    settings: Settings,
    name: str,
    base_url: str,
    tls: ProviderTls,
    terms: ProviderTerms,
    api_key: SecretStr | None,
) -> Provider:
    """Register an `http` provider with the vendor's stated terms (memo 4.C.4); it stays
    unreviewed, usable only in exigency with a supervisor's approval, until OSDM reviews it."""
    url = check_base_url(base_url, settings)
    check_name(name)
    valid_match_types(terms.match_types, field="terms.match_types")
    check_tls(tls)
    if api_key is not None:
        check_api_key(api_key)
    provider_id = new_id("provider")

    def ask(uow: UnitOfWork) -> Ask:
        return _ask(provider_id, ChangeOp.create, name=name)

    def act(uow: UnitOfWork) -> tuple[Provider, list[EntryDraft]]:
        if uow.providers.find_by_name(name) is not None:
            raise Conflict(f"provider {name!r} already exists")
        now = gate.now()
        fingerprint = api_key_fingerprint(api_key.get_secret_value()) if api_key else None
        with domain_checked():
            provider = Provider(
                id=provider_id, name=name, kind=ProviderKind.http, base_url=url, tls=tls,
                terms=terms, registered_by=caller.user_id, created_at=now,
                api_key_fingerprint=fingerprint,
            )  # fmt: skip
        uow.providers.add(provider)
        if api_key is not None:
            uow.provider_secrets.put(seal_api_key(kek, provider_id, api_key, at=now,
                                                  by=caller.user_id))  # fmt: skip
        entry = change_draft(
            caller, Action.provider_manage, EventTag.PROVIDER_RECORD_CREATE,
            subject=f"provider:{provider_id}", before=None, after=record_of(provider),
            provider=provider_id, component=COMPONENT,
        )  # fmt: skip
        return provider, [entry]

    return administer(gate, caller, ask=ask, act=act)


def update(
    gate: Gate,
    caller: Caller,
    *,
    settings: Settings,
    name: str,
    base_url: str | None = None,
    tls: ProviderTls | None = None,
) -> Provider:
    """Change where and how the provider is reached; its review stands (its terms did not
    change), and the next use gets a connector for the new record. The API key belongs to the
    origin it was given for: a new scheme, host or port drops it (set it again), so nobody can
    send a stored key they cannot read to a server of their choosing and read it there."""
    url = check_base_url(base_url, settings) if base_url is not None else None
    if tls is not None:
        check_tls(tls)
    held: list[Provider] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.append(_named(uow, name, lock=True))
        return _ask(held[0].id, ChangeOp.update)

    def act(uow: UnitOfWork) -> tuple[Provider, list[EntryDraft]]:
        provider = held[0]
        before = record_of(provider)
        dropped = False
        if url is not None:
            if provider.api_key_fingerprint is not None and _origin(url) != _origin(
                provider.base_url or ""
            ):
                uow.provider_secrets.remove(provider.id)
                provider.api_key_fingerprint = None
                dropped = True
            provider.base_url = url
        if tls is not None:
            provider.tls = tls
        uow.providers.update(provider)
        entry = change_draft(
            caller, Action.provider_manage, EventTag.PROVIDER_RECORD_UPDATE,
            subject=f"provider:{provider.id}", before=before, after=record_of(provider),
            provider=provider.id, component=COMPONENT,
            details={"api_key_dropped": dropped},
        )  # fmt: skip
        return provider, [entry]

    return administer(gate, caller, ask=ask, act=act)


def set_api_key(
    gate: Gate, caller: Caller, *, kek: KeyEncryptionKey, name: str, api_key: SecretStr
) -> Provider:
    """Set or rotate the provider's API key: sealed anew, the ledger shows the fingerprints."""
    check_api_key(api_key)
    held: list[Provider] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.append(_named(uow, name, lock=True))
        return _ask(held[0].id, ChangeOp.update, changes="api_key_fingerprint")

    def act(uow: UnitOfWork) -> tuple[Provider, list[EntryDraft]]:
        provider = held[0]
        before = {"api_key_fingerprint": provider.api_key_fingerprint}
        secret = seal_api_key(kek, provider.id, api_key, at=gate.now(), by=caller.user_id)
        provider.api_key_fingerprint = secret.fingerprint
        uow.provider_secrets.put(secret)
        uow.providers.update(provider)
        entry = change_draft(
            caller, Action.provider_manage, EventTag.PROVIDER_CREDENTIAL_SET,
            subject=f"provider:{provider.id}", before=before,
            after={"api_key_fingerprint": secret.fingerprint}, provider=provider.id,
            component=COMPONENT,
        )  # fmt: skip
        return provider, [entry]

    return administer(gate, caller, ask=ask, act=act)


@dataclass(frozen=True, slots=True)
class ProviderRecord:
    """One provider as an administrator reads it, with OSDM's reviews (oldest first)."""

    provider: Provider
    reviews: list[ProviderReview]
    api_key_set: bool


def list_providers(gate: Gate, caller: Caller) -> list[Provider]:
    def ask(uow: UnitOfWork) -> Ask:
        return _ask("all", ChangeOp.view)

    def act(uow: UnitOfWork) -> tuple[list[Provider], list[EntryDraft]]:
        found = uow.providers.list_all()
        return found, [_view_draft(caller, "provider:all", None, len(found))]

    return administer(gate, caller, ask=ask, act=act)


def show(gate: Gate, caller: Caller, *, name: str) -> ProviderRecord:
    held: list[Provider] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.append(_named(uow, name))
        return _ask(held[0].id, ChangeOp.view)

    def act(uow: UnitOfWork) -> tuple[ProviderRecord, list[EntryDraft]]:
        provider = held[0]
        found = ProviderRecord(
            provider=provider,
            reviews=uow.provider_reviews.of_provider(provider.id),
            api_key_set=uow.provider_secrets.get(provider.id) is not None,
        )
        return found, [_view_draft(caller, f"provider:{provider.id}", provider.id, 1)]

    return administer(gate, caller, ask=ask, act=act)


def _view_draft(caller: Caller, subject: str, provider: str | None, count: int) -> EntryDraft:
    return draft(
        caller, EventTag.PROVIDER_RECORDS_VIEW, action=Action.provider_manage, subject=subject,
        component=COMPONENT, provider=provider, details={"count": count},
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A connectivity check: whether the provider answered its health route through the
    connector (same TLS, same key), and why not."""

    provider: Provider
    ok: bool
    reason: str
    database: str | None = None
    match_types: tuple[str, ...] = ()


def check(gate: Gate, caller: Caller, *, connectors: ConnectorPool, name: str) -> CheckResult:
    """Call the provider's health route (GET /v1/health) and record the outcome. Decided first
    (`provider.manage`, op check), then the call outside any transaction (no write lock is held
    while a provider answers), then the outcome on the ledger."""
    held: list[Provider] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.append(_named(uow, name))
        return _ask(held[0].id, ChangeOp.check)

    def allowed(uow: UnitOfWork) -> tuple[Provider, list[EntryDraft]]:
        return held[0], []

    provider = administer(gate, caller, ask=ask, act=allowed)
    try:
        health = connectors.connector(provider).health()
    except ConnectorError as exc:
        result = CheckResult(provider=provider, ok=False, reason=f"{exc.code}: {exc.message}")
    except FrsGateError as exc:  # a TLS file that cannot be loaded, a key that does not open
        result = CheckResult(provider=provider, ok=False, reason=exc.message)
    else:
        result = CheckResult(
            provider=provider,
            ok=health.ok,
            reason="the provider answered ok" if health.ok else "the provider reports not ok",
            database=health.database,
            match_types=tuple(sorted(health.match_types)),
        )
    entry = draft(
        caller, EventTag.PROVIDER_HEALTH_CHECK, action=Action.provider_manage,
        outcome=Outcome.SUCCEEDED if result.ok else Outcome.FAILED,
        subject=f"provider:{provider.id}", component=COMPONENT, provider=provider.id,
        details={"ok": result.ok, "reason": result.reason,
                 "api_key_fingerprint": provider.api_key_fingerprint},
    )  # fmt: skip
    with unit_of_work(gate.engine) as uow:
        gate.record(uow, [entry])
    return result
