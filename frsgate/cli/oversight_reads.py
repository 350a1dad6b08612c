"""`frsgate queue supervisor` and `frsgate case ledger CASE`: the supervisor's queue and a case's
ledger entries from the command line.

Both act as the user `--as` names, decided by the pack exactly like `GET /api/v1/queue/supervisor`
(`queue.view`) and `GET /api/v1/cases/{case}/ledger` (`ledger.read` of the case), recorded on the
ledger under that user, and print the same JSON as the routes. An error is one line on stderr
and exit status 2.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.policy.facts import Action
from frsgate.services import case_ledger, queues
from frsgate.services.json_views import supervisor_queue_json
from frsgate.services.submit import SubmissionLimits

queue_app = typer.Typer(help="Work queues (memo 4.E.4).", no_args_is_help=True)


@queue_app.callback()
def _group() -> None:
    """Work queues: what waits on a supervisor (memo 4.E.4)."""


def _print(body: dict[str, Any]) -> None:
    typer.echo(json.dumps(body, indent=2, ensure_ascii=False))


@queue_app.command("supervisor")
def supervisor(as_user: AsOption) -> None:
    """Your cases' approvals (overdue first, escalated ones marked), overdue exigent approvals
    escalated to you, rate-limit lifts with the requester's volume, unknown outcomes,
    overdue report-of-investigation entries and the log reviews the supervisors under you
    missed (a logged read)."""
    with one_line_errors(), acting(as_user, Action.queue_view) as (runtime, caller):
        limits = SubmissionLimits.from_settings(runtime.settings, runtime.policy)
        queue = queues.supervisor_queue(
            gate=runtime.gate, caller=caller, limits=limits,
            review_period_days=runtime.settings.log_review_period_days,
        )  # fmt: skip
        body = supervisor_queue_json(queue, runtime.gate)
    _print(body)


def ledger(
    case: Annotated[str, typer.Argument(help="The case number (or id).", show_default=False)],
    as_user: AsOption,
    since: Annotated[
        str | None,
        typer.Option("--from", help="A date or RFC 3339 time (included).", show_default=False),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--to", help="A date (its whole day included) or RFC 3339 time.", show_default=False
        ),
    ] = None,
    cursor: Annotated[
        int | None,
        typer.Option(help="The next_cursor of the previous page.", show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option(help="Entries per page (1-1000).")] = (
        case_ledger.DEFAULT_PAGE
    ),
) -> None:
    """One page of a case's ledger entries, each with its inclusion proof against the signed
    checkpoint printed with them (a supervisor of the case, OPR or IGP; a logged read)."""
    with one_line_errors(), acting(as_user, Action.ledger_read) as (runtime, caller):
        body = case_ledger.case_entries(
            gate=runtime.gate, caller=caller, case_ref=case, since=since, until=until,
            cursor=cursor, limit=limit,
        )  # fmt: skip
    _print(body)
