"""`frsgate cases ...`: administration of cases from the command line (see frsgate.cli.acting).

Each command acts as the user `--as` names, decided by the pack as `case.manage` exactly like
the same act over `/api/v1/admin/cases` and recorded on the ledger under that user: an
administrator manages any case, a supervisor only the cases they supervise. A result is one
line (`--json` for `list` and `show` prints the records as the API does); an error is one line
on stderr and exit status 2.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.domain import CaseStatus
from frsgate.policy.facts import Action
from frsgate.services import cases
from frsgate.services.casework import CaseRecord

app = typer.Typer(help="Administration: cases, their supervisors and assigned agents.",
                  no_args_is_help=True)  # fmt: skip

NumberArg = Annotated[str, typer.Argument(help="The case number.", show_default=False)]
UserArg = Annotated[str, typer.Argument(help="The user's username.", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a line.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (recorded on the ledger).")]
ViolationOption = Annotated[
    list[str] | None, typer.Option("--violation", help="A violation code (repeat for several).")
]


def _line(record: CaseRecord) -> str:
    c = record.as_dict()
    parts = [
        c["number"],
        f"status={c['status']}",
        f"hsi_authority={'yes' if c['under_hsi_authority'] else 'no'}",
        f"supervisors={','.join(c['supervisors']) or '-'}",
        f"assigned={','.join(c['assigned']) or '-'}",
        f"violations={','.join(c['violation_codes']) or '-'}",
        f"title={c['title']!r}",
    ]
    return " ".join(parts)


@app.command("list")
def list_cases(
    as_user: AsOption,
    status: Annotated[CaseStatus | None, typer.Option(help="Only cases in this state.")] = None,
    supervisor: Annotated[
        str | None, typer.Option(help="Only the cases this supervisor (username) supervises.")
    ] = None,
    mine: Annotated[
        bool, typer.Option("--mine", help="Only the cases the --as user supervises.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Cases, one line each (a supervisor lists their own: --mine)."""
    with one_line_errors(), acting(as_user, Action.case_manage) as (runtime, caller):
        found = cases.list_cases(
            gate=runtime.gate, caller=caller, status=status,
            supervisor=as_user if mine else supervisor,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps({"cases": [c.as_dict() for c in found]}, indent=2))
        return
    for record in found:
        typer.echo(_line(record))


@app.command("show")
def show(number: NumberArg, as_user: AsOption, as_json: JsonOption = False) -> None:
    """One case."""
    with one_line_errors(), acting(as_user, Action.case_manage) as (runtime, caller):
        record = cases.show_case(gate=runtime.gate, caller=caller, number=number)
    typer.echo(json.dumps(record.as_dict(), indent=2) if as_json else _line(record))


@app.command("add")
def add(
    number: NumberArg,
    as_user: AsOption,
    title: Annotated[str, typer.Option(help="What the investigation is about.")],
    authority: Annotated[
        str, typer.Option("--authority", help="The statutory authority (memo 3).")
    ],
    hsi_authority: Annotated[
        bool,
        typer.Option(
            "--hsi-authority/--not-hsi-authority",
            help="Whether the investigation is HSI's own, under its statutory authorities "
            "(memo 1, 3). Required: it is never assumed.",
            show_default=False,
        ),
    ],
    supervisor: Annotated[
        list[str],
        typer.Option(
            "--supervisor",
            help="A supervisor's username (repeat for several; the first is the lead).",
            show_default=False,
        ),
    ],
    violation: ViolationOption = None,
    agent: Annotated[
        list[str] | None, typer.Option("--agent", help="An agent or examiner (repeat).")
    ] = None,
) -> None:
    """Open a case."""
    with one_line_errors(), acting(as_user, Action.case_manage) as (runtime, caller):
        record = cases.open_case(
            gate=runtime.gate, caller=caller, number=number, title=title,
            statutory_authority=authority, violation_codes=violation or (),
            under_hsi_authority=hsi_authority, supervisors=supervisor, agents=agent or (),
        )  # fmt: skip
    typer.echo(f"opened {_line(record)}")


