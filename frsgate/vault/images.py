"""Probe image intake: refuse anything but a still JPEG or PNG of one face, then re-encode it.

The steps, in order, each refusing with a `ValidationFailed` that names the problem:
1. size in bytes against the limit, before anything is parsed;
2. the leading bytes: only JPEG and PNG signatures pass; other formats and polyglots that open
   as PDF or HTML are refused by name, before Pillow sees them;
3. the declared dimensions, read from the PNG IHDR or the JPEG SOF header by this module, so a
   decompression bomb is refused before any decoder allocates for it (and Pillow's own
   DecompressionBombWarning can never fire: the limit is below Pillow's);
4. Pillow with ``formats=["JPEG", "PNG"]``: one frame only (animated PNG, multi-picture JPEG
   refused: still images only, memo 4.B.4), then a full decode;
5. exactly one face (memo §2, "Probe Photo: isolated facial images");
6. a re-encode from pixel data alone, after applying the EXIF orientation, so no EXIF, GPS, XMP,
   ICC, IPTC, comment or text chunk survives; JPEG stays JPEG, PNG stays PNG.
"""

from __future__ import annotations

import hashlib
import io
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from frsgate.errors import ConfigurationError, ValidationFailed
from frsgate.vault.faces import FaceBox, FaceDetector, default_detector

if TYPE_CHECKING:
    from frsgate.config import Settings

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_QUALITY = 92
ALLOWED = "JPEG, PNG"
# Honest data cannot compress much past deflate's 1032:1; a file declaring more than this many
# pixels per byte was built to explode on decode, and the refusal says so.
BOMB_PIXELS_PER_BYTE = 1000

# Leading bytes of formats we refuse, so the message names what was sent.
_REFUSED_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (b"PK\x03\x04", "a ZIP archive"),
)
_MARKUP_PREFIXES = (b"<html", b"<!doctype", b"<?xml", b"<svg", b"<script", b"<head", b"<body")


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """Intake limits; defaults equal the Settings defaults (FRSGATE_MAX_PROBE_* etc.)."""

    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    min_face_pixels: int = 60

    def __post_init__(self) -> None:
        if self.max_bytes < 1:
            raise ConfigurationError("FRSGATE_MAX_PROBE_BYTES must be positive")
        ceiling = Image.MAX_IMAGE_PIXELS or self.max_pixels
        if not 1 <= self.max_pixels <= ceiling:
            # Above Pillow's own bomb threshold it would warn or raise on its own terms.
            raise ConfigurationError(f"FRSGATE_MAX_PROBE_PIXELS must be between 1 and {ceiling}")
        if self.min_face_pixels < 1:
            raise ConfigurationError("FRSGATE_MIN_FACE_PIXELS must be positive")

    @classmethod
    def from_settings(cls, settings: Settings) -> ImageLimits:
        return cls(
            max_bytes=settings.max_probe_bytes,
            max_pixels=settings.max_probe_pixels,
            min_face_pixels=settings.min_face_pixels,
        )


@dataclass(frozen=True, slots=True)
class CleanImage:
    """A validated probe, re-encoded without metadata; hashes are lowercase hex SHA-256."""

    data: bytes
    media_type: str
    width: int
    height: int
    original_sha256: str
    sha256: str
    face_box: FaceBox

    def __repr__(self) -> str:  # never dump image bytes into a log line
        return (
            f"CleanImage(media_type={self.media_type!r}, {self.width}x{self.height}, "
            f"{len(self.data)} bytes, sha256={self.sha256[:16]}…)"
        )


def sniff_format(data: bytes) -> str:
    """Return "JPEG" or "PNG" from the leading bytes, or refuse naming what the bytes are."""
    if data.startswith(JPEG_MAGIC):
        return "JPEG"
    if data.startswith(PNG_MAGIC):
        return "PNG"
    head = data[:64]
    what = "unrecognised content"
    for signature, name in _REFUSED_SIGNATURES:
        if head.startswith(signature):
            what = name
            break
    else:
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            what = "a WebP image"
        elif head[4:8] == b"ftyp":
            what = "an ISO media file (HEIC/AVIF/MP4)"
        elif head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_MARKUP_PREFIXES):
            what = "HTML/XML markup"
    raise ValidationFailed(f"probe image is {what}, not an allowed format (allowed: {ALLOWED})")


def declared_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """Width and height from the header, without decoding; None if the header is unreadable."""
    if fmt == "PNG":
        # PNG spec §11.2.2: IHDR is the first chunk, width and height big-endian at 16..24.
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    return _jpeg_declared_size(data)


_JPEG_SOF = frozenset({*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC})  # not DHT, JPG, DAC
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _jpeg_declared_size(data: bytes) -> tuple[int, int] | None:
    # ITU T.81 §B.2: segments of FF marker + 2-byte length until SOS; every SOFn carries
    # height and width. Take the largest declared, since a decoder may honour any of them.
    at, best = 2, None
    end = len(data)
    while at + 4 <= end:
        if data[at] != 0xFF:
            return best
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _JPEG_STANDALONE:
            at += 2
            continue
        if marker in (0xD9, 0xDA):  # EOI or start of scan: no more headers
            return best
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _JPEG_SOF and at + 9 <= end:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            if best is None or width * height > best[0] * best[1]:
                best = (width, height)
        at += 2 + length
    return best


