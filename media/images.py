"""The image pipeline: open an untrusted file with Pillow, refuse what is not a safe image, and
render the variants as WebP without any of the original's metadata.

Everything here is synchronous and CPU-bound; the service runs it in a worker thread (Pillow
releases the GIL while decoding, resampling and encoding).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageCms, UnidentifiedImageError, features

from media import fingerprints

# A decompression-bomb warning is a refusal, not a log line. Pillow's other warnings are about
# damaged metadata (corrupt EXIF, a malformed MPO or APNG header) in files it still decodes: the
# metadata is thrown away anyway, so they are not worth a log line per upload.
warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)

try:
    # HEIC/HEIF, what iPhones store: decoded by libheif through pillow-heif, which applies the
    # orientation itself (and resets the EXIF tag, so it is not applied twice).
    import pillow_heif

    # One decoding thread per image: MEIJI_IMAGE_WORKERS is the whole CPU budget.
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False, decode_threads=1)
    _HEIF: tuple[str, ...] = ("HEIF",)
except ImportError:  # pragma: no cover - an install without the optional decoder refuses HEIC (415)
    _HEIF = ()

# The allow-list: Pillow never even tries another decoder (no TIFF, PSD, EPS, ICO, SVG...).
FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF") + (("AVIF",) if features.check("avif") else ()) + _HEIF

# Longest side of each variant, in pixels; a smaller image is never enlarged.
VARIANTS: dict[str, int] = {"thumb": 320, "medium": 1080, "large": 1920}
LARGEST = max(VARIANTS.values())

WEBP_QUALITY = 80
# libwebp's effort, 0-6. Measured on a 12 MP photo's 1920 px variant: the default 4 takes ~3x the
# time of 2; 0 saves another ~25% of the whole pipeline for files ~15% larger than 2 (and ~2% larger
# than 1). Uploads are CPU-bound and variants are small, so the cheapest effort wins.
WEBP_METHOD = 0
# Hamming: a support of 1 like bilinear (half of bicubic's cost), sharper, without its artefacts.
RESAMPLE = Image.Resampling.HAMMING
CONTENT_TYPE = "image/webp"

_SRGB = ImageCms.createProfile("sRGB")


class ImageRejected(Exception):
    """The file is not an image the service accepts; ``status`` is the HTTP answer (413, 415, 422)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Rendition:
    """One variant, encoded."""

    name: str
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Rendered:
    """What the pipeline made of one upload."""

    width: int
    height: int
    renditions: list[Rendition]
    # pHash of the smallest variant (16 hex digits): what removed photos are recognised by.
    phash: str = ""


def sha256_of(file: IO[bytes]) -> tuple[str, int]:
    """The SHA-256 and size of a file, read from its start; leaves it rewound."""
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := file.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_srgb(im: Image.Image) -> Image.Image:
    """8-bit RGB or RGBA in sRGB: an embedded profile (Display P3, Adobe RGB, CMYK) is applied, then dropped."""
    icc = im.info.get("icc_profile")
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode in ("I", "F") or im.mode.startswith("I;16"):
        # High bit depth grey: scaled to 8 bits rather than clipped.
        im = im.convert("I").point(lambda v: v / 256).convert("L")
    if im.mode in ("LA", "PA", "La", "RGBa"):
        im = im.convert("RGBA")
    elif im.mode in ("L", "1"):
        im = im.convert("RGB")
    if icc and im.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            output = "RGBA" if im.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(im, source, _SRGB, outputMode=output)
            if converted is not None:
                im = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            # A broken or mismatched profile: keep the pixels as they are.
            pass
    if im.mode not in ("RGB", "RGBA"):
        im = im.convert("RGB")
    # Nothing of the original travels further: no EXIF, XMP, ICC profile or comment.
    im.info.clear()
    return im


# EXIF orientation -> the transposition that makes the image upright (as ImageOps.exif_transpose).
_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - unreadable EXIF (many shapes of damage): the image as stored
        return 1
    return value if isinstance(value, int) else 1


def _replace(old: Image.Image, new: Image.Image) -> Image.Image:
    """``new``, with ``old``'s pixels freed at once: at most two decoded images per worker at a time."""
    if new is not old:
        old.close()
    return new


