"""Test image builders shared by the vault's unit tests and the HTTP tests: each returns bytes.

Photographs come from scikit-image's bundled data (a test-only dependency): `astronaut` has one
face, two astronauts side by side have two, `chelsea` (a cat) has none. Builders derived from
them are cached, since many tests use the same bytes. Metadata markers are distinctive strings
so a test can prove they are gone from re-encoded output.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageCms, ImageDraw
from PIL.PngImagePlugin import PngInfo
from skimage import data as skdata

# Strings planted in metadata; none may survive a re-encode.
EXIF_MAKE = "FRSGATE-TEST-CAMERA-MAKE"
EXIF_SOFTWARE = "FRSGATE-TEST-SOFTWARE"
JPEG_COMMENT = b"FRSGATE-TEST-JPEG-COMMENT"
XMP_MARKER = "FRSGATE-TEST-XMP-CREATOR"
PNG_TEXT_MARKER = "FRSGATE-TEST-PNG-TEXT"
METADATA_MARKERS: tuple[bytes, ...] = (
    EXIF_MAKE.encode(),
    EXIF_SOFTWARE.encode(),
    JPEG_COMMENT,
    XMP_MARKER.encode(),
    PNG_TEXT_MARKER.encode(),
    b"Exif\x00\x00",
    b"http://ns.adobe.com/xap/1.0/",
)
# GPS position planted in EXIF (degrees, minutes, seconds): somewhere in Washington, DC.
GPS_LATITUDE = (38.0, 53.0, 51.0)
GPS_LONGITUDE = (77.0, 2.0, 11.0)
EXIF_ORIENTATION = 0x0112


def _xmp_packet() -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:creator>{XMP_MARKER}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def _exif(*, orientation: int | None = None, gps: bool = True) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = EXIF_MAKE  # Make
    exif[0x0131] = EXIF_SOFTWARE  # Software
    if orientation is not None:
        exif[EXIF_ORIENTATION] = orientation
    if gps:
        gps_ifd = exif.get_ifd(0x8825)  # GPSInfo
        gps_ifd[1] = "N"
        gps_ifd[2] = GPS_LATITUDE
        gps_ifd[3] = "W"
        gps_ifd[4] = GPS_LONGITUDE
    return exif


def _srgb_icc() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return bytes(profile.tobytes())


@functools.cache
def astronaut_array() -> np.ndarray:
    """scikit-image's astronaut (512x512 RGB, one face)."""
    return np.asarray(skdata.astronaut(), dtype=np.uint8)


@functools.cache
def _astronaut_image(size: int | None) -> Image.Image:
    image = Image.fromarray(astronaut_array(), "RGB")
    if size is not None:
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    return image


def _jpeg(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, **params)
    return out.getvalue()


def _png(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **params)
    return out.getvalue()


@functools.cache
def astronaut_jpeg(with_exif_gps: bool = False, size: int | None = None) -> bytes:
    """One face. With `with_exif_gps`: EXIF (make, software, GPS), XMP, ICC and a comment."""
    image = _astronaut_image(size)
    if not with_exif_gps:
        return _jpeg(image)
    return _jpeg(
        image,
        exif=_exif().tobytes(),
        xmp=_xmp_packet(),
        comment=JPEG_COMMENT,
        icc_profile=_srgb_icc(),
    )


@functools.cache
def rotated_astronaut_jpeg() -> bytes:
    """Pixels stored lying on their side with EXIF orientation 6 ("rotate 90° clockwise")."""
    sideways = _astronaut_image(None).transpose(Image.Transpose.ROTATE_90)
    return _jpeg(sideways, exif=_exif(orientation=6, gps=False).tobytes())


@functools.cache
def astronaut_png(with_text: bool = False) -> bytes:
    """One face, as PNG. With `with_text`: tEXt, zTXt, iTXt (XMP) chunks, eXIf and iCCP."""
    image = _astronaut_image(None)
    if not with_text:
        return _png(image)
    info = PngInfo()
    info.add_text("Author", PNG_TEXT_MARKER)
    info.add_text("Comment", PNG_TEXT_MARKER * 20, zip=True)
    info.add_itxt("XML:com.adobe.xmp", _xmp_packet().decode())
    return _png(image, pnginfo=info, exif=_exif().tobytes(), icc_profile=_srgb_icc())


