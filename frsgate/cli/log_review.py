"""`frsgate log-review ...` and `frsgate referrals ...`: the supervisor's routine review of their
cases' logs, its sign-off, referrals to OPR and OPR's outcome (memo 4.E.4, 4.E.5).

Each command acts as the user `--as` names, decided by the pack and recorded like the same act
over HTTP (see frsgate.cli.acting). A period is named by its start date (`--period`, default:
the last finished period). An error is one line on stderr and exit status 2.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.domain.log_review import ReferralOutcome
from frsgate.policy.facts import Action
from frsgate.services import log_review

app = typer.Typer(help="The supervisor's routine log review (memo 4.E.4).", no_args_is_help=True)
referrals_app = typer.Typer(
    help="Referrals to OPR and their outcome (memo 4.E.4, 4.E.5).", no_args_is_help=True
)

PeriodOption = Annotated[
    str | None,
    typer.Option("--period", help="The period's start date (default: the last finished one)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _period(runtime: Any, period: str | None) -> str:
    days = runtime.settings.log_review_period_days
    return period or log_review.current_period(runtime.gate, days).previous().name


@app.command("show")
def show(
    as_user: AsOption,
    period: PeriodOption = None,
    supervisor: Annotated[
        str | None, typer.Option(help="Another supervisor's review (OPR only).")
    ] = None,
    case: Annotated[str | None, typer.Option(help="Only this case (its number).")] = None,
    as_json: JsonOption = False,
) -> None:
    """A period's review: uses, refused attempts and reads of your cases (a logged read)."""
    with one_line_errors(), acting(as_user, Action.log_review_read) as (runtime, caller):
        review = log_review.review_of(
            gate=runtime.gate,
            caller=caller,
            period=_period(runtime, period),
            days=runtime.settings.log_review_period_days,
            supervisor=supervisor,
            case_number=case,
        )
    shown = review.as_dict()
    if as_json:
        _echo_json(shown)
        return
    p, t, cp = shown["period"], shown["totals"], shown["checkpoint"]
    typer.echo(
        f"review of {shown['supervisor']['username']} for {p['start']} "
        f"({p['starts_at']} to {p['ends_at']}){'' if review.finished else ' (running)'}"
    )
    typer.echo(f"checkpoint: tree_size={cp['tree_size']} root={cp['root']}")
    typer.echo(f"cases: {', '.join(shown['cases']) or '-'}")
    typer.echo(
        f"uses={t['use']} denials={t['denial']} reads={t['read']} "
        + " ".join(f"{k}={v}" for k, v in t["indicators"].items())
    )
    for section, n in t["denials_by_section"].items():
        typer.echo(f"  denied under {section}: {n}")
    for item in shown["items"]:
        flags = ",".join(item["indicators"]) or "-"
        typer.echo(
            f"  #{item['seq']} {item['at']} {item['kind']} {item['case']} "
            f"{item['event']} by {item['actor_id']} ({item['actor_role']}) [{flags}]"
        )
    signed = shown["signoff"]
    typer.echo(f"signed off: {signed['signed_at'] if signed else 'no'}")


@app.command("sign-off")
def sign_off(as_user: AsOption, period: PeriodOption = None) -> None:
    """Sign off a finished period's review (once)."""
    with one_line_errors(), acting(as_user, Action.log_review_sign_off) as (runtime, caller):
        signed = log_review.sign_off(
            gate=runtime.gate,
            caller=caller,
            period=_period(runtime, period),
            days=runtime.settings.log_review_period_days,
        )
    typer.echo(
        f"signed off {signed.period_start.isoformat()} {signed.id} "
        f"checkpoint={signed.checkpoint_size}:{signed.checkpoint_root}"
    )


@app.command("refer")
def refer(
    as_user: AsOption,
    reasons: Annotated[str, typer.Option(help="What was found and why it goes to OPR.")],
    period: PeriodOption = None,
    seq: Annotated[list[int] | None, typer.Option(help="A ledger entry concerned.")] = None,
    submission: Annotated[list[str] | None, typer.Option(help="A submission concerned.")] = None,
) -> None:
    """Refer findings of your review to OPR."""
    with one_line_errors(), acting(as_user, Action.log_review_refer) as (runtime, caller):
        made = log_review.refer(
            gate=runtime.gate,
            caller=caller,
            period=_period(runtime, period),
            reasons=reasons,
            days=runtime.settings.log_review_period_days,
            seqs=tuple(seq or ()),
            submission_ids=tuple(submission or ()),
        )
    typer.echo(f"referred {made.referral.id} to OPR")


def _line(r: dict[str, Any]) -> str:
    return (
        f"{r['id']} {r['period']['start']} by {r['referred_by']} {r['status']} "
        f"outcome={r['outcome'] or '-'}"
    )


@referrals_app.command("list")
def list_referrals(
    as_user: AsOption,
    mine: Annotated[bool, typer.Option("--mine", help="Only the referrals you made.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Referrals to OPR (OPR: all; a supervisor: --mine)."""
    with one_line_errors(), acting(as_user, Action.referral_view) as (runtime, caller):
        found = log_review.referrals(
            gate=runtime.gate, caller=caller, referred_by=caller.user_id if mine else None
        )
    shown = [r.as_dict() for r in found]
    if as_json:
        _echo_json(shown)
        return
    for r in shown:
        typer.echo(_line(r))


@referrals_app.command("show")
def show_referral(
    referral_id: Annotated[str, typer.Argument(help="The referral's id.")], as_user: AsOption
) -> None:
    """One referral with its reasons."""
    with one_line_errors(), acting(as_user, Action.referral_view) as (runtime, caller):
        found = log_review.referral(gate=runtime.gate, caller=caller, referral_id=referral_id)
    _echo_json(found.as_dict())


@referrals_app.command("outcome")
def outcome(
    referral_id: Annotated[str, typer.Argument(help="The referral's id.")],
    as_user: AsOption,
    found: Annotated[
        ReferralOutcome, typer.Option("--outcome", help="substantiated, unsubstantiated or closed.")
    ],
    note: Annotated[str, typer.Option(help="What OPR found, or why it closed the referral.")],
) -> None:
    """OPR records what it found on a referral."""
    with one_line_errors(), acting(as_user, Action.referral_decide) as (runtime, caller):
        decided = log_review.decide_referral(
            gate=runtime.gate, caller=caller, referral_id=referral_id, outcome=found, note=note
        )
    typer.echo(_line(decided.as_dict()))
