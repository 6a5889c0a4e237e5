"""照片 of the member application (SPEC §4, issue 5): what is accepted and what is kept.

The rules, in the order they are checked (the first that fails decides the message):

1. Size of the upload: at most ``PHOTO_MAX_BYTES``, 2 MB read as 2 × 1024 × 1024 =
   2,097,152 bytes (the binary megabyte the applicants' systems show for "2 MB");
   2,097,152 bytes are accepted, 2,097,153 refused. Nothing is decoded before this.
2. Format from the content only: the file's first bytes must be those of a JPEG or a
   PNG, and Pillow must decode it with that format's decoder alone (the file name and
   the browser's declared type are never read). Anything else is refused, naming what it
   is when its signature is known (GIF, HEIC/HEIF by its ``ftyp`` box, AVIF, WebP, BMP,
   TIFF, SVG, XML, HTML, PDF, ...).
3. Pixel count from the header, before any decoding: at most ``MAX_PIXELS`` (40 million,
   twice a 24-megapixel camera's 4000×6000); Pillow's own decompression-bomb guard
   (``Image.MAX_IMAGE_PIXELS``) refuses the same way.
4. A full decode (``Image.load()`` with ``ImageFile.LOAD_TRUNCATED_IMAGES`` left False):
   a truncated or damaged file is refused.
5. Size as displayed, after the EXIF orientation is applied (``ImageOps.exif_transpose``):
   exactly 413×626 px is accepted. Otherwise the applicant is offered a fix, shown as a
   preview (``make_preview``) and stored only once confirmed:

   - ``scale`` when the proportions are those of 413:626, which here means that scaling
     the height to 626 px gives a width of 413 ± 1 px (about ±0.25 %, so a scale never
     distorts the face by more than one pixel);
   - ``crop`` for any other proportions (a 4000×6000 camera picture is 2:3, not
     413:626): the largest 413:626 box at the centre, then scaled.

   Either way the box cut from the upload must be at least half the final size
   (206×313 px), so that a photo is enlarged at most about twice.

What is stored is always re-encoded from the pixels, so nothing of the upload but the
picture survives: no EXIF (orientation, GPS, camera), no XMP, no comments, no text
chunks, no padding or data after the end marker. Colour: an embedded ICC profile is
applied with littleCMS to convert the picture to sRGB, and the file is stored without a
profile (sRGB is what browsers and PDF viewers assume); CMYK becomes RGB; transparency
is flattened onto white. A JPEG stays a JPEG (quality 92, 4:2:0, optimised Huffman
tables), a PNG stays a PNG.

The background is checked but never refused: ``background_warning`` warns when the
border around the head is clearly not blue (see its docstring for the colour test).
"""

import io
import logging
from dataclasses import dataclass
from enum import StrEnum

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageFile, ImageOps

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 413, 626
# 2 MB as the binary megabyte: 2 × 1024 × 1024 bytes. config.PHOTO_MAX_BYTES overrides.
MAX_BYTES = 2 * 1024 * 1024
# Refused from the header alone, before any pixel is decoded.
MAX_PIXELS = 40_000_000
# The smallest box a scale or crop may start from: half the final size.
MIN_WIDTH, MIN_HEIGHT = WIDTH // 2, HEIGHT // 2
JPEG_QUALITY = 92

# File signatures: JPEG and PNG, and the formats a refusal names.
_HEIF_BRANDS = set(b"heic heix hevc hevx heim heis hevm hevs mif1 msf1".split())
_AVIF_BRANDS = {b"avif", b"avis"}
_PREFIXES = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
    (b"8BPS", "PSD"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"PK\x03\x04", "ZIP"),
)
_SVG_STARTS = (b"<?xml", b"<svg", b"<!doctype svg", b"<!--")
_HTML_STARTS = (b"<!doctype html", b"<html")

CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png"}
_SRGB = ImageCms.createProfile("sRGB")


class PhotoStatus(StrEnum):
    """What ``check_photo`` decided."""

    ACCEPTED = "accepted"
    NEEDS_RESIZE = "needs_resize"
    REFUSED = "refused"


class ResizeMode(StrEnum):
    """The fix offered for a photo of another size: keep the proportions, or cut."""

    SCALE = "scale"
    CROP = "crop"


