"""`frsgate policy log-format ...`: whether the privacy office approved the shipped log format,
and submitting it for approval (memo fn2).

`show` prints the format version, the SHA-256 of its schema and the approval status
(approved, pending or not approved); `request` submits it to IGP, whose approvers decide it
like a policy-pack version. Both act as the user `--as` names, decided and recorded like the
same act over HTTP. A format not yet approved blocks nothing; the reports state it.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.policy.facts import Action
from frsgate.services import log_format

app = typer.Typer(help="IGP's approval of the log format (memo fn2).", no_args_is_help=True)


@app.command("show")
def show(
    as_user: AsOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The shipped log format and whether IGP approved it (a logged read)."""
    with one_line_errors(), acting(as_user, Action.log_format_view) as (runtime, caller):
        state = log_format.read_state(gate=runtime.gate, caller=caller)
    if as_json:
        typer.echo(json.dumps(state.as_dict(), indent=2))
        return
    typer.echo(f"version:  {state.version}")
    typer.echo(f"schema:   sha256 {state.schema_sha256}")
    typer.echo(f"status:   {state.status}")
    if state.approval is not None:
        typer.echo(f"approval: {state.approval.id} ({state.approval.status.value})")


@app.command("request")
def request(
    as_user: AsOption,
    reason: Annotated[str, typer.Option(help="Why IGP should approve it now.")],
) -> None:
    """Submit the shipped log format to IGP for approval."""
    with one_line_errors(), acting(as_user, Action.log_format_request) as (runtime, caller):
        approval = log_format.request_approval(gate=runtime.gate, caller=caller, reason=reason)
    typer.echo(f"requested {approval.id} for log format {approval.subject_id}")
