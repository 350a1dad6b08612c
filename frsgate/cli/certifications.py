"""`frsgate certifications ...`: PALMS certifications (memo 4.A.3) from the command line.

`import FILE` reads the training system's CSV export (docs/certifications-import.md) and
`list [USERNAME]` shows what is on file; both act as the user named by `--as`, decided by the
pack like the same act over HTTP and recorded on the ledger under that user.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from frsgate.cli.acting import AsOption, acting, one_line_errors
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services import certifications
from frsgate.services.certifications import (
    MAX_IMPORT_BYTES,
    CertificationRules,
    CertificationView,
)

app = typer.Typer(help="Administration: PALMS certifications.", no_args_is_help=True)


def _read(file: Path) -> bytes:
    """The file's bytes, read no further than one byte past the import limit (the import
    refuses it, naming the limit)."""
    try:
        if str(file) == "-":
            return typer.get_binary_stream("stdin").read(MAX_IMPORT_BYTES + 1)
        with file.open("rb") as handle:
            return handle.read(MAX_IMPORT_BYTES + 1)
    except OSError as exc:
        raise ValidationFailed(f"FILE {file}: {exc.strerror or exc}") from None


def _day(moment: Any) -> str:
    return moment.isoformat() if moment is not None else "-"


def _as_dict(view: CertificationView) -> dict[str, Any]:
    cert = view.certification
    return {
        "id": cert.id,
        "username": view.username,
        "course_id": cert.course_id,
        "palms_reference": cert.palms_reference,
        "training_completed_at": _day(cert.training_completed_at),
        "best_practices_attested_at": _day(cert.best_practices_attested_at),
        "safeguards_attested_at": _day(cert.safeguards_attested_at),
        "expires_at": cert.expires_at.isoformat(),
        "recorded_at": cert.recorded_at.isoformat(),
        "current": view.current,
        "missing": view.missing,
    }


def _line(view: CertificationView) -> str:
    cert = view.certification
    state = "current" if view.current else "NOT CURRENT: " + "; ".join(view.missing)
    return (
        f"{view.username}\t{cert.course_id or cert.course}\t"
        f"completed {_day(cert.training_completed_at)}\t"
        f"expires {cert.expires_at.isoformat()}\t{state}"
    )


@app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(help="The training system's CSV export ('-': standard input).")
    ],
    as_: AsOption,
) -> None:
    """Import PALMS certifications from the training system's CSV export, all or nothing:
    a malformed file is refused naming each line and field, and nothing is recorded."""
    with one_line_errors():
        data = _read(file)
        with acting(as_, Action.certification_record) as (runtime, caller):
            rules = CertificationRules.from_settings(runtime.settings)
            result = certifications.import_certifications(runtime.gate, caller, data, rules=rules)
    typer.echo(
        f"imported {file}: {result.rows} rows, {len(result.new)} new, "
        f"{result.unchanged} unchanged (sha256 {result.sha256})"
    )
    for view in result.new:
        typer.echo(_line(view))


@app.command("list")
def list_certifications(
    as_: AsOption,
    username: Annotated[
        str | None, typer.Argument(help="Only this user's certifications.", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """The PALMS certifications on file, each user's newest first, and whether each is
    current now (what is missing when it is not)."""
    with one_line_errors(), acting(as_, Action.certification_record) as (runtime, caller):
        found = certifications.list_certifications(runtime.gate, caller, username=username)
    if as_json:
        typer.echo(json.dumps({"certifications": [_as_dict(v) for v in found]}, indent=2))
        return
    for view in found:
        typer.echo(_line(view))
    if not found:
        typer.echo("no certifications on file")
