"""Probe intake under random and mutated input (Hypothesis): whatever bytes arrive, intake
either returns a clean re-encoded still of one face or refuses with a `ValidationFailed` naming
the problem — no other exception, no warning (warnings are errors in this suite), and nothing
of the input's metadata in what it keeps.

Mutations start from real photographs (a JPEG and a PNG of one face, with EXIF, GPS and text
metadata planted) so most cases get past the signature check into the header parser, the
decoder, EXIF handling and the face detector, where the interesting failures would be."""

from __future__ import annotations

import io
import struct
import warnings

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from frsgate.errors import ValidationFailed
from frsgate.vault.images import (
    JPEG_MAGIC,
    PNG_MAGIC,
    CleanImage,
    ImageLimits,
    validate_and_reencode,
)
from tests import images

# A failing case's bytes are large: Hypothesis warns about the size of their repr, and the
# warning (an error in this suite) would hide the failure itself.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)
# Pillow's EXIF reader warns (and skips the tag) when a JPEG's EXIF block points past its own
# end; intake then goes on with what it could read. The only warnings intake may let through.
PILLOW_EXIF_WARNINGS = ("Truncated File Read", "Tag data larger than file", "Corrupt EXIF data")
# A small byte limit keeps each case cheap; the photographs below fit under it.
LIMITS = ImageLimits(max_bytes=512 * 1024, max_pixels=4_000_000)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _seeds() -> list[bytes]:
    return [
        images.astronaut_jpeg(with_exif_gps=True, size=320),
        images.astronaut_png(with_text=True),
        images.rotated_astronaut_jpeg(),
        images.no_face_jpeg(),
    ]


SEEDS = _seeds()


def _intake(data: bytes, *, label: bool = True) -> CleanImage | None:
    """Intake's answer: the clean image, or None after a refusal that names its problem
    (`label`: count each outcome in Hypothesis' statistics, `--hypothesis-show-statistics`)."""
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            clean = validate_and_reencode(data, limits=LIMITS)
    except ValidationFailed as error:
        refusal = error.message
    else:
        refusal = None
    if refusal is not None:
        assert "probe image" in refusal, refusal
        if label:
            event(f"refused: {refusal[:28]}")
        return None
    for warning in warned:
        assert str(warning.message).startswith(PILLOW_EXIF_WARNINGS), warning
        assert warning.filename.endswith("TiffImagePlugin.py"), warning
        if label:
            event("kept after a Pillow EXIF warning")
    if label:
        event("kept")
    _assert_clean(clean)
    return clean


def _assert_clean(clean: CleanImage) -> None:
    """What intake keeps is a plain still of the same format, with no metadata."""
    with Image.open(io.BytesIO(clean.data)) as reread:
        reread.load()
        assert (reread.width, reread.height) == (clean.width, clean.height)
        assert reread.format == ("JPEG" if clean.media_type == "image/jpeg" else "PNG")
        assert not reread.getexif()
        assert "icc_profile" not in reread.info
    for marker in images.METADATA_MARKERS:
        assert marker not in clean.data


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    """A seed photograph with bytes flipped, removed or inserted, or cut short; its signature
    is kept, so the case reaches the header parser and the decoder."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    keep = len(PNG_MAGIC) if data.startswith(PNG_MAGIC) else len(JPEG_MAGIC)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "flip", "flip", "delete", "insert", "truncate"]))
        # Headers hold the parsing decisions: aim half the edits at the first kilobyte.
        span = len(data) if draw(st.booleans()) else min(len(data), 1024)
        if span <= keep:
            break
        at = draw(st.integers(keep, span - 1))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[at:]
    return bytes(data)


@st.composite
def _header_sizes(draw: st.DrawFn) -> bytes:
    """A seed whose declared width and height (PNG IHDR, JPEG SOF) are rewritten."""
    width = draw(st.integers(0, 0xFFFF))
    height = draw(st.integers(0, 0xFFFF))
    if draw(st.booleans()):
        data = bytearray(images.astronaut_png())
        data[16:24] = struct.pack(">II", width, height)
        return bytes(data)
    data = bytearray(images.astronaut_jpeg(size=320))
    at = 2
    while at + 9 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if 0xC0 <= marker <= 0xC2:
            data[at + 5 : at + 9] = struct.pack(">HH", height, width)
            break
        at += 2 + length
    return bytes(data)


@FUZZ
@given(data=st.binary(max_size=4096))
def test_any_bytes_are_refused_by_name(data: bytes) -> None:
    assert _intake(data) is None


@FUZZ
@given(
    magic=st.sampled_from([JPEG_MAGIC, PNG_MAGIC, PNG_MAGIC + b"\x00\x00\x00\x0dIHDR"]),
    tail=st.binary(max_size=4096),
)
def test_bytes_behind_an_image_signature_are_refused_by_name(magic: bytes, tail: bytes) -> None:
    assert _intake(magic + tail) is None


@FUZZ
@given(data=_mutated())
def test_a_mutated_photograph_is_clean_or_refused_by_name(data: bytes) -> None:
    _intake(data)


@FUZZ
@given(data=_header_sizes())
def test_any_declared_size_is_decoded_within_limits_or_refused(data: bytes) -> None:
    clean = _intake(data)
    if clean is not None:
        assert clean.width * clean.height <= LIMITS.max_pixels


def test_the_seeds_pass_intake_as_they_are() -> None:
    """The mutations start from photographs intake takes (all but the one without a face), so
    the cases above reach past the decoder."""
    kept = [_intake(seed, label=False) for seed in SEEDS]
    assert [clean is not None for clean in kept] == [True, True, True, False]