@dataclass(frozen=True)
class PhotoResult:
    """The outcome of a photo check, with what the applicant is shown.

    ``message`` is the refusal or the offer; ``data`` the cleaned 413×626 file when
    accepted; ``size`` the upload's size as displayed; ``warning`` the background
    warning, which never changes the status."""

    status: PhotoStatus
    message: object | None = None
    data: bytes | None = None
    format: str | None = None
    size: tuple[int, int] | None = None
    offer: ResizeMode | None = None
    warning: object | None = None

    @property
    def accepted(self) -> bool:
        return self.status == PhotoStatus.ACCEPTED

    @property
    def content_type(self) -> str | None:
        return CONTENT_TYPES.get(self.format or "")


# A request carrying a photo may hold a camera's photo (a 4000×6000 JPEG is 5–15 MB) and
# the form around it: such a photo is refused at the field by its size
# (``size_problem``), with everything typed kept. A larger request is not read.
UPLOAD_REQUEST_MAX = 20 * 1024 * 1024


def max_bytes() -> int:
    """The configured upload limit (``PHOTO_MAX_BYTES``), 2,097,152 bytes by default."""
    if has_app_context():
        return int(current_app.config.get("PHOTO_MAX_BYTES", MAX_BYTES))
    return MAX_BYTES


def size_problem(size: int):
    """The refusal of an upload of ``size`` bytes over ``max_bytes()``, else None (the
    caller may know the size before reading the file)."""
    limit = max_bytes()
    if size <= limit:
        return None
    return _l(
        "The photo must be at most %(megabytes)s MB (%(limit)s bytes); this file has %(size)s bytes.",
        megabytes=f"{limit / (1024 * 1024):g}",
        limit=f"{limit:,}",
        size=f"{size:,}",
    )


def identify(data: bytes) -> str | None:
    """'jpeg' or 'png' by the file's signature, the name of another known format, or
    None when the signature is unknown."""
    for prefix, name in _PREFIXES:
        if data.startswith(prefix):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:8] == b"ftyp":
        return _ftyp_name(data)
    if b"%PDF-" in data[:1024]:
        return "PDF"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(_HTML_STARTS):
        return "HTML"
    if head.startswith(_SVG_STARTS):
        return "SVG" if b"<svg" in data[:4096].lower() else "XML"
    return None


def _ftyp_name(data: bytes) -> str | None:
    """HEIC/HEIF or AVIF from an ISO media file's brands (major and compatible)."""
    box_size = int.from_bytes(data[:4], "big")
    brands = {data[8:12]}
    brands.update(data[i : i + 4] for i in range(16, min(box_size, 256), 4))
    if brands & _AVIF_BRANDS:
        return "AVIF"
    if brands & _HEIF_BRANDS:
        return "HEIC/HEIF"
    return None


def check_photo(data: bytes) -> PhotoResult:
    """Judge an uploaded 照片 by its content: accepted (cleaned), refused with the
    reason, or ``needs_resize`` with the fix to offer."""
    # Strict decoding is what detects a cut-off file; a library (WeasyPrint) may have
    # relaxed this process-wide flag, so it is set for every check.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    decoded = _decode(data)
    if isinstance(decoded, PhotoResult):
        return decoded
    image, fmt, size = decoded

    if size == (WIDTH, HEIGHT):
        clean = _clean(_fit(image, ResizeMode.SCALE))
        return PhotoResult(
            PhotoStatus.ACCEPTED,
            data=_encode(clean, fmt),
            format=fmt,
            size=size,
            warning=background_warning(clean),
        )

    offer = resize_mode(size)
    if offer is None:
        return _refused(_too_small(size), size=size, fmt=fmt)
    clean = _clean(_fit(image, offer))
    if offer == ResizeMode.SCALE:
        message = _l(
            "The photo has the right proportions but is %(width)d×%(height)d px; it must be exactly 413×626 px. It can be scaled to 413×626 px: check the preview and confirm.",
            width=size[0],
            height=size[1],
        )
    else:
        message = _l(
            "The photo is %(width)d×%(height)d px, not 413×626 px. It can be cut at the centre to the proportions of 413×626 and scaled: check the preview and confirm.",
            width=size[0],
            height=size[1],
        )
    return PhotoResult(
        PhotoStatus.NEEDS_RESIZE,
        message=message,
        format=fmt,
        size=size,
        offer=offer,
        warning=background_warning(clean),
    )


