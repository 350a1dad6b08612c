"""The training system's CSV export, checked before anything is decided
(frsgate.services.certifications.parse_import): a good file gives its rows, and any malformed
file is refused with the line and the field at fault, never with a traceback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from frsgate.config import load_settings
from frsgate.domain import Certification
from frsgate.errors import ConfigurationError
from frsgate.services.certifications import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    REQUIRED_COLUMNS,
    ImportRefused,
    Problem,
    parse_import,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
COURSES = ("ICE-FRS-101", "ICE-FRS-102")
HEADER = ",".join(REQUIRED_COLUMNS)


def _file(*rows: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return newline.join([header, *rows]).encode() + newline.encode()


def _refused(data: bytes) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        parse_import(data, courses=COURSES, now=NOW)
    return [str(p) for p in caught.value.problems]


def test_a_good_file_gives_its_rows_in_utc() -> None:
    data = (
        "\ufeff"
        + HEADER
        + ",palms_reference\r\n"
        + (
            "alice,ICE-FRS-101,2026-01-02,2026-01-02T10:00:00+02:00,,P-1\r\n"
            "\r\n"
            "bob,ICE-FRS-102,2026-01-03,2026-01-03Z,2026-01-04 09:30:00Z,\r\n"
        )
    )
    with pytest.raises(ImportRefused):  # "2026-01-03Z" is neither a date nor a timestamp
        parse_import(data.encode(), courses=COURSES, now=NOW)
    data = data.replace("2026-01-03Z", "2026-01-03T00:00:00-05:00")
    alice, bob = parse_import(data.encode(), courses=COURSES, now=NOW)
    assert (alice.line, bob.line) == (2, 4)  # the blank line is skipped, and counted
    assert alice.completed_at == datetime(2026, 1, 2, tzinfo=UTC)
    assert alice.best_practices_at == datetime(2026, 1, 2, 8, tzinfo=UTC)
    assert alice.safeguards_at is None  # an empty attestation: not made
    assert alice.palms_reference == "P-1"
    assert bob.best_practices_at == datetime(2026, 1, 3, 5, tzinfo=UTC)
    assert bob.safeguards_at == datetime(2026, 1, 4, 9, 30, tzinfo=UTC)
    assert bob.palms_reference is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "line 1, header: the file is empty"),
        (_file(header="username,course_id,completed_on,best_practices_attested_on"),
         "line 1, header: missing column safeguards_attested_on"),
        (_file(header=HEADER + ",notes"), "line 1, header: unknown column 'notes'"),
        (_file(header=HEADER + ",username"), "line 1, header: column 'username' appears twice"),
        (_file(), "line 2, row: the file has no rows"),
        (_file("alice,ICE-FRS-101,2026-01-02,,", "bob,ICE-FRS-999,2026-01-02,,"),
         "line 3, course_id: 'ICE-FRS-999' is not an IGP-approved course id"),
        (_file("alice,ICE-FRS-101,2026-02-30,,"), "line 2, completed_on: '2026-02-30'"),
        (_file("alice,ICE-FRS-101,02/01/2026,,"), "line 2, completed_on: '02/01/2026' is not"),
        (_file("alice,ICE-FRS-101,2026-01-02,2026-01-02T10:00:00,"),
         "line 2, best_practices_attested_on: '2026-01-02T10:00:00' has no zone"),
        (_file("alice,ICE-FRS-101,2026-01-02,,2026-06-16"),
         "line 2, safeguards_attested_on: 2026-06-16 is in the future"),
        (_file("alice,ICE-FRS-101,1999-12-31,,"), "line 2, completed_on: 1999-12-31 is before"),
        (_file("alice,ICE-FRS-101,,2026-01-02,2026-01-02"), "line 2, completed_on: empty"),
        (_file(",ICE-FRS-101,2026-01-02,,"), "line 2, username: empty"),
        (_file("alice,ICE-FRS-101,2026-01-02,"), "line 2, row: 4 fields where the header names 5"),
        (_file("alice,ICE-FRS-101,2026-01-02,,", "bob,ICE-FRS-101,2026-01-02,,",
               "alice,ICE-FRS-101,2026-01-02,2026-01-03,"),
         "line 4, row: duplicate of line 2"),
        (_file("al\x00ice,ICE-FRS-101,2026-01-02,,"), "line 2, username: holds the control"),
        (_file('"ali\nce",ICE-FRS-101,2026-01-02,,'), "line 2, username: holds the control"),
        (_file('alice,ICE-FRS-101,"2026"-01-02,,'), "line 2, row: not CSV"),
        (_file("alice,ICE-FRS-101,2026-01-02,,", "b\xe9b,ICE-FRS-101,2026-01-02,,")
         .replace(b"\xc3\xa9", b"\xe9"), "line 3, file: not UTF-8 (byte 0xe9)"),
    ],
)  # fmt: skip
def test_a_malformed_file_names_line_and_field(data: bytes, expected: str) -> None:
    problems = _refused(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_too_many_rows_and_too_many_bytes_are_refused() -> None:
    rows = [f"user{i},ICE-FRS-101,2026-01-02,," for i in range(MAX_IMPORT_ROWS + 1)]
    problems = _refused(_file(*rows))
    assert problems == [f"line {MAX_IMPORT_ROWS + 2}, row: more than {MAX_IMPORT_ROWS} rows; "
                        "split the file"]  # fmt: skip
    fat = _file(*(f"user{i},ICE-FRS-101,2026-01-02,,{'x' * 200}" for i in range(1200)),
                header=HEADER + ",palms_reference")  # fmt: skip
    assert len(fat) > MAX_IMPORT_BYTES
    [problem] = _refused(fat)
    assert problem.startswith("line ")
    assert ", file: the file is " in problem
    assert f"over the limit of {MAX_IMPORT_BYTES} bytes" in problem


def test_every_problem_is_named_not_only_the_first() -> None:
    problems = _refused(_file("alice,ICE-FRS-9,2026-01-02,,", "bob,ICE-FRS-101,2026-13-01,,"))
    assert [p.split(":")[0] for p in problems] == ["line 2, course_id", "line 3, completed_on"]


def test_expiry_runs_from_the_latest_date() -> None:
    days = timedelta(days=30)
    first, last = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    assert Certification.expiry([first, None, last], days) == last + days
    assert Certification.expiry([last, first, first], days) == last + days


def test_the_course_setting_is_checked() -> None:
    assert load_settings(certification_courses=" A-1 , B-2").certification_course_ids == (
        "A-1", "B-2")  # fmt: skip
    assert load_settings().certification_course_ids == ("ICE-FRS-101",)
    assert load_settings().certification_valid_days == 365
    with pytest.raises(ConfigurationError, match="FRSGATE_CERTIFICATION_COURSES"):
        load_settings(certification_courses="A-1,,B-2")
    with pytest.raises(ConfigurationError, match="FRSGATE_CERTIFICATION_VALID_DAYS"):
        load_settings(certification_valid_days=0)


# --- properties -----------------------------------------------------------------------------

_usernames = st.from_regex(r"[a-z][a-z0-9._-]{0,15}", fullmatch=True)
_days = st.dates(min_value=date(2020, 1, 1), max_value=NOW.date() - timedelta(days=1))


@st.composite
def _rows(draw: st.DrawFn) -> list[list[str]]:
    names = draw(st.lists(_usernames, min_size=1, max_size=8, unique=True))
    rows = []
    for name in names:
        completed = draw(_days)
        attested = [draw(st.one_of(st.just(""), _days.map(date.isoformat))) for _ in range(2)]
        rows.append([name, draw(st.sampled_from(COURSES)), completed.isoformat(), *attested])
    return rows


def _encode(rows: list[list[str]], *, bom: bool, crlf: bool) -> bytes:
    newline = "\r\n" if crlf else "\n"
    text = newline.join(",".join(r) for r in [list(REQUIRED_COLUMNS), *rows]) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


@given(rows=_rows(), bom=st.booleans(), crlf=st.booleans())
def test_any_well_formed_file_parses_whole(rows: list[list[str]], bom: bool, crlf: bool) -> None:
    parsed = parse_import(_encode(rows, bom=bom, crlf=crlf), courses=COURSES, now=NOW)
    assert [(r.line, r.username, r.course_id) for r in parsed] == [
        (i + 2, row[0], row[1]) for i, row in enumerate(rows)
    ]


# Each mutation breaks one row (0-based among the rows) and says which field the refusal names.
_BAD_CELLS = {
    "username": ["", "bad\x07name"],
    "course_id": ["ICE-FRS-999", "ice-frs-101"],
    "completed_on": ["", "2026-02-30", "yesterday", "2026-01-01T10:00", "2099-01-01",
                     "1999-01-01", "2026-1-1"],
    "best_practices_attested_on": ["2026-13-01", "2099-01-01", "2026-01-01T25:00:00Z"],
    "safeguards_attested_on": ["31/12/2025", "2026-06-16T00:00:00+00:00", "0001-01-01"],
}  # fmt: skip


@st.composite
def _cell_mutation(draw: st.DrawFn) -> tuple[int, str, str]:
    column = draw(st.sampled_from(sorted(_BAD_CELLS)))
    return draw(st.integers(0, 7)), column, draw(st.sampled_from(_BAD_CELLS[column]))


@given(rows=_rows(), mutation=_cell_mutation(), bom=st.booleans(), crlf=st.booleans())
def test_a_bad_cell_is_refused_at_its_line_and_field(
    rows: list[list[str]], mutation: tuple[int, str, str], bom: bool, crlf: bool
) -> None:
    index, column, value = mutation
    index %= len(rows)
    rows[index][REQUIRED_COLUMNS.index(column)] = value
    with pytest.raises(ImportRefused) as caught:
        parse_import(_encode(rows, bom=bom, crlf=crlf), courses=COURSES, now=NOW)
    assert f"line {index + 2}, {column}: " in [f"line {p.line}, {p.field}: " for p in
                                               caught.value.problems]  # fmt: skip


@st.composite
def _structural(draw: st.DrawFn) -> tuple[bytes, int]:
    """A good file broken in its structure, with the line the refusal must name."""
    rows = draw(_rows())
    index = draw(st.integers(0, len(rows) - 1))
    kind = draw(st.sampled_from(["drop_cell", "extra_cell", "duplicate", "drop_column",
                                 "not_utf8", "quote"]))  # fmt: skip
    header = list(REQUIRED_COLUMNS)
    line = index + 2
    if kind == "drop_cell":
        rows[index].pop()
    elif kind == "extra_cell":
        rows[index].append("x")
    elif kind == "duplicate":
        rows.insert(index + 1, list(rows[index]))
        line = index + 3
    elif kind == "drop_column":
        header.pop(draw(st.integers(0, len(header) - 1)))
        line = 1
    elif kind == "quote":
        rows[index][0] = '"' + rows[index][0] + '"x'
    lines = [",".join(r) for r in [header, *rows]]
    data = ("\n".join(lines) + "\n").encode()
    if kind == "not_utf8":
        where = len("\n".join(lines[: index + 1]).encode()) + 1  # the row's first byte
        data = data[:where] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + (
            data[where:])  # fmt: skip
    return data, line


@given(case=_structural())
def test_a_broken_structure_is_refused_at_its_line(case: tuple[bytes, int]) -> None:
    data, line = case
    with pytest.raises(ImportRefused) as caught:
        parse_import(data, courses=COURSES, now=NOW)
    assert line in [p.line for p in caught.value.problems], caught.value.message


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(rows=_rows(), junk=st.binary(min_size=1, max_size=12), at=st.integers(0, 10_000))
def test_any_bytes_are_rows_or_a_refusal_with_a_line(
    rows: list[list[str]], junk: bytes, at: int
) -> None:
    data = _encode(rows, bom=False, crlf=False)
    at %= len(data) + 1
    mutated = data[:at] + junk + data[at:]
    assume(mutated != data)
    problems: list[Problem] = []
    message = ""
    try:
        parse_import(mutated, courses=COURSES, now=NOW)
    except ImportRefused as refused:  # anything else fails the test, with its traceback
        problems, message = refused.problems, refused.message
        assert problems
    assert all(p.line >= 1 and p.field and p.message for p in problems)
    assert not problems or message.startswith(
        "certification import refused, nothing imported: line "
    )
