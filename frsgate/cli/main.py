"""The `frsgate` command: the root Typer app that gathers one sub-app per command group.

`main()` is the console-script entry point and the one place a deliberate `FrsGateError` is
turned into a one-line message and a non-zero exit (STYLE: caught once at the entry point).
"""

from __future__ import annotations

import sys

import typer

from frsgate.errors import FrsGateError

app = typer.Typer(
    name="frsgate",
    help="FRS Gate: the accountable gateway for third-party facial recognition services.",
    no_args_is_help=True,
    # Locals may hold secrets (keys, tokens): never print them in a traceback.
    pretty_exceptions_show_locals=False,
)


def _register() -> None:
    from frsgate.cli import backup as backup_cmd
    from frsgate.cli import cases as cases_cmd
    from frsgate.cli import certifications as certifications_cmd
    from frsgate.cli import demo as demo_cmd
    from frsgate.cli import disclosure as disclosure_cmd
    from frsgate.cli import init as init_cmd
    from frsgate.cli import leads as leads_cmd
    from frsgate.cli import ledger as ledger_cmd
    from frsgate.cli import log_format as log_format_cmd
    from frsgate.cli import log_review as log_review_cmd
    from frsgate.cli import oversight_reads as oversight_reads_cmd
    from frsgate.cli import policy as policy_cmd
    from frsgate.cli import programs as programs_cmd
    from frsgate.cli import providers as providers_cmd
    from frsgate.cli import report as report_cmd
    from frsgate.cli import review as review_cmd
    from frsgate.cli import roi as roi_cmd
    from frsgate.cli import sandbox as sandbox_cmd
    from frsgate.cli import serve as serve_cmd
    from frsgate.cli import shares as shares_cmd
    from frsgate.cli import token as token_cmd
    from frsgate.cli import users as users_cmd
    from frsgate.cli import vault as vault_cmd
    from frsgate.cli import witness as witness_cmd

    app.command("init")(init_cmd.init)
    app.command("serve")(serve_cmd.serve)
    app.command("sandbox-frs")(sandbox_cmd.sandbox_frs)
    app.command("backup")(backup_cmd.backup)
    app.command("restore")(backup_cmd.restore)
    app.command("report")(report_cmd.report)
    app.add_typer(token_cmd.app, name="token")
    app.add_typer(demo_cmd.app, name="demo")
    app.add_typer(ledger_cmd.app, name="ledger")
    app.add_typer(witness_cmd.app, name="witness")
    app.add_typer(vault_cmd.app, name="vault")
    policy_cmd.app.add_typer(log_format_cmd.app, name="log-format")
    app.add_typer(policy_cmd.app, name="policy")
    app.add_typer(log_review_cmd.app, name="log-review")
    app.add_typer(log_review_cmd.referrals_app, name="referrals")
    app.add_typer(users_cmd.app, name="users")
    app.add_typer(cases_cmd.app, name="cases")
    app.add_typer(programs_cmd.app, name="programs")
    app.add_typer(programs_cmd.codes_app, name="program-codes")
    app.add_typer(certifications_cmd.app, name="certifications")
    app.add_typer(providers_cmd.app, name="providers")
    app.add_typer(review_cmd.app, name="review")
    app.add_typer(leads_cmd.app, name="leads")
    app.add_typer(roi_cmd.app, name="roi")
    app.add_typer(shares_cmd.app, name="shares")
    app.add_typer(shares_cmd.partner_app, name="partner-searches")
    disclosure_cmd.app.command("ledger")(oversight_reads_cmd.ledger)
    app.add_typer(disclosure_cmd.app, name="case")
    app.add_typer(oversight_reads_cmd.queue_app, name="queue")


_register()


def main() -> None:
    """Run the CLI; a deliberate error prints one clear line and exits with status 2."""
    try:
        app()
    except FrsGateError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        sys.exit(2)
