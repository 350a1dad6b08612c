"""What the command-line tests of acting commands share: running `frsgate` in-process, reading
the ledger back, and checking that a refusal is one line on stderr, exit status 2, with its
decision (and the rule cited) on the ledger under source "cli"."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner, Result

from frsgate.cli.main import app
from frsgate.config import load_settings
from frsgate.services.runtime import Runtime

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def ledger(since: int = 0) -> list[dict[str, Any]]:
    with Runtime.open(load_settings(), recover=False, periodic_checkpoints=False) as runtime:
        log = runtime.ledger
        return [json.loads(e) for e in log.entries(since, log.size())]


def refused(args: list[str], rule: str) -> None:
    before = len(ledger())
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith("error: denied by policy"), result.output
    assert len(result.output.strip().splitlines()) == 1
    [decision] = ledger(before)
    assert decision["event"] == "policy:decision:evaluate"
    assert decision["outcome"] == "denied"
    assert decision["source"] == "cli"
    assert rule in {c["rule"] for c in decision["citations"]}
