"""`frsgate programs ...` and `frsgate program-codes ...`: programs and task forces with their
privacy and civil rights assessment (memo 4.A.1), and the FRS program codes OSDM establishes
(memo 4.E.3), administered from the command line (see frsgate.cli.acting).

Each command acts as the user `--as` names and is decided by the pack exactly like the same
act over `/api/v1/admin/programs` and `/api/v1/admin/program-codes`: an administrator registers
and staffs programs (`program.manage`), IGP approves their assessments (`program.assess`),
OSDM establishes and closes program codes (`program_code.establish`). A result is one line
(`--json` for `list` and `show`); an error is one line on stderr and exit status 2.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.domain import ProgramKind, ProgramStatus
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services import program_codes, programs
from frsgate.services.casework import ProgramCodeRecord, ProgramRecord

app = typer.Typer(
    help="Administration: programs and task forces and their assessments (memo 4.A.1).",
    no_args_is_help=True,
)
codes_app = typer.Typer(
    help="Administration: the FRS program codes OSDM establishes (memo 4.E.3).",
    no_args_is_help=True,
)

CodeArg = Annotated[str, typer.Argument(help="The program's code.", show_default=False)]
UserArg = Annotated[str, typer.Argument(help="The user's username.", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a line.")]
DocumentOption = Annotated[
    str, typer.Option("--document", help="The assessment's reference (PIA, PCR...).")
]


def _line(record: ProgramRecord) -> str:
    p = record.as_dict()
    parts = [
        p["code"],
        f"kind={p['kind']}",
        f"status={p['status']}",
        f"assessment={p['assessment_ref']}",
        f"approved_by={p['assessment_approved_by'] or '-'}",
        f"use_without_case={'yes' if p['use_without_case'] else 'no'}",
        f"supervisor={p['supervisor'] or '-'}",
        f"members={','.join(p['members']) or '-'}",
        f"name={p['name']!r}",
    ]
    return " ".join(parts)


@app.command("list")
def list_programs(
    as_user: AsOption,
    status: Annotated[ProgramStatus | None, typer.Option(help="Only programs in this state.")] = (
        None
    ),
    as_json: JsonOption = False,
) -> None:
    """Programs and task forces, one line each."""
    with one_line_errors(), acting(as_user, Action.program_manage) as (runtime, caller):
        found = programs.list_programs(gate=runtime.gate, caller=caller, status=status)
    if as_json:
        typer.echo(json.dumps({"programs": [p.as_dict() for p in found]}, indent=2))
        return
    for record in found:
        typer.echo(_line(record))


@app.command("show")
def show(code: CodeArg, as_user: AsOption, as_json: JsonOption = False) -> None:
    """One program or task force."""
    with one_line_errors(), acting(as_user, Action.program_manage) as (runtime, caller):
        record = programs.show_program(gate=runtime.gate, caller=caller, code=code)
    typer.echo(json.dumps(record.as_dict(), indent=2) if as_json else _line(record))


@app.command("add")
def add(
    code: CodeArg,
    as_user: AsOption,
    name: Annotated[str, typer.Option(help="The program's or task force's name.")],
    assessment: Annotated[
        str, typer.Option("--document", help="Its privacy/civil rights assessment's reference.")
    ],
    kind: Annotated[ProgramKind, typer.Option(help="program or task_force.")] = (
        ProgramKind.program
    ),
    use_without_case: Annotated[
        bool,
        typer.Option(
            "--use-without-case/--cases-only",
            help="Whether the assessment covers members' FRS use without a case.",
        ),
    ] = False,
    supervisor: Annotated[
        str | None, typer.Option(help="The supervisor who decides its approvals.")
    ] = None,
    member: Annotated[
        list[str] | None, typer.Option("--member", help="A member (repeat for several).")
    ] = None,
) -> None:
    """Register a program or task force (pending until IGP approves its assessment)."""
    with one_line_errors(), acting(as_user, Action.program_manage) as (runtime, caller):
        record = programs.register_program(
            gate=runtime.gate, caller=caller, code=code, name=name, kind=kind,
            assessment_ref=assessment, use_without_case=use_without_case,
            supervisor=supervisor, members=member or (),
        )  # fmt: skip
    typer.echo(f"registered {_line(record)}")


@app.command("approve-assessment")
def approve_assessment(code: CodeArg, as_user: AsOption, document: DocumentOption) -> None:
    """IGP approves the program's assessment: --document names the one read (it must be the
    one on record)."""
    with one_line_errors(), acting(as_user, Action.program_assess) as (runtime, caller):
        record = programs.approve_assessment(
            gate=runtime.gate, caller=caller, code=code, assessment_ref=document
        )
    typer.echo(f"approved {_line(record)}")


@app.command("revise-assessment")
def revise_assessment(
    code: CodeArg,
    as_user: AsOption,
    document: DocumentOption,
    reason: Annotated[str, typer.Option("--reason", help="Why it was revised.")],
) -> None:
    """Record a revised assessment: the program waits for IGP's approval again."""
    with one_line_errors(), acting(as_user, Action.program_manage) as (runtime, caller):
        record = programs.revise_assessment(
            gate=runtime.gate, caller=caller, code=code, assessment_ref=document, reason=reason
        )
    typer.echo(f"revised {_line(record)}")


