"""`frsgate roi ...`: the report-of-investigation entry of one FRS use (memo 4.E.2).

`show` prints the entry as it stands (text by default, the text filed in the case file; JSON;
or PDF, written to `--out`), decided as `candidates.view` and recorded like the same read over
HTTP. `file` records, as `roi.file`, that the entry was entered in the case file under its
reference in the case management system; the text filed is kept and its SHA-256 bound on the
ledger. Both act as the user `--as` names (see frsgate.cli.acting); an error is one line on
stderr and exit status 2.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.domain import LEAD_ONLY_NOTICE
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.reports.roi import render_pdf, render_text
from frsgate.services import roi
from frsgate.services.reads import flag_thresholds

app = typer.Typer(help="The report-of-investigation entry of an FRS use (memo 4.E.2).",
                  no_args_is_help=True)  # fmt: skip

SubmissionArg = Annotated[str, typer.Argument(help="The submission's id.", show_default=False)]


class Format(StrEnum):
    text = "text"
    json = "json"
    pdf = "pdf"


@app.command("show")
def show(
    submission: SubmissionArg,
    as_user: AsOption,
    format: Annotated[Format, typer.Option("--format", help="text, json or pdf.")] = Format.text,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file (required for pdf).", dir_okay=False),
    ] = None,
) -> None:
    """The entry as its records stand now (a logged read)."""
    with one_line_errors():
        if format is Format.pdf and out is None:
            raise ValidationFailed("--out: a PDF is written to a file; name one")
        with acting(as_user, Action.candidates_view) as (runtime, caller):
            view = roi.roi_of(
                gate=runtime.gate, caller=caller, submission_id=submission,
                thresholds=flag_thresholds(runtime.settings),
            )  # fmt: skip
    if format is Format.pdf:
        assert out is not None
        out.write_bytes(render_pdf(view.report))
        typer.echo(f"wrote {out} ({LEAD_ONLY_NOTICE})")
        return
    if format is Format.json:
        shown = (
            json.dumps(
                {
                    "investigative_lead_only": True,
                    "notice": LEAD_ONLY_NOTICE,
                    "report": roi.report_json(view.report),
                    "filings": view.filings_json(),
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    else:
        shown = render_text(view.report)
    if out is not None:
        out.write_text(shown, encoding="utf-8", newline="\n")
        typer.echo(f"wrote {out}")
        return
    typer.echo(shown, nl=False)


@app.command("file")
def file(
    submission: SubmissionArg,
    as_user: AsOption,
    case_system_ref: Annotated[
        str,
        typer.Option(
            "--case-system-ref",
            help="The entry's reference in the case management system.",
            show_default=False,
        ),
    ],
) -> None:
    """Record that the entry was filed in the case file; the text filed is kept and its
    SHA-256 is bound on the ledger."""
    with one_line_errors(), acting(as_user, Action.roi_file) as (runtime, caller):
        filed = roi.file_roi(
            gate=runtime.gate, caller=caller, submission_id=submission,
            case_system_ref=case_system_ref, thresholds=flag_thresholds(runtime.settings),
        )  # fmt: skip
    entry = filed.entry
    typer.echo(
        f"filed {entry.id} submission={entry.submission_id} ref={entry.case_system_ref} "
        f"sha256={entry.body_sha256}"
    )
