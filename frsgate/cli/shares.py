"""`frsgate shares ...` and `frsgate partner-searches ...`: the sharing register of a case
(memo 3) and the searches partner agencies ran for it (memo 4.E.1).

Each command acts as the user `--as` names (see frsgate.cli.acting), decided by the pack and
recorded on the ledger exactly like the same act over HTTP: a share without a recipient or an
authority, or a partner search that does not name the partner and its FRS, is the pack's
refusal (one line on stderr, exit status 2, its decision on the ledger). A listing is one line
a record, or `--json` as the API answers.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.domain import PartnerResult, ShareAuthorityKind
from frsgate.policy.facts import Action
from frsgate.services import sharing

app = typer.Typer(help="The sharing register of a case (memo 3).", no_args_is_help=True)
partner_app = typer.Typer(
    help="Searches partner agencies ran for a case (memo 4.E.1).", no_args_is_help=True
)

CaseArg = Annotated[str, typer.Argument(help="The case number.", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of lines.")]


def _share_line(record: sharing.ShareRecord) -> str:
    s = record.as_dict()
    what = f"lead={s['lead_id']}" if s["lead_id"] else f"submission={s['submission_id']}"
    return (
        f"{s['id']} {s['created_at']} to={s['recipient']!r} "
        f"authority={s['authority_kind']}:{s['authority']!r} {what} by={s['shared_by']}"
    )


def _search_line(record: sharing.PartnerSearchRecord) -> str:
    p = record.as_dict()
    count = "" if p["candidate_count"] is None else f" candidates={p['candidate_count']}"
    return (
        f"{p['id']} {p['searched_on']} partner={p['partner_agency']!r} "
        f"frs={p['partner_system']!r} result={p['result']}{count} by={p['recorded_by']}"
    )


@app.command("create")
def create(
    case: CaseArg,
    as_user: AsOption,
    description: Annotated[str, typer.Option(help="What was shared.", show_default=False)],
    recipient: Annotated[
        str | None, typer.Option(help="The recipient agency (memo 3).", show_default=False)
    ] = None,
    authority_kind: Annotated[
        ShareAuthorityKind | None,
        typer.Option("--authority-kind", help="statute, regulation or agreement."),
    ] = None,
    authority: Annotated[
        str | None,
        typer.Option(help="The statute section, regulation or agreement.", show_default=False),
    ] = None,
    lead: Annotated[str | None, typer.Option("--lead", help="The lead shared.")] = None,
    submission: Annotated[
        str | None, typer.Option("--submission", help="The FRS use whose results were shared.")
    ] = None,
) -> None:
    """Enter a share of FRS information in the case's register."""
    with one_line_errors(), acting(as_user, Action.share_create) as (runtime, caller):
        record = sharing.record_share(
            gate=runtime.gate, caller=caller, case_ref=case, lead_id=lead,
            submission_id=submission, recipient=recipient,
            authority_kind=authority_kind.value if authority_kind else None,
            authority=authority, description=description,
        )  # fmt: skip
    typer.echo(f"shared {_share_line(record)}")


@app.command("list")
def list_shares(case: CaseArg, as_user: AsOption, as_json: JsonOption = False) -> None:
    """The case's sharing register, oldest first (a logged read)."""
    with one_line_errors(), acting(as_user, Action.candidates_view) as (runtime, caller):
        found = sharing.case_shares(gate=runtime.gate, caller=caller, case_ref=case)
    if as_json:
        typer.echo(json.dumps({"shares": [r.as_dict() for r in found]}, indent=2))
        return
    for record in found:
        typer.echo(_share_line(record))


@partner_app.command("record")
def record(
    case: CaseArg,
    as_user: AsOption,
    searched_on: Annotated[
        datetime,
        typer.Option(
            "--searched-on", formats=["%Y-%m-%d"], help="The day (YYYY-MM-DD).", show_default=False
        ),
    ],
    result: Annotated[PartnerResult, typer.Option(help="negative, candidates or unknown.")],
    summary: Annotated[str, typer.Option(help="What was searched and found.")],
    partner: Annotated[
        str | None, typer.Option("--partner", help="The partner agency.", show_default=False)
    ] = None,
    system: Annotated[
        str | None, typer.Option("--system", help="The FRS the partner used.", show_default=False)
    ] = None,
    match_type: Annotated[str | None, typer.Option("--match-type")] = None,
    candidate_count: Annotated[int | None, typer.Option("--candidate-count", min=0)] = None,
    probe_sha256: Annotated[
        str | None, typer.Option("--probe-sha256", help="SHA-256 of the probe given.")
    ] = None,
) -> None:
    """Note a search a partner agency ran for the case."""
    statement = sharing.PartnerSearchStatement(
        partner_agency=partner, partner_system=system, searched_on=_day(searched_on),
        result=result, summary=summary, match_type=match_type,
        candidate_count=candidate_count, probe_sha256=probe_sha256,
    )  # fmt: skip
    with one_line_errors(), acting(as_user, Action.partner_search_record) as (runtime, caller):
        found = sharing.record_partner_search(
            gate=runtime.gate, caller=caller, case_ref=case, statement=statement
        )
    typer.echo(f"recorded {_search_line(found)}")


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


@partner_app.command("list")
def list_searches(case: CaseArg, as_user: AsOption, as_json: JsonOption = False) -> None:
    """The searches partner agencies ran for the case, in the order searched (a logged read)."""
    with one_line_errors(), acting(as_user, Action.case_records_view) as (runtime, caller):
        found = sharing.case_partner_searches(gate=runtime.gate, caller=caller, case_ref=case)
    if as_json:
        typer.echo(json.dumps({"partner_searches": [r.as_dict() for r in found]}, indent=2))
        return
    for item in found:
        typer.echo(_search_line(item))
