"""Authentication and the declared policy action of every route.

`requires(Action.X)` is how a route declares, where it is declared, the policy action it
performs (STYLE: access is declared with the route). It authenticates the bearer token, loads
the user and their certification, and hands the route a `Caller` bound to the declared
actions: the decision point (`services.gate.Gate.enforce`) refuses to decide any other action
for it, so the action a route declares is the action decided. No route under /api/v1 is
reachable without a token: a test walks the app and checks every route declares an action and
that each decides exactly it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from frsgate.policy.facts import Action
from frsgate.services.gate import Caller, Gate
from frsgate.services.runtime import Runtime
from frsgate.services.tokens import AuthenticationFailed, TokenVerifier

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
    source = request.client.host if request.client else "unknown"
    return runtime.gate.caller_for(identity, source=source)


def requires(action: Action, *more: Action) -> Any:
    """The dependency a route declares: an authenticated `Caller` that may be decided for
    `action` (and `more`, where one route performs a choice of acts) and nothing else."""
    actions = (action, *more)

    def dependency(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
        return caller.acting_for(*actions)

    setattr(dependency, ACTION_ATTRIBUTE, actions)
    dependency.__name__ = "requires_" + "_or_".join(a.value.replace(".", "_") for a in actions)
    return Depends(dependency)


def declared_actions(call: Callable[..., Any]) -> tuple[Action, ...]:
    value = getattr(call, ACTION_ATTRIBUTE, ())
    return tuple(a for a in value if isinstance(a, Action))


def get_gate(request: Request) -> Gate:
    return get_runtime(request).gate
