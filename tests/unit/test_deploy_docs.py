"""The deployment guide and the README hold to the program they describe.

- Every `frsgate ...` command line in docs/deploy.md (code blocks and inline code), in the
  README's code blocks and in the systemd unit's ExecStart parses with the real CLI: the
  command exists and Typer accepts its options and arguments. A guide naming a command or an
  option that does not exist fails here.
- The README's settings table and the guide's production settings name every field of
  `frsgate.config.Settings`, and no FRSGATE_ variable that is not one; so a new setting cannot
  be left out.
- The systemd unit passes `systemd-analyze verify`, and its hardening rates "OK".
- The files the guide links to exist.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
import typer.main

from frsgate.cli.main import app
from frsgate.config import Settings

try:  # Typer ships its own copy of Click from 0.17 on: the commands are its classes
    from typer._click.core import Command, Context
    from typer._click.exceptions import ClickException

    EXITS: tuple[type[BaseException], ...] = (typer.Exit,)
except ImportError:  # pragma: no cover - an older Typer on Click
    from click import ClickException, Command, Context  # type: ignore[assignment]
    from click.exceptions import Exit

    EXITS = (Exit,)

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
DEPLOY = ROOT / "docs" / "deploy"
README = ROOT / "README.md"
UNIT = DEPLOY / "frsgate.service"
ENV_EXAMPLE = DEPLOY / "frsgate.env.example"

# FRSGATE_ variables that are not settings: the CLI's operator, and the test suite's database.
NOT_SETTINGS = {"FRSGATE_OPERATOR", "FRSGATE_TEST_DATABASE_URL"}
SETTINGS = {f"FRSGATE_{name.upper()}" for name in Settings.model_fields}
ENV_NAME = re.compile(r"\bFRSGATE_[A-Z0-9_]*[A-Z0-9]\b")
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHELL_FENCES = {"", "sh", "bash", "console", "shell"}


@dataclass(frozen=True)
class Quoted:
    where: str
    args: list[str]
    strict: bool  # a whole command line (parse it); inline code may hold placeholders


def _shell_lines(text: str) -> Iterator[str]:
    """The logical lines of the shell code blocks: continuations joined, and a quoted string
    that runs over several lines kept whole."""
    for language, body in FENCE.findall(text):
        if language not in SHELL_FENCES:
            continue
        pending = ""
        for line in body.replace("\\\n", " ").splitlines():
            pending = f"{pending}\n{line}" if pending else line
            try:
                shlex.split(pending, comments=True)
            except ValueError:  # an open quote: the string goes on on the next line
                continue
            yield pending
            pending = ""
        assert not pending, f"unbalanced quotes in a code block: {pending}"


def _commands(line: str) -> Iterator[list[str]]:
    """The argument lists of every `frsgate` invoked on a shell line (after `&&`, `;`, `|`,
    inside `$(...)`, behind `sudo` or environment assignments), up to any redirection."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    segment: list[str] = []
    for token in [*tokens, ";"]:
        if token and set(token) <= set("();<>|&"):
            yield from _frsgate_in(segment)
            segment = [] if token not in ("<", ">", ">>") else ["#redirect"]
            continue
        segment.append(token)


def _frsgate_in(segment: list[str]) -> Iterator[list[str]]:
    words = list(segment)
    if "#redirect" in words:
        words = words[: words.index("#redirect")]
    while words and (re.match(r"^\w+=", words[0]) or words[0] in ("sudo", "exec", "env")):
        if words[0] == "sudo" and len(words) > 2 and words[1] == "-u":
            words = words[3:]
        else:
            words = words[1:]
    if words and words[0].rstrip("$").rsplit("/", 1)[-1] == "frsgate":
        yield words[1:]


def _guide_and_readme_commands() -> Iterator[Quoted]:
    for path in (GUIDE, README):
        text = path.read_text()
        for line in _shell_lines(text):
            for args in _commands(line):
                yield Quoted(f"{path.name}: {line.strip()}", args, strict=True)
    # Inline code of the guide: `frsgate users disable`, `frsgate users add --email`...
    prose = FENCE.sub("", GUIDE.read_text())
    for span in re.findall(r"`([^`\n]+)`", prose):
        words = span.split()
        if words and words[0] == "frsgate":
            yield Quoted(f"deploy.md: `{span}`", words[1:], strict=False)


