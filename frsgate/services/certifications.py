"""PALMS certifications (memo 4.A.3) imported from the training system's CSV export, and read
back by administrators.

Before anyone uses an FRS, the memo requires the IGP-approved course completed and two
attestations made in PALMS (best practices; privacy, civil rights and civil liberties
safeguards). FRS Gate does not run the training: an administrator imports what the training
system exported (docs/certifications-import.md describes the file), and the pack's
`certification.*` rules read the user's current certification on every act.

An import is all or nothing, and decided as `certification.record` with what the file is:
`own_record` when a row names the importer (nobody certifies themself), `well_formed` unless a
row is malformed or names no user. A refusal is a decision on the ledger, cited; a malformed
file's refusal (`certification.import_well_formed`) also names each line and field at fault,
to an administrator only (anyone else learns nothing of which usernames exist). An allowed
import is recorded as one `certification:import:run` entry plus one
`certification:record:create` entry per new certification, in one transaction. A row the store
already holds (same user, course and dates) is unchanged, so importing a file again adds
nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from frsgate.config import Settings
from frsgate.domain import Certification, User
from frsgate.domain.values import new_id
from frsgate.errors import NotFound, ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, ChangeFacts, ChangeOp
from frsgate.services.administration import admin_ask, administer, change_draft
from frsgate.services.errors import PolicyDenied
from frsgate.services.gate import Ask, Caller, Gate, draft
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.certifications"

REQUIRED_COLUMNS = (
    "username",
    "course_id",
    "completed_on",
    "best_practices_attested_on",
    "safeguards_attested_on",
)
OPTIONAL_COLUMNS = ("palms_reference",)
ATTESTATION_COLUMNS = ("best_practices_attested_on", "safeguards_attested_on")
# Under the 256 KiB every non-probe request body is held to (frsgate.api.limits), so the same
# file is refused the same way over HTTP and from the command line. A larger export is split:
# each part is all or nothing, and importing a part again changes nothing.
MAX_IMPORT_BYTES = 240 * 1024
MAX_IMPORT_ROWS = 2000
USERNAME_MAX = 128  # users.username
REFERENCE_MAX = 256  # certifications.palms_reference
# A date before this cannot be a PALMS record of FRS training; it is a mistyped year.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# Problems named in an error message; the list itself names every one up to MAX_PROBLEMS.
SHOWN_PROBLEMS = 10
MAX_PROBLEMS = 100

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")
_DATE_FORMS = "YYYY-MM-DD, or a timestamp with its zone such as 2026-01-31T14:05:00Z"


# --- the file -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an import file: where (`line`, 1-based, counting the header) and
    which field (a column name, or `file`, `header`, `row`)."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


# The pack's rule that refuses a malformed export (memo 4.A.3).
WELL_FORMED_RULE = "certification.import_well_formed"


class ImportRefused(ValidationFailed):
    """The file was refused whole: no certification recorded, only the decision (`decision`,
    once the pack refused it); `problems` names each line and field."""

    def __init__(
        self, problems: Sequence[Problem], *, decision: dict[str, Any] | None = None
    ) -> None:
        self.problems = list(problems)[:MAX_PROBLEMS]
        self.decision = decision
        shown = "; ".join(str(p) for p in self.problems[:SHOWN_PROBLEMS])
        more = len(problems) - SHOWN_PROBLEMS
        tail = f"; and {more} more" if more > 0 else ""
        super().__init__(f"certification import refused, nothing imported: {shown}{tail}")


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One row of the file, checked: who, which course, and when (UTC; None: not attested)."""

    line: int
    username: str
    course_id: str
    completed_at: datetime
    best_practices_at: datetime | None
    safeguards_at: datetime | None
    palms_reference: str | None


@dataclass(frozen=True, slots=True)
class CertificationRules:
    """What the agency configured: the IGP-approved course ids and the validity period."""

    courses: tuple[str, ...]
    valid_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> CertificationRules:
        return cls(settings.certification_course_ids, settings.certification_valid_days)

    @property
    def valid_for(self) -> timedelta:
        return timedelta(days=self.valid_days)


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _decode(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(
            [Problem(_line_of(data, MAX_IMPORT_BYTES), "file",
                     f"the file is {len(data)} bytes, over the limit of {MAX_IMPORT_BYTES} "
                     "bytes; split it into several files")]
        )  # fmt: skip
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            [Problem(_line_of(data, exc.start), "file",
                     f"not UTF-8 (byte 0x{data[exc.start]:02x}); export the file as UTF-8")]
        ) from None  # fmt: skip


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportRefused([Problem(reader.line_num or 1, "row", f"not CSV: {exc}")]) from None
        if record:
            yield line, record
        line = reader.line_num + 1