@functools.cache
def astronaut_rgba_png() -> bytes:
    """One face in a PNG with an alpha channel: the right quarter fully transparent."""
    rgba = _astronaut_image(None).convert("RGBA")
    alpha = np.full((rgba.height, rgba.width), 255, dtype=np.uint8)
    alpha[:, rgba.width * 3 // 4 :] = 0
    rgba.putalpha(Image.fromarray(alpha, "L"))
    return _png(rgba)


@functools.cache
def two_faces_jpeg() -> bytes:
    """Two faces: the astronaut tiled side by side (1024x512)."""
    tiled = np.concatenate([astronaut_array(), astronaut_array()], axis=1)
    return _jpeg(Image.fromarray(tiled, "RGB"))


@functools.cache
def no_face_jpeg() -> bytes:
    """No face: scikit-image's chelsea, a cat (451x300)."""
    return _jpeg(Image.fromarray(np.asarray(skdata.chelsea(), dtype=np.uint8), "RGB"))


def _frames(count: int) -> list[Image.Image]:
    frames = []
    for i in range(count):
        frame = Image.new("RGB", (64, 64), (40 * i, 80, 160))
        ImageDraw.Draw(frame).ellipse((8 + 4 * i, 8, 40 + 4 * i, 40), fill=(250, 220, 180))
        frames.append(frame)
    return frames


def animated_gif() -> bytes:
    first, *rest = _frames(3)
    out = io.BytesIO()
    first.save(out, format="GIF", save_all=True, append_images=rest, duration=100, loop=0)
    return out.getvalue()


@functools.cache
def animated_png() -> bytes:
    """An APNG whose frames are astronauts: refused for animation, not for lack of a face."""
    base = _astronaut_image(None)
    frames = [base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    out = io.BytesIO()
    frames[0].save(out, format="PNG", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


@functools.cache
def multi_picture_jpeg() -> bytes:
    """A multi-picture (MPO) file: starts like a JPEG, holds two astronaut frames."""
    base = _astronaut_image(None)
    out = io.BytesIO()
    base.save(out, format="MPO", save_all=True, append_images=[base], quality=90)
    return out.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def decompression_bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A small, well-formed PNG declaring `width` x `height` 8-bit gray pixels of zeros."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(16)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def decompression_bomb_jpeg(width: int = 65_000, height: int = 65_000) -> bytes:
    """A small JPEG whose SOF header is rewritten to declare `width` x `height`."""
    data = bytearray(_jpeg(Image.new("L", (16, 16), 128)))
    at = 2
    while data[at + 1] not in (0xC0, 0xC2):
        at += 2 + struct.unpack(">H", data[at + 2 : at + 4])[0]
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def pdf_html_polyglot(lead: str = "pdf") -> bytes:
    """A file that is a PDF and an HTML page at once, with a JPEG inside; `lead` picks which
    format's bytes come first ("pdf" or "html")."""
    html = b"<html><body><script>document.title='polyglot'</script></body></html>\n"
    pdf = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n2 0 obj << /Length 0 >> stream\n"
        + html
        + astronaut_jpeg()
        + b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    if lead == "html":
        return b"<!DOCTYPE html>\n" + html + b"<!--\n" + pdf + b"-->\n"
    return pdf


def not_an_image() -> bytes:
    return b"This is a plain text file, not a photograph.\n" * 20


def oversized_jpeg(n_bytes: int) -> bytes:
    """A valid one-face JPEG padded with comment segments to at least `n_bytes` bytes."""
    base = astronaut_jpeg()
    padding = bytearray()
    filler = b"\x00" * 65_000
    while len(base) + len(padding) < n_bytes:
        padding += b"\xff\xfe" + struct.pack(">H", len(filler) + 2) + filler
    return base[:2] + bytes(padding) + base[2:]


def other_format(fmt: str) -> bytes:
    """The astronaut in a format Pillow decodes but the vault refuses: GIF, BMP, TIFF, WEBP."""
    out = io.BytesIO()
    _astronaut_image(None).save(out, format=fmt)
    return out.getvalue()


def jpeg_of_size(target_bytes: int) -> bytes:
    """A one-face JPEG of about `target_bytes` (the astronaut upscaled until it is that big)."""
    side = 512
    data = astronaut_jpeg(size=side)
    while len(data) < target_bytes:
        side += 64
        data = astronaut_jpeg(size=side)
    return data
