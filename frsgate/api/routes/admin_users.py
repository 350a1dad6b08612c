"""Administration over HTTP: user accounts, their roles and sign-in identities.

Thin: each route parses the request, calls `frsgate.services.accounts` (which decides the act
as `user.manage` through the decision point and records it) and shapes the account as JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from frsgate.api.deps import get_runtime, requires
from frsgate.api.fields import Clean, Text, Word
from frsgate.api.schemas import UserListOut, UserOut, error_responses
from frsgate.policy.facts import Action
from frsgate.services import accounts
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Manager = Annotated[Caller, requires(Action.user_manage)]
Username = Annotated[Clean, Path(max_length=64, description="A username")]
ShortText = Annotated[Clean, Field(max_length=512)]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[Clean, Field(min_length=1, max_length=64)]
    display_name: Annotated[Clean, Field(min_length=1, max_length=256)]
    roles: Annotated[list[Word], Field(max_length=16)] = []
    office: ShortText | None = None
    email: ShortText | None = None
    supervisor: ShortText | None = Field(default=None, description="The supervisor's username")
    oidc_issuer: ShortText | None = None
    oidc_subject: ShortText | None = None


class UserPatchIn(BaseModel):
    """The fields to change; a field left out stays as stored, `null` clears it."""

    model_config = ConfigDict(extra="forbid")

    display_name: Annotated[Clean, Field(min_length=1, max_length=256)] | None = None
    office: ShortText | None = None
    email: ShortText | None = None
    supervisor: ShortText | None = None
    oidc_issuer: ShortText | None = None
    oidc_subject: ShortText | None = None


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Word


class DisableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[Text, Field(min_length=1)]


class EnableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text | None = None


@router.get(
    "/users", summary="Every user account", response_model=UserListOut,
    responses=error_responses(),
)  # fmt: skip
def list_users(caller: Manager, runtime: RuntimeDep) -> dict[str, Any]:
    found = accounts.list_accounts(runtime.gate, caller)
    return {"users": [a.as_dict() for a in found]}


@router.post(
    "/users", summary="Create a user account", status_code=201, response_model=UserOut,
    responses=error_responses(404, 409, 413),
)  # fmt: skip
def create_user(body: UserIn, caller: Manager, runtime: RuntimeDep) -> dict[str, Any]:
    made = accounts.create_account(runtime.gate, caller, **body.model_dump())
    return made.as_dict()


@router.get(
    "/users/{username}", summary="One user account", response_model=UserOut,
    responses=error_responses(404),
)  # fmt: skip
def get_user(username: Username, caller: Manager, runtime: RuntimeDep) -> dict[str, Any]:
    return accounts.show_account(runtime.gate, caller, username).as_dict()


@router.patch(
    "/users/{username}",
    summary="Change a display name, office, e-mail, supervisor or OIDC identity",
    response_model=UserOut, responses=error_responses(404, 409, 413),
)  # fmt: skip
def patch_user(
    username: Username, body: UserPatchIn, caller: Manager, runtime: RuntimeDep
) -> dict[str, Any]:
    given = {name: getattr(body, name) for name in body.model_fields_set}
    update = accounts.AccountUpdate(**given)
    return accounts.update_account(runtime.gate, caller, username, update).as_dict()


@router.post(
    "/users/{username}/roles", summary="Grant a role", response_model=UserOut,
    responses=error_responses(404, 409, 413),
)  # fmt: skip
def grant_role(
    username: Username, body: RoleIn, caller: Manager, runtime: RuntimeDep
) -> dict[str, Any]:
    return accounts.grant_role(runtime.gate, caller, username, body.role).as_dict()


@router.delete(
    "/users/{username}/roles/{role}", summary="Revoke a role", response_model=UserOut,
    responses=error_responses(404, 409),
)  # fmt: skip
def revoke_role(
    username: Username,
    role: Annotated[Clean, Path(max_length=64, description="A role")],
    caller: Manager,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    return accounts.revoke_role(runtime.gate, caller, username, role).as_dict()


@router.post(
    "/users/{username}/disable", summary="Disable an account (its tokens stop working)",
    response_model=UserOut, responses=error_responses(404, 409, 413),
)  # fmt: skip
def disable_user(
    username: Username, body: DisableIn, caller: Manager, runtime: RuntimeDep
) -> dict[str, Any]:
    done = accounts.disable_account(runtime.gate, caller, username, reason=body.reason)
    return done.as_dict()


@router.post(
    "/users/{username}/enable", summary="Enable a disabled account", response_model=UserOut,
    responses=error_responses(404, 409, 413),
)  # fmt: skip
def enable_user(
    username: Username, caller: Manager, runtime: RuntimeDep, body: EnableIn | None = None
) -> dict[str, Any]:
    reason = body.reason if body is not None else None
    return accounts.enable_account(runtime.gate, caller, username, reason=reason).as_dict()
