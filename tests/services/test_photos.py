"""照片 rules of app/services/photos.py: format by content, 2 MB on both sides, pixel cap
and bombs, truncation, EXIF orientation, the scale/crop offer and its preview, metadata
stripped, the background warning. Every image is made here with Pillow."""

import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms, ImageDraw

from app import create_app
from app.services import photos
from app.services.photos import PhotoStatus, ResizeMode

BLUE = (67, 142, 219)
LIGHT_BLUE = (150, 200, 240)
WHITE = (255, 255, 255)
RED = (200, 30, 40)
LIMIT = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def app():
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        yield app


def _text(message) -> str:
    """A lazy message as the applicant reads it, in the default zh locale."""
    from flask import current_app

    with current_app.test_request_context():
        return str(message)


def picture(size=(413, 626), background=BLUE, *, person=True) -> Image.Image:
    """An ID-photo-like picture: a plain background and a dark head and shoulders."""
    image = Image.new("RGB", size, background)
    if person:
        width, height = size
        draw = ImageDraw.Draw(image)
        draw.ellipse(
            (width * 0.3, height * 0.15, width * 0.7, height * 0.55), fill=(60, 45, 40)
        )
        draw.rectangle(
            (width * 0.15, height * 0.6, width * 0.85, height), fill=(30, 30, 35)
        )
    return image


