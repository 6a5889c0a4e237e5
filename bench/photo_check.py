"""Benchmark: app/services/photos.py on the uploads an applicant sends.

Times check_photo (and make_preview where an offer is made) on a 413×626 JPEG and PNG,
a JPEG padded to exactly 2 MB, a 4000×6000 camera picture (offered a crop), a
decompression bomb and a truncated JPEG. Prints the median of REPEAT runs.

    .venv/bin/python bench/photo_check.py
"""

import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw  # noqa: E402

from app.services import photos  # noqa: E402

REPEAT = 7


def picture(size) -> Image.Image:
    image = Image.new("RGB", size, (67, 142, 219))
    width, height = size
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (width * 0.3, height * 0.15, width * 0.7, height * 0.55), fill=(60, 45, 40)
    )
    draw.rectangle(
        (width * 0.15, height * 0.6, width * 0.85, height), fill=(30, 30, 35)
    )
    # Camera-like noise, so that the files have realistic sizes.
    noise = Image.effect_noise(size, 24).convert("RGB")
    return Image.blend(image, noise, 0.15)


def encode(image, fmt, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def padded(data: bytes, total: int) -> bytes:
    return data + b"\x00" * (total - len(data))


def bomb() -> bytes:
    import struct
    import zlib

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body))
        )

    compressor = zlib.compressobj(9)
    row = b"\x00" * 2501
    idat = (
        b"".join(compressor.compress(row) for _ in range(20_000)) + compressor.flush()
    )
    header = struct.pack(">IIBBBBB", 20_000, 20_000, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


def timed(function, *args) -> tuple[float, object]:
    runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = function(*args)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), result


def main() -> None:
    exact_jpeg = encode(picture((413, 626)), "JPEG", quality=92)
    camera = encode(picture((4000, 6000)), "JPEG", quality=60)
    cases = {
        "413x626 JPEG": exact_jpeg,
        "413x626 PNG": encode(picture((413, 626)), "PNG"),
        "413x626 JPEG padded to 2 MB": padded(exact_jpeg, photos.MAX_BYTES),
        "826x1252 JPEG (scale)": encode(picture((826, 1252)), "JPEG", quality=92),
        f"4000x6000 JPEG, {len(camera) / 1e6:.1f} MB (crop)": camera,
        "20000x20000 PNG bomb": bomb(),
        "truncated JPEG": exact_jpeg[: len(exact_jpeg) // 2],
    }
    print(
        f"{'upload':<48} {'bytes':>10} {'status':>13} {'check ms':>9} {'preview ms':>11}"
    )
    for name, data in cases.items():
        seconds, result = timed(photos.check_photo, data)
        preview = ""
        if result.offer is not None:
            preview_seconds, _ = timed(photos.make_preview, data, result.offer)
            preview = f"{preview_seconds * 1000:11.1f}"
        if len(data) > photos.MAX_BYTES:
            name += " (over the limit)"
        print(
            f"{name:<48} {len(data):>10,} {result.status:>13} {seconds * 1000:9.1f} {preview:>11}"
        )


if __name__ == "__main__":
    main()