def _unit_commands() -> Iterator[Quoted]:
    for line in UNIT.read_text().splitlines():
        if line.startswith("ExecStart="):
            words = shlex.split(line.removeprefix("ExecStart="))
            assert words[0].endswith("/frsgate"), line
            yield Quoted(f"frsgate.service: {line}", words[1:], strict=True)


ROOT_COMMAND = typer.main.get_command(app)


def _is_group(command: Command) -> bool:
    return hasattr(command, "get_command") and hasattr(command, "list_commands")


def _resolve(args: list[str]) -> tuple[Command, list[str], list[str]]:
    """The (sub)command the words name, the words left for it, and its path."""
    command: Command = ROOT_COMMAND
    path: list[str] = []
    rest = list(args)
    while _is_group(command) and rest and not rest[0].startswith("-"):
        context = Context(command, info_name=" ".join(["frsgate", *path]))
        sub = command.get_command(context, rest[0])  # type: ignore[attr-defined]
        if sub is None:
            raise AssertionError(f"`frsgate {' '.join([*path, rest[0]])}` is no command")
        command, path, rest = sub, [*path, rest[0]], rest[1:]
    return command, rest, path


def _check(quoted: Quoted) -> None:
    command, rest, path = _resolve(quoted.args)
    name = " ".join(["frsgate", *path])
    if _is_group(command):
        # A group named alone (in prose) exists; named with options, it takes none but --help.
        assert all(w == "--help" for w in rest if w.startswith("-")), f"{name}: {rest}"
        return
    if not quoted.strict:
        known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        for word in rest:
            option = word.split("=", 1)[0]
            if option.startswith("--"):
                assert option in known | {"--help"}, f"{name} has no option {option}"
        return
    code = 0
    try:
        command.make_context(name, list(rest))
    except EXITS as done:  # --help
        code = getattr(done, "exit_code", 0)
    except ClickException as exc:
        raise AssertionError(f"{name}: {exc.format_message()}") from None
    assert code == 0, f"{name} exited {code}"


QUOTED = [*_guide_and_readme_commands(), *_unit_commands()]


@pytest.mark.parametrize("quoted", QUOTED, ids=[q.where[:90] for q in QUOTED])
def test_quoted_command_parses_with_the_real_cli(
    quoted: Quoted, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A missing --as must fail, not be filled in from the test's environment.
    monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)
    _check(quoted)


def test_the_guide_quotes_the_commands_it_is_about() -> None:
    named = {" ".join(_resolve(q.args)[2]) for q in QUOTED if q.where.startswith("deploy.md")}
    for command in (
        "init",
        "serve",
        "users add",
        "users update",
        "policy show",
        "certifications import",
        "cases add",
        "programs add",
        "programs approve-assessment",
        "program-codes add",
        "providers add",
        "providers review",
        "ledger key",
        "ledger verify",
    ):
        assert command in named, f"docs/deploy.md quotes no `frsgate {command}`"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("frsgate users frobnicate alice --as ada", "is no command"),
        ("frsgate users add bob --display-name Bob --as ada --colour blue", "No such option"),
        ("frsgate cases add HSI-1 --title t --authority a --supervisor sue", "Missing option"),
        ("ALICE=$(frsgate tokens issue alice)", "is no command"),
    ],
)
def test_the_check_catches_what_does_not_exist(line: str, problem: str) -> None:
    (args,) = list(_commands(line))
    with pytest.raises(AssertionError, match=problem):
        _check(Quoted(line, args, strict=True))


def test_commands_are_found_where_the_shell_runs_them() -> None:
    found = [
        args
        for args in _commands(
            "A=$(.venv/bin/frsgate token issue alice) && frsgate ledger verify > out.txt"
        )
    ]
    assert found == [["token", "issue", "alice"], ["ledger", "verify"]]
    assert list(_commands("systemctl status frsgate")) == []
    assert list(_commands("sudo -u frsgate /opt/frsgate/venv/bin/frsgate init")) == [["init"]]


def _settings_table(text: str, heading: str) -> set[str]:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return {name for row in rows for name in ENV_NAME.findall(row.split(" | ")[0])}