def encode(image: Image.Image, fmt="JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg(size=(413, 626), background=BLUE, **options) -> bytes:
    return encode(picture(size, background), "JPEG", quality=92, **options)


def png(size=(413, 626), background=BLUE, **options) -> bytes:
    return encode(picture(size, background), "PNG", **options)


def pad_with_comments(data: bytes, total: int) -> bytes:
    """A JPEG grown to exactly ``total`` bytes with COM segments after SOI."""
    need = total - len(data)
    assert need == 0 or need >= 4
    segments = []
    while need > 0:
        cost = min(need, 65533 + 4)
        if 0 < need - cost < 4:
            cost -= 4
        payload = b"PADDING!" * ((cost - 4) // 8) + b"P" * ((cost - 4) % 8)
        segments.append(b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload)
        need -= cost
    padded = data[:2] + b"".join(segments) + data[2:]
    assert len(padded) == total
    return padded


def png_with_header_size(width: int, height: int) -> bytes:
    """A small PNG whose IHDR claims ``width``×``height`` (the CRC made to match)."""
    data = bytearray(png((8, 8)))
    ihdr = bytearray(data[12:29])
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(data)


def jpeg_with_header_size(width: int, height: int) -> bytes:
    """A small baseline JPEG whose SOF0 claims ``width``×``height``."""
    data = bytearray(jpeg((16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_bomb(width=20_000, height=20_000) -> bytes:
    """A real decompression bomb: 1-bit zeros, 50 MB of pixels in about 50 kB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = (
        b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


def png_chunks(data: bytes) -> list[bytes]:
    kinds, offset = [], 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset : offset + 4])[0]
        kinds.append(data[offset + 4 : offset + 8])
        offset += 12 + length
    return kinds


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- accepted ----------------------------------------------------------------


def test_check_photo_jpeg_of_exact_size_is_accepted_as_jpeg(app):
    result = photos.check_photo(jpeg())

    assert result.status == PhotoStatus.ACCEPTED
    assert (result.format, result.content_type, result.size) == (
        "jpeg",
        "image/jpeg",
        (413, 626),
    )
    assert opened(result.data).format == "JPEG"
    assert opened(result.data).size == (413, 626)
    assert result.message is None and result.warning is None


def test_check_photo_png_named_jpg_is_judged_by_content_and_kept_as_png(app):
    # The service never sees a file name: a PNG saved as 证件照.jpg arrives as PNG bytes.
    result = photos.check_photo(png())

    assert result.status == PhotoStatus.ACCEPTED
    assert (result.format, result.content_type) == ("png", "image/png")
    assert opened(result.data).format == "PNG"


def test_check_photo_keeps_the_picture(app):
    source = picture()

    result = photos.check_photo(encode(source, "PNG"))

    assert opened(result.data).convert("RGB").tobytes() == source.tobytes()


# --- size in bytes: both sides of 2 MB (2,097,152 bytes) -----------------------


def test_check_photo_of_exactly_2_mib_is_accepted_and_the_padding_dropped(app):
    data = pad_with_comments(jpeg(), LIMIT)

    result = photos.check_photo(data)

    assert len(data) == 2_097_152
    assert result.status == PhotoStatus.ACCEPTED
    assert len(result.data) < 200_000
    assert b"PADDING!" not in result.data
    assert "comment" not in opened(result.data).info


def test_check_photo_of_2_mib_plus_one_byte_is_refused_with_both_sizes(app):
    data = jpeg() + b"\x00" * (LIMIT + 1 - len(jpeg()))

    result = photos.check_photo(data)

    assert len(data) == 2_097_153
    assert result.status == PhotoStatus.REFUSED
    assert (
        _text(result.message)
        == "照片不能超过 2 MB（2,097,152 字节），此文件为 2,097,153 字节。"
    )


def test_check_photo_trailing_bytes_after_end_marker_are_dropped(app):
    data = jpeg() + b"TRAILER-" * 1000

    result = photos.check_photo(data)

    assert result.status == PhotoStatus.ACCEPTED
    assert b"TRAILER-" not in result.data


def test_check_photo_limit_follows_the_setting(app):
    app.config["PHOTO_MAX_BYTES"] = 1024 * 1024
    try:
        result = photos.check_photo(pad_with_comments(jpeg(), 1024 * 1024 + 4))
    finally:
        app.config["PHOTO_MAX_BYTES"] = LIMIT

    assert (
        _text(result.message)
        == "照片不能超过 1 MB（1,048,576 字节），此文件为 1,048,580 字节。"
    )


def test_check_photo_empty_file_is_refused(app):
    result = photos.check_photo(b"")

    assert result.status == PhotoStatus.REFUSED
    assert _text(result.message) == "文件为空，请重新选择照片。"


# --- formats by content ------------------------------------------------------------


def _heic() -> bytes:
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200


def _heif_major_mif1() -> bytes:
    return b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heicmiaf" + b"\x00" * 200


def _avif() -> bytes:
    return b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 200


SVG = b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="413" height="626"><rect width="413" height="626" fill="blue"/></svg>'


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda: encode(picture(), "GIF"), "GIF"),
        (_heic, "HEIC/HEIF"),
        (_heif_major_mif1, "HEIC/HEIF"),
        (_avif, "AVIF"),
        (lambda: SVG, "SVG"),
        (lambda: b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
        (lambda: b"<?xml version='1.0'?><note>photo</note>", "XML"),
        (lambda: b"<!DOCTYPE html><html><body><img src=x></body></html>", "HTML"),
        (lambda: b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "PDF"),
        (lambda: encode(picture(), "WEBP"), "WebP"),
        (lambda: encode(picture(), "BMP"), "BMP"),
        (lambda: encode(picture(), "TIFF"), "TIFF"),
    ],
    ids=[
        "gif",
        "heic",
        "heif-mif1",
        "avif",
        "svg",
        "svg-bom",
        "xml",
        "html",
        "pdf",
        "webp",
        "bmp",
        "tiff",
    ],
)
def test_check_photo_other_format_is_refused_naming_it(app, make, kind):
    result = photos.check_photo(make())

    assert result.status == PhotoStatus.REFUSED
    assert _text(result.message) == (
        f"这是 {kind} 文件，不是 JPEG 或 PNG 图片：请将照片另存为或导出为 JPEG 或 PNG 格式后重新上传。"
    )


@pytest.mark.parametrize(
    "data",
    [b"hello, this is not a picture at all", bytes(range(256)) * 4, b"\x00" * 100],
    ids=["text", "bytes", "zeros"],
)
def test_check_photo_unknown_content_is_refused(app, data):
    result = photos.check_photo(data)

    assert result.status == PhotoStatus.REFUSED
    assert (
        _text(result.message)
        == "该文件不是 JPEG 或 PNG 图片，请上传 JPEG 或 PNG 格式的照片。"
    )


# --- damaged files and bombs ----------------------------------------------------------


def _noise(size=(413, 626)) -> Image.Image:
    import random

    generator = random.Random(5)
    return Image.frombytes(
        "RGB",
        size,
        bytes(generator.getrandbits(8) for _ in range(size[0] * size[1] * 3)),
    )


@pytest.mark.parametrize(
    "data",
    [
        encode(_noise(), "JPEG", quality=92)[
            : len(encode(_noise(), "JPEG", quality=92)) * 6 // 10
        ],
        encode(_noise(), "JPEG", quality=92)[:-2],
        encode(_noise(), "PNG")[: len(encode(_noise(), "PNG")) // 2],
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 50,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,
    ],
    ids=[
        "jpeg-cut-at-60%",
        "jpeg-without-eoi",
        "png-cut-in-half",
        "jpeg-header-only",
        "png-signature-only",
    ],
)
def test_check_photo_truncated_or_damaged_file_is_refused(app, data):
    result = photos.check_photo(data)

    assert result.status == PhotoStatus.REFUSED
    assert (
        _text(result.message) == "图片已损坏或不完整（例如上传时被截断），请重新上传。"
    )


def test_check_photo_truncated_large_jpeg_is_refused_though_decoded_at_reduced_scale(
    app,
):
    noise = Image.effect_noise((4000, 6000), 24).convert("RGB")
    data = encode(Image.blend(picture((4000, 6000)), noise, 0.15), "JPEG", quality=60)

    result = photos.check_photo(data[: len(data) * 9 // 10])

    assert len(data) < LIMIT
    assert result.status == PhotoStatus.REFUSED
    assert (
        _text(result.message) == "图片已损坏或不完整（例如上传时被截断），请重新上传。"
    )


def test_check_photo_decompression_bomb_is_refused_without_decoding(app):
    data = png_bomb()

    result = photos.check_photo(data)

    assert len(data) < 200_000
    assert result.status == PhotoStatus.REFUSED
    assert (
        _text(result.message)
        == "图片像素数超过照片允许的上限（最多 40 百万像素），未打开即已拒绝。"
    )


@pytest.mark.parametrize(
    "data",
    [png_with_header_size(20_000, 20_000), jpeg_with_header_size(20_000, 20_000)],
    ids=["png", "jpeg"],
)
def test_check_photo_header_of_20000_by_20000_is_refused_as_a_bomb(app, data):
    result = photos.check_photo(data)

    assert result.status == PhotoStatus.REFUSED
    assert "百万像素" in _text(result.message)


def test_check_photo_above_the_pixel_cap_is_refused_with_its_size(app):
    result = photos.check_photo(jpeg_with_header_size(8_000, 6_000))

    assert result.status == PhotoStatus.REFUSED
    assert _text(result.message) == (
        "图片为 8000×6000 像素，超过照片允许的像素上限（最多 40 百万像素），未打开即已拒绝。"
    )


# --- orientation -------------------------------------------------------------------------


def _sideways_with_orientation(orientation: int) -> bytes:
    """626×413 as stored, red on the side that is up once ``orientation`` is applied."""
    image = Image.new("RGB", (626, 413), BLUE)
    draw = ImageDraw.Draw(image)
    if orientation == 6:  # displayed rotated 90° clockwise: the stored left side is up
        draw.rectangle((0, 0, 60, 412), fill=RED)
    else:  # 8, rotated 90° counter-clockwise: the stored right side is up
        draw.rectangle((565, 0, 625, 412), fill=RED)
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    return encode(image, "JPEG", quality=92, exif=exif.tobytes())


@pytest.mark.parametrize("orientation", [6, 8], ids=["rotate-cw", "rotate-ccw"])
def test_check_photo_sideways_with_orientation_tag_is_accepted_and_stored_upright(
    app, orientation
):
    result = photos.check_photo(_sideways_with_orientation(orientation))
    stored = opened(result.data).convert("RGB")

    assert result.status == PhotoStatus.ACCEPTED
    assert result.size == (413, 626)
    assert stored.size == (413, 626)
    assert _close(stored.getpixel((206, 20)), RED)
    assert _close(stored.getpixel((206, 600)), BLUE)
    assert len(stored.getexif()) == 0


def test_check_photo_upright_pixels_with_orientation_tag_become_sideways_and_are_offered_crop(
    app,
):
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(picture(), "JPEG", quality=92, exif=exif.tobytes())

    result = photos.check_photo(data)

    assert result.size == (626, 413)
    assert (result.status, result.offer) == (PhotoStatus.NEEDS_RESIZE, ResizeMode.CROP)


def test_check_photo_large_sideways_jpeg_reports_its_size_as_displayed(app):
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(picture((6000, 4000)), "JPEG", quality=80, exif=exif.tobytes())

    result = photos.check_photo(data)
    preview = opened(photos.make_preview(data, result.offer).data)

    assert (result.status, result.offer, result.size) == (
        PhotoStatus.NEEDS_RESIZE,
        ResizeMode.CROP,
        (4000, 6000),
    )
    assert _text(result.message).startswith("照片尺寸为 4000×6000 像素")
    assert preview.size == (413, 626)


def _close(pixel, expected, tolerance=12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


# --- metadata -----------------------------------------------------------------------------


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_check_photo_jpeg_metadata_is_removed(app):
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x0110] = "CameraModel"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    data = encode(
        picture(),
        "JPEG",
        quality=92,
        exif=exif.tobytes(),
        icc_profile=_srgb_icc(),
        comment=b"secret comment",
        xmp=b"<x:xmpmeta>creator</x:xmpmeta>",
    )
    assert b"CameraMaker" in data and b"secret comment" in data and b"creator" in data

    result = photos.check_photo(data)
    stored = opened(result.data)

    assert result.status == PhotoStatus.ACCEPTED
    for marker in (
        b"Exif",
        b"CameraMaker",
        b"ICC_PROFILE",
        b"secret comment",
        b"xmpmeta",
        b"creator",
    ):
        assert marker not in result.data
    assert len(stored.getexif()) == 0
    assert set(stored.info) <= {
        "jfif",
        "jfif_version",
        "jfif_unit",
        "jfif_density",
        "dpi",
    }


def test_check_photo_png_metadata_is_removed(app):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Zhang San")
    info.add_itxt("Comment", "身份证号 110101199003071234")
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    data = encode(
        picture(), "PNG", pnginfo=info, exif=exif.tobytes(), icc_profile=_srgb_icc()
    )
    assert {b"tEXt", b"iTXt", b"eXIf", b"iCCP"} <= set(png_chunks(data))

    result = photos.check_photo(data)

    assert result.status == PhotoStatus.ACCEPTED
    assert set(png_chunks(result.data)) == {b"IHDR", b"IDAT", b"IEND"}


def test_check_photo_transparent_png_is_flattened_on_white(app):
    image = Image.new("RGBA", (413, 626), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((120, 90, 290, 340), fill=(60, 45, 40, 255))

    result = photos.check_photo(encode(image, "PNG"))
    stored = opened(result.data)

    assert stored.mode == "RGB"
    assert stored.getpixel((5, 5)) == WHITE
    assert (
        _text(result.warning)
        == "照片背景看起来不是蓝色，请确认照片为申请要求的蓝色背景。"
    )


def test_check_photo_cmyk_jpeg_is_stored_as_rgb(app):
    data = encode(picture().convert("CMYK"), "JPEG", quality=92)

    result = photos.check_photo(data)
    stored = opened(result.data)

    assert result.status == PhotoStatus.ACCEPTED
    assert stored.mode == "RGB"
    assert _close(stored.getpixel((5, 5)), BLUE, tolerance=20)


def test_check_photo_palette_png_is_accepted(app):
    result = photos.check_photo(encode(picture().convert("P"), "PNG"))

    assert result.status == PhotoStatus.ACCEPTED
    assert opened(result.data).mode == "RGB"


# --- other sizes: the offer and its preview -----------------------------------------------


@pytest.mark.parametrize(
    ("size", "mode"),
    [
        ((826, 1252), ResizeMode.SCALE),
        ((1239, 1878), ResizeMode.SCALE),
        ((414, 626), ResizeMode.SCALE),
        ((413, 627), ResizeMode.SCALE),
        ((207, 313), ResizeMode.SCALE),
        ((420, 626), ResizeMode.CROP),
        ((4000, 6000), ResizeMode.CROP),
        ((6000, 4000), ResizeMode.CROP),
        ((626, 413), ResizeMode.CROP),
        ((600, 600), ResizeMode.CROP),
        ((206, 312), None),
        ((205, 313), None),
        ((300, 300), None),
        ((100, 150), None),
    ],
    ids=lambda value: (
        "x".join(map(str, value)) if isinstance(value, tuple) else str(value)
    ),
)
def test_resize_mode_by_proportions_and_size(size, mode):
    assert photos.resize_mode(size) == mode


def test_check_photo_same_proportions_other_size_is_offered_scale(app):
    result = photos.check_photo(jpeg((826, 1252)))

    assert (result.status, result.offer, result.size) == (
        PhotoStatus.NEEDS_RESIZE,
        ResizeMode.SCALE,
        (826, 1252),
    )
    assert result.data is None
    assert _text(result.message) == (
        "照片比例正确，但尺寸为 826×1252 像素，要求正好 413×626 像素。可以将其缩放为 413×626 像素：请查看预览并确认。"
    )


def test_check_photo_4000_by_6000_is_offered_crop(app):
    result = photos.check_photo(jpeg((4000, 6000)))

    assert (result.status, result.offer, result.size) == (
        PhotoStatus.NEEDS_RESIZE,
        ResizeMode.CROP,
        (4000, 6000),
    )
    assert result.data is None
    assert _text(result.message) == (
        "照片尺寸为 4000×6000 像素，不是 413×626 像素。可以从中间裁剪为 413×626 的比例并缩放：请查看预览并确认。"
    )


def test_check_photo_too_small_is_refused(app):
    result = photos.check_photo(jpeg((100, 150)))

    assert result.status == PhotoStatus.REFUSED
    assert (
        _text(result.message) == "照片太小（100×150 像素），请上传 413×626 像素的照片。"
    )


@pytest.mark.parametrize(
    ("data", "mode"),
    [
        (jpeg((826, 1252)), "scale"),
        (jpeg((4000, 6000)), "crop"),
        (png((900, 900)), "crop"),
        (jpeg((826, 1252)), "crop"),
    ],
    ids=[
        "scale-826x1252",
        "crop-4000x6000",
        "crop-png-900x900",
        "crop-same-proportions",
    ],
)
def test_make_preview_is_413_by_626_and_passes_the_check(app, data, mode):
    preview = photos.make_preview(data, mode)
    again = photos.check_photo(preview.data)

    assert preview.status == PhotoStatus.ACCEPTED
    assert opened(preview.data).size == (413, 626)
    assert again.status == PhotoStatus.ACCEPTED
    assert again.format == preview.format


def test_make_preview_crop_keeps_the_centre(app):
    image = Image.new("RGB", (1200, 1200), RED)
    ImageDraw.Draw(image).rectangle((404, 0, 795, 1199), fill=BLUE)  # the centre 392 px

    preview = photos.make_preview(encode(image, "PNG"), ResizeMode.CROP)
    stored = opened(preview.data)

    # 1200 px high keeps 1200×413/626 = 792 px of width: 204 px of red on each side.
    assert _close(stored.getpixel((206, 313)), BLUE)
    assert _close(stored.getpixel((5, 313)), RED)
    assert _close(stored.getpixel((407, 313)), RED)


def test_make_preview_scale_of_other_proportions_is_a_programming_error(app):
    with pytest.raises(ValueError):
        photos.make_preview(jpeg((4000, 6000)), "scale")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            encode(picture(), "GIF"),
            "这是 GIF 文件，不是 JPEG 或 PNG 图片：请将照片另存为或导出为 JPEG 或 PNG 格式后重新上传。",
        ),
        (jpeg((100, 150)), "照片太小（100×150 像素），请上传 413×626 像素的照片。"),
    ],
    ids=["gif", "too-small"],
)
def test_make_preview_applies_the_same_refusals(app, data, message):
    result = photos.make_preview(data, "crop")

    assert result.status == PhotoStatus.REFUSED
    assert _text(result.message) == message


# --- background ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("background", "warned"),
    [
        (BLUE, False),
        (LIGHT_BLUE, False),
        ((0, 90, 200), False),
        (WHITE, True),
        (RED, True),
        ((128, 128, 128), True),
        ((235, 240, 250), True),
    ],
    ids=["blue", "light-blue", "deep-blue", "white", "red", "grey", "very-pale-blue"],
)
def test_background_warning_by_colour(app, background, warned):
    warning = photos.background_warning(picture(background=background))

    assert (warning is not None) == warned
    if warned:
        assert (
            _text(warning) == "照片背景看起来不是蓝色，请确认照片为申请要求的蓝色背景。"
        )


@pytest.mark.parametrize("background", [WHITE, RED], ids=["white", "red"])
def test_check_photo_not_blue_background_is_accepted_with_a_warning(app, background):
    result = photos.check_photo(jpeg(background=background))

    assert result.status == PhotoStatus.ACCEPTED
    assert result.warning is not None
    assert (
        _text(result.warning)
        == "照片背景看起来不是蓝色，请确认照片为申请要求的蓝色背景。"
    )
    assert Image.open(io.BytesIO(result.data)).size == (413, 626)


def test_check_photo_offer_carries_the_background_warning_of_the_result(app):
    result = photos.check_photo(jpeg((4000, 6000), background=WHITE))

    assert result.status == PhotoStatus.NEEDS_RESIZE
    assert result.warning is not None
    assert (
        _text(result.warning)
        == "照片背景看起来不是蓝色，请确认照片为申请要求的蓝色背景。"
    )


def test_truncated_file_is_refused_after_weasyprint_was_imported(app):
    """WeasyPrint relaxes Pillow's truncated-image flag for the whole process when it is
    imported (by a PDF copy); a photo check afterwards must still refuse a cut-off file."""
    import io

    from PIL import Image, ImageFile

    from app.services import pdf, photos

    pdf._weasyprint()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as if another library set it again
    buffer = io.BytesIO()
    Image.new("RGB", (413, 626), (40, 90, 200)).save(buffer, "JPEG", quality=95)
    cut = buffer.getvalue()[: len(buffer.getvalue()) * 6 // 10]

    result = photos.check_photo(cut)

    assert result.status == photos.PhotoStatus.REFUSED
    assert (
        _text(result.message) == "图片已损坏或不完整（例如上传时被截断），请重新上传。"
    )
