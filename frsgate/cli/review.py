"""`frsgate review ...`: the review of a candidate list from the command line (memo 4.D.1,
4.D.2): dispose of a candidate, verify another reviewer's disposition, record a facial
examination, show a list's review.

Each command acts as the user `--as` names (see frsgate.cli.acting), decided by the pack
exactly like the same act over `/api/v1` and recorded on the ledger under that user. A
candidate is never a positive identification: such a claim is refused by the pack, citing memo
4.D.2, and the refusal is on the ledger. A result is one line (`--json` prints the record as
the API does); an error is one line on stderr and exit status 2.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.domain import LEAD_ONLY_NOTICE, DispositionKind, ExaminationConclusion
from frsgate.policy.facts import Action
from frsgate.services import review
from frsgate.services.reads import flag_thresholds

app = typer.Typer(
    help="The review of a candidate list: dispositions, verification, examinations.",
    no_args_is_help=True,
)

CandidateArg = Annotated[str, typer.Argument(help="The candidate's id.", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a line.")]


@app.command("dispose")
def dispose(
    candidate: CandidateArg,
    as_user: AsOption,
    kind: Annotated[
        str,
        typer.Option(
            help=f"One of {', '.join(DispositionKind)} (never a positive identification).",
            show_default=False,
        ),
    ],
    rationale: Annotated[str, typer.Option(help="Why.", show_default=False)],
    compared: Annotated[
        str | None,
        typer.Option(
            "--compared",
            help="What information from traditional means the candidate was compared with "
            "(required for possible_match_lead, memo 4.D.2).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record a disposition of a candidate; it supersedes the current one."""
    with one_line_errors(), acting(as_user, Action.disposition_record) as (runtime, caller):
        result = review.record_disposition(
            gate=runtime.gate, caller=caller, candidate_id=candidate, kind=kind,
            rationale=rationale, traditional_means_compared=compared,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    d = result.disposition
    typer.echo(
        f"recorded {d.id} candidate={d.candidate_id} kind={d.kind.value} "
        f"supersedes={d.supersedes_id or '-'} list_reviewed={'yes' if result.reviewed else 'no'}"
    )


@app.command("verify")
def verify(
    disposition: Annotated[str, typer.Argument(help="The disposition's id.", show_default=False)],
    as_user: AsOption,
    note: Annotated[str, typer.Option(help="What you checked.", show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """Verify another reviewer's disposition (a second reviewer, memo 4.D.2)."""
    with one_line_errors(), acting(as_user, Action.disposition_verify) as (runtime, caller):
        result = review.verify_disposition(
            gate=runtime.gate, caller=caller, disposition_id=disposition, note=note
        )
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    d = result.disposition
    typer.echo(
        f"verified {d.id} candidate={d.candidate_id} kind={d.kind.value} "
        f"list_reviewed={'yes' if result.reviewed else 'no'}"
    )


@app.command("examine")
def examine(
    candidate: CandidateArg,
    as_user: AsOption,
    method: Annotated[str, typer.Option(help="How the faces were compared.", show_default=False)],
    conclusion: Annotated[
        str,
        typer.Option(help=f"One of {', '.join(ExaminationConclusion)}.", show_default=False),
    ],
    limitations: Annotated[
        str, typer.Option(help="What limits the comparison.", show_default=False)
    ],
    notes: Annotated[str | None, typer.Option(help="Anything else.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record a biometric facial examination (examiners only, memo 4.D.1)."""
    with one_line_errors(), acting(as_user, Action.examination_record) as (runtime, caller):
        result = review.record_examination(
            gate=runtime.gate, caller=caller, candidate_id=candidate, method=method,
            conclusion=conclusion, limitations=limitations, notes=notes,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    e = result.examination
    typer.echo(f"recorded {e.id} candidate={e.candidate_id} conclusion={e.conclusion.value}")


@app.command("show")
def show(
    submission: Annotated[str, typer.Argument(help="The submission's id.", show_default=False)],
    as_user: AsOption,
    as_json: JsonOption = False,
) -> None:
    """The review of a submission's candidate list: one line per candidate (a logged read)."""
    with one_line_errors(), acting(as_user, Action.candidates_view) as (runtime, caller):
        view = review.review_of(
            gate=runtime.gate, caller=caller, submission_id=submission,
            thresholds=flag_thresholds(runtime.settings),
        )  # fmt: skip
    body = view.as_dict()
    if as_json:
        typer.echo(json.dumps(body, indent=2))
        return
    typer.echo(f"# {LEAD_ONLY_NOTICE}")
    typer.echo(
        f"candidate list {body['candidate_list']['id']} status={body['candidate_list']['status']} "
        f"reviewed={'yes' if body['reviewed'] else 'no'}"
    )
    for c in body["candidates"]:
        d = c["disposition"]
        shown = "-"
        if d is not None:
            shown = f"{d['kind']} by {d['decided_by']}" + (" (verified)" if d["verified"] else "")
        flags = ",".join(f["code"] for f in c["flags"]) or "-"
        typer.echo(
            f"{c['rank']:>3} {c['id']} score={c['score']:g} flags={flags} disposition={shown} "
            f"examinations={len(c['examinations'])}"
        )
