"""What a client sends under `/api/v1`, bounded: `Text`, `Word`, `RecordRef`, `Id` and
`FormText` are the text types of every request field, path id and form field, so each declares
its `maxLength` in the OpenAPI document and refuses a NUL (PostgreSQL cannot store one in text;
SQLite would store it silently, so the two backends would disagree)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, StringConstraints

TEXT_MAX_LENGTH = 4000  # a statement: a justification, a reason, a note
WORD_MAX_LENGTH = 64  # a word or a code: a role, a capture source, a program code
ID_MAX_LENGTH = 100  # a record's id (prefix_ and 32 hex digits) or a case number


def no_nul(value: str) -> str:
    """Refuse a NUL: PostgreSQL refuses it in text (a 500 after the gate had decided), and
    nothing a person writes contains one."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character (\\u0000)")
    return value


def valid_form_text(value: str) -> str:
    """Refuse a form field that was not valid UTF-8: the probe route decodes such a field with
    U+FFFD replacement characters (`frsgate.api.routes.probes`) so that it ends up here,
    named, instead of reaching the record as mojibake."""
    if "\ufffd" in value:
        raise ValueError("must be valid UTF-8 text (it holds bytes that are not, or U+FFFD)")
    return no_nul(value)


# Text without NUL whose bound the field sets itself: `Annotated[Clean, Field(max_length=n)]`.
Clean = Annotated[str, AfterValidator(no_nul)]
Text = Annotated[Clean, StringConstraints(max_length=TEXT_MAX_LENGTH)]
Word = Annotated[Clean, StringConstraints(max_length=WORD_MAX_LENGTH)]
# A record's id in a request body (a probe, a second probe).
RecordRef = Annotated[Clean, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH)]
# A path parameter naming a record: over its bound or with a NUL it is a 422, never a lookup.
Id = Annotated[Clean, Path(max_length=ID_MAX_LENGTH, description="A record's id")]
# A multipart form field: the route's `Form(max_length=...)` bounds it.
FormText = Annotated[str, AfterValidator(valid_form_text)]
