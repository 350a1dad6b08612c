"""Ledger entries: the typed draft a service passes, its checks, and its canonical bytes.

An entry is one JSON object in RFC 8785 (JCS) canonical form, UTF-8. The caller builds an
`EntryDraft`; the ledger adds `seq` and `time` at commit and hashes the canonical bytes. The
draft is checked when it is built, so a refused draft fails in the caller, never in the
committer: non-JSON values, floats JCS cannot represent, keys that would carry image bytes or
secrets, and image payloads smuggled in as strings are all refused (DESIGN "Ledger": probe
images never enter the ledger, only their SHA-256).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import rfc8785

from frsgate.errors import ValidationFailed
from frsgate.ledger.events import EventTag

FORMAT_VERSION = 1
MAX_ENTRY_BYTES = 64 * 1024  # an entry is a record of an act, never a payload
MAX_DEPTH = 12
MAX_TEXT = 512  # identifiers, subject, component, source

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


class Outcome(StrEnum):
    """How the act ended: a decision (allowed/denied) or an action (succeeded/failed/unknown)."""

    ALLOWED = "allowed"
    DENIED = "denied"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"


_ROLE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: a user id and the role they acted in (`system` for the service itself)."""

    id: str
    role: str

    def __post_init__(self) -> None:
        _check_text(self.id, "actor.id")
        if not _ROLE.match(self.role):
            raise ValidationFailed(f"actor.role {self.role!r} is not a role name")

    @classmethod
    def system(cls) -> Actor:
        return cls(id="system", role="system")

    def to_json(self) -> dict[str, JsonValue]:
        return {"id": self.id, "role": self.role}


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """The policy pack a decision was made under: its id and the SHA-256 of its content."""

    pack: str
    sha256: str

    def __post_init__(self) -> None:
        _check_text(self.pack, "policy.pack")
        if not _SHA256_HEX.match(self.sha256):
            raise ValidationFailed("policy.sha256 must be 64 lowercase hexadecimal digits")

    def to_json(self) -> dict[str, JsonValue]:
        return {"pack": self.pack, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class Citation:
    """One rule behind a decision: rule id, memo section, and the message a user sees."""

    rule: str
    section: str
    message: str

    def __post_init__(self) -> None:
        for name in ("rule", "section", "message"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValidationFailed(f"citation.{name} must be a non-empty string")

    def to_json(self) -> dict[str, JsonValue]:
        return {"rule": self.rule, "section": self.section, "message": self.message}


# Keys that name image content or secrets. A key is refused when one of its words is in
# _IMAGE_WORDS and its last word is not a harmless suffix (probe_sha256 is fine,
# probe_image is not), or when any of its words is in _ALWAYS_REFUSED.
_IMAGE_WORDS = frozenset(
    {"image", "images", "img", "photo", "photos", "picture", "probe", "face", "jpeg", "jpg",
     "png", "webp", "gif", "bitmap", "thumbnail", "frame"}
)  # fmt: skip
_HARMLESS_SUFFIXES = frozenset(
    {"sha256", "digest", "hash", "id", "ids", "count", "width", "height", "type", "format",
     "mime", "kind", "status", "size", "quality", "score", "reason", "source", "purpose",
     "on", "at", "date"}  # when a photo was taken (photo_taken_on) is not its content
)  # fmt: skip
_ALWAYS_REFUSED = frozenset(
    {"bytes", "blob", "base64", "b64", "pixels", "raw", "password", "passwd", "secret",
     "credential", "credentials", "private", "apikey", "authorization", "cookie"}
)  # fmt: skip
# Words that, ending a key, make it name a credential ("api_key", "access_token"): the ledger
# records a credential's fingerprint ("api_key_fingerprint"), never the credential.
_CREDENTIAL_ENDINGS = frozenset({"token", "apikey"})
_CREDENTIAL_QUALIFIERS = frozenset({"api", "access", "bearer", "client", "signing", "session"})
# Image payloads passed as text: data URIs and the base64 openings of JPEG, PNG, GIF, WebP.
_IMAGE_TEXT = re.compile(r"^(data:image/|/9j/|iVBORw0KGgo|R0lGOD|UklGR)", re.IGNORECASE)


def _key_words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    return [w for w in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if w]


def refused_key_reason(key: str) -> str | None:
    """Why `key` may not appear in an entry, or None when it may."""
    words = _key_words(key)
    if any(w in _ALWAYS_REFUSED for w in words):
        return "it names raw bytes or a secret"
    if words and (
        words[-1] in _CREDENTIAL_ENDINGS
        or (words[-1] == "key" and any(w in _CREDENTIAL_QUALIFIERS for w in words[:-1]))
    ):
        return "it names a credential (record its fingerprint instead)"
    if any(w in _IMAGE_WORDS for w in words) and (not words or words[-1] not in _HARMLESS_SUFFIXES):
        return "it names image content (record the image's SHA-256 instead, e.g. probe_sha256)"
    return None


def _check_text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise ValidationFailed(
            f"{where} must be a non-empty string of at most {MAX_TEXT} characters"
        )
    return value


def check_json(value: Any, where: str, depth: int = 0) -> JsonValue:
    """A deep copy of `value` as plain JSON types, or `ValidationFailed` naming the path."""
    if depth > MAX_DEPTH:
        raise ValidationFailed(f"{where} is nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:  # RFC 8785 §3.2.2.3: I-JSON integers only
            raise ValidationFailed(f"{where} is an integer outside the I-JSON range (±2^53)")
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationFailed(f"{where} is {value}, which JSON cannot represent")
        return float(value)
    if isinstance(value, str):
        if _IMAGE_TEXT.match(value):
            raise ValidationFailed(f"{where} looks like an encoded image; record its SHA-256")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationFailed(f"{where} is not valid Unicode text") from None
        return value
    if isinstance(value, Mapping):
        out: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationFailed(f"{where} has a non-string key {key!r}")
            reason = refused_key_reason(key)
            if reason:
                raise ValidationFailed(f"{where}.{key} is refused: {reason}")
            out[key] = check_json(item, f"{where}.{key}", depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [check_json(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    raise ValidationFailed(f"{where} is a {type(value).__name__}, which is not a JSON value")


def _citation(value: Citation | Mapping[str, Any], i: int) -> Citation:
    if isinstance(value, Citation):
        return value
    if isinstance(value, Mapping) and set(value) == {"rule", "section", "message"}:
        return Citation(rule=value["rule"], section=value["section"], message=value["message"])
    raise ValidationFailed(f"citations[{i}] must have exactly rule, section and message")


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """What a service records about one act; the ledger adds `seq` and `time` at commit.

    `subject` names what the act was about (`case:HSI-1`, `user:42`, `submission:8c1e`),
    `component` the part of FRS Gate that acted (`services.submit`), `source` where the
    request came from (a client address, `cli`, or `system`). `case`, `submission`,
    `provider` and `program_code` are given where they apply; decisions carry `policy` and
    `citations`. `details` is a JSON object of anything else the act needs on record.
    """

    event: EventTag
    actor: Actor
    outcome: Outcome
    subject: str
    component: str
    source: str
    case: str | None = None
    submission: str | None = None
    provider: str | None = None
    program_code: str | None = None
    policy: PolicyRef | None = None
    citations: Sequence[Citation | Mapping[str, Any]] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    body: dict[str, JsonValue] = field(init=False, repr=False, compare=False)
    _jcs: tuple[bytes, bytes, bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.event, EventTag):
            try:
                object.__setattr__(self, "event", EventTag(self.event))
            except ValueError:
                raise ValidationFailed(f"event {self.event!r} is not an EventTag") from None
        if not isinstance(self.actor, Actor):
            raise ValidationFailed("actor must be an Actor(id, role)")
        try:
            object.__setattr__(self, "outcome", Outcome(self.outcome))
        except ValueError:
            raise ValidationFailed(f"outcome {self.outcome!r} is not an Outcome") from None
        body: dict[str, JsonValue] = {
            "v": FORMAT_VERSION,
            "event": self.event.value,
            "actor": self.actor.to_json(),
            "outcome": self.outcome.value,
            "subject": _check_text(self.subject, "subject"),
            "component": _check_text(self.component, "component"),
            "source": _check_text(self.source, "source"),
        }
        for name in ("case", "submission", "provider", "program_code"):
            value = getattr(self, name)
            if value is not None:
                body[name] = _check_text(value, name)
        if self.policy is not None:
            if not isinstance(self.policy, PolicyRef):
                raise ValidationFailed("policy must be a PolicyRef(pack, sha256)")
            body["policy"] = self.policy.to_json()
        if isinstance(self.citations, str | bytes):
            raise ValidationFailed("citations must be a list")
        if self.citations:
            body["citations"] = [_citation(c, i).to_json() for i, c in enumerate(self.citations)]
        if not isinstance(self.details, Mapping):
            raise ValidationFailed("details must be a JSON object")
        body["details"] = check_json(self.details, "details")
        object.__setattr__(self, "body", body)
        object.__setattr__(self, "_jcs", _jcs_parts(body))
        # Fail here, in the caller, if the bytes would be refused at commit.
        size = len(canonical_entry(self, seq=2**53 - 1, time=format_time(datetime.now(UTC))))
        if size > MAX_ENTRY_BYTES:
            raise ValidationFailed(f"entry is {size} bytes; the limit is {MAX_ENTRY_BYTES}")


def format_time(moment: datetime) -> str:
    """UTC RFC 3339 with centiseconds, e.g. ``2026-11-26T06:31:35.12Z`` (CJIS audit time)."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 10_000:02d}Z"


def _jcs(value: dict[str, JsonValue]) -> bytes:
    try:
        return bytes(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError as exc:
        raise ValidationFailed(f"entry cannot be canonicalized: {exc}") from None


def _jcs_parts(body: dict[str, JsonValue]) -> tuple[bytes, bytes, bytes]:
    """The canonical bytes around the two members the ledger adds at commit.

    RFC 8785 §3.2.3 sorts members by key, and every top-level key is a fixed ASCII name, so
    `seq` sits between the keys below "seq" and those up to "time", and `time` before "v".
    Canonicalizing those three groups once, in the caller, leaves the committer (which holds
    the head lock) only two numbers to splice in; a test checks the result byte for byte
    against canonicalizing the whole entry.
    """
    if "seq" in body or "time" in body:
        raise ValidationFailed("seq and time are assigned by the ledger")
    before = _jcs({k: v for k, v in body.items() if k < "seq"})[:-1]
    middle = _jcs({k: v for k, v in body.items() if "seq" < k < "time"})[1:-1]
    after = _jcs({k: v for k, v in body.items() if k > "time"})[1:]
    return (before + b"," if len(before) > 1 else before), middle, after


def canonical_entry(draft: EntryDraft, *, seq: int, time: str) -> bytes:
    """The entry's RFC 8785 canonical UTF-8 bytes, with the `seq` and `time` the ledger gave.

    `time` comes from `format_time` (ASCII digits and punctuation, nothing to escape).
    """
    before, middle, after = draft._jcs
    sep = b"," if middle else b""
    return b"".join(
        (before, b'"seq":', str(seq).encode(), b",", middle, sep, b'"time":"', time.encode(),
         b'",', after)
    )  # fmt: skip


def entry_seq(entry: bytes) -> int | None:
    """The top-level `seq` of canonical entry bytes, read without a full JSON parse.

    JCS sorts keys, and the keys after `seq` (source, subject, submission, time, v) hold only
    scalars, so the last ``"seq":`` in the bytes is the top-level one; inside a string a quote
    is always escaped, so it cannot fake one. Returns None when there is none.
    """
    at = entry.rfind(b'"seq":')
    if at < 0:
        return None
    end = at + 6
    while end < len(entry) and entry[end] in b"0123456789":
        end += 1
    digits = entry[at + 6 : end]
    return int(digits) if digits else None
