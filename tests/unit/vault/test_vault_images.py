"""Probe intake: every kind of bad input is refused by name; good input comes out clean."""

from __future__ import annotations

import hashlib
import io
import struct

import numpy as np
import pytest
from PIL import Image

from frsgate.config import Settings
from frsgate.errors import ConfigurationError, ValidationFailed
from frsgate.vault.images import (
    CleanImage,
    ImageLimits,
    declared_size,
    sniff_format,
    validate_and_reencode,
)
from tests import images

LIMITS = ImageLimits()


def refused(data: bytes, limits: ImageLimits = LIMITS) -> str:
    with pytest.raises(ValidationFailed) as caught:
        validate_and_reencode(data, limits=limits)
    return caught.value.message


def jpeg_segments(data: bytes) -> list[int]:
    """The marker bytes of every segment before the scan data (ITU T.81 §B.1.1.2)."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while at < len(data):
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        at += 2 + struct.unpack(">H", data[at + 2 : at + 4])[0]
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    kinds, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kinds.append(data[at + 4 : at + 8])
        at += 12 + length
    return kinds


# --- refusals -------------------------------------------------------------------------------


def test_empty_is_refused() -> None:
    assert "empty" in refused(b"")


def test_non_image_bytes_are_refused() -> None:
    message = refused(images.not_an_image())
    assert "not an allowed format" in message
    assert "JPEG, PNG" in message


@pytest.mark.parametrize(("lead", "named"), [("pdf", "PDF"), ("html", "HTML")])
def test_pdf_html_polyglot_is_refused_by_name(lead: str, named: str) -> None:
    data = images.pdf_html_polyglot(lead)
    assert images.astronaut_jpeg() in data  # a decodable face really is inside
    assert named in refused(data)


def test_animated_gif_is_refused() -> None:
    data = images.animated_gif()
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.n_frames == 3  # really animated
    assert "GIF" in refused(data)


def test_animated_png_is_refused_as_animated() -> None:
    data = images.animated_png()
    assert sniff_format(data) == "PNG"
    message = refused(data)
    assert "animated" in message
    assert "memo 4.B.4" in message


def test_multi_picture_jpeg_is_refused_as_multi_frame() -> None:
    data = images.multi_picture_jpeg()
    assert sniff_format(data) == "JPEG"
    assert "2 frames" in refused(data)


@pytest.mark.parametrize("builder", [images.decompression_bomb_png, images.decompression_bomb_jpeg])
def test_decompression_bomb_is_refused_before_decoding(builder: object) -> None:
    assert callable(builder)
    data: bytes = builder()
    assert len(data) < 2000
    assert "decompression bomb" in refused(data)


@pytest.mark.parametrize(("side", "limit"), [(7000, 1_000_000), (50_000, LIMITS.max_pixels)])
def test_bomb_is_refused_even_if_the_header_precheck_missed_it(
    monkeypatch: pytest.MonkeyPatch, side: int, limit: int
) -> None:
    # Defence in depth: with the pre-check blinded, the decoder's own view of the size is
    # checked before any pixel is decoded (7000², under Pillow's threshold), and Pillow's
    # DecompressionBombError becomes a refusal (50000², over it).
    monkeypatch.setattr("frsgate.vault.images.declared_size", lambda _data, _fmt: None)
    data = images.decompression_bomb_png(width=side, height=side)
    assert "decompression bomb" in refused(data, ImageLimits(max_pixels=limit))


def test_oversized_file_is_refused_by_bytes() -> None:
    data = images.oversized_jpeg(LIMITS.max_bytes + 1)
    assert len(data) > LIMITS.max_bytes
    message = refused(data)
    assert "bytes" in message
    assert str(LIMITS.max_bytes) in message
    # The same padding under the limit is a valid one-face JPEG: the size alone refused it.
    small = images.oversized_jpeg(200_000)
    assert validate_and_reencode(small, limits=LIMITS).width == 512


def test_too_many_pixels_is_refused() -> None:
    message = refused(images.astronaut_jpeg(), ImageLimits(max_pixels=512 * 511))
    assert "too many pixels" in message
    assert "512x512" in message
    assert validate_and_reencode(images.astronaut_jpeg(), limits=ImageLimits(max_pixels=512 * 512))


def test_no_face_is_refused() -> None:
    assert "no face" in refused(images.no_face_jpeg())


def test_two_faces_are_refused() -> None:
    message = refused(images.two_faces_jpeg())
    assert message.startswith("2 faces")
    assert "exactly one face" in message


@pytest.mark.parametrize(
    ("fmt", "named"), [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF"), ("WEBP", "WebP")]
)
def test_formats_outside_the_allowlist_are_refused_though_decodable(fmt: str, named: str) -> None:
    data = images.other_format(fmt)
    with Image.open(io.BytesIO(data)) as decoded:
        decoded.load()
        assert decoded.size == (512, 512)  # Pillow could read it, and it has a face
    message = refused(data)
    assert named in message
    assert "not an allowed format" in message


def test_truncated_jpeg_is_refused_as_corrupt() -> None:
    data = images.astronaut_jpeg()
    assert "truncated or corrupt" in refused(data[: len(data) // 2])


def test_png_magic_with_garbage_is_refused() -> None:
    assert "not a readable PNG" in refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)


def test_jpeg_with_trailing_html_is_cleaned_not_refused() -> None:
    payload = b"<html><script>alert(1)</script></html>"
    clean = validate_and_reencode(images.astronaut_jpeg() + payload, limits=LIMITS)
    assert payload not in clean.data
    assert b"<script" not in clean.data


# --- what comes out -------------------------------------------------------------------------


def test_jpeg_with_exif_gps_xmp_comment_icc_comes_out_bare() -> None:
    original = images.astronaut_jpeg(with_exif_gps=True)
    with Image.open(io.BytesIO(original)) as before:  # the input really carries all of it
        assert before.getexif().get_ifd(0x8825)[2] == images.GPS_LATITUDE
        assert {"exif", "xmp", "comment", "icc_profile"} <= set(before.info)
    for marker in images.METADATA_MARKERS[:4]:
        assert marker in original

    clean = validate_and_reencode(original, limits=LIMITS)
    assert clean.media_type == "image/jpeg"
    for marker in images.METADATA_MARKERS:
        assert marker not in clean.data
    # Only the JFIF header, tables, frame and scan: no APP1 (EXIF/XMP), APP2 (ICC), COM.
    assert set(jpeg_segments(clean.data)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xDA}
    with Image.open(io.BytesIO(clean.data)) as after:
        assert not set(after.info) & {"exif", "xmp", "comment", "icc_profile", "dpi"}
        assert len(after.getexif()) == 0
        assert after.mode == "RGB"
    # Metadata gone and nothing else differs: same bytes as the plain image's re-encode.
    assert clean.data == validate_and_reencode(images.astronaut_jpeg(), limits=LIMITS).data


def test_png_with_text_chunks_comes_out_bare() -> None:
    original = images.astronaut_png(with_text=True)
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"} <= set(png_chunks(original))

    clean = validate_and_reencode(original, limits=LIMITS)
    assert clean.media_type == "image/png"
    assert set(png_chunks(clean.data)) == {b"IHDR", b"IDAT", b"IEND"}
    for marker in images.METADATA_MARKERS:
        assert marker not in clean.data
    with Image.open(io.BytesIO(clean.data)) as after:
        assert not set(after.info) & {"exif", "xmp", "icc_profile", "Author", "Comment"}
        assert not after.text  # type: ignore[attr-defined]


def test_hashes_and_fields() -> None:
    original = images.astronaut_png()
    clean = validate_and_reencode(original, limits=LIMITS)
    assert isinstance(clean, CleanImage)
    assert clean.original_sha256 == hashlib.sha256(original).hexdigest()
    assert clean.sha256 == hashlib.sha256(clean.data).hexdigest()
    assert (clean.width, clean.height) == (512, 512)
    box = clean.face_box
    assert 0 <= box.left < box.left + box.width <= 512
    assert 0 <= box.top < box.top + box.height <= 512
    assert box.width >= LIMITS.min_face_pixels
    assert clean.data.hex()[:32] not in repr(clean)


def test_reencode_is_deterministic() -> None:
    a = validate_and_reencode(images.astronaut_jpeg(), limits=LIMITS)
    b = validate_and_reencode(images.astronaut_jpeg(), limits=LIMITS)
    assert a == b


def test_exif_orientation_is_applied_so_the_face_is_upright() -> None:
    data = images.rotated_astronaut_jpeg()
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.getexif()[images.EXIF_ORIENTATION] == 6
    clean = validate_and_reencode(data, limits=LIMITS)
    upright = validate_and_reencode(images.astronaut_jpeg(), limits=LIMITS)
    # The face sits where it does in the upright photo (within a few pixels of JPEG noise).
    assert abs(clean.face_box.left - upright.face_box.left) <= 4
    assert abs(clean.face_box.top - upright.face_box.top) <= 4
    with Image.open(io.BytesIO(clean.data)) as after:
        assert images.EXIF_ORIENTATION not in after.getexif()


def test_alpha_is_flattened_onto_white() -> None:
    clean = validate_and_reencode(images.astronaut_rgba_png(), limits=LIMITS)
    with Image.open(io.BytesIO(clean.data)) as after:
        assert after.mode == "RGB"
        assert after.getpixel((511, 0)) == (255, 255, 255)  # was transparent
        assert after.getpixel((0, 0)) != (255, 255, 255)


def test_sixteen_bit_gray_png_is_scaled_not_clipped() -> None:
    gray = np.asarray(Image.fromarray(images.astronaut_array()).convert("L"))
    wide = Image.fromarray(gray.astype(np.uint16) * 257)
    assert wide.mode.startswith("I")
    out = io.BytesIO()
    wide.save(out, format="PNG")
    clean = validate_and_reencode(out.getvalue(), limits=LIMITS)
    with Image.open(io.BytesIO(clean.data)) as after:
        assert after.mode == "L"
        # Clipping would have saturated every non-black pixel at 255.
        assert np.abs(np.asarray(after, dtype=np.int16) - gray).max() <= 1


def test_downscaled_astronaut_still_has_its_face() -> None:
    clean = validate_and_reencode(images.astronaut_jpeg(size=384), limits=LIMITS)
    assert clean.face_box.width >= LIMITS.min_face_pixels


def test_min_face_size_comes_from_limits() -> None:
    small = images.astronaut_jpeg(size=256)  # face about 50 px wide
    assert "at least 60 px" in refused(small)
    assert validate_and_reencode(small, limits=ImageLimits(min_face_pixels=40))
    assert "no face" in refused(images.astronaut_jpeg(), ImageLimits(min_face_pixels=200))


# --- helpers and limits ---------------------------------------------------------------------


def test_declared_size_reads_headers() -> None:
    assert declared_size(images.astronaut_png(), "PNG") == (512, 512)
    assert declared_size(images.astronaut_jpeg(), "JPEG") == (512, 512)
    assert declared_size(images.two_faces_jpeg(), "JPEG") == (1024, 512)
    assert declared_size(images.decompression_bomb_jpeg(), "JPEG") == (65_000, 65_000)
    assert declared_size(b"\xff\xd8\xff", "JPEG") is None


def test_limits_default_to_settings_defaults() -> None:
    assert ImageLimits.from_settings(Settings()) == ImageLimits()
    custom = Settings(max_probe_bytes=2048, max_probe_pixels=64 * 64, min_face_pixels=20)
    assert ImageLimits.from_settings(custom) == ImageLimits(2048, 64 * 64, 20)


def test_limits_above_pillows_bomb_threshold_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="FRSGATE_MAX_PROBE_PIXELS"):
        ImageLimits(max_pixels=10**12)