def make_preview(data: bytes, mode: ResizeMode | str) -> PhotoResult:
    """The upload scaled or cropped to 413×626 and cleaned, for the applicant to
    confirm; the same checks as ``check_photo`` apply first.

    ``scale`` is only valid for an upload with the proportions of 413:626 (else
    ValueError: the caller offers what ``check_photo`` offered)."""
    mode = ResizeMode(mode)
    # Strict decoding is what detects a cut-off file; a library (WeasyPrint) may have
    # relaxed this process-wide flag, so it is set for every check.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    decoded = _decode(data)
    if isinstance(decoded, PhotoResult):
        return decoded
    image, fmt, size = decoded

    offer = resize_mode(size)
    if size != (WIDTH, HEIGHT) and offer is None:
        return _refused(_too_small(size), size=size, fmt=fmt)
    if mode == ResizeMode.SCALE and offer == ResizeMode.CROP:
        raise ValueError(
            f"a {size[0]}x{size[1]} photo cannot be scaled to 413x626 without distortion"
        )

    clean = _clean(_fit(image, mode))
    return PhotoResult(
        PhotoStatus.ACCEPTED,
        data=_encode(clean, fmt),
        format=fmt,
        size=size,
        warning=background_warning(clean),
    )


def resize_mode(size: tuple[int, int]) -> ResizeMode | None:
    """The fix for a photo of another size: SCALE for the proportions of 413:626
    (height 626 gives width 413 ± 1), CROP otherwise, None when the box to cut would
    be smaller than half the final size."""
    width, height = size
    box_width, box_height = _crop_box(size)[2:]
    if box_width < MIN_WIDTH or box_height < MIN_HEIGHT:
        return None
    if abs(width * HEIGHT - WIDTH * height) <= height:
        return ResizeMode.SCALE
    return ResizeMode.CROP


def background_warning(image: Image.Image):
    """A warning when the background is clearly not blue, else None.

    Sampled where an ID photo shows only background: the top strip (top 6 % of the
    rows, full width) and the upper outer strips (outer 10 % of the columns on each
    side, rows down to 40 %). A pixel counts as blue in HSV when its hue is 180°–260°,
    its saturation at least 0.20 and its value at least 0.25 (so white, grey, black,
    red, green and very pale blue are not). The warning is given when fewer than 60 %
    of the sampled pixels are blue."""
    sample = image.convert("RGB")
    if sample.width > 2 * WIDTH:
        sample = sample.resize(
            (WIDTH, max(1, round(sample.height * WIDTH / sample.width)))
        )
    width, height = sample.size
    top = max(1, round(height * 0.06))
    side = max(1, round(width * 0.10))
    upper = max(top + 1, round(height * 0.40))
    boxes = [
        (0, 0, width, top),
        (0, top, side, upper),
        (width - side, top, width, upper),
    ]

    blue = total = 0
    for box in boxes:
        hsv = sample.crop(box).convert("HSV").tobytes()
        # Pillow's HSV has hue 0–255 for 0–360°: 180° is 128, 260° is 184.
        for hue, saturation, value in zip(hsv[0::3], hsv[1::3], hsv[2::3], strict=True):
            total += 1
            if 128 <= hue <= 184 and saturation >= 51 and value >= 64:
                blue += 1
    if total and blue / total >= 0.6:
        return None
    return _l(
        "The background does not look blue: check that the photo has the blue background the application asks for."
    )