@app.command("update")
def update(
    number: NumberArg,
    as_user: AsOption,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    authority: Annotated[
        str | None, typer.Option("--authority", help="A new statutory authority.")
    ] = None,
    violation: Annotated[
        list[str] | None,
        typer.Option("--violation", help="The violation codes (repeat; replaces them all)."),
    ] = None,
    hsi_authority: Annotated[
        bool | None,
        typer.Option(
            "--hsi-authority/--not-hsi-authority",
            show_default=False,
            help="Restate whether the investigation is HSI's own.",
        ),
    ] = None,
    supervisor: Annotated[
        list[str] | None,
        typer.Option(
            "--supervisor",
            help="The case's supervisors (repeat; replaces them all, the first the lead).",
        ),
    ] = None,
) -> None:
    """Change a case's record or its supervisors."""
    with one_line_errors(), acting(as_user, Action.case_manage) as (runtime, caller):
        record = cases.update_case(
            gate=runtime.gate, caller=caller, number=number, title=title,
            statutory_authority=authority, violation_codes=violation,
            under_hsi_authority=hsi_authority, supervisors=supervisor or None,
        )  # fmt: skip
    typer.echo(f"updated {_line(record)}")


@app.command("add-supervisor")
def add_supervisor(number: NumberArg, username: UserArg, as_user: AsOption) -> None:
    """Add a supervisor to a case (they decide its approvals too)."""
    with one_line_errors(), acting(as_user, Action.case_manage) as (runtime, caller):
        record = cases.add_supervisor(
            gate=runtime.gate, caller=caller, number=number, username=username
        )
    typer.echo(f"added supervisor {username}: {_line(record)}")


@app.command("remove-supervisor")
def remove_supervisor(number: NumberArg, username: UserArg, as_user: AsOption) -> None:
    """Take a supervisor off a case (never its last one)."""
    with one_line_errors(), acting(as_user, Action.case_manage) as (runtime, caller):
        record = cases.remove_supervisor(
            gate=runtime.gate, caller=caller, number=number, username=username
        )
    typer.echo(f"removed supervisor {username}: {_line(record)}")


@app.command("assign")
def assign(number: NumberArg, username: UserArg, as_user: AsOption) -> None:
    """Assign an agent or examiner to a case."""
    with one_line_errors(), acting(as_user, Action.case_manage) as (runtime, caller):
        record = cases.assign(gate=runtime.gate, caller=caller, number=number, username=username)
    typer.echo(f"assigned {username}: {_line(record)}")


@app.command("unassign")
def unassign(number: NumberArg, username: UserArg, as_user: AsOption) -> None:
    """Take a user off a case."""
    with one_line_errors(), acting(as_user, Action.case_manage) as (runtime, caller):
        record = cases.unassign(gate=runtime.gate, caller=caller, number=number, username=username)
    typer.echo(f"unassigned {username}: {_line(record)}")


@app.command("close")
def close(number: NumberArg, as_user: AsOption, reason: ReasonOption) -> None:
    """Close a case: no FRS use may serve it any more (memo 4.A.1)."""
    with one_line_errors(), acting(as_user, Action.case_manage) as (runtime, caller):
        record = cases.close_case(gate=runtime.gate, caller=caller, number=number, reason=reason)
    typer.echo(f"closed {_line(record)}")


@app.command("reopen")
def reopen(number: NumberArg, as_user: AsOption, reason: ReasonOption) -> None:
    """Reopen a closed case."""
    with one_line_errors(), acting(as_user, Action.case_manage) as (runtime, caller):
        record = cases.reopen_case(gate=runtime.gate, caller=caller, number=number, reason=reason)
    typer.echo(f"reopened {_line(record)}")