def _bad_character(value: str) -> str | None:
    for char in value:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            return f"holds the control character U+{ord(char):04X}"
    return None


def parse_moment(text: str) -> datetime:
    """A date (the start of that day, UTC) or a timestamp with its zone, as UTC; ValueError
    says what is wrong."""
    if _DATE.fullmatch(text):
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    if not _TIMESTAMP.fullmatch(text):
        raise ValueError(f"{text!r} is not a date ({_DATE_FORMS})")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{text!r} has no zone; add one, such as Z or +00:00")
    return moment.astimezone(UTC)


def _moment(line: int, field: str, text: str, now: datetime) -> datetime | Problem:
    """The moment in `text`, or the problem with it."""
    try:
        moment = parse_moment(text)
    except (ValueError, OverflowError) as exc:
        said = str(exc)
        message = said if said.startswith(repr(text)) else f"{text!r} is not a valid date: {said}"
        return Problem(line, field, message)
    if moment > now:
        return Problem(line, field, f"{text} is in the future")
    if moment < EARLIEST:
        return Problem(line, field, f"{text} is before {EARLIEST.date().isoformat()}")
    return moment


def _header(line: int, record: list[str]) -> tuple[list[str], list[Problem]]:
    names = [cell.strip() for cell in record]
    problems: list[Problem] = []
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(Problem(line, "header", f"column {name!r} appears twice"))
        elif name not in known:
            problems.append(
                Problem(line, "header", f"unknown column {name!r}; the columns are "
                        f"{', '.join(known)}")
            )  # fmt: skip
        seen.add(name)
    problems += [
        Problem(line, "header", f"missing column {name}")
        for name in REQUIRED_COLUMNS
        if name not in seen
    ]
    return names, problems


def _row(
    line: int, cells: dict[str, str], courses: Sequence[str], now: datetime
) -> tuple[ImportRow | None, list[Problem]]:
    problems: list[Problem] = []
    for name, value in cells.items():
        bad = _bad_character(value)
        if bad:
            problems.append(Problem(line, name, bad))
    if problems:
        return None, problems
    username = cells["username"]
    if not username:
        problems.append(Problem(line, "username", "empty; name the user's FRS Gate username"))
    elif len(username) > USERNAME_MAX:
        problems.append(Problem(line, "username", f"longer than {USERNAME_MAX} characters"))
    course = cells["course_id"]
    if course not in courses:
        problems.append(
            Problem(line, "course_id", f"{course!r} is not an IGP-approved course id "
                    f"(configured: {', '.join(courses)})")
        )  # fmt: skip
    moments: dict[str, datetime | None] = {}
    if not cells["completed_on"]:
        problems.append(Problem(line, "completed_on", "empty; a row records a completed course"))
    for name in ("completed_on", *ATTESTATION_COLUMNS):
        if cells[name]:
            found = _moment(line, name, cells[name], now)
            if isinstance(found, Problem):
                problems.append(found)
            moments[name] = found if isinstance(found, datetime) else None
        else:
            moments[name] = None  # an attestation not made (memo 4.A.3)
    reference = cells.get("palms_reference") or None
    if reference is not None and len(reference) > REFERENCE_MAX:
        problems.append(Problem(line, "palms_reference", f"longer than {REFERENCE_MAX} characters"))
    completed = moments["completed_on"]
    if problems or completed is None:
        return None, problems
    row = ImportRow(
        line=line,
        username=username,
        course_id=course,
        completed_at=completed,
        best_practices_at=moments["best_practices_attested_on"],
        safeguards_at=moments["safeguards_attested_on"],
        palms_reference=reference,
    )
    return row, []


