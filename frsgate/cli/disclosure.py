"""`frsgate case disclose CASE`: a case's disclosure package from the command line.

Acts as the user `--as` names, decided by the pack as `export.run` exactly like
`POST /api/v1/cases/{number}/disclosure` and recorded on the ledger under that user. The package
(JSON, format frsgate-disclosure/1, or its PDF) is written to `--out`; the summary is one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.domain import ShareAuthorityKind
from frsgate.policy.facts import Action
from frsgate.reports.disclosure import render_pdf
from frsgate.services.disclosure import Recipient, disclose, flag_thresholds

app = typer.Typer(help="A case's records for discovery.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """A case's records for discovery (memo 3: shared only as authorized)."""


@app.command("disclose")
def disclose_case(
    case: Annotated[str, typer.Argument(help="The case number (or id).", show_default=False)],
    as_user: AsOption,
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the package.", show_default=False)
    ],
    fmt: Annotated[str, typer.Option("--format", help="json or pdf.")] = "json",
    recipient: Annotated[
        str | None,
        typer.Option(help="The agency receiving it, when it leaves the agency (memo 3)."),
    ] = None,
    authority_kind: Annotated[
        ShareAuthorityKind | None,
        typer.Option("--authority-kind", help="statute, regulation or agreement."),
    ] = None,
    authority: Annotated[
        str | None, typer.Option(help="The statute, regulation or agreement id.")
    ] = None,
) -> None:
    """Write CASE's disclosure package: every FR use, with ledger inclusion proofs."""
    if fmt not in ("json", "pdf"):
        typer.secho(f"error: --format {fmt!r} is not json or pdf", fg="red", err=True)
        raise typer.Exit(2)
    with one_line_errors(), acting(as_user, Action.export_run) as (runtime, caller):
        package = disclose(
            gate=runtime.gate,
            caller=caller,
            case_ref=case,
            recipient=Recipient(
                agency=recipient,
                authority_kind=authority_kind.value if authority_kind else None,
                authority=authority,
            ),
            thresholds=flag_thresholds(runtime.settings),
        )
        if fmt == "pdf":
            out.write_bytes(render_pdf(package))
        else:
            out.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", "utf-8")
    uses = package["uses"]
    cands = sum(len(u["result"]["candidates"]) for u in uses if u["result"])
    typer.echo(
        f"{out}: case {package['case']['number']}, {len(uses)} FRS uses, {cands} candidates, "
        f"{len(package['leads'])} leads, {len(package['ledger']['entries'])} ledger entries "
        f"proven against checkpoint {package['ledger']['tree_size']}"
    )
