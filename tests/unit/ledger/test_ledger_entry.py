"""Entry drafts: what is refused before it can reach the ledger, and the canonical bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from frsgate.errors import ValidationFailed
from frsgate.ledger import Actor, Citation, EntryDraft, EventTag, Outcome, PolicyRef
from frsgate.ledger.entry import (
    MAX_ENTRY_BYTES,
    canonical_entry,
    entry_seq,
    format_time,
    refused_key_reason,
)

Draft = Callable[..., EntryDraft]
_SAFE_KEYS = ["a", "seq", "time", "v", "zeta", "source", "é", "\u20ac", "n_1", "A", "_"]


def test_event_tags_are_scope_subject_action() -> None:
    required = {
        "user:account:create", "user:role:grant", "user:role:revoke", "user:account:deactivate",
        "case:record:create", "case:assignment:add", "case:status:change",
        "program:record:create", "program:assessment:approve", "certification:record:create",
        "provider:record:create", "provider:review:start", "provider:review:decide",
        "provider:review:queue", "policy:decision:evaluate", "policy:pack:activate",
        "probe:record:create", "probe:image:view", "submission:record:create",
        "submission:dispatch:intent", "submission:dispatch:outcome",
        "submission:dispatch:outcome_unknown", "approval:request:create",
        "approval:request:decide", "approval:request:expire", "candidates:list:view",
        "disposition:record:create", "examination:record:create",
        "corroboration:record:create", "lead:record:create", "lead:enforcement:mark",
        "roi:entry:create", "share:record:create", "ratelimit:user:exceeded",
        "ratelimit:case:exceeded", "ledger:checkpoint:issue", "ledger:entries:read",
        "export:ledger:run", "system:service:start",
    }  # fmt: skip
    values = {t.value for t in EventTag}
    assert required <= values
    for tag in EventTag:
        scope, subject, action = tag.value.split(":")
        assert scope
        assert subject
        assert action
        assert tag.scope == scope
        assert tag.name == tag.value.upper().replace(":", "_")


def test_time_has_centiseconds_in_utc() -> None:
    moment = datetime(2026, 11, 26, 1, 31, 35, 129_999, tzinfo=timezone(timedelta(hours=-5)))
    assert format_time(moment) == "2026-11-26T06:31:35.12Z"
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, 0, tzinfo=UTC)) == "2026-01-02T03:04:05.00Z"


def test_canonical_bytes_are_jcs_with_optional_fields_present_only_when_given(
    draft: Draft,
) -> None:
    d = draft(
        3,
        policy=PolicyRef(pack="hsi_2021", sha256="0" * 64),
        citations=[
            Citation(rule="r1", section="4.C.1", message="approved provider"),
            {"rule": "r2", "section": "4.B.2", "message": "witness probe approved"},
        ],
        details={"b": 1.5, "a": [True, None, "é"], "probe_sha256": "ab" * 32},
    )
    raw = canonical_entry(d, seq=42, time="2026-11-26T06:31:35.12Z")
    body = json.loads(raw)
    assert (
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == raw
    )
    assert body["seq"] == 42
    assert entry_seq(raw) == 42
    assert body["policy"] == {"pack": "hsi_2021", "sha256": "0" * 64}
    assert [c["rule"] for c in body["citations"]] == ["r1", "r2"]
    assert "program_code" not in body
    bare = canonical_entry(draft(0, case=None, submission=None, provider=None), seq=0, time="t")
    assert not {"case", "submission", "provider", "policy", "citations"} & json.loads(bare).keys()


def test_entry_seq_ignores_a_nested_seq_key(draft: Draft) -> None:
    raw = canonical_entry(draft(0, details={"seq": 5, "x": '"seq":7,'}), seq=9, time="t")
    assert entry_seq(raw) == 9
    assert entry_seq(b'{"v":1}') is None


@pytest.mark.parametrize(
    "details",
    [
        {"x": float("nan")},
        {"x": float("inf")},
        {"x": 2**60},
        {"x": b"bytes"},
        {"x": {1, 2}},
        {"x": object()},
        {1: "non-string key"},
        {"image": "abc"},
        {"probe_image": "abc"},
        {"faceImage": "abc"},
        {"photo_bytes": "abc"},
        {"nested": {"jpeg": "abc"}},
        {"list": [{"png_data": "abc"}]},
        {"raw": "abc"},
        {"password": "hunter2"},
        {"api_secret": "x"},
        {"api_key": "x"},
        {"apiKey": "x"},
        {"access_token": "x"},
        {"nested": {"client_key": "x"}},
        {"thumbnail": "x"},
        {"x": "data:image/png;base64,iVBORw0KGgo"},
        {"x": "/9j/4AAQSkZJRgABAQ"},
        {"x": "\ud800"},
        {"x": "a" * MAX_ENTRY_BYTES},
    ],
)
def test_refused_details(draft: Draft, details: dict[object, object]) -> None:
    with pytest.raises(ValidationFailed):
        draft(0, details=details)


def test_allowed_keys_name_digests_and_counts() -> None:
    for key in ("probe_sha256", "image_count", "face_count", "probe_id", "match_type", "n",
                "api_key_fingerprint", "idempotency_key", "tls_client_key_path"):  # fmt: skip
        assert refused_key_reason(key) is None, key


@pytest.mark.parametrize(
    "overrides",
    [
        {"event": "not:a:tag"},
        {"outcome": "maybe"},
        {"actor": "user-1"},
        {"subject": ""},
        {"component": 7},
        {"source": "x" * 600},
        {"case": ""},
        {"policy": {"pack": "p", "sha256": "0" * 64}},
        {"citations": [{"rule": "r"}]},
        {"citations": "r1"},
        {"details": ["not", "an", "object"]},
    ],
)
def test_refused_fields(draft: Draft, overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed):
        draft(0, **overrides)


def test_typed_values_refuse_bad_content() -> None:
    with pytest.raises(ValidationFailed):
        Actor(id="u", role="Agent Smith")
    with pytest.raises(ValidationFailed):
        PolicyRef(pack="p", sha256="XYZ")
    with pytest.raises(ValidationFailed):
        Citation(rule="", section="4", message="m")


def test_string_event_and_outcome_are_coerced(draft: Draft) -> None:
    d = draft(0, event="probe:image:view", outcome="succeeded")
    assert d.event is EventTag.PROBE_IMAGE_VIEW
    assert d.outcome is Outcome.SUCCEEDED


_json_leaf = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20)


def _json_of(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # A named function: Hypothesis checks that `extend` uses its argument by reading its
    # source, which it cannot always do for a lambda spread over several lines.
    return st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(_SAFE_KEYS), inner, max_size=4
    )


_json = st.recursive(
    _json_leaf | st.floats(allow_nan=False, allow_infinity=False),
    _json_of,
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    details=st.dictionaries(st.sampled_from(_SAFE_KEYS), _json, max_size=6),
    optional=st.dictionaries(
        st.sampled_from(["case", "submission", "provider", "program_code"]),
        st.text(min_size=1, max_size=12),
    ),
    subject=st.text(min_size=1, max_size=12),
    seq=st.integers(0, 2**53 - 1),
)
def test_spliced_bytes_equal_canonicalizing_the_whole_entry(
    details: dict[str, object], optional: dict[str, str], subject: str, seq: int
) -> None:
    d = EntryDraft(
        event=EventTag.CASE_STATUS_CHANGE,
        actor=Actor(id="u-1", role="agent"),
        outcome=Outcome.SUCCEEDED,
        subject=subject,
        component="tests",
        source="cli",
        details=details,
        **optional,  # type: ignore[arg-type]
    )
    time = format_time(datetime.now(UTC))
    whole = rfc8785.dumps({**d.body, "seq": seq, "time": time})
    assert canonical_entry(d, seq=seq, time=time) == whole
    assert entry_seq(whole) == seq
