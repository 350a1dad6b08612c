"""Authentication and the declared policy action of every route.

`requires(Action.X)` is how a route declares, where it is declared, the Cedar action it needs
(STYLE: access is declared with the route). It authenticates the bearer token, loads the user
and their certification, and hands the route a `Caller`; the service then asks the policy with
the facts of the resource and records the decision. No route under /api/v1 is reachable
without a token: a test walks the app and checks every route declares an action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from frsgate.errors import NotFound
from frsgate.policy.facts import Action
from frsgate.services import lookup
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime
from frsgate.services.tokens import AuthenticationFailed, TokenVerifier
from frsgate.store.unit import read_only

_bearer = HTTPBearer(
    auto_error=False, description="A token from the OIDC issuer (or the local one)"
)
ACTION_ATTRIBUTE = "__frsgate_action__"


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    verifier: Annotated[TokenVerifier, Depends(get_verifier)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("a bearer token is required (Authorization: Bearer ...)")
    identity = verifier.verify(credentials.credentials)
    with read_only(runtime.engine) as uow:
        try:
            user = uow.users.get(identity.user_id)
        except NotFound:
            raise AuthenticationFailed("the token names no known user") from None
        if not user.is_active:
            raise AuthenticationFailed(f"user {user.username} is disabled")
        certification = lookup.certification(uow, user.id, runtime.now())
    source = request.client.host if request.client else "unknown"
    return Caller(user=user, certification=certification, source=source)


def requires(action: Action) -> Any:
    """The dependency a route declares: an authenticated `Caller` for `action`."""

    def dependency(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
        return caller

    setattr(dependency, ACTION_ATTRIBUTE, action)
    dependency.__name__ = f"requires_{action.value.replace('.', '_')}"
    return Depends(dependency)


def declared_action(call: Callable[..., Any]) -> Action | None:
    value = getattr(call, ACTION_ATTRIBUTE, None)
    return value if isinstance(value, Action) else None
