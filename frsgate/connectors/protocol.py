"""The one FRS connector protocol: match types, provider terms, requests, results.

Every FRS, whatever it speaks on the wire, is reached through an object that fits
`FrsConnector`. Gallery searches (`one_to_one`, `one_to_many`, and any extra match type a
provider's terms name, such as the memo's fourth, redacted use) go through `search`; the
memo's 2-photo submission goes through `compare` (memo §2).

Results are investigative leads only (memo 4.D.2, 4.D.3): `CandidateList` and
`ComparisonResult` carry `investigative_lead_only = True` and a notice saying so, and an empty
candidate list is a valid, negative result, not an error.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from typing import Annotated, Final, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from frsgate.domain.providers import MatchType as MatchType
from frsgate.errors import ValidationFailed

# The wire protocol states the notice as a literal; a test pins it to the domain's one notice.
LEAD_ONLY_NOTICE: Final = "Not a positive identification — memo 4.D.2"

# Media types a probe or candidate image may have on the wire. Probes reach a connector already
# re-encoded by the vault, so these two are all that is needed.
IMAGE_MEDIA_TYPES: Final = frozenset({"image/png", "image/jpeg"})

# A match type's name: a lower-case slug. Public so the HTTP edge checks the same shape.
MATCH_TYPE_NAME_PATTERN: Final = r"^[a-z][a-z0-9_]{0,39}$"
_MATCH_TYPE_NAME = re.compile(MATCH_TYPE_NAME_PATTERN)
# The longest `SearchRequest.subject_ref`; the HTTP edge refuses a longer `target_ref` before
# anything is recorded, rather than the connector refusing it after the intent is logged.
SUBJECT_REF_MAX_LENGTH: Final = 200
# Idempotency keys: opaque, URL-safe, long enough not to collide by accident.
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")


# One vocabulary: the memo's three named uses are the domain's `MatchType`.
def check_match_type_name(name: str) -> str:
    """Return `name` if it can name a match type (lower-case slug), else raise."""
    if not _MATCH_TYPE_NAME.fullmatch(name):
        raise ValidationFailed(
            f"match type {name!r} is not a valid name: use 1-40 characters a-z, 0-9 and _, "
            "starting with a letter"
        )
    return name


def sniff_media_type(data: bytes) -> str:
    """The media type of a PNG or JPEG image from its magic bytes, else raise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    raise ValidationFailed("image is neither PNG nor JPEG; probes must be re-encoded by the vault")


def new_idempotency_key() -> str:
    """A fresh idempotency key. Store it with the submission's intent entry and send the same
    key on every attempt of that submission, so the provider can de-duplicate."""
    return secrets.token_urlsafe(24)


def _check_idempotency_key(value: str) -> str:
    if not _IDEMPOTENCY_KEY.fullmatch(value):
        raise ValueError("idempotency key must be 16-128 characters of A-Z, a-z, 0-9, '-', '_'")
    return value


class ProviderTerms(BaseModel):
    """What a provider's terms and conditions allow (memo 4.C.4)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    match_types: frozenset[str]
    candidate_cap: Annotated[int, Field(ge=1, le=1000)]
    law_enforcement_use: bool

    @field_validator("match_types")
    @classmethod
    def _names(cls, value: frozenset[str]) -> frozenset[str]:
        for name in value:
            if not _MATCH_TYPE_NAME.fullmatch(name):
                raise ValueError(f"match type {name!r} is not a valid name")
        return value


class SearchRequest(BaseModel):
    """One gallery search: `one_to_one`, `one_to_many` or an extra type the terms name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    submission_id: Annotated[str, Field(min_length=1, max_length=200)]
    # Already re-encoded and metadata-free (vault). Kept out of reprs: probes never reach logs.
    probe: Annotated[bytes, Field(min_length=1, repr=False)]
    match_type: str
    max_candidates: Annotated[int, Field(ge=1, le=1000)]
    idempotency_key: str
    # one_to_one only: the provider's opaque reference of the selected gallery image (memo §2).
    subject_ref: Annotated[str, Field(min_length=1, max_length=SUBJECT_REF_MAX_LENGTH)] | None = (
        None
    )
    include_images: bool = True

    @field_validator("match_type")
    @classmethod
    def _match_type(cls, value: str) -> str:
        if not _MATCH_TYPE_NAME.fullmatch(value):
            raise ValueError(f"match type {value!r} is not a valid name")
        if value == MatchType.two_photo:
            raise ValueError("two_photo is not a gallery search; use compare(a, b)")
        return value

    @field_validator("idempotency_key")
    @classmethod
    def _key(cls, value: str) -> str:
        return _check_idempotency_key(value)

    @field_validator("probe")
    @classmethod
    def _probe_is_image(cls, value: bytes) -> bytes:
        try:
            sniff_media_type(value)
        except ValidationFailed as exc:
            raise ValueError(exc.message) from None
        return value

    @model_validator(mode="after")
    def _subject_only_for_one_to_one(self) -> SearchRequest:
        if self.match_type == MatchType.one_to_one and self.subject_ref is None:
            raise ValueError("one_to_one needs subject_ref: the gallery image to verify against")
        if self.match_type == MatchType.one_to_many and self.subject_ref is not None:
            raise ValueError("one_to_many takes no subject_ref")
        return self

    @property
    def probe_media_type(self) -> str:
        return sniff_media_type(self.probe)