def kept_photo_warning(data: bytes):
    """``background_warning`` of a stored photo; None when the file cannot be read (it
    is shown, not judged)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return background_warning(image)
    except Exception as exc:  # any unreadable stored file
        logger.warning("photo: stored file unreadable (%s)", exc.__class__.__name__)
        return None


# --- decoding ----------------------------------------------------------------


def _decode(data: bytes):
    """(image as displayed, 'jpeg' | 'png', size as displayed), or the refusal as a
    PhotoResult. A large JPEG's image is a reduced decode: its size is not the photo's."""
    if not data:
        return _refused(_l("The file is empty: choose the photo again."))
    problem = size_problem(len(data))
    if problem is not None:
        return _refused(problem)

    kind = identify(data)
    if kind not in ("jpeg", "png"):
        logger.info("photo refused: format %s", kind or "unknown")
        if kind is None:
            return _refused(
                _l(
                    "The file is not a JPEG or PNG image: upload the photo as a JPEG or PNG file."
                )
            )
        return _refused(
            _l(
                "This is a %(kind)s file, not a JPEG or PNG image: save or export the photo as JPEG or PNG and upload it again.",
                kind=kind,
            )
        )

    try:
        image = Image.open(io.BytesIO(data), formats=[kind.upper()])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        logger.info("photo refused: decompression bomb (%s)", exc.__class__.__name__)
        return _bomb(None)
    except Exception as exc:  # any failure to parse the header is a damaged file
        logger.info("photo refused: header unreadable (%s)", exc.__class__.__name__)
        return _damaged()
    if image.width * image.height > MAX_PIXELS:
        logger.info(
            "photo refused: %dx%d px exceeds the pixel cap", image.width, image.height
        )
        return _bomb(image.size)

    stored_size = image.size
    if kind == "jpeg":
        # A large JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling): all
        # of its data is still decoded, so a truncated file is still found, in a fraction
        # of the time and memory. What is decoded stays at least 626×626 px, enough for
        # a 413×626 box in either orientation.
        image.draft(None, (HEIGHT, HEIGHT))
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _bomb(image.size)
    except Exception as exc:  # truncated, corrupt or unsupported data
        logger.info("photo refused: decoding failed (%s)", exc.__class__.__name__)
        return _damaged()

    try:
        displayed = ImageOps.exif_transpose(image)
    except Exception as exc:  # an unreadable EXIF block leaves the picture as stored
        logger.warning("photo: EXIF orientation ignored (%s)", exc.__class__.__name__)
        displayed = image
    turned = displayed.size != image.size
    return displayed, kind, stored_size[::-1] if turned else stored_size


def _refused(message, *, size=None, fmt=None) -> PhotoResult:
    return PhotoResult(PhotoStatus.REFUSED, message=message, size=size, format=fmt)


def _damaged() -> PhotoResult:
    return _refused(
        _l(
            "The image is damaged or incomplete (for example cut off during the upload): upload the file again."
        )
    )


def _bomb(size) -> PhotoResult:
    width, height = size or (0, 0)
    if size is None:
        return _refused(
            _l(
                "The image has more pixels than a photo can have (at most %(megapixels)d megapixels): it was refused without being opened.",
                megapixels=MAX_PIXELS // 1_000_000,
            )
        )
    return _refused(
        _l(
            "The image is %(width)d×%(height)d px, more pixels than a photo can have (at most %(megapixels)d megapixels): it was refused without being opened.",
            width=width,
            height=height,
            megapixels=MAX_PIXELS // 1_000_000,
        )
    )


def _too_small(size):
    return _l(
        "The photo is too small (%(width)d×%(height)d px): upload a photo of 413×626 px.",
        width=size[0],
        height=size[1],
    )


# --- the picture that is kept --------------------------------------------------


def _crop_box(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(left, top, width, height) of the largest 413:626 box at the centre."""
    width, height = size
    if width * HEIGHT > WIDTH * height:  # wider than 413:626: cut the sides
        box_width, box_height = round(height * WIDTH / HEIGHT), height
    else:  # taller: cut the top and bottom
        box_width, box_height = width, round(width * HEIGHT / WIDTH)
    return (width - box_width) // 2, (height - box_height) // 2, box_width, box_height


def _fit(image: Image.Image, mode: ResizeMode) -> Image.Image:
    """The picture at 413×626: scaled whole, or the centre box scaled."""
    image = _resizable(image)
    if image.size == (WIDTH, HEIGHT):
        return image
    if mode == ResizeMode.CROP:
        left, top, box_width, box_height = _crop_box(image.size)
        box = (left, top, left + box_width, top + box_height)
        return image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS, box=box)
    return image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def _resizable(image: Image.Image) -> Image.Image:
    """The image in a mode that resamples smoothly (no palette, 8 bits per channel),
    its ICC profile kept for the colour conversion."""
    icc = image.info.get("icc_profile")
    if image.mode in ("P", "PA", "LA", "La", "RGBa") or "transparency" in image.info:
        image = image.convert("RGBA")
    elif image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif image.mode not in ("RGB", "RGBA", "L", "CMYK"):
        image = image.convert("RGB")
    if icc:
        image.info["icc_profile"] = icc
    return image


def _clean(image: Image.Image) -> Image.Image:
    """An RGB picture in sRGB without transparency, carrying nothing but pixels."""
    icc = image.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
            image = ImageCms.profileToProfile(image, source, _SRGB, outputMode=out_mode)
        except (ImageCms.PyCMSError, OSError, ValueError) as exc:
            logger.warning(
                "photo: ICC profile not applied (%s)", exc.__class__.__name__
            )
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    elif image.mode != "RGB":
        image = image.convert("RGB")
    # A new image from the pixels alone: no info, no EXIF, no profile to carry over.
    return Image.frombytes("RGB", image.size, image.tobytes())


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "jpeg":
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()