def _shrink(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``im`` resized to ``size`` one axis at a time, freeing each source as soon as it is read.

    Pillow resamples the width, then the height, through an intermediate image: in one call it
    holds the source, the intermediate and the result at once (33 MB for a 12 MP photo's 1920 px
    variant); in two calls, never more than two of them (23 MB). The pixels are the same.
    """
    width, height = size
    if im.width != width:
        im = _replace(im, im.resize((width, im.height), RESAMPLE, reducing_gap=2.0))
    if im.height != height:
        im = _replace(im, im.resize((width, height), RESAMPLE, reducing_gap=2.0))
    return im


def _encode(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.info.clear()
    im.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return out.getvalue()


def render(file: IO[bytes], max_pixels: int) -> Rendered:
    """Decode ``file`` and render every variant; ImageRejected says why the file was refused."""
    try:
        return _render(file, max_pixels)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(413, "The image declares more pixels than the service accepts.") from None
    except UnidentifiedImageError:
        raise ImageRejected(415, f"Not an image in an accepted format ({', '.join(FORMATS)}).") from None
    except MemoryError:
        raise ImageRejected(413, "The image is too large to decode.") from None
    except ValueError as exc:
        if "too large" in str(exc).lower():
            # PNG text and ICC chunks that inflate past Pillow's limits: a bomb of another kind.
            raise ImageRejected(413, "The image holds data that decompresses to more than is accepted.") from None
        raise ImageRejected(422, "The image is truncated or corrupt and cannot be decoded.") from None
    except Exception:  # noqa: BLE001 - any decoder failure (OSError, ValueError, SyntaxError, struct.error...)
        # is the file's fault: truncated, corrupt or malformed.
        raise ImageRejected(422, "The image is truncated or corrupt and cannot be decoded.") from None


def _render(file: IO[bytes], max_pixels: int) -> Rendered:
    file.seek(0)
    with Image.open(file, formats=FORMATS) as opened:
        # The header's size, checked before a single pixel is decoded.
        width, height = opened.size
        if width * height > max_pixels:
            raise ImageRejected(413, f"The image has {width * height} pixels; at most {max_pixels} are accepted.")
        if opened.format in ("JPEG", "MPO"):
            # EXIF sits in the header of a JPEG: read before deciding the draft.
            orientation = _orientation(opened)
            # Decode at the smallest 1/2, 1/4 or 1/8 scale that still covers the largest variant.
            opened.draft(None, _fit(opened.size, LARGEST))
            opened.load()
        else:
            # Other formats may keep EXIF after the pixels (PNG eXIf): decode first, so that a
            # failed decode is never hidden behind an EXIF read that tried it.
            opened.load()  # the first frame of an animation
            orientation = _orientation(opened)
        im: Image.Image = opened
        im = _replace(im, _to_srgb(im))
        # The largest variant is made before turning the image upright: transposing the smaller
        # result holds less memory than transposing the decoded image.
        im = _shrink(im, _fit((width, height), LARGEST))
        if orientation in _TRANSPOSE:
            im = _replace(im, im.transpose(_TRANSPOSE[orientation]))
        upright = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
        renditions: list[Rendition] = []
        for name, longest in sorted(VARIANTS.items(), key=lambda item: -item[1]):
            size = _fit(upright, longest)
            if renditions and (renditions[-1].width, renditions[-1].height) == size:
                # A picture no longer than this variant is its own larger variant too (at most
                # 1080 px: medium and large): the same pixels, encoded once.
                renditions.append(Rendition(name, renditions[-1].data, size[0], size[1]))
                continue
            # Each variant from the next larger one: cheaper, and as sharp at these ratios.
            im = _shrink(im, size)
            renditions.append(Rendition(name, _encode(im), size[0], size[1]))
        # On the smallest variant, already in memory: pHash shrinks to 32x32 anyway.
        perceptual = fingerprints.phash(im)
        im.close()
    renditions.sort(key=lambda r: VARIANTS[r.name])
    return Rendered(upright[0], upright[1], renditions, perceptual)
