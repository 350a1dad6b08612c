"""`frsgate policy ...`: run a pack's scenarios, explain a decision, list the rules.

- ``frsgate policy test [--pack DIR]``: decide every scenario of the pack's ``scenarios.yaml``
  and compare with what it expects; exit status 1 if any differs.
- ``frsgate policy explain REQUEST.json [--json]``: the decision for one request, with the
  rules that made it, the memo sections and what the user must do.
- ``frsgate policy rules``: the table rule → section → message.
- ``frsgate policy show``: the pack's identity (id, version, SHA-256) and source document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from frsgate.errors import ValidationFailed
from frsgate.policy import DEFAULT_PACK_DIR, Outcome, PolicyPack, default_pack, load_pack
from frsgate.policy.requests import request_from_dict
from frsgate.policy.scenarios import SCENARIO_FILE, load_scenarios, run_scenarios

app = typer.Typer(help="Policy packs: test, explain and list the rules.", no_args_is_help=True)

PackOption = Annotated[
    Path | None,
    typer.Option(
        "--pack",
        help="A policy pack folder (default: the shipped HSI 2021 pack).",
        exists=True,
        file_okay=False,
        dir_okay=True,
    ),
]

_STYLE = {Outcome.allow: "green", Outcome.deny: "red", Outcome.needs_approval: "yellow"}


def _pack(folder: Path | None) -> PolicyPack:
    if folder is None or folder.resolve() == DEFAULT_PACK_DIR:
        return default_pack()
    return load_pack(folder)


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


@app.command("test")
def run_scenario_file(
    pack: PackOption = None,
    scenarios: Annotated[
        Path | None,
        typer.Option(help="A scenario file (default: the pack's scenarios.yaml).", exists=True),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every scenario.")] = False,
) -> None:
    """Run the pack's own scenarios; exit 1 if any decision is not the expected one."""
    loaded = _pack(pack)
    path = scenarios or loaded.compiled.folder / SCENARIO_FILE
    results = run_scenarios(loaded, load_scenarios(path))
    console = _console()
    failed = [r for r in results if not r.passed]
    for result in results if verbose else failed:
        mark = "[green]pass[/]" if result.passed else "[red]FAIL[/]"
        got = result.decision.decision
        console.print(f"{mark} {result.scenario.name}: [{_STYLE[got]}]{got.value}[/]")
        for problem in result.problems:
            console.print(f"     {problem}")
    summary = f"{len(results) - len(failed)}/{len(results)} scenarios pass"
    console.print(f"{loaded.id} {loaded.version} ({loaded.sha256[:12]}): {summary}")
    if failed:
        raise typer.Exit(1)


@app.command("explain")
def explain(
    request_file: Annotated[
        Path, typer.Argument(metavar="REQUEST.json", exists=True, dir_okay=False)
    ],
    pack: PackOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Decide one request (JSON, shaped like frsgate.policy.facts) and say why."""
    try:
        data = json.loads(request_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"{request_file}: not valid JSON: {exc}") from None
    loaded = _pack(pack)
    request = request_from_dict(data)
    decision = loaded.decide_request(request)
    if as_json:
        typer.echo(json.dumps(decision.to_dict(), indent=2))
        return
    console = _console()
    outcome = decision.decision
    console.print(
        f"{request.principal.user_id} → {request.action.value} "
        f"{request.resource.kind.value} {request.resource.id}: "
        f"[bold {_STYLE[outcome]}]{outcome.value}[/]"
    )
    if decision.approver_role:
        kinds = ", ".join(decision.approvals)
        console.print(f"approval needed from a {decision.approver_role} ({kinds})")
    for citation in decision.citations:
        title = loaded.compiled.sections.get(citation.section, "")
        console.print(f"  {citation.rule} — memo {citation.section} ({title})")
        console.print(f"    {citation.message}")
    console.print(f"policy: {loaded.id} {loaded.version} sha256 {loaded.sha256}")


@app.command("rules")
def rules(pack: PackOption = None) -> None:
    """Print every rule of the pack: rule, memo section, what it asks of the user."""
    loaded = _pack(pack)
    table = Table(title=f"{loaded.compiled.title} ({loaded.id} {loaded.version})")
    table.add_column("rule", no_wrap=True)
    table.add_column("section", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("message")
    for rule in loaded.rules:
        kind = "grant" if rule.effect == "permit" else "forbid"
        if rule.cure:
            kind = f"approval: {rule.cure}"
        table.add_row(rule.id, rule.section, kind, rule.message)
    Console(highlight=False, width=160).print(table)


@app.command("show")
def show(pack: PackOption = None) -> None:
    """Print the pack's identity and source document."""
    loaded = _pack(pack)
    typer.echo(f"id:       {loaded.id}")
    typer.echo(f"version:  {loaded.version}")
    typer.echo(f"sha256:   {loaded.sha256}")
    typer.echo(f"title:    {loaded.compiled.title}")
    typer.echo(f"source:   {loaded.compiled.source.get('document', '')}")
    typer.echo(f"rules:    {len(loaded.rules)}")
    typer.echo(f"folder:   {loaded.compiled.folder}")
