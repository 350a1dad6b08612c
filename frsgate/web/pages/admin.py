"""The administrator's console: people — accounts, their roles, their front-line supervisor and
sign-in identity — and what the administrator's other pages share.

Each page calls the service the API's route calls (`services.accounts`, as
/api/v1/admin/users does) and declares the same action, `user.manage`; the pack decides (only
an administrator manages accounts, never their own: memo 4.E.4) and the service records every
act and read on the ledger. What the service refuses in what was typed (a username taken, an
address that is not one, a supervisor who does not exist) is shown beside the form, with
what was typed kept; a refusal by the policy is the error page, citing the memo.

The other pages of the administrator are `admin_cases` (cases, programs and task forces),
`admin_certifications` (the PALMS import) and `admin_providers` (FRS providers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Form, Path
from starlette.responses import RedirectResponse, Response

from frsgate.api.errors import status_for
from frsgate.api.fields import Clean
from frsgate.domain import Role
from frsgate.domain.errors import DomainError
from frsgate.errors import Conflict, FrsGateError, NotFound, ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services import accounts, certifications
from frsgate.services.accounts import Account, AccountUpdate
from frsgate.services.errors import ApprovalRequired, AuthenticationFailed, PolicyDenied
from frsgate.web.context import Console, page
from frsgate.web.render import NavItem
from frsgate.web.routing import console_router

router = console_router()
USERS = "/console/admin/users"
NAV = (NavItem(Role.admin, "People", USERS),)

UserManager = Annotated[Console, page(Action.user_manage)]
# The account page also shows the account's PALMS certifications (memo 4.A.3).
AccountReader = Annotated[Console, page(Action.user_manage, Action.certification_record)]
Username = Annotated[Clean, Path(max_length=64, description="A username")]
Short = Annotated[Clean, Form(max_length=512)]
Reason = Annotated[Clean, Form(max_length=4000)]

_DONE = {
    "created": "The account {name} was created.",
    "updated": "The account {name} was changed.",
    "granted": "The role was granted to {name}.",
    "revoked": "The role was taken from {name}.",
    "deactivated": "The account {name} was deactivated: it can no longer sign in or act.",
    "reactivated": "The account {name} is active again.",
}


# --- what the administrator's pages share ------------------------------------------------------


def input_refused(exc: BaseException) -> bool:
    """Whether the service refused what was typed (shown beside the form, kept) rather than
    the act itself: a policy refusal, or an act waiting for approval, is the error page with
    its citations."""
    if isinstance(exc, PolicyDenied | ApprovalRequired | AuthenticationFailed):
        return False
    return isinstance(exc, ValidationFailed | NotFound | Conflict | DomainError)


def message_of(exc: FrsGateError | DomainError) -> str:
    """The service's message, as the form shows it: in its words, naming the field."""
    return exc.message


def names_in(text: str) -> list[str]:
    """The usernames or codes typed in one field, separated by commas, spaces or lines, in the
    order typed."""
    return [part for part in re.split(r"[\s,]+", text) if part]


def flash_of(done: str | None, messages: Mapping[str, str], **names: str) -> str | None:
    """The notice of a finished act (`?done=` after a redirect): fixed words naming the record
    the page shows, never text taken from the address."""
    template = messages.get(done or "")
    return template.format(**names) if template else None


def see(path: str) -> RedirectResponse:
    """After a post, the page that shows its outcome (Post/Redirect/Get)."""
    return RedirectResponse(path, status_code=303)


def done_or_refused(
    act: Callable[[], object],
    done: str,
    form: str,
    page: Callable[[dict[str, str], int], Response],
) -> Response:
    """A form of a record's page: `act` calls the service, then the page at `done` shows the
    outcome (Post/Redirect/Get). What the service refused in what was typed is `page` again,
    the record's page with the service's message beside the form named `form` and the status
    the API answers; a refusal of the act itself is the error page, citing the memo."""
    try:
        act()
    except (FrsGateError, DomainError) as exc:
        if not input_refused(exc):
            raise
        return page({form: message_of(exc)}, status_for(exc))
    return see(done)


