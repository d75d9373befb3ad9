"""The image pipeline on its own: what comes out of hostile, unusual and ordinary files."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageCms, ImageOps, ImageStat

from media.images import FORMATS, ImageRejected, Rendered, render
from tests.corpus import absent_reason, images, shared
from tests.media.conftest import jpeg

# media.images ignores Pillow's UserWarnings about damaged metadata in files it still decodes (the
# metadata is dropped anyway); pytest's "error" filter would override that, so restate it here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")
MAX_PIXELS = 40_000_000


def rendered(data: bytes, max_pixels: int = MAX_PIXELS) -> Rendered:
    return render(io.BytesIO(data), max_pixels)


def decoded(result: Rendered, name: str = "large") -> Image.Image:
    rendition = next(r for r in result.renditions if r.name == name)
    return Image.open(io.BytesIO(rendition.data))


def riff_chunks(data: bytes) -> list[bytes]:
    """The chunk ids of a WebP (RIFF) file."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        chunks.append(data[pos:pos + 4])
        pos += 8 + size + (size & 1)
    return chunks


def difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def test_a_phone_photo_becomes_three_webp_variants_by_longest_side() -> None:
    result = rendered(jpeg(4032, 3024))

    assert (result.width, result.height) == (4032, 3024)
    sizes = {r.name: (r.width, r.height) for r in result.renditions}
    assert sizes == {"thumb": (320, 240), "medium": (1080, 810), "large": (1920, 1440)}
    for r in result.renditions:
        image = Image.open(io.BytesIO(r.data))
        assert image.format == "WEBP" and image.size == (r.width, r.height)


def test_a_12_megapixel_jpeg_is_decoded_at_half_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import ImageFile

    decoded_sizes: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile) -> object:
        decoded_sizes.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)

    result = rendered(jpeg(4032, 3024))

    assert decoded_sizes and decoded_sizes[0] == (2016, 1512)
    assert max(r.width for r in result.renditions) == 1920


def test_a_small_image_is_never_enlarged() -> None:
    result = rendered(jpeg(500, 300))

    sizes = {r.name: (r.width, r.height) for r in result.renditions}
    assert sizes == {"thumb": (320, 192), "medium": (500, 300), "large": (500, 300)}


def test_a_photo_no_larger_than_a_variant_is_encoded_once_for_both(monkeypatch: pytest.MonkeyPatch) -> None:
    from media import images as pipeline

    encoded: list[tuple[int, int]] = []
    real_encode = pipeline._encode

    def encode(im: Image.Image) -> bytes:
        encoded.append(im.size)
        return real_encode(im)

    monkeypatch.setattr(pipeline, "_encode", encode)

    result = rendered(jpeg(810, 1080))  # a portrait no longer than 1080 px: its own medium and large

    by_name = {r.name: r for r in result.renditions}
    assert (by_name["large"].width, by_name["large"].height) == (810, 1080)
    assert by_name["medium"].data == by_name["large"].data
    assert Image.open(io.BytesIO(by_name["medium"].data)).size == (810, 1080)
    assert encoded == [(810, 1080), (240, 320)]


def test_gps_and_every_other_metadata_are_removed() -> None:
    source = images.exif_gps_jpeg()
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825), "the fixture carries a GPS IFD"

    result = rendered(source)

    for r in result.renditions:
        assert riff_chunks(r.data)[0] in (b"VP8 ", b"VP8L", b"VP8X")
        assert not {b"EXIF", b"XMP ", b"ICCP"} & set(riff_chunks(r.data))
        image = Image.open(io.BytesIO(r.data))
        assert not image.getexif() and not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)


