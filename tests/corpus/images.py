"""Unusual and hostile images, generated with Pillow when a test asks (no image files are kept).

Each maker returns the bytes of one file. ``HOSTILE`` names the ones the service must refuse, with
the status it answers; ``ORDINARY`` the unusual but valid ones it must accept.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

from PIL import Image, ImageDraw


def photo(width: int = 640, height: int = 480, mode: str = "RGB") -> Image.Image:
    """A skin-toned picture with a dark block top-left, so orientation and crops can be checked."""
    image = Image.new("RGB", (width, height), (222, 184, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 4, height // 4), fill=(20, 20, 20))
    draw.ellipse((width // 3, height // 3, 2 * width // 3, 2 * height // 3), fill=(190, 120, 110))
    return image.convert(mode) if mode != "RGB" else image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def exif_gps_jpeg() -> bytes:
    """A phone photo that tells where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "Meiji-Phone"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (30.0, 39.0, 36.0)  # GPSLatitudeRef, GPSLatitude (成都)
    gps[3], gps[4] = "E", (104.0, 3.0, 54.0)
    return encode(photo(), "JPEG", exif=exif.tobytes(), quality=85)


def orientation_6_jpeg() -> bytes:
    """Stored sideways with EXIF orientation 6 (rotate 90° clockwise to show upright)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(photo(400, 300), "JPEG", exif=exif.tobytes(), quality=90)


def cmyk_jpeg() -> bytes:
    return encode(photo(320, 240, "CMYK"), "JPEG", quality=90)


def transparent_png() -> bytes:
    image = photo(200, 200).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((200, 200)))
    return encode(image, "PNG")


def sixteen_bit_png() -> bytes:
    return encode(Image.linear_gradient("L").resize((256, 256)).convert("I;16"), "PNG")


def palette_gif() -> bytes:
    return encode(photo(120, 90).convert("P", palette=Image.Palette.ADAPTIVE, colors=16), "GIF")


def progressive_grey_jpeg() -> bytes:
    return encode(photo(800, 600, "L"), "JPEG", progressive=True, quality=80)


def commented_jpeg() -> bytes:
    return encode(photo(), "JPEG", comment=b"clinic-internal: patient 13800138000")


def one_pixel_png() -> bytes:
    return encode(Image.new("RGB", (1, 1), (255, 255, 255)), "PNG")


def very_wide_png() -> bytes:
    return encode(Image.new("RGB", (12000, 2), (200, 160, 150)), "PNG")


def webp() -> bytes:
    return encode(photo(), "WEBP", quality=80)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_with(extra: bytes) -> bytes:
    """A valid 16x16 PNG with ``extra`` chunks before its image data."""
    plain = encode(Image.new("RGB", (16, 16), (10, 120, 200)), "PNG")
    ihdr_end = 8 + 8 + 13 + 4
    return plain[:ihdr_end] + extra + plain[ihdr_end:]


def png_text_bomb() -> bytes:
    """A 16x16 PNG whose compressed text chunk inflates to 64 MB (Pillow refuses text past 1 MB)."""
    return _png_with(_chunk(b"zTXt", b"comment\x00\x00" + zlib.compress(b"\x00" * (64 << 20), 9)))


def pixel_bomb_png() -> bytes:
    """60,000 x 60,000 declared in the header, a few bytes of data."""
    plain = encode(Image.new("L", (1, 1)), "PNG")
    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 0, 0, 0, 0)
    return plain[:8] + _chunk(b"IHDR", header) + plain[8 + 25:]


def pixel_bomb_gif() -> bytes:
    """A GIF whose logical screen is 65,535 x 65,535 pixels."""
    data = bytearray(encode(Image.new("P", (1, 1)), "GIF"))
    data[6:10] = struct.pack("<HH", 65535, 65535)
    return bytes(data)


def truncated_jpeg() -> bytes:
    data = encode(photo(1200, 900), "JPEG", quality=90)
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    data = encode(photo(300, 300), "PNG")
    return data[: len(data) * 2 // 3]


def png_without_end() -> bytes:
    data = encode(photo(64, 64), "PNG")
    return data[: data.rindex(b"IEND") - 4]


def broken_png_signature() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"\xff" * 40


def html_named_jpeg() -> bytes:
    return b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"


def svg_with_script() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def tiff() -> bytes:
    return encode(photo(64, 64), "TIFF")


def bmp() -> bytes:
    return encode(photo(64, 64), "BMP")


def jpeg_header_only() -> bytes:
    return encode(photo(64, 64), "JPEG")[:200]


Maker = Callable[[], bytes]

ORDINARY: dict[str, Maker] = {
    "exif_gps.jpg": exif_gps_jpeg,
    "orientation_6.jpg": orientation_6_jpeg,
    "cmyk.jpg": cmyk_jpeg,
    "transparent.png": transparent_png,
    "sixteen_bit.png": sixteen_bit_png,
    "palette.gif": palette_gif,
    "progressive_grey.jpg": progressive_grey_jpeg,
    "commented.jpg": commented_jpeg,
    "one_pixel.png": one_pixel_png,
    "very_wide.png": very_wide_png,
    "photo.webp": webp,
    "no_end_chunk.png": png_without_end,
}

# What the service answers for each refused file: 413 too many pixels or too much inflated data,
# 415 not an accepted format, 422 an accepted format that cannot be decoded.
HOSTILE: dict[str, tuple[Maker, int]] = {
    "png_text_bomb.png": (png_text_bomb, 413),
    "pixel_bomb.png": (pixel_bomb_png, 413),
    "pixel_bomb.gif": (pixel_bomb_gif, 413),
    "truncated.jpg": (truncated_jpeg, 422),
    "truncated.png": (truncated_png, 422),
    "jpeg_header_only.jpg": (jpeg_header_only, 422),
    "broken_signature.png": (broken_png_signature, 415),
    "page.html": (html_named_jpeg, 415),
    "script.svg": (svg_with_script, 415),
    "photo.tiff": (tiff, 415),
    "photo.bmp": (bmp, 415),
}