class Candidate(BaseModel):
    """One entry of a candidate list: a lead, never an identification (memo 4.D.2)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rank: Annotated[int, Field(ge=1)]
    score: Annotated[float, Field(ge=0.0, le=1.0)]
    gallery_ref: Annotated[str, Field(min_length=1, max_length=200)]  # opaque, provider's id
    image: Annotated[bytes | None, Field(repr=False)] = None
    media_type: str | None = None
    source_database: Annotated[str, Field(min_length=1, max_length=200)]
    photo_taken_on: date | None = None  # when the gallery photo was taken, if the FRS says

    @model_validator(mode="after")
    def _image_and_type(self) -> Candidate:
        if (self.image is None) != (self.media_type is None):
            raise ValueError("candidate image and media_type come together or not at all")
        if self.media_type is not None and self.media_type not in IMAGE_MEDIA_TYPES:
            raise ValueError(f"candidate media type {self.media_type!r} is not PNG or JPEG")
        return self


class _LeadOnly(BaseModel):
    """Fields every FRS result carries (memo 4.D.2, 4.D.3)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider_id: str
    idempotency_key: str
    started_at: datetime  # measured by the gateway, not reported by the provider
    ended_at: datetime
    attempts: Annotated[int, Field(ge=1)]
    sandbox: bool  # True: synthetic data from a sandbox FRS, never evidence
    provider_notice: str | None = None  # what the provider said about its data, verbatim
    investigative_lead_only: Literal[True] = True
    notice: Literal["Not a positive identification — memo 4.D.2"] = LEAD_ONLY_NOTICE


class CandidateList(_LeadOnly):
    """The answer to a search. Empty `candidates` is a negative result, not an error."""

    match_type: str
    # The gallery the provider searched; EU AI Act Art. 12(3)(b) wants it logged.
    database: Annotated[str, Field(min_length=1, max_length=200)]
    candidates: tuple[Candidate, ...]

    @property
    def is_negative(self) -> bool:
        return not self.candidates


class ComparisonResult(_LeadOnly):
    """The answer to a 2-photo comparison (memo §2): a likeness score in [0, 1]."""

    match_type: Literal["two_photo"] = "two_photo"
    score: Annotated[float, Field(ge=0.0, le=1.0)]


class HealthStatus(BaseModel):
    """What a provider says about itself at `GET /v1/health`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider_id: str
    ok: bool
    sandbox: bool
    database: str
    match_types: frozenset[str]


@runtime_checkable
class FrsConnector(Protocol):
    """The one way FRS Gate reaches an FRS. Implementations enforce the provider's terms on
    what goes out and on what comes back (memo 4.C.4) and raise `ConnectorError` subclasses."""

    @property
    def provider_id(self) -> str: ...

    @property
    def terms(self) -> ProviderTerms: ...

    def search(self, request: SearchRequest) -> CandidateList: ...

    def compare(self, a: bytes, b: bytes, *, idempotency_key: str) -> ComparisonResult: ...

    def health(self) -> HealthStatus: ...

    def close(self) -> None: ...