def test_a_comment_exif_and_icc_profile_of_ones_own_do_not_survive() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Meiji-Test-Camera"  # Make
    exif.get_ifd(0x8825)[2] = (39.0, 54.0, 27.0)  # GPSLatitude
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = jpeg(800, 600, exif=exif, comment=b"secret-comment-39.9N", icc_profile=icc)
    assert b"secret-comment" in data and b"Meiji-Test-Camera" in data and icc[:64] in data

    result = rendered(data)

    for r in result.renditions:
        assert b"secret-comment" not in r.data and b"Meiji-Test-Camera" not in r.data
        assert icc[:64] not in r.data and b"ICCP" not in riff_chunks(r.data)


def test_orientation_6_comes_out_upright() -> None:
    source = images.orientation_6_jpeg()
    original = Image.open(io.BytesIO(source))
    assert original.getexif()[0x0112] == 6
    upright = ImageOps.exif_transpose(original)
    assert upright is not None

    result = decoded(rendered(source))

    assert difference(result, upright) < 8
    assert difference(result, original.convert("RGB")) > 3 * difference(result, upright)


def test_a_rotated_phone_photo_reports_its_upright_size() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    result = rendered(jpeg(4032, 3024, exif=exif))

    assert (result.width, result.height) == (3024, 4032)
    large = decoded(result)
    assert large.size == (1440, 1920)
    # The dark block that was top-left in the stored pixels is top-right once upright.
    assert large.getpixel((1400, 40))[0] < 60 and large.getpixel((40, 40))[0] > 150  # type: ignore[index]


def test_an_iphone_heic_comes_out_upright_and_without_its_metadata() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Apple"
    exif.get_ifd(0x8825)[2] = (39.0, 54.0, 27.0)
    photo = Image.new("RGB", (640, 480), (200, 150, 120))
    photo.paste((20, 20, 20), (0, 0, 160, 120))
    heic = io.BytesIO()
    photo.save(heic, "HEIF", quality=80, exif=exif.tobytes())
    assert heic.getvalue()[4:12] in (b"ftypheic", b"ftypmif1")

    result = rendered(heic.getvalue())

    assert (result.width, result.height) == (480, 640)
    large = decoded(result)
    assert large.getpixel((470, 10))[0] < 60 and large.getpixel((10, 10))[0] > 150  # type: ignore[index]
    for r in result.renditions:
        assert not {b"EXIF", b"XMP ", b"ICCP"} & set(riff_chunks(r.data)) and b"Apple" not in r.data


def test_pixel_count_over_the_limit_is_refused_from_the_header() -> None:
    big = io.BytesIO()
    Image.new("L", (8000, 6000)).save(big, "PNG")  # 48 MP of zeros: a small file
    assert len(big.getvalue()) < 200_000

    with pytest.raises(ImageRejected) as refused:
        rendered(big.getvalue())

    assert refused.value.status == 413


def test_the_pixel_limit_is_a_setting() -> None:
    with pytest.raises(ImageRejected) as refused:
        rendered(jpeg(640, 480), max_pixels=640 * 480 - 1)
    assert refused.value.status == 413


@pytest.mark.parametrize("data", [
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>",
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    b"GIF89a",
], ids=["svg", "html", "pdf", "gif-magic-only"])
def test_what_is_not_an_image_is_refused(data: bytes) -> None:
    with pytest.raises(ImageRejected) as refused:
        rendered(data)
    assert refused.value.status in (415, 422)


def test_tiff_is_refused_as_unsupported_even_when_pillow_could_read_it() -> None:
    tiff = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 10)).save(tiff, "TIFF")

    with pytest.raises(ImageRejected) as refused:
        rendered(tiff.getvalue())

    assert refused.value.status == 415 and "TIFF" not in FORMATS


def test_a_truncated_jpeg_is_unprocessable() -> None:
    data = jpeg(1200, 900)

    with pytest.raises(ImageRejected) as refused:
        rendered(data[: len(data) // 2])

    assert refused.value.status == 422


def test_cmyk_and_transparent_images_become_rgb_and_rgba() -> None:
    cmyk = decoded(rendered(images.cmyk_jpeg()))
    rgba = decoded(rendered(images.transparent_png()))

    assert cmyk.mode == "RGB"
    assert rgba.mode == "RGBA" and rgba.getextrema()[3][0] < 255


def test_an_animated_gif_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (90, 60), c) for c in ((250, 0, 0), (0, 0, 250))]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)

    large = decoded(rendered(gif.getvalue())).convert("RGB")

    red, _, blue = large.getpixel((45, 30))  # type: ignore[misc]
    assert red > 200 and blue < 50


