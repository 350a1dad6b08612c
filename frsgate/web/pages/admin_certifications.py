"""The administrator's console: PALMS certifications imported from the training system's CSV
export (memo 4.A.3; docs/certifications-import.md).

The page uploads the same file the command line and POST /api/v1/admin/certifications/import
take, to the same service (`certifications.import_certifications`), decided as
`certification.record`. An import is all or nothing: the page shows each line of the file
with what became of it — imported, already on file, refused (the line and field at fault, in
the service's words), or good but not imported because another line refused the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import File, Query, UploadFile
from starlette.responses import Response

from frsgate.api.errors import status_for
from frsgate.api.fields import Clean
from frsgate.domain import Role
from frsgate.errors import ValidationFailed
from frsgate.policy.facts import Action
from frsgate.services import certifications
from frsgate.services.certifications import (
    MAX_IMPORT_ROWS,
    CertificationRules,
    CertificationView,
    ImportRefused,
    ImportResult,
)
from frsgate.web.context import Console, page
from frsgate.web.render import NavItem
from frsgate.web.routing import console_router

router = console_router()
CERTIFICATIONS = "/console/admin/certifications"
NAV = (NavItem(Role.admin, "Certifications", CERTIFICATIONS),)
Recorder = Annotated[Console, page(Action.certification_record)]
SHOWN_TEXT = 200  # characters of a line the page repeats


@dataclass(frozen=True, slots=True)
class LineOutcome:
    """What became of one line of the file: `outcome` is imported, unchanged, refused,
    not_imported (good, but the file was refused whole) or header."""

    line: int
    text: str
    outcome: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One import as the page shows it."""

    filename: str
    imported: bool
    lines: list[LineOutcome]
    problems: list[str]  # refusals no line of the file holds (a file that is not UTF-8)
    result: ImportResult | None = None
    citations: list[dict[str, str]] = field(default_factory=list)
    more_lines: int = 0


def _records(text: str) -> Iterator[tuple[int, str]]:
    """Each CSV record of the file with the line it starts on (as the service counts lines),
    as text; the physical lines when the file is not CSV."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        for record in reader:
            if record:
                yield line, ",".join(record)
            line = reader.line_num + 1
    except csv.Error:
        for number, raw in enumerate(text.split("\n")[line - 1 :], start=line):
            if raw.strip():
                yield number, raw.rstrip("\r")


def _text(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


def _refused(filename: str, data: bytes, refused: ImportRefused) -> Outcome:
    by_line: dict[int, list[str]] = {}
    for problem in refused.problems:
        if problem.field != "file":
            by_line.setdefault(problem.line, []).append(f"{problem.field}: {problem.message}")
    loose = [str(p) for p in refused.problems if p.field == "file"]
    lines: list[LineOutcome] = []
    seen: set[int] = set()
    more = 0
    if not loose:  # a file too large or not UTF-8 is not shown line by line
        for number, text in _records(_text(data)):
            if len(lines) > MAX_IMPORT_ROWS:
                more += 1
                continue
            seen.add(number)
            notes = by_line.get(number, [])
            if number == 1:
                lines.append(LineOutcome(number, text[:SHOWN_TEXT], "header", notes))
            elif notes:
                lines.append(LineOutcome(number, text[:SHOWN_TEXT], "refused", notes))
            else:
                lines.append(LineOutcome(number, text[:SHOWN_TEXT], "not_imported"))
    for number in sorted(set(by_line) - seen):
        # A refusal of a line the file does not hold (e.g. "the file has no rows").
        loose += [f"line {number}, {note}" for note in by_line[number]]
    citations = list((refused.decision or {}).get("citations", []))
    return Outcome(filename, False, lines, loose, citations=citations, more_lines=more)


def _key(
    username: str, course_id: str | None, *dates: datetime | None
) -> tuple[str, str | None, tuple[datetime | None, ...]]:
    return username, course_id, tuple(dates)


def _imported(
    filename: str, data: bytes, result: ImportResult, rules: CertificationRules, now: datetime
) -> Outcome:
    new: dict[tuple[str, str | None, tuple[datetime | None, ...]], CertificationView] = {}
    for view in result.new:
        c = view.certification
        new[_key(view.username, c.course_id, c.training_completed_at,
                 c.best_practices_attested_at, c.safeguards_attested_at)] = view  # fmt: skip
    # The rows again, for their line numbers: the file was just accepted, so it parses.
    rows = certifications.parse_import(data, courses=rules.courses, now=now)
    lines: list[LineOutcome] = []
    for row in rows:
        text = f"{row.username}, {row.course_id}, completed {row.completed_at.date()}"
        made = new.get(_key(row.username, row.course_id, row.completed_at,
                            row.best_practices_at, row.safeguards_at))  # fmt: skip
        if made is None:
            lines.append(LineOutcome(row.line, text, "unchanged"))
        elif made.current:
            expires = made.certification.expires_at.date().isoformat()
            lines.append(LineOutcome(row.line, text, "imported", [f"current until {expires}"]))
        else:
            lines.append(LineOutcome(row.line, text, "imported",
                                     ["not current: " + "; ".join(made.missing)]))  # fmt: skip
    return Outcome(filename, True, lines, [], result=result)


def _page(console: Console, *, outcome: Outcome | None = None, error: str = "",
          on_file: Sequence[CertificationView] | None = None, username: str = "",
          status: int = 200) -> Response:  # fmt: skip
    columns = (*certifications.REQUIRED_COLUMNS, *certifications.OPTIONAL_COLUMNS)
    return console.render(
        "admin/certifications.html", title="PALMS certifications", outcome=outcome,
        error=error, on_file=on_file, username=username, columns=columns,
        courses=console.runtime.settings.certification_course_ids, status_code=status,
    )  # fmt: skip


@router.get("/admin/certifications")
def show_certifications(
    console: Recorder, username: Annotated[Clean, Query(max_length=128)] = ""
) -> Response:
    name = username.strip()
    found = certifications.list_certifications(console.gate, console.caller,
                                               username=name or None)  # fmt: skip
    return _page(console, on_file=found, username=name)


@router.post("/admin/certifications")
def import_certifications(
    console: Recorder, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    if file is None or not file.filename:
        return _page(console, error="File: choose the training system's CSV export to upload.",
                     status=status_for(ValidationFailed("")))  # fmt: skip
    data = file.file.read()
    filename = file.filename[:SHOWN_TEXT]
    rules = CertificationRules.from_settings(console.runtime.settings)
    try:
        result = certifications.import_certifications(console.gate, console.caller, data,
                                                      rules=rules)  # fmt: skip
    except ImportRefused as refused:
        # Refused whole (memo 4.A.3): nothing was imported; the page says which lines and why.
        outcome = _refused(filename, data, refused)
        return _page(console, outcome=outcome, status=status_for(refused))
    # The outcome is shown here rather than after a redirect: importing the file again (a
    # reload) changes nothing, each line being then already on file.
    return _page(console, outcome=_imported(filename, data, result, rules, console.gate.now()))
