"""The JSON wire protocol an FRS (or an adapter in front of one) implements for FRS Gate.

Version 1, documented in docs/connector-protocol.md; docs/connector-openapi.json is generated
from the sandbox FRS, which serves exactly these models. The HTTP connector validates every
response against them strictly (no type coercion: a score sent as a string is refused); unknown
response fields are ignored, so a provider can add fields within version 1.

Images travel as standard base64 (RFC 4648 §4) with their media type.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL: Final = "frsgate-connector/1"
PROTOCOL_VERSION_HEADER: Final = "FRS-Protocol"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"

MediaType = Literal["image/png", "image/jpeg"]
_Text = Annotated[str, Field(min_length=1, max_length=200)]
_Base64 = Annotated[
    str,
    Field(
        min_length=4,
        description="Standard base64 (RFC 4648 §4), no line breaks",
        json_schema_extra={"contentEncoding": "base64"},
    ),
]


def encode_image(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode_image(text: str) -> bytes:
    """Decode strict base64, or raise ValueError naming the problem."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"image data is not valid base64: {exc}") from None


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class WireImage(BaseModel):
    """An image with its media type."""

    model_config = ConfigDict(extra="forbid", strict=True)

    media_type: MediaType
    data: _Base64


class SearchBody(_Request):
    """`POST /v1/search`: search the provider's gallery with one probe image."""

    match_type: Annotated[
        str,
        Field(
            pattern=r"^[a-z][a-z0-9_]{0,39}$",
            description="one_to_one, one_to_many, or another gallery match type the "
            "provider's terms name (two_photo goes to /v1/compare)",
        ),
    ]
    max_candidates: Annotated[int, Field(ge=1, le=1000)]
    probe: WireImage
    subject_ref: Annotated[
        str | None,
        Field(
            max_length=200,
            description="one_to_one only: the provider's reference of the selected gallery image",
        ),
    ] = None
    include_images: bool = True


class WireCandidate(_Response):
    rank: Annotated[int, Field(ge=1, description="1 for the most likely; consecutive")]
    score: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
    gallery_ref: _Text
    source_database: _Text
    image: WireImage | None = None
    photo_taken_on: Annotated[
        date | None,
        Field(
            description="when the gallery photo was taken (YYYY-MM-DD), if the provider knows; "
            "FRS Gate flags old photos for the reviewer",
        ),
    ] = None


class SearchResponse(_Response):
    """A candidate list. An empty `candidates` array is a negative result, not an error."""

    protocol: Literal["frsgate-connector/1"]
    provider: _Text
    database: Annotated[str, Field(min_length=1, max_length=200, description="gallery searched")]
    match_type: str
    sandbox: bool = Field(description="true: synthetic data from a sandbox FRS")
    notice: Annotated[str | None, Field(max_length=500)] = None
    candidates: list[WireCandidate]


class CompareBody(_Request):
    """`POST /v1/compare`: the likeness of two submitted images (2-photo submission)."""

    image_a: WireImage
    image_b: WireImage


class CompareResponse(_Response):
    protocol: Literal["frsgate-connector/1"]
    provider: _Text
    score: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
    sandbox: bool
    notice: Annotated[str | None, Field(max_length=500)] = None


class HealthResponse(_Response):
    protocol: Literal["frsgate-connector/1"]
    provider: _Text
    status: Literal["ok", "degraded"]
    sandbox: bool
    database: _Text
    match_types: list[str]


class ErrorDetail(_Response):
    code: Annotated[str, Field(max_length=100)]
    message: Annotated[str, Field(max_length=1000)]


class ErrorResponse(_Response):
    """Body of every 4xx/5xx answer the protocol defines."""

    error: ErrorDetail
    sandbox: bool = False
    notice: str | None = None
