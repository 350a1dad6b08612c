"""`frsgate leads ...`: investigative leads from the command line (memo 4.D.3).

Each command acts as the user `--as` names, decided by the pack exactly like the same act over
`/api/v1/leads` (`lead.open`, `corroboration.record`, `lead.mark_enforcement_basis`,
`lead.close`; reads as `candidates.view`) and recorded on the ledger under that user (source
"cli"). A result is one line (`--json` prints the lead as the API does); an error, a policy
refusal included, is one line on stderr and exit status 2.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services import leads
from frsgate.services.leads import LeadView, corroboration_dict

app = typer.Typer(
    help="Investigative leads: open, corroborate, mark a basis for enforcement, close, read.",
    no_args_is_help=True,
)

LeadArg = Annotated[str, typer.Argument(help="The lead's id.", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a line.")]


def _line(view: LeadView) -> str:
    lead = view.lead
    kinds = ",".join(c.kind.value for c in view.corroborations) or "-"
    return (
        f"{lead.id} case={view.case_number} status={lead.status.value} "
        f"candidate={lead.candidate_id} disposition={lead.disposition_id} "
        f"corroborations={kinds} summary={lead.summary!r}"
    )


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationFailed(f"--obtained-on: {value!r} is not a date (YYYY-MM-DD)") from None


@app.command("open")
def open_lead(
    disposition: Annotated[
        str, typer.Argument(help="The possible-lead disposition's id.", show_default=False)
    ],
    as_user: AsOption,
    summary: Annotated[str, typer.Option(help="What the lead is and what to check.")],
    as_json: JsonOption = False,
) -> None:
    """Open an investigative lead from a candidate's current possible-lead disposition."""
    with one_line_errors(), acting(as_user, Action.lead_open) as (runtime, caller):
        view = leads.open_lead(
            gate=runtime.gate, caller=caller, disposition_id=disposition, summary=summary
        )
    typer.echo(json.dumps(view.as_dict(), indent=2) if as_json else f"opened {_line(view)}")


@app.command("corroborate")
def corroborate(
    lead: LeadArg,
    as_user: AsOption,
    kind: Annotated[
        str,
        typer.Option(
            help="records_check, witness_statement, physical_evidence, other_biometric, "
            "documentary_evidence, digital_evidence, investigative_observation or other "
            "(information from the FRS itself is refused: memo 4.D.3)."
        ),
    ],
    source: Annotated[str, typer.Option(help="Where it came from, e.g. 'State DMV record'.")],
    description: Annotated[str, typer.Option(help="What it shows.")],
    obtained_by: Annotated[str, typer.Option("--obtained-by", help="Who obtained it.")],
    obtained_on: Annotated[
        str | None, typer.Option("--obtained-on", help="When it was obtained (YYYY-MM-DD).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record corroboration independent of the FRS; the lead becomes corroborated."""
    with one_line_errors():
        when = _date(obtained_on)
        with acting(as_user, Action.corroboration_record) as (runtime, caller):
            view, item = leads.record_corroboration(
                gate=runtime.gate, caller=caller, lead_id=lead, kind=kind, source=source,
                description=description, obtained_by=obtained_by, obtained_on=when,
            )  # fmt: skip
    if as_json:
        body = {"corroboration": corroboration_dict(item), "lead": view.as_dict()}
        typer.echo(json.dumps(body, indent=2))
        return
    typer.echo(f"recorded {item.id} kind={item.kind.value} on {_line(view)}")


@app.command("enforcement-basis")
def enforcement_basis(
    lead: LeadArg,
    as_user: AsOption,
    note: Annotated[str, typer.Option(help="Why the corroborated lead supports enforcement.")],
    as_json: JsonOption = False,
) -> None:
    """Mark a corroborated lead a basis for enforcement action (memo 4.D.3)."""
    with one_line_errors(), acting(as_user, Action.lead_mark_enforcement_basis) as (rt, caller):
        view = leads.mark_enforcement_basis(gate=rt.gate, caller=caller, lead_id=lead, note=note)
    typer.echo(json.dumps(view.as_dict(), indent=2) if as_json else f"marked {_line(view)}")


@app.command("close")
def close(
    lead: LeadArg,
    as_user: AsOption,
    reason: Annotated[str, typer.Option(help="Why the lead is closed.")],
    as_json: JsonOption = False,
) -> None:
    """Close a lead."""
    with one_line_errors(), acting(as_user, Action.lead_close) as (runtime, caller):
        view = leads.close_lead(gate=runtime.gate, caller=caller, lead_id=lead, reason=reason)
    typer.echo(json.dumps(view.as_dict(), indent=2) if as_json else f"closed {_line(view)}")


@app.command("show")
def show(lead: LeadArg, as_user: AsOption, as_json: JsonOption = False) -> None:
    """One lead with its corroborations (a logged read)."""
    with one_line_errors(), acting(as_user, Action.candidates_view) as (runtime, caller):
        view = leads.lead_view(gate=runtime.gate, caller=caller, lead_id=lead)
    typer.echo(json.dumps(view.as_dict(), indent=2) if as_json else _line(view))


@app.command("list")
def list_leads(
    case: Annotated[str, typer.Argument(help="The case number.", show_default=False)],
    as_user: AsOption,
    as_json: JsonOption = False,
) -> None:
    """The leads of a case, one line each (a logged read)."""
    with one_line_errors(), acting(as_user, Action.candidates_view) as (runtime, caller):
        views = leads.case_leads(gate=runtime.gate, caller=caller, case_number=case)
    if as_json:
        typer.echo(json.dumps({"case": case, "leads": [v.as_dict() for v in views]}, indent=2))
        return
    for view in views:
        typer.echo(_line(view))