def parse_import(data: bytes, *, courses: Sequence[str], now: datetime) -> list[ImportRow]:
    """The rows of a training-system export, every one checked; `ImportRefused` names each
    line and field at fault when any is (see docs/certifications-import.md). Pure: nothing
    is read from the store, so a malformed file is refused before anything is decided."""
    text = _decode(data)
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise ImportRefused([Problem(1, "header", "the file is empty; a header row is needed")])
    header_line, header = first
    names, problems = _header(header_line, header)
    if problems:
        raise ImportRefused(problems)
    rows: list[ImportRow] = []
    seen: dict[tuple[str, str, datetime], int] = {}
    count = 0
    for line, record in records:
        count += 1
        if count > MAX_IMPORT_ROWS:
            problems.append(
                Problem(line, "row", f"more than {MAX_IMPORT_ROWS} rows; split the file")
            )
            break
        if len(record) != len(names):
            problems.append(
                Problem(line, "row", f"{len(record)} fields where the header names "
                        f"{len(names)}")
            )  # fmt: skip
            continue
        cells = {name: cell.strip() for name, cell in zip(names, record, strict=True)}
        row, found = _row(line, cells, courses, now)
        problems += found
        if row is None:
            continue
        # Two rows of one completion would be recorded twice, or disagree on its attestations.
        key = (row.username, row.course_id, row.completed_at)
        if key in seen:
            problems.append(
                Problem(line, "row", f"duplicate of line {seen[key]} (same username, "
                        "course_id and completed_on)")
            )  # fmt: skip
            continue
        seen[key] = line
        rows.append(row)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise ImportRefused(problems)
    if not rows:
        raise ImportRefused([Problem(header_line + 1, "row", "the file has no rows")])
    return rows


# --- importing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertificationView:
    """A certification on file with its user's name, and whether it is current at `at`
    (what keeps it from being so, in plain words)."""

    certification: Certification
    username: str
    current: bool
    missing: list[str]

    @classmethod
    def of(cls, cert: Certification, username: str, at: datetime) -> CertificationView:
        missing = cert.missing(at)
        return cls(cert, username, not missing, missing)


@dataclass(frozen=True, slots=True)
class ImportResult:
    sha256: str
    rows: int
    new: list[CertificationView]
    unchanged: int


def _recorded(cert: Certification, username: str) -> dict[str, Any]:
    """A certification as the ledger records it: dates and references, nothing else."""

    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    return {
        "id": cert.id,
        "username": username,
        "course_id": cert.course_id,
        "palms_reference": cert.palms_reference,
        "training_completed_at": iso(cert.training_completed_at),
        "best_practices_attested_at": iso(cert.best_practices_attested_at),
        "safeguards_attested_at": iso(cert.safeguards_attested_at),
        "expires_at": iso(cert.expires_at),
    }