def _check_pixels(width: int, height: int, n_bytes: int, limits: ImageLimits) -> None:
    pixels = width * height
    if pixels <= limits.max_pixels:
        return
    if pixels > BOMB_PIXELS_PER_BYTE * n_bytes or pixels > (Image.MAX_IMAGE_PIXELS or pixels):
        raise ValidationFailed(
            f"probe image is a decompression bomb: a {n_bytes}-byte file declares "
            f"{width}x{height} pixels (limit {limits.max_pixels}); refused before decoding"
        )
    raise ValidationFailed(
        f"probe image has too many pixels: {width}x{height} = {pixels}, "
        f"limit {limits.max_pixels} (FRSGATE_MAX_PROBE_PIXELS)"
    )


def _decode(data: bytes, fmt: str, limits: ImageLimits) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError:
        raise ValidationFailed(
            "probe image is a decompression bomb (refused by the decoder)"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ValidationFailed(f"probe image is not a readable {fmt}: {exc}") from None
    # The decoder's view is the authority; the header pre-check only spared it the work.
    _check_pixels(image.width, image.height, len(data), limits)
    if getattr(image, "n_frames", 1) != 1 or getattr(image, "is_animated", False):
        raise ValidationFailed(
            f"probe image is animated or has {getattr(image, 'n_frames', '?')} frames; "
            "only still images are accepted (memo 4.B.4)"
        )
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, struct.error) as exc:
        raise ValidationFailed(f"probe image {fmt} data is truncated or corrupt: {exc}") from None
    return image


def _to_plain_pixels(image: Image.Image) -> Image.Image:
    """Upright RGB or L pixels with nothing but pixels: no info, no EXIF, no palette."""
    try:
        ImageOps.exif_transpose(image, in_place=True)  # so the face is upright for detection
    except (SyntaxError, ValueError, TypeError, KeyError, OSError, struct.error) as exc:
        raise ValidationFailed(f"probe image has unreadable EXIF metadata: {exc}") from None
    mode = image.mode
    if mode in ("RGB", "L"):
        pixels = image
    elif mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # High bit depth: keep the top 8 bits rather than clip (Pillow's convert clips).
        wide = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") else max(float(wide.max()), 1.0)
        pixels = Image.fromarray(np.clip(wide * (255.0 / top), 0, 255).astype(np.uint8), "L")
    elif mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info
    ):
        # Flatten onto white: dropping alpha would expose whatever the transparent pixels hide.
        rgba = image.convert("RGBA")
        pixels = Image.new("RGB", rgba.size, (255, 255, 255))
        pixels.paste(rgba, mask=rgba.getchannel("A"))
    elif mode == "1":
        pixels = image.convert("L")
    else:  # P, CMYK, YCbCr, LAB...
        pixels = image.convert("RGB")
    # A fresh image from raw bytes carries no info dict, EXIF cache or ICC profile.
    return Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, format="JPEG", quality=JPEG_QUALITY)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def validate_and_reencode(
    data: bytes, *, limits: ImageLimits, detector: FaceDetector | None = None
) -> CleanImage:
    """Validate a probe image and return it re-encoded without metadata, or raise
    ValidationFailed naming the problem. Deterministic for the same bytes and limits."""
    if len(data) == 0:
        raise ValidationFailed("probe image is empty")
    if len(data) > limits.max_bytes:
        raise ValidationFailed(
            f"probe image is {len(data)} bytes, over the limit of {limits.max_bytes} bytes "
            "(FRSGATE_MAX_PROBE_BYTES)"
        )
    fmt = sniff_format(data)
    size = declared_size(data, fmt)
    if size is not None:
        _check_pixels(size[0], size[1], len(data), limits)
    with _decode(data, fmt, limits) as decoded:
        pixels = _to_plain_pixels(decoded)

    faces = (detector or default_detector()).detect(pixels, min_face_pixels=limits.min_face_pixels)
    if not faces:
        raise ValidationFailed(
            f"no face found in the probe image (none at least {limits.min_face_pixels} px "
            "wide); a probe photo must be an isolated facial image (memo §2)"
        )
    if len(faces) > 1:
        raise ValidationFailed(
            f"{len(faces)} faces found in the probe image; a probe photo must show exactly "
            "one face, an isolated facial image (memo §2): crop it to the subject"
        )

    encoded = _encode(pixels, fmt)
    return CleanImage(
        data=encoded,
        media_type="image/jpeg" if fmt == "JPEG" else "image/png",
        width=pixels.width,
        height=pixels.height,
        original_sha256=hashlib.sha256(data).hexdigest(),
        sha256=hashlib.sha256(encoded).hexdigest(),
        face_box=faces[0],
    )