def bounded_int(field: str, text: str, low: int, high: int) -> int:
    """A whole number typed in a form, in [low, high]; the same bounds the API's schema sets."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValidationFailed(f"{field}: enter a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise ValidationFailed(f"{field}: enter a whole number from {low} to {high}")
    return value


def yes_no(field: str, text: str, question: str) -> bool:
    """A statement a form asks for with Yes / No and never defaults (memo 1, 3; 4.C.4)."""
    if text == "yes":
        return True
    if text == "no":
        return False
    raise ValidationFailed(f"{field}: answer {question}")


ROLE_HINTS = {
    Role.agent: "submits probes and reviews candidate lists (memo 4.B-4.D)",
    Role.supervisor: "approves and reviews the use of their cases (memo 4.B.2, 4.C.3, 4.E.4)",
    Role.examiner: "records facial examinations (memo 4.D.1)",
    Role.osdm: "reviews FRS providers (memo 4.C.1-4.C.3)",
    Role.igp: "privacy office: policy packs and program assessments (memo 4.A.1, fn. 2)",
    Role.opr: "auditor: reads everything, verifies the ledger (memo 4.E.5)",
    Role.admin: "manages accounts, cases, programs and providers",
    Role.metrics: "a monitoring system's account: service metrics only",
}


# --- people --------------------------------------------------------------------------------------


def _blank() -> dict[str, Any]:
    return {
        "username": "", "display_name": "", "office": "", "email": "", "roles": [],
        "supervisor": "", "oidc_issuer": "", "oidc_subject": "",
    }  # fmt: skip


def _typed(account: Account) -> dict[str, Any]:
    """An account's fields as its edit form shows them."""
    u = account.user
    return {
        "username": u.username, "display_name": u.display_name, "office": u.office or "",
        "email": u.email or "", "roles": sorted(r.value for r in u.roles),
        "supervisor": account.supervisor or "", "oidc_issuer": u.oidc_issuer or "",
        "oidc_subject": u.oidc_subject or "",
    }  # fmt: skip


def _supervisors(found: list[Account]) -> list[str]:
    """Suggestions for the supervisor field: the active supervisors (any username is taken)."""
    return [a.user.username for a in found if Role.supervisor in a.user.roles and a.user.is_active]


def _new_form(console: Console, typed: dict[str, Any], *, error: str = "",
              status: int = 200) -> Response:  # fmt: skip
    found = accounts.list_accounts(console.gate, console.caller)
    return console.render(
        "admin/user_new.html", title="Add a person", typed=typed, error=error,
        roles=list(Role), hints=ROLE_HINTS, supervisors=_supervisors(found),
        status_code=status,
    )  # fmt: skip


@router.get("/admin/users")
def list_people(console: UserManager) -> Response:
    found = accounts.list_accounts(console.gate, console.caller)
    return console.render("admin/users.html", title="People", accounts=found)


@router.get("/admin/users/new")
def new_person(console: UserManager) -> Response:
    return _new_form(console, _blank())


@router.post("/admin/users")
def add_person(
    console: UserManager,
    username: Annotated[Clean, Form(max_length=64)] = "",
    display_name: Annotated[Clean, Form(max_length=256)] = "",
    office: Short = "",
    email: Short = "",
    roles: Annotated[list[Clean], Form(max_length=16)] = [],  # noqa: B006 - FastAPI copies it
    supervisor: Short = "",
    oidc_issuer: Short = "",
    oidc_subject: Short = "",
) -> Response:
    typed = {
        "username": username, "display_name": display_name, "office": office, "email": email,
        "roles": roles, "supervisor": supervisor, "oidc_issuer": oidc_issuer,
        "oidc_subject": oidc_subject,
    }  # fmt: skip
    try:
        made = accounts.create_account(
            console.gate, console.caller, username=username, display_name=display_name,
            roles=roles, office=office or None, email=email or None,
            supervisor=supervisor or None, oidc_issuer=oidc_issuer or None,
            oidc_subject=oidc_subject or None,
        )  # fmt: skip
    except (FrsGateError, DomainError) as exc:
        if not input_refused(exc):
            raise
        return _new_form(console, typed, error=message_of(exc), status=status_for(exc))
    return see(f"{USERS}/{made.user.username}?done=created")