def import_certifications(
    gate: Gate, caller: Caller, data: bytes, *, rules: CertificationRules
) -> ImportResult:
    """Import a training-system export (memo 4.A.3), all or nothing. `PolicyDenied` (the
    decision recorded, cited) when the pack refuses: a row naming the importer
    (`certification.not_own`), a caller who may not import; `ImportRefused` (422, naming each
    line and field, the decision recorded and cited `certification.import_well_formed`) when
    the only reason is a malformed file."""
    now = gate.now()
    digest = hashlib.sha256(data).hexdigest()
    subject = f"certification_import:{digest}"
    problems: list[Problem] = []
    try:
        rows = parse_import(data, courses=rules.courses, now=now)
    except ImportRefused as refused:
        rows, problems = [], list(refused.problems)
    named = {row.username for row in rows}
    users: dict[str, User] = {}

    def ask(uow: UnitOfWork) -> Ask:
        importer = uow.users.get(caller.user_id)
        if not problems:
            try:
                users.update(_users_named(uow, rows))
            except ImportRefused as unknown:
                problems.extend(unknown.problems)
        return admin_ask(
            Action.certification_record,
            resource_id=digest,
            subject=subject,
            component=COMPONENT,
            # memo 4.A.3: the certification is the user's own act in PALMS; an importer
            # whose own row is in the file would be certifying themself.
            change=ChangeFacts(
                op=ChangeOp.create, own_record=importer.username in named, well_formed=not problems
            ),
            details={
                "op": ChangeOp.create.value,
                "sha256": digest,
                "rows": len(rows),
                "problems": [str(p) for p in problems[:SHOWN_PROBLEMS]],
                "problem_count": len(problems),
            },
        )

    def act(uow: UnitOfWork) -> tuple[ImportResult, list[EntryDraft]]:
        # Lock the users the file names (in one order): two imports of one file at once
        # then compare against each other's certifications instead of both adding them.
        for user in sorted(users.values(), key=lambda u: u.id):
            uow.users.get(user.id, lock=True)
        on_file = {u.id: uow.certifications.of_user(u.id) for u in users.values()}
        new: list[CertificationView] = []
        drafts: list[EntryDraft] = []
        for row in rows:
            user = users[row.username]
            dates = (row.completed_at, row.best_practices_at, row.safeguards_at)
            if any(c.records(row.course_id, *dates) for c in on_file[user.id]):
                continue
            cert = Certification(
                id=new_id("cert"),
                user_id=user.id,
                course_id=row.course_id,
                palms_reference=row.palms_reference,
                training_completed_at=row.completed_at,
                best_practices_attested_at=row.best_practices_at,
                safeguards_attested_at=row.safeguards_at,
                # memo 4.A.3: current for the configured period after the latest date.
                expires_at=Certification.expiry(dates, rules.valid_for),
                recorded_at=now,
                recorded_by=caller.user_id,
            )
            uow.certifications.add(cert)
            view = CertificationView.of(cert, user.username, now)
            new.append(view)
            drafts.append(
                change_draft(
                    caller, Action.certification_record, EventTag.CERTIFICATION_RECORD_CREATE,
                    subject=f"user:{user.id}", before=None, after=_recorded(cert, user.username),
                    details={"import_sha256": digest, "line": row.line,
                             "current": view.current, "missing": view.missing},
                    component=COMPONENT,
                )
            )  # fmt: skip
        result = ImportResult(digest, len(rows), new, len(rows) - len(new))
        run = draft(
            caller, EventTag.CERTIFICATION_IMPORT_RUN, subject=subject, component=COMPONENT,
            action=Action.certification_record,
            details={"sha256": digest, "rows": result.rows, "new": len(new),
                     "unchanged": result.unchanged, "size": len(data)},
        )  # fmt: skip
        return result, [run, *drafts]

    try:
        return administer(gate, caller, ask=ask, act=act)
    except PolicyDenied as denied:
        cited = {c["rule"] for c in denied.decision.get("citations", [])}
        if problems and cited == {WELL_FORMED_RULE}:
            raise ImportRefused(problems, decision=denied.decision) from None
        raise


def _users_named(uow: UnitOfWork, rows: Sequence[ImportRow]) -> dict[str, User]:
    """The users the rows name; a name no user has refuses the file (read after the pack
    decided, so nobody learns which usernames exist by sending a file they may not import)."""
    users: dict[str, User] = {}
    problems: list[Problem] = []
    for row in rows:
        if row.username in users:
            continue
        try:
            users[row.username] = uow.users.get_by_username(row.username)
        except NotFound:
            problems.append(Problem(row.line, "username", f"no user {row.username!r}"))
    if problems:
        raise ImportRefused(problems)
    return users


# --- reading --------------------------------------------------------------------------------


def list_certifications(
    gate: Gate, caller: Caller, *, username: str | None = None
) -> list[CertificationView]:
    """The certifications on file (one user's, with `username`), each user's newest first,
    saying whether each is current now. Decided as `certification.record` with `op=view`."""
    now = gate.now()

    def ask(uow: UnitOfWork) -> Ask:
        return admin_ask(
            Action.certification_record,
            resource_id=username or "*",
            subject="certifications" if username is None else f"certifications:{username}",
            component=COMPONENT,
            # Reading is not recording: `own_record` is what `certification.not_own` forbids
            # to record, so an administrator may read their own certification.
            change=ChangeFacts(op=ChangeOp.view),
            details={"op": ChangeOp.view.value, "username": username},
        )

    def act(uow: UnitOfWork) -> tuple[list[CertificationView], list[EntryDraft]]:
        if username is not None:
            user = uow.users.get_by_username(username)  # NotFound: a 404 naming it
            names = {user.id: user.username}
            found = uow.certifications.of_user(user.id)
        else:
            names = {u.id: u.username for u in uow.users.list_all()}
            found = uow.certifications.list_all()
        views = [CertificationView.of(c, names.get(c.user_id, c.user_id), now) for c in found]
        views.sort(key=lambda v: v.username)  # stable: each user's newest stays first
        read = draft(
            caller, EventTag.CERTIFICATION_RECORDS_VIEW, component=COMPONENT,
            subject="certifications" if username is None else f"certifications:{username}",
            action=Action.certification_record,
            details={"username": username, "count": len(views)},
        )  # fmt: skip
        return views, [read]

    return administer(gate, caller, ask=ask, act=act)
