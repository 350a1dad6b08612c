"""`frsgate users ...`: administration of users from the command line (see frsgate.cli.acting).

Each command acts as the user `--as` names, decided by the pack as `user.manage` exactly like
the same act over `/api/v1/admin/users` and recorded on the ledger under that user. A result
is one line (`--json` for `list` and `show` prints the records as the API does); an error is
one line on stderr and exit status 2.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.policy.facts import Action
from frsgate.services import accounts
from frsgate.services.accounts import KEEP, Account, AccountUpdate, Keep

app = typer.Typer(help="Administration: users, their roles and sign-in identities.",
                  no_args_is_help=True)  # fmt: skip

UsernameArg = Annotated[str, typer.Argument(help="The account's username.", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a line.")]
CLEARS = "An empty value clears it."


def _line(account: Account) -> str:
    u = account.user
    roles = ",".join(sorted(r.value for r in u.roles)) or "-"
    parts = [
        u.username,
        f"({u.display_name})",
        f"roles={roles}",
        f"status={u.status.value}",
        f"office={u.office or '-'}",
        f"email={u.email or '-'}",
        f"supervisor={account.supervisor or '-'}",
    ]
    if u.oidc_subject:
        parts.append(f"oidc={u.oidc_issuer} {u.oidc_subject}")
    return " ".join(parts)


@app.command("list")
def list_users(as_user: AsOption, as_json: JsonOption = False) -> None:
    """Every account, one line each."""
    with one_line_errors(), acting(as_user, Action.user_manage) as (runtime, caller):
        found = accounts.list_accounts(runtime.gate, caller)
    if as_json:
        typer.echo(json.dumps({"users": [a.as_dict() for a in found]}, indent=2))
        return
    for account in found:
        typer.echo(_line(account))


@app.command("show")
def show(username: UsernameArg, as_user: AsOption, as_json: JsonOption = False) -> None:
    """One account."""
    with one_line_errors(), acting(as_user, Action.user_manage) as (runtime, caller):
        account = accounts.show_account(runtime.gate, caller, username)
    typer.echo(json.dumps(account.as_dict(), indent=2) if as_json else _line(account))


@app.command("add")
def add(
    username: UsernameArg,
    as_user: AsOption,
    display_name: Annotated[str, typer.Option("--display-name", help="The person's name.")],
    role: Annotated[
        list[str] | None, typer.Option("--role", help="A role (repeat for several).")
    ] = None,
    office: Annotated[str | None, typer.Option(help="Field office or unit.")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    supervisor: Annotated[
        str | None, typer.Option(help="The front-line supervisor's username.")
    ] = None,
    oidc_issuer: Annotated[str | None, typer.Option(help="The identity provider's issuer.")] = None,
    oidc_subject: Annotated[
        str | None, typer.Option(help="The user's subject (`sub`) at that issuer.")
    ] = None,
) -> None:
    """Create an account with its roles."""
    with one_line_errors(), acting(as_user, Action.user_manage) as (runtime, caller):
        made = accounts.create_account(
            runtime.gate, caller, username=username, display_name=display_name,
            roles=role or (), office=office, email=email, supervisor=supervisor,
            oidc_issuer=oidc_issuer, oidc_subject=oidc_subject,
        )  # fmt: skip
    typer.echo(f"created {_line(made)} id={made.user.id}")


@app.command("update")
def update(
    username: UsernameArg,
    as_user: AsOption,
    display_name: Annotated[str | None, typer.Option("--display-name")] = None,
    office: Annotated[str | None, typer.Option(help=f"Field office or unit. {CLEARS}")] = None,
    email: Annotated[str | None, typer.Option(help=f"E-mail address. {CLEARS}")] = None,
    supervisor: Annotated[
        str | None, typer.Option(help=f"The supervisor's username. {CLEARS}")
    ] = None,
    oidc_issuer: Annotated[str | None, typer.Option(help=f"With --oidc-subject. {CLEARS}")] = None,
    oidc_subject: Annotated[str | None, typer.Option(help=f"With --oidc-issuer. {CLEARS}")] = None,
) -> None:
    """Change a display name, office, e-mail, supervisor or OIDC identity."""

    def given(value: str | None) -> str | Keep | None:
        # Left out: kept; an empty string: cleared.
        if value is None:
            return KEEP
        return value or None

    change = AccountUpdate(
        display_name=KEEP if display_name is None else display_name,
        office=given(office), email=given(email), supervisor=given(supervisor),
        oidc_issuer=given(oidc_issuer), oidc_subject=given(oidc_subject),
    )  # fmt: skip
    with one_line_errors(), acting(as_user, Action.user_manage) as (runtime, caller):
        done = accounts.update_account(runtime.gate, caller, username, change)
    typer.echo(f"updated {_line(done)}")


@app.command("grant")
def grant(
    username: UsernameArg,
    role: Annotated[str, typer.Argument(help="The role to add.", show_default=False)],
    as_user: AsOption,
) -> None:
    """Add a role to an account."""
    with one_line_errors(), acting(as_user, Action.user_manage) as (runtime, caller):
        done = accounts.grant_role(runtime.gate, caller, username, role)
    typer.echo(f"granted {role} to {_line(done)}")


@app.command("revoke")
def revoke(
    username: UsernameArg,
    role: Annotated[str, typer.Argument(help="The role to take away.", show_default=False)],
    as_user: AsOption,
) -> None:
    """Take a role from an account."""
    with one_line_errors(), acting(as_user, Action.user_manage) as (runtime, caller):
        done = accounts.revoke_role(runtime.gate, caller, username, role)
    typer.echo(f"revoked {role} from {_line(done)}")


@app.command("disable")
def disable(
    username: UsernameArg,
    as_user: AsOption,
    reason: Annotated[str, typer.Option(help="Why (recorded on the ledger).")],
) -> None:
    """Disable an account: its tokens and its waiting requests stop working."""
    with one_line_errors(), acting(as_user, Action.user_manage) as (runtime, caller):
        done = accounts.disable_account(runtime.gate, caller, username, reason=reason)
    typer.echo(f"disabled {_line(done)}")


@app.command("enable")
def enable(
    username: UsernameArg,
    as_user: AsOption,
    reason: Annotated[str | None, typer.Option(help="Why (recorded on the ledger).")] = None,
) -> None:
    """Enable a disabled account."""
    with one_line_errors(), acting(as_user, Action.user_manage) as (runtime, caller):
        done = accounts.enable_account(runtime.gate, caller, username, reason=reason)
    typer.echo(f"enabled {_line(done)}")
