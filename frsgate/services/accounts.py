"""People, roles and sign-in identities: the accounts the pack's rules rest on (memo 4.E.4).

Every act here, reads included, is decided as `user.manage` by the pack through
`administration.administer`: the resource is the managed account (a new account: its new id),
so `users.not_self` refuses an administrator changing their own account, and
`ChangeFacts.roles_after` is the account's roles as the act would leave them, so
`users.opr_not_admin` sees a grant (or a creation) that would put the auditor's and the
administrator's roles on one account. Each change is one ledger entry holding the account
before and after it; a read is recorded as `user:records:view`.

A username is stable (it is what `--as`, the ledger's readers and a sign-in by
`preferred_username` name), so it is validated once, here: 1-64 characters of lower-case
letters, digits, `.`, `_` and `-`. E-mail addresses are stored lower-case, so one address
cannot belong to two accounts by its spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from frsgate.domain import Role, User
from frsgate.domain.values import new_id
from frsgate.errors import Conflict, NotFound, ValidationFailed
from frsgate.ledger import Actor, EntryDraft, EventTag
from frsgate.policy.facts import Action, ChangeFacts, ChangeOp
from frsgate.services.administration import admin_ask, administer, change_draft
from frsgate.services.gate import Ask, Caller, Gate, draft
from frsgate.store.unit import UnitOfWork, unit_of_work

COMPONENT = "services.accounts"
USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{1,64}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
EMAIL_MAX_LENGTH = 320
DISPLAY_NAME_MAX_LENGTH = 256
OFFICE_MAX_LENGTH = 256
OIDC_ISSUER_MAX_LENGTH = 512
OIDC_SUBJECT_MAX_LENGTH = 256
# The resource a list of accounts is decided on (no one account: `users.not_self` reads
# the account only for changes, never for a read).
ALL_ACCOUNTS = "users"


class Keep:
    """The value of an update field left out: the stored value stays."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = Keep()


@dataclass(frozen=True, slots=True)
class Account:
    """An account as an administrator sees it: the user and their supervisor's username."""

    user: User
    supervisor: str | None

    def as_dict(self) -> dict[str, Any]:
        u = self.user
        return {
            "id": u.id,
            "username": u.username,
            "display_name": u.display_name,
            "office": u.office,
            "email": u.email,
            "roles": sorted(r.value for r in u.roles),
            "status": u.status.value,
            "supervisor": self.supervisor,
            "supervisor_id": u.supervisor_id,
            "oidc_issuer": u.oidc_issuer,
            "oidc_subject": u.oidc_subject,
            "created_at": u.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """The fields an update changes; `KEEP` leaves one as stored, None clears an optional
    one. The OIDC issuer and subject are set (or cleared) together."""

    display_name: str | Keep | None = KEEP  # None is refused: every account has a name
    office: str | Keep | None = KEEP
    email: str | Keep | None = KEEP
    supervisor: str | Keep | None = KEEP  # a username
    oidc_issuer: str | Keep | None = KEEP
    oidc_subject: str | Keep | None = KEEP


# --- validation (the same for the API and the command line) --------------------------------


def parse_role(value: str) -> Role:
    """The role named `value`, or a 422 listing the valid ones."""
    try:
        return Role(value)
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"role: {value!r} is not a role; valid roles: {valid}") from None


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    return frozenset(parse_role(v) for v in values)


def valid_username(value: str, field: str = "username") -> str:
    if not USERNAME_PATTERN.fullmatch(value):
        raise ValidationFailed(
            f"{field}: {value!r} is not a username; use 1-64 lower-case letters, digits, "
            "'.', '_' or '-'"
        )
    return value


def _text(field: str, value: str, limit: int) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationFailed(f"{field}: must not be empty")
    if len(cleaned) > limit:
        raise ValidationFailed(f"{field}: at most {limit} characters")
    if "\x00" in cleaned:
        raise ValidationFailed(f"{field}: must not contain a NUL character")
    return cleaned


def _optional(field: str, value: str | None, limit: int) -> str | None:
    # An empty value clears the field (the command line's `--office ""`).
    if value is None or not value.strip():
        return None
    return _text(field, value, limit)


def _email(value: str | None) -> str | None:
    email = _optional("email", value, EMAIL_MAX_LENGTH)
    if email is None:
        return None
    if not EMAIL_PATTERN.fullmatch(email):
        raise ValidationFailed(f"email: {email!r} is not an e-mail address")
    return email.lower()


def _oidc(issuer: str | None, subject: str | None) -> tuple[str | None, str | None]:
    issuer = _optional("oidc_issuer", issuer, OIDC_ISSUER_MAX_LENGTH)
    subject = _optional("oidc_subject", subject, OIDC_SUBJECT_MAX_LENGTH)
    if (issuer is None) != (subject is None):
        missing = "oidc_issuer" if issuer is None else "oidc_subject"
        raise ValidationFailed(
            f"{missing}: an OIDC identity is an issuer and a subject, given together"
        )
    return issuer, subject