@app.command("add-member")
def add_member(code: CodeArg, username: UserArg, as_user: AsOption) -> None:
    """Add a member (an agent or examiner) to a program or task force."""
    with one_line_errors(), acting(as_user, Action.program_manage) as (runtime, caller):
        record = programs.add_member(gate=runtime.gate, caller=caller, code=code, username=username)
    typer.echo(f"added {username}: {_line(record)}")


@app.command("remove-member")
def remove_member(code: CodeArg, username: UserArg, as_user: AsOption) -> None:
    """Remove a member from a program or task force."""
    with one_line_errors(), acting(as_user, Action.program_manage) as (runtime, caller):
        record = programs.remove_member(
            gate=runtime.gate, caller=caller, code=code, username=username
        )
    typer.echo(f"removed {username}: {_line(record)}")


# --- FRS program codes -------------------------------------------------------------------


def _when(value: str | None, option: str) -> datetime | None:
    """An ISO 8601 time with its zone (`2026-12-31T00:00:00Z`); a bare date is midnight UTC."""
    if value is None:
        return None
    text = value.strip()
    if len(text) == 10:  # a date alone
        text += "T00:00:00+00:00"
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{option} {value!r}: not an ISO 8601 date or time (e.g. 2026-12-31T00:00:00Z)"
        ) from None
    if at.tzinfo is None:
        raise ValidationFailed(f"{option} {value!r}: give a time zone (e.g. ...T00:00:00Z)")
    return at


def _code_line(record: ProgramCodeRecord) -> str:
    c = record.as_dict()
    return " ".join(
        [
            c["code"],
            f"valid_now={'yes' if c['valid_now'] else 'no'}",
            f"from={c['valid_from']}",
            f"until={c['valid_until'] or '-'}",
            f"established_by={c['established_by']}",
            f"description={c['description']!r}",
        ]
    )


CodeOption = Annotated[str, typer.Argument(help="The FRS program code.", show_default=False)]


@codes_app.command("list")
def list_codes(as_user: AsOption, as_json: JsonOption = False) -> None:
    """Every FRS program code, one line each."""
    with one_line_errors(), acting(as_user, Action.program_code_establish) as (runtime, caller):
        found = program_codes.list_program_codes(gate=runtime.gate, caller=caller)
    if as_json:
        typer.echo(json.dumps({"program_codes": [c.as_dict() for c in found]}, indent=2))
        return
    for record in found:
        typer.echo(_code_line(record))


@codes_app.command("show")
def show_code(code: CodeOption, as_user: AsOption, as_json: JsonOption = False) -> None:
    """One FRS program code."""
    with one_line_errors(), acting(as_user, Action.program_code_establish) as (runtime, caller):
        record = program_codes.show_program_code(gate=runtime.gate, caller=caller, code=code)
    typer.echo(json.dumps(record.as_dict(), indent=2) if as_json else _code_line(record))


@codes_app.command("add")
def add_code(
    code: CodeOption,
    as_user: AsOption,
    description: Annotated[str, typer.Option(help="What the code is for.")],
    valid_from: Annotated[
        str | None, typer.Option(help="From when (ISO 8601 with zone; default now).")
    ] = None,
    valid_until: Annotated[
        str | None, typer.Option(help="Until when (ISO 8601 with zone; default no end).")
    ] = None,
) -> None:
    """OSDM establishes an FRS program code."""
    with one_line_errors():
        start = _when(valid_from, "--valid-from")
        end = _when(valid_until, "--valid-until")
        with acting(as_user, Action.program_code_establish) as (runtime, caller):
            record = program_codes.establish_program_code(
                gate=runtime.gate, caller=caller, code=code, description=description,
                valid_from=start, valid_until=end,
            )  # fmt: skip
    typer.echo(f"established {_code_line(record)}")


@codes_app.command("close")
def close_code(
    code: CodeOption,
    as_user: AsOption,
    at: Annotated[
        str | None, typer.Option("--at", help="When it stops being valid (default now).")
    ] = None,
) -> None:
    """Close an FRS program code (early): submissions naming it after then are refused."""
    with one_line_errors():
        end = _when(at, "--at")
        with acting(as_user, Action.program_code_establish) as (runtime, caller):
            record = program_codes.update_program_code(
                gate=runtime.gate, caller=caller, code=code,
                valid_until=end if end is not None else runtime.gate.now(),
            )  # fmt: skip
    typer.echo(f"closed {_code_line(record)}")