def _account_page(
    console: Console,
    username: str,
    *,
    done: str | None = None,
    typed: dict[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    account = accounts.show_account(console.gate, console.caller, username)
    held = certifications.list_certifications(console.gate, console.caller, username=username)
    name = account.user.username
    return console.render(
        "admin/user.html", title=f"Account {name}", account=account,
        typed=typed or _typed(account), errors=dict(errors or {}), certifications=held,
        roles=list(Role), hints=ROLE_HINTS, flash=flash_of(done, _DONE, name=name),
        status_code=status,
    )  # fmt: skip


@router.get("/admin/users/{username}")
def show_person(console: AccountReader, username: Username, done: str | None = None) -> Response:
    return _account_page(console, username, done=done)


def _account_act(
    console: Console,
    username: str,
    form: str,
    done: str,
    act: Callable[[], object],
    typed: dict[str, Any] | None = None,
) -> Response:
    """A form of the account page: the page again with its notice, or with the service's
    message beside the form that was sent (and, for the profile, what was typed)."""
    return done_or_refused(
        act, f"{USERS}/{username}?done={done}", form,
        lambda errors, status: _account_page(console, username, typed=typed, errors=errors,
                                             status=status),
    )  # fmt: skip


@router.post("/admin/users/{username}")
def change_person(
    console: AccountReader,
    username: Username,
    display_name: Annotated[Clean, Form(max_length=256)] = "",
    office: Short = "",
    email: Short = "",
    supervisor: Short = "",
    oidc_issuer: Short = "",
    oidc_subject: Short = "",
) -> Response:
    # Every field of the form is sent: an empty one clears it (the display name cannot be).
    update = AccountUpdate(
        display_name=display_name, office=office or None, email=email or None,
        supervisor=supervisor or None, oidc_issuer=oidc_issuer or None,
        oidc_subject=oidc_subject or None,
    )  # fmt: skip
    typed = {
        "username": username, "display_name": display_name, "office": office, "email": email,
        "supervisor": supervisor, "oidc_issuer": oidc_issuer, "oidc_subject": oidc_subject,
        "roles": [],
    }  # fmt: skip
    return _account_act(
        console, username, "profile", "updated",
        lambda: accounts.update_account(console.gate, console.caller, username, update), typed,
    )  # fmt: skip


@router.post("/admin/users/{username}/roles")
def grant_role(
    console: AccountReader,
    username: Username,
    role: Annotated[Clean, Form(max_length=64)] = "",
) -> Response:
    return _account_act(
        console, username, "roles", "granted",
        lambda: accounts.grant_role(console.gate, console.caller, username, role),
    )  # fmt: skip


@router.post("/admin/users/{username}/roles/{role}/revoke")
def revoke_role(
    console: AccountReader,
    username: Username,
    role: Annotated[Clean, Path(max_length=64, description="A role")],
) -> Response:
    return _account_act(
        console, username, "roles", "revoked",
        lambda: accounts.revoke_role(console.gate, console.caller, username, role),
    )  # fmt: skip


@router.post("/admin/users/{username}/deactivate")
def deactivate_person(console: AccountReader, username: Username, reason: Reason = "") -> Response:
    return _account_act(
        console, username, "status", "deactivated",
        lambda: accounts.disable_account(console.gate, console.caller, username, reason=reason),
    )  # fmt: skip


@router.post("/admin/users/{username}/reactivate")
def reactivate_person(console: AccountReader, username: Username, reason: Reason = "") -> Response:
    return _account_act(
        console, username, "status", "reactivated",
        lambda: accounts.enable_account(console.gate, console.caller, username,
                                        reason=reason or None),
    )  # fmt: skip