@pytest.mark.parametrize("name", sorted(images.ORDINARY))
def test_unusual_generated_image(name: str) -> None:
    result = rendered(images.ORDINARY[name]())

    assert [r.name for r in result.renditions] == ["thumb", "medium", "large"]
    for r in result.renditions:
        assert not {b"EXIF", b"XMP ", b"ICCP"} & set(riff_chunks(r.data))
        assert b"13800138000" not in r.data and b"Meiji-Phone" not in r.data


@pytest.mark.parametrize("name", sorted(images.HOSTILE))
def test_hostile_generated_image(name: str) -> None:
    make, status = images.HOSTILE[name]

    with pytest.raises(ImageRejected) as refused:
        rendered(make())

    assert refused.value.status == status


SHARED_IMAGES = shared("images")


def _corpus() -> list[str]:
    if SHARED_IMAGES is None:
        return []
    return sorted(p.relative_to(SHARED_IMAGES).as_posix() for p in SHARED_IMAGES.glob("*/*") if p.suffix != ".md")


# The refusals the issue asks for; every other file of the corpus is an image the service accepts.
REFUSED = {
    "pillow/broken.png": 415,
    "pillow/broken_data_stream.png": 422,
    "pillow/crash-4fb027452e6988530aa5dabee76eecacb3b79f8a.j2k": 415,
    "pillow/crash-86214e58da443d2b80820cff9677a38a33dcbbca.tif": 415,
    "pillow/decompression_bomb.gif": 413,
    "pillow/decompression_bomb.ico": 415,
    "pillow/eps_timeout-d675703545fee17acab56e5fec644c19979175de.eps": 415,
    "pillow/fli_overflow.fli": 415,
    "pillow/hopper.psd": 415,
    "pillow/libtiff_segfault.tif": 415,
    "pillow/oom-225817ca0f8c663be7ab4b9e717b02c661e66834.tif": 415,
    "pillow/ossfuzz-5730089102868480.sgi": 415,
    "pillow/pcx_overrun.bin": 415,
    "pillow/png_decompression_dos.png": 413,
    "pillow/psd-oob-write-overflow.psd": 415,
    "pillow/timeout-60d8b7c8469d59fc9ffff6b3a3dc0faeae6ea8ee.blp": 415,
    "pillow/timeout-c60a3d7314213624607bfb3e38d551a8b24a7435.dds": 415,
    "pillow/truncated_end_chunk.png": 422,
}


@pytest.mark.skipif(SHARED_IMAGES is None, reason=absent_reason("images"))
def test_the_corpus_lists_the_files_this_module_expects() -> None:
    files = _corpus()
    assert len(files) >= 80
    assert set(REFUSED) <= set(files)
    assert all(f.startswith("pillow/") for f in REFUSED), "every libjpeg-turbo seed is accepted"


@pytest.mark.skipif(SHARED_IMAGES is None, reason=absent_reason("images"))
@pytest.mark.parametrize("name", _corpus() or ["(absent)"])
def test_corpus_file(name: str) -> None:
    assert SHARED_IMAGES is not None
    data = (SHARED_IMAGES / name).read_bytes()
    if name in REFUSED:
        with pytest.raises(ImageRejected) as refused:
            rendered(data)
        assert refused.value.status == REFUSED[name]
    else:
        result = rendered(data)
        assert [r.name for r in result.renditions] == ["thumb", "medium", "large"]
        for r in result.renditions:
            assert not {b"EXIF", b"XMP ", b"ICCP"} & set(riff_chunks(r.data))
