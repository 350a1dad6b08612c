"""The published entry format (docs/audit-log-entry.schema.json) matches what the ledger writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from frsgate.ledger import Citation, EntryDraft, EventTag, Ledger, PolicyRef

DOCS = Path(__file__).resolve().parents[3] / "docs"
SCHEMA = json.loads((DOCS / "audit-log-entry.schema.json").read_text())


def test_schema_is_valid_and_lists_every_event_tag() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["event"]["enum"] == [t.value for t in EventTag]


def test_written_entries_follow_the_schema(
    ledger: Ledger, draft: Callable[..., EntryDraft]
) -> None:
    ledger.append(draft(0))
    ledger.append(
        draft(
            1,
            policy=PolicyRef(pack="hsi_2021", sha256="ab" * 32),
            citations=[Citation(rule="deny-unreviewed", section="4.C.1", message="not reviewed")],
            program_code="P-7",
        )
    )
    for seq in (0, 1):
        jsonschema.validate(json.loads(ledger.entry(seq)), SCHEMA)
    wrong = json.loads(ledger.entry(0)) | {"event": "probe:image:download"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, SCHEMA)


def test_format_document_names_every_event_tag() -> None:
    text = (DOCS / "audit-log-format.md").read_text()
    missing = [t.value for t in EventTag if f"`{t.value}`" not in text]
    assert missing == []
