"""The entry schema IGP approves (memo fn2) is the one the package ships: byte for byte the
published `docs/audit-log-entry.schema.json`, and its SHA-256 is the subject's."""

from __future__ import annotations

import hashlib
from pathlib import Path

from frsgate.ledger.entry import FORMAT_VERSION
from frsgate.services import log_format

DOCS_SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "audit-log-entry.schema.json"


def test_the_packaged_schema_is_the_published_one() -> None:
    # When this fails after an event tag was added: copy docs/audit-log-entry.schema.json to
    # frsgate/ledger/audit-log-entry.schema.json (the format changed: IGP approves it anew).
    assert log_format.schema_bytes() == DOCS_SCHEMA.read_bytes()


def test_the_subject_names_the_version_and_the_schema_digest() -> None:
    digest = hashlib.sha256(DOCS_SCHEMA.read_bytes()).hexdigest()
    assert log_format.subject() == f"v{FORMAT_VERSION}@{digest}"
