"""What `/api/v1/leads` and `/api/v1/cases/{number}/leads` take and answer (memo 4.D.3).

Requests are bounded like every request field (`frsgate.api.fields`). A corroboration's `kind`
is free text here on purpose: the policy pack, not the parser, refuses the kinds that are not
independent of the FRS (`frs_result`, `photo_lineup_from_frs`, `show_up_from_frs`,
`facial_examination`), with its citation on the ledger; a word that names no kind at all is a
422 listing the kinds. A blank `description` reaches the pack too (`corroboration.described`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from frsgate.api.fields import Clean, RecordRef, Text, Word
from frsgate.api.schemas import Timestamp
from frsgate.domain import CorroborationKind, LeadStatus

Statement = Annotated[Text, Field(min_length=1)]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date_text(value: object) -> object:
    """A date is sent as "YYYY-MM-DD" and nothing else (not a number, not a time)."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


# "YYYY-MM-DD": ten characters (documented as such, like every string a client sends).
CalendarDate = Annotated[
    date,
    BeforeValidator(_date_text),
    WithJsonSchema({"type": "string", "format": "date", "maxLength": 10}),
]
Named = Annotated[Clean, Field(min_length=1, max_length=256)]


class LeadIn(BaseModel):
    """Open an investigative lead from a candidate's current possible-lead disposition."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "disposition_id": "disposition_0f3c2a9d8e7b4c1a9f0e1d2c3b4a5968",
                    "summary": "candidate 2 resembles the suspect; check port access records",
                }
            ]
        },
    )

    disposition_id: RecordRef
    summary: Statement


class CorroborationIn(BaseModel):
    """Investigative information, obtained by traditional means, that supports the lead."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "records_check",
                    "source": "State DMV record",
                    "description": "licence photo and address match the port badge holder",
                    "obtained_by": "SA Alice Agent, HSI Newark",
                    "obtained_on": "2026-10-05",
                }
            ]
        },
    )

    kind: Annotated[
        Word,
        Field(
            min_length=1,
            description="One of " + ", ".join(k.value for k in CorroborationKind) + "; the "
            "policy refuses those not independent of the FRS (memo 4.D.3)",
        ),
    ]
    source: Named = Field(description="Where it came from, e.g. 'State DMV record'")
    description: Text = Field(description="What it shows (required by the policy)")
    obtained_by: Named = Field(description="Who obtained the information")
    obtained_on: CalendarDate | None = Field(default=None, description="When it was obtained")


class EnforcementBasisIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"note": "DMV record and badge log corroborate; arrest warrant sought"}]
        },
    )

    note: Statement


class LeadCloseIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "records check excluded the candidate"}]},
    )

    reason: Statement


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorroborationOut(_Out):
    id: str
    lead_id: str
    kind: CorroborationKind
    independent_of_frs: bool
    source: str
    description: str
    obtained_by: str
    obtained_on: str | None = Field(json_schema_extra={"format": "date"})
    recorded_by: str
    created_at: Timestamp


class LeadOut(_Out):
    """A lead: only ever an investigative lead until corroborated (memo 4.D.3)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "lead_5b1e0c9a2f3d4e6a8b7c9d0e1f2a3b4c",
                    "case": "HSI-2026-000001",
                    "case_id": "case_1a2b3c4d5e6f708192a3b4c5d6e7f809",
                    "submission_id": "submission_2b3c4d5e6f708192a3b4c5d6e7f8091a",
                    "candidate_id": "candidate_3c4d5e6f708192a3b4c5d6e7f8091a2b",
                    "disposition_id": "disposition_0f3c2a9d8e7b4c1a9f0e1d2c3b4a5968",
                    "opened_by": "user_4d5e6f708192a3b4c5d6e7f8091a2b3c",
                    "summary": "candidate 2 resembles the suspect; check port access records",
                    "status": "corroborated",
                    "notice": "Not a positive identification — memo 4.D.2",
                    "created_at": "2026-10-04T09:12:00+00:00",
                    "corroborated_at": "2026-10-05T14:30:00+00:00",
                    "enforcement_basis_at": None,
                    "enforcement_marked_by": None,
                    "enforcement_note": None,
                    "closed_at": None,
                    "closed_by": None,
                    "close_reason": None,
                    "corroborations": [],
                }
            ]
        },
    )

    id: str
    case: str = Field(description="The case number")
    case_id: str
    submission_id: str | None
    candidate_id: str
    disposition_id: str
    opened_by: str
    summary: str
    status: LeadStatus
    notice: str = Field(description="Not a positive identification (memo 4.D.2)")
    created_at: Timestamp
    corroborated_at: Timestamp | None
    enforcement_basis_at: Timestamp | None
    enforcement_marked_by: str | None
    enforcement_note: str | None
    closed_at: Timestamp | None
    closed_by: str | None
    close_reason: str | None
    corroborations: list[CorroborationOut]


class LeadListOut(_Out):
    case: str
    leads: list[LeadOut]


class CorroborationResultOut(_Out):
    """The corroboration stored and the lead as it now stands."""

    corroboration: CorroborationOut
    lead: LeadOut