def test_readme_settings_table_lists_every_setting() -> None:
    listed = _settings_table(README.read_text(), "## Configuration")
    assert SETTINGS - listed == set(), "settings missing from the README table"
    assert listed - SETTINGS == set(), "the README table names settings that do not exist"


def test_guide_production_settings_list_every_setting() -> None:
    listed = _settings_table(GUIDE.read_text(), "## Production settings")
    assert SETTINGS - listed == set(), "settings missing from docs/deploy.md"
    assert listed - SETTINGS == set(), "docs/deploy.md names settings that do not exist"


@pytest.mark.parametrize("path", [README, GUIDE, ENV_EXAMPLE, UNIT], ids=lambda p: p.name)
def test_every_frsgate_variable_named_is_a_setting(path: Path) -> None:
    unknown = set(ENV_NAME.findall(path.read_text())) - SETTINGS - NOT_SETTINGS
    assert unknown == set(), f"{path.name} names {sorted(unknown)}"


def test_environment_example_is_production_ready(tmp_path: Path) -> None:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = shlex.split(value)[0] if value else ""
    assert values["FRSGATE_ENVIRONMENT"] == "production"
    assert values["FRSGATE_SANDBOX_FRS"] == "false"
    assert values["FRSGATE_HOST"] == "127.0.0.1"
    assert values["FRSGATE_OIDC_ISSUER"].startswith("https://")
    # The example's values are valid settings (the secret is a placeholder to replace).
    settings = Settings(**{k.removeprefix("FRSGATE_").lower(): v for k, v in values.items()})
    assert settings.session_secret.get_secret_value() == "CHANGE-ME"
    assert str(settings.home) == "/var/lib/frsgate"


def test_unit_and_wrapper_agree_with_the_example_settings() -> None:
    unit = UNIT.read_text()
    assert "EnvironmentFile=/etc/frsgate/frsgate.env" in unit
    assert "ReadWritePaths=/var/lib/frsgate" in unit
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"):
        assert hardening in unit
    wrapper = (DEPLOY / "frsgate-as-service").read_text()
    assert ". /etc/frsgate/frsgate.env" in wrapper
    assert "FRSGATE_HOME=/var/lib/frsgate" in ENV_EXAMPLE.read_text()
    assert os.access(DEPLOY / "frsgate-as-service", os.X_OK)
    checked = subprocess.run(["sh", "-n", str(DEPLOY / "frsgate-as-service")], check=False)
    assert checked.returncode == 0


def _unit_with_this_venv(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this environment's frsgate (verify checks that
    the program exists and is executable)."""
    program = Path(sys.executable).parent / "frsgate"
    if not program.exists():
        pytest.skip(f"no frsgate console script beside {sys.executable}")
    unit = tmp_path / "frsgate.service"
    unit.write_text(UNIT.read_text().replace("/opt/frsgate/venv/bin/frsgate", str(program)))
    return unit


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed (systemd hosts have it)")
    return found


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    unit = _unit_with_this_venv(tmp_path)
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    # Unknown or misspelt keys are only warnings (exit 0): any word about the unit fails.
    about_unit = [line for line in done.stderr.splitlines() if "frsgate.service" in line]
    assert done.returncode == 0, done.stderr
    assert about_unit == []


def test_systemd_unit_hardening_rates_ok(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    unit = _unit_with_this_venv(tmp_path)
    done = subprocess.run(
        [analyze, "security", "--offline=yes", "--no-pager", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0 and "offline" in done.stderr:
        pytest.skip("this systemd-analyze has no --offline security check (systemd < 250)")
    match = re.search(r"Overall exposure level for frsgate\.service: ([\d.]+) (\w+)", done.stdout)
    assert match, done.stdout + done.stderr
    assert float(match.group(1)) <= 2.0, match.group(0)


def test_files_the_guide_links_exist() -> None:
    text = GUIDE.read_text()
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (GUIDE.parent / target).exists(), f"docs/deploy.md links to missing {target}"
    anchors = re.findall(r"\]\(#([^)]+)\)", text)
    headings = {
        re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)
    }
    for anchor in anchors:
        assert anchor in headings, f"docs/deploy.md links to missing section #{anchor}"


def test_readme_links_the_guide() -> None:
    assert "(docs/deploy.md)" in README.read_text()