# --- what the ledger records of an account ---------------------------------------------------


def record_of(user: User) -> dict[str, Any]:
    """The account's fields as a ledger entry holds them (before / after a change)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "office": user.office,
        "email": user.email,
        "roles": sorted(r.value for r in user.roles),
        "status": user.status.value,
        "supervisor_id": user.supervisor_id,
        "oidc_issuer": user.oidc_issuer,
        "oidc_subject": user.oidc_subject,
    }


def _subject(user: User) -> str:
    return f"user:{user.id}"


def _account(uow: UnitOfWork, user: User) -> Account:
    boss = uow.users.find(user.supervisor_id) if user.supervisor_id else None
    return Account(user=user, supervisor=boss.username if boss is not None else None)


def _named(uow: UnitOfWork, username: str, *, lock: bool = False) -> User:
    try:
        user = uow.users.get_by_username(username)
    except NotFound:
        raise NotFound(f"user {username!r} does not exist") from None
    return uow.users.get(user.id, lock=True) if lock else user


def _supervisor(uow: UnitOfWork, username: str | None) -> User | None:
    if username is None or not username.strip():
        return None
    try:
        return uow.users.get_by_username(username.strip())
    except NotFound:
        raise NotFound(f"supervisor: user {username.strip()!r} does not exist") from None


def _refuse_duplicates(uow: UnitOfWork, user: User) -> None:
    """409 naming what another account already holds: the username, the e-mail address or
    the OIDC identity (one person, one account: the ledger's `who` must mean one person)."""
    other = uow.users.find_by_username(user.username)
    if other is not None and other.id != user.id:
        raise Conflict(f"username {user.username!r} is taken by another account")
    if user.email is not None:
        other = uow.users.find_by_email(user.email)
        if other is not None and other.id != user.id:
            raise Conflict(f"email {user.email!r} belongs to user {other.username!r}")
    if user.oidc_issuer is not None and user.oidc_subject is not None:
        other = uow.users.find_by_oidc(user.oidc_issuer, user.oidc_subject)
        if other is not None and other.id != user.id:
            raise Conflict(
                f"OIDC identity (issuer {user.oidc_issuer!r}, subject {user.oidc_subject!r}) "
                f"belongs to user {other.username!r}"
            )


def _ask(user_id: str, op: ChangeOp, roles_after: frozenset[Role], subject: str,
         details: Mapping[str, Any] | None = None) -> Ask:  # fmt: skip
    # memo 4.E.4: the managed account is the request's owner, so `users.not_self` refuses
    # an administrator changing their own standing.
    return admin_ask(
        Action.user_manage, resource_id=user_id, subject=subject, owner_id=user_id,
        change=ChangeFacts(op=op, roles_after=roles_after), details={"op": op.value,
        **(details or {})}, component=COMPONENT,
    )  # fmt: skip


def _change(caller: Caller, event: EventTag, user: User, before: Mapping[str, Any] | None,
            details: Mapping[str, Any] | None = None) -> EntryDraft:  # fmt: skip
    return change_draft(
        caller, Action.user_manage, event, subject=_subject(user), before=before,
        after=record_of(user), details=details, component=COMPONENT,
    )  # fmt: skip


# --- reads -----------------------------------------------------------------------------------


def list_accounts(gate: Gate, caller: Caller) -> list[Account]:
    """Every account, by username (a read decided as `user.manage`, op view)."""

    def ask(uow: UnitOfWork) -> Ask:
        return _ask(ALL_ACCOUNTS, ChangeOp.view, frozenset(), f"user:{ALL_ACCOUNTS}")

    def act(uow: UnitOfWork) -> tuple[list[Account], list[EntryDraft]]:
        users = uow.users.list_all()
        by_id = {u.id: u.username for u in users}
        found = [Account(user=u, supervisor=by_id.get(u.supervisor_id or "")) for u in users]
        return found, [_viewed(caller, f"user:{ALL_ACCOUNTS}", {"count": len(found)})]

    return administer(gate, caller, ask=ask, act=act)


def show_account(gate: Gate, caller: Caller, username: str) -> Account:
    """One account, by username (a read: allowed on one's own account too)."""
    found: dict[str, User] = {}

    def ask(uow: UnitOfWork) -> Ask:
        user = found["user"] = _named(uow, username)
        return _ask(user.id, ChangeOp.view, user.roles, _subject(user))

    def act(uow: UnitOfWork) -> tuple[Account, list[EntryDraft]]:
        user = found["user"]
        return _account(uow, user), [_viewed(caller, _subject(user), {})]

    return administer(gate, caller, ask=ask, act=act)


def _viewed(caller: Caller, subject: str, details: Mapping[str, Any]) -> EntryDraft:
    return draft(
        caller, EventTag.USER_RECORDS_VIEW, subject=subject, component=COMPONENT,
        action=Action.user_manage, details=details,
    )  # fmt: skip


# --- changes ---------------------------------------------------------------------------------


def create_account(
    gate: Gate,
    caller: Caller,
    *,
    username: str,
    display_name: str,
    roles: Iterable[str] = (),
    office: str | None = None,
    email: str | None = None,
    supervisor: str | None = None,
    oidc_issuer: str | None = None,
    oidc_subject: str | None = None,
) -> Account:
    """A new account with its roles: one `user:account:create` entry and one
    `user:role:grant` entry per role, each with the account before and after."""
    roles_given = parse_roles(roles)
    issuer, subject = _oidc(oidc_issuer, oidc_subject)
    user = User(
        id=new_id("user"),
        username=valid_username(username.strip()),
        display_name=_text("display_name", display_name, DISPLAY_NAME_MAX_LENGTH),
        roles=roles_given,
        office=_optional("office", office, OFFICE_MAX_LENGTH),
        email=_email(email),
        oidc_issuer=issuer,
        oidc_subject=subject,
        created_at=gate.now(),
    )

    def ask(uow: UnitOfWork) -> Ask:
        boss = _supervisor(uow, supervisor)
        user.supervisor_id = boss.id if boss is not None else None
        return _ask(user.id, ChangeOp.create, roles_given, _subject(user),
                    {"username": user.username})  # fmt: skip

    def act(uow: UnitOfWork) -> tuple[Account, list[EntryDraft]]:
        _refuse_duplicates(uow, user)
        uow.users.add(user)
        return _account(uow, user), created_drafts(caller, user)

    return administer(gate, caller, ask=ask, act=act)


def created_drafts(who: Caller | Actor, user: User, *, source: str = "cli") -> list[EntryDraft]:
    """The entries of a new account: its creation (with its roles), then each role granted
    (so a reader following `user:role:grant` misses no role given at creation)."""
    after = record_of(user)
    without_roles = {**after, "roles": []}
    if isinstance(who, Caller):
        first = _change(who, EventTag.USER_ACCOUNT_CREATE, user, None)
    else:
        first = draft(who, EventTag.USER_ACCOUNT_CREATE, subject=_subject(user),
                      component=COMPONENT, source=source,
                      details={"before": None, "after": after})  # fmt: skip
    drafts = [first]
    held: list[str] = []
    for role in sorted(r.value for r in user.roles):
        before = {**without_roles, "roles": list(held)}
        held.append(role)
        body = {"before": before, "after": {**without_roles, "roles": list(held)}, "role": role}
        drafts.append(
            draft(
                who,
                EventTag.USER_ROLE_GRANT,
                subject=_subject(user),
                component=COMPONENT,
                action=Action.user_manage if isinstance(who, Caller) else None,
                source=None if isinstance(who, Caller) else source,
                details=body,
            )
        )
    return drafts


def update_account(gate: Gate, caller: Caller, username: str, update: AccountUpdate) -> Account:
    """Change an account's display name, office, e-mail, supervisor or OIDC identity."""
    email = update.email if isinstance(update.email, Keep) else _email(update.email)
    display = (
        update.display_name
        if isinstance(update.display_name, Keep)
        else _text("display_name", update.display_name or "", DISPLAY_NAME_MAX_LENGTH)
    )
    office = (
        update.office
        if isinstance(update.office, Keep)
        else _optional("office", update.office, OFFICE_MAX_LENGTH)
    )
    oidc: tuple[str | None, str | None] = (None, None)
    oidc_given = not (isinstance(update.oidc_issuer, Keep) and
                      isinstance(update.oidc_subject, Keep))  # fmt: skip
    if oidc_given:
        if isinstance(update.oidc_issuer, Keep) or isinstance(update.oidc_subject, Keep):
            raise ValidationFailed(
                "oidc_subject: an OIDC identity is an issuer and a subject, given together"
            )
        oidc = _oidc(update.oidc_issuer, update.oidc_subject)
    state: dict[str, Any] = {}

    def ask(uow: UnitOfWork) -> Ask:
        user = state["user"] = _named(uow, username, lock=True)
        if not isinstance(update.supervisor, Keep):
            boss = _supervisor(uow, update.supervisor)
            state["supervisor_id"] = boss.id if boss is not None else None
            if boss is not None and boss.id == user.id:
                raise ValidationFailed("supervisor: an account cannot supervise itself")
        return _ask(user.id, ChangeOp.update, user.roles, _subject(user))

    def act(uow: UnitOfWork) -> tuple[Account, list[EntryDraft]]:
        user: User = state["user"]
        before = record_of(user)
        if not isinstance(display, Keep):
            user.display_name = display
        if not isinstance(office, Keep):
            user.office = office
        if not isinstance(email, Keep):
            user.email = email
        if "supervisor_id" in state:
            user.supervisor_id = state["supervisor_id"]
        if oidc_given:
            user.oidc_issuer, user.oidc_subject = oidc
        _refuse_duplicates(uow, user)
        changed = [k for k, v in record_of(user).items() if before[k] != v]
        uow.users.update(user)
        entry = _change(caller, EventTag.USER_ACCOUNT_UPDATE, user, before, {"changed": changed})
        return _account(uow, user), [entry]

    return administer(gate, caller, ask=ask, act=act)


def grant_role(gate: Gate, caller: Caller, username: str, role: str) -> Account:
    """Add `role` to an account (409 if it holds it already)."""
    granted = parse_role(role)
    return _roles(gate, caller, username, granted, grant=True)


def revoke_role(gate: Gate, caller: Caller, username: str, role: str) -> Account:
    """Take `role` from an account (409 if it does not hold it)."""
    revoked = parse_role(role)
    return _roles(gate, caller, username, revoked, grant=False)


def _roles(gate: Gate, caller: Caller, username: str, role: Role, *, grant: bool) -> Account:
    state: dict[str, User] = {}
    op = ChangeOp.grant if grant else ChangeOp.revoke

    def ask(uow: UnitOfWork) -> Ask:
        user = state["user"] = _named(uow, username, lock=True)
        after = user.roles | {role} if grant else user.roles - {role}
        return _ask(user.id, op, after, _subject(user), {"role": role.value})

    def act(uow: UnitOfWork) -> tuple[Account, list[EntryDraft]]:
        user = state["user"]
        if grant and role in user.roles:
            raise Conflict(f"user {user.username!r} already holds the role {role.value!r}")
        if not grant and role not in user.roles:
            raise Conflict(f"user {user.username!r} does not hold the role {role.value!r}")
        before = record_of(user)
        if grant:
            user.grant(role)
        else:
            user.revoke(role)
        uow.users.update(user)
        event = EventTag.USER_ROLE_GRANT if grant else EventTag.USER_ROLE_REVOKE
        return _account(uow, user), [_change(caller, event, user, before, {"role": role.value})]

    return administer(gate, caller, ask=ask, act=act)


def disable_account(gate: Gate, caller: Caller, username: str, *, reason: str) -> Account:
    """Disable an account: from then on every act of it, and every token naming it, is
    refused (pack rule `account.active`; `Gate.caller`)."""
    why = _text("reason", reason, 4000)
    return _status(gate, caller, username, disable=True, reason=why)


def enable_account(gate: Gate, caller: Caller, username: str, *, reason: str | None = None
                   ) -> Account:  # fmt: skip
    """Enable a disabled account again."""
    why = _optional("reason", reason, 4000)
    return _status(gate, caller, username, disable=False, reason=why)


def _status(gate: Gate, caller: Caller, username: str, *, disable: bool, reason: str | None
            ) -> Account:  # fmt: skip
    state: dict[str, User] = {}
    op = ChangeOp.disable if disable else ChangeOp.enable

    def ask(uow: UnitOfWork) -> Ask:
        user = state["user"] = _named(uow, username, lock=True)
        return _ask(user.id, op, user.roles, _subject(user))

    def act(uow: UnitOfWork) -> tuple[Account, list[EntryDraft]]:
        user = state["user"]
        before = record_of(user)
        status = user.status
        if disable:
            user.disable()  # an account already disabled: IllegalTransition, a 409
        else:
            user.enable()
        uow.users.update(user, expected_status=status)
        event = EventTag.USER_ACCOUNT_DEACTIVATE if disable else EventTag.USER_ACCOUNT_ACTIVATE
        details = {"reason": reason} if reason else {}
        return _account(uow, user), [_change(caller, event, user, before, details)]

    return administer(gate, caller, ask=ask, act=act)


# --- the first administrator -------------------------------------------------------------------


def create_first_administrator(gate: Gate, *, username: str, display_name: str | None) -> User:
    """On an installation with no active administrator, create one: a system act (there is
    no user yet whom the pack could decide it for), recorded as such on the ledger. With an
    administrator present, refused: from then on, administrators grant the role."""
    name = valid_username(username.strip())
    user = User(
        id=new_id("user"),
        username=name,
        display_name=_text("display_name", display_name or name, DISPLAY_NAME_MAX_LENGTH),
        roles=frozenset({Role.admin}),
        created_at=gate.now(),
    )
    with unit_of_work(gate.engine) as uow:
        if uow.users.with_role(Role.admin, active_only=True):
            raise Conflict("an administrator already exists; use `frsgate users grant`")
        _refuse_duplicates(uow, user)
        uow.users.add(user)
        gate.record(uow, created_drafts(Actor.system(), user))
    return user
