"""Administration over HTTP: FRS providers (memo 4.C; see frsgate.services.providers).

Registering an `http` provider, changing its URL or TLS settings, setting its API key (sent in
the JSON body, answered never: only its fingerprint), reading the records and checking that
the provider answers. Each is decided as `provider.manage`. OSDM's review is
POST /api/v1/providers/{provider_id}/review (frsgate.api.routes.queues).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Clean, Text, Word
from frsgate.api.schemas import (
    ProviderCheckOut,
    ProviderDetailOut,
    ProviderRecordListOut,
    ProviderRecordOut,
    error_responses,
)
from frsgate.domain import Provider, ProviderTerms
from frsgate.domain.providers import ProviderReview, ProviderTls
from frsgate.policy.facts import Action
from frsgate.services import providers
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ManageDep = Annotated[Caller, requires(Action.provider_manage)]
ProviderName = Annotated[Clean, Field(min_length=1, max_length=64)]
NameParam = Annotated[Clean, Path(min_length=1, max_length=64, description="The provider's name")]
FilePath = Annotated[Clean, Field(min_length=1, max_length=1024)]
ApiKey = Annotated[SecretStr, Field(min_length=providers.API_KEY_MIN,
                                    max_length=providers.API_KEY_MAX)]  # fmt: skip


class TermsIn(BaseModel):
    """The terms and conditions of an FRS (memo 4.C.4), as stated."""

    model_config = ConfigDict(extra="forbid")

    match_types: Annotated[list[Word], Field(min_length=1, max_length=10)]
    candidate_cap: Annotated[int, Field(ge=1, le=10_000)]
    law_enforcement_use: bool
    edited_probes_allowed: bool = False
    terms_ref: Annotated[Text, Field(min_length=1)]

    def to_terms(self, field: str = "terms") -> ProviderTerms:
        return providers.stated_terms(
            match_types=self.match_types, candidate_cap=self.candidate_cap,
            law_enforcement_use=self.law_enforcement_use,
            edited_probes_allowed=self.edited_probes_allowed, terms_ref=self.terms_ref,
            field=field,
        )  # fmt: skip


class TlsIn(BaseModel):
    """TLS to the provider: verification on unless turned off; files by absolute path."""

    model_config = ConfigDict(extra="forbid")

    verify: bool = True
    ca_bundle: FilePath | None = None
    client_cert: FilePath | None = None
    client_key: FilePath | None = None

    def to_tls(self) -> ProviderTls:
        with providers.domain_checked():
            return ProviderTls(
                verify=self.verify, ca_bundle=self.ca_bundle, client_cert=self.client_cert,
                client_key=self.client_key,
            )  # fmt: skip


class ProviderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ProviderName
    base_url: Annotated[Clean, Field(min_length=1, max_length=2048)]
    tls: TlsIn = Field(default_factory=TlsIn)
    api_key: ApiKey | None = None
    terms: TermsIn


class ConnectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: Annotated[Clean, Field(min_length=1, max_length=2048)] | None = None
    tls: TlsIn | None = None

    @model_validator(mode="after")
    def _something(self) -> ConnectionIn:
        if self.base_url is None and self.tls is None:
            raise ValueError("name base_url, tls or both")
        return self


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: ApiKey


def detail_json(p: Provider, reviews: list[ProviderReview]) -> dict[str, Any]:
    return providers.provider_json(p) | {"reviews": [providers.review_json(r) for r in reviews]}


@router.get(
    "/providers",
    summary="The FRS providers",
    response_model=ProviderRecordListOut,
    responses=error_responses(),
)
def get_providers(caller: ManageDep, runtime: RuntimeDep) -> dict[str, Any]:
    found = providers.list_providers(runtime.gate, caller)
    return {"providers": [providers.provider_json(p) for p in found]}


@router.post(
    "/providers",
    summary="Register an http FRS provider (unreviewed until OSDM reviews it)",
    status_code=201,
    response_model=ProviderRecordOut,
    responses=error_responses(409, 413),
)
def post_provider(body: ProviderIn, caller: ManageDep, runtime: RuntimeDep) -> dict[str, Any]:
    provider = providers.register(
        runtime.gate, caller, kek=runtime.kek, settings=runtime.settings, name=body.name,
        base_url=body.base_url, tls=body.tls.to_tls(), terms=body.terms.to_terms(),
        api_key=body.api_key,
    )  # fmt: skip
    return providers.provider_json(provider)


@router.get(
    "/providers/{name}",
    summary="One provider, with OSDM's reviews",
    response_model=ProviderDetailOut,
    responses=error_responses(404),
)
def get_provider(name: NameParam, caller: ManageDep, runtime: RuntimeDep) -> dict[str, Any]:
    found = providers.show(runtime.gate, caller, name=name)
    return detail_json(found.provider, found.reviews)


@router.patch(
    "/providers/{name}",
    summary="Change the provider's URL or TLS settings",
    response_model=ProviderRecordOut,
    responses=error_responses(404, 413),
)
def patch_provider(
    name: NameParam, body: ConnectionIn, caller: ManageDep, runtime: RuntimeDep
) -> dict[str, Any]:
    provider = providers.update(
        runtime.gate, caller, settings=runtime.settings, name=name, base_url=body.base_url,
        tls=body.tls.to_tls() if body.tls is not None else None,
    )  # fmt: skip
    return providers.provider_json(provider)


@router.post(
    "/providers/{name}/api-key",
    summary="Set or rotate the provider's API key (answered only as its fingerprint)",
    response_model=ProviderRecordOut,
    responses=error_responses(404, 413),
)
def post_api_key(
    name: NameParam, body: ApiKeyIn, caller: ManageDep, runtime: RuntimeDep
) -> dict[str, Any]:
    provider = providers.set_api_key(
        runtime.gate, caller, kek=runtime.kek, name=name, api_key=body.api_key
    )
    return providers.provider_json(provider)


@router.post(
    "/providers/{name}/check",
    summary="Check that the provider answers its health route (same TLS, same key)",
    response_model=ProviderCheckOut,
    responses=error_responses(404, 413),
)
def post_check(name: NameParam, caller: ManageDep, runtime: RuntimeDep) -> dict[str, Any]:
    result = providers.check(runtime.gate, caller, connectors=runtime.connectors, name=name)
    return {
        "provider_id": result.provider.id,
        "name": result.provider.name,
        "ok": result.ok,
        "reason": result.reason,
        "database": result.database,
        "match_types": list(result.match_types),
    }
