"""What the administrative commands share: `--as USERNAME`, the runtime they act through, and
one-line errors.

An administrative command acts as a named user, decided by the pack like the same act over
HTTP and recorded on the ledger under that user (source "cli"). Whoever can run `frsgate` on
the server can read its keys anyway; the name says who did it, it is not a password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from frsgate.cli.database import require_installed_database
from frsgate.config import load_settings
from frsgate.errors import FrsGateError
from frsgate.policy.facts import Action
from frsgate.services.administration import operator
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime

AsOption = Annotated[
    str,
    typer.Option(
        "--as",
        envvar="FRSGATE_OPERATOR",
        help="The user this command acts as (recorded on the ledger); env FRSGATE_OPERATOR.",
        show_default=False,
    ),
]


@contextmanager
def acting(username: str, *actions: Action) -> Iterator[tuple[Runtime, Caller]]:
    """The runtime (no recovery, no background checkpoints) and the caller `username` acts
    as, bound to `actions`. Refuses before `frsgate init`, naming what to do."""
    settings = load_settings()
    require_installed_database(settings)
    with Runtime.open(settings, recover=False, periodic_checkpoints=False) as runtime:
        yield runtime, operator(runtime.gate, username, *actions)


@contextmanager
def one_line_errors() -> Iterator[None]:
    """A deliberate error is one line on stderr and exit status 2."""
    try:
        yield
    except FrsGateError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
