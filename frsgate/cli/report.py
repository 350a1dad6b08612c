"""`frsgate report supervisor|opr|igp|annual`: an oversight report over a period.

Runs the same decided, recorded act as `GET /api/v1/reports/{report}` (`report.run`), as the
user `--as` names, and writes the report as JSON (default), a sectioned CSV or a PDF, to
`--output` or standard output (a PDF needs `--output`). `--verify-full` also verifies the whole
ledger against the report's checkpoint before computing it (O(n): every entry, node and
checkpoint); without it the checkpoint is checked in O(log n) reads (see
`frsgate.services.reports`). A progress bar on standard error follows the parts of the report
and the full verification. An error is one line on stderr and exit status 2.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.reports.oversight import ReportKind
from frsgate.reports.oversight.pdf import render_pdf
from frsgate.reports.oversight.render import report_csv, report_json
from frsgate.services.reports import run_report, steps


class Format(StrEnum):
    json = "json"
    csv = "csv"
    pdf = "pdf"


def report(
    kind: Annotated[
        ReportKind, typer.Argument(help="supervisor, opr, igp or annual.", show_default=False)
    ],
    as_user: AsOption,
    first: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="First day, YYYY-MM-DD (UTC); default: 7 days ago "
            "(annual: the previous calendar year).",
        ),
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (UTC); default: today.")
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="json, csv or pdf.")] = Format.json,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here (required for pdf).", dir_okay=False),
    ] = None,
    verify_full: Annotated[
        bool,
        typer.Option("--verify-full", help="Verify the whole ledger first (O(n))."),
    ] = False,
) -> None:
    """An oversight report over a period: the supervisor's (their cases, memo 4.E.4), OPR's
    audit (4.E.5), IGP's approvals and assessments (fn2), or the annual aggregate."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with one_line_errors():
        if format is Format.pdf and output is None:
            raise ValidationFailed("--output: a PDF is written to a file; name one")
        with (
            acting(as_user, Action.report_run) as (runtime, caller),
            Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            ) as bar,
        ):
            task = bar.add_task(f"{kind.value} report", total=steps(kind))
            verifying = bar.add_task("verifying ledger", total=None, visible=verify_full)

            def step(part: str) -> None:
                bar.update(task, advance=1, description=f"{kind.value} report: {part}")

            def verified(done: int, total: int) -> None:
                bar.update(verifying, completed=done, total=total)

            computed = run_report(
                gate=runtime.gate,
                caller=caller,
                kind=kind,
                first=first,
                last=last,
                full_verify=verify_full,
                step=step,
                verify_progress=verified,
                review_period_days=runtime.settings.log_review_period_days,
            )
    if format is Format.pdf:
        assert output is not None
        output.write_bytes(render_pdf(computed))
    else:
        text = (
            report_csv(computed)
            if format is Format.csv
            else json.dumps(report_json(computed), indent=2, ensure_ascii=False) + "\n"
        )
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            output.write_text(text, encoding="utf-8", newline="")
    check = computed.verification
    typer.echo(
        f"{kind.value} report {computed.period.first}..{computed.period.last}: checkpoint "
        f"{computed.checkpoint.tree_size} {computed.checkpoint.root}, ledger "
        f"{'OK' if check.ok else 'VERIFICATION FAILED'} ({check.method}), "
        f"{computed.seconds:.3f} s" + (f", wrote {output}" if output else ""),
        err=True,
    )
    if not check.ok:
        raise typer.Exit(1)
