"""What a photo costs once attached: bytes kept, thumbnail bytes, and the time to check
and re-encode it (``attachments.content.clean``: sniff, decode, strip, scale, thumbnail).

Pure Pillow work, no database. The photos are synthetic (Pillow, no file in the
repository): a smooth gradient with sensor-like noise, saved as a phone would (JPEG
quality 92 with EXIF), at common phone sizes; then a PNG scan of a text page.

    .venv/bin/python bench/bench_attachments.py            # 5 runs each, median
    .venv/bin/python bench/bench_attachments.py --runs 9

Measured (2 shared cores, 3 runs, Pillow 13):

    file                           upload       kept   thumb     ms
    phone 1600x1200 (2 MP)        734,713    512,511     800     35
    phone 3264x2448 (8 MP)      3,047,897    381,882     792    275
    phone 4000x3000 (12 MP)     4,575,632    309,471     792    356
    scan A4 300 dpi, PNG           47,636    154,319   1,017    136

Photos over 2048 px come back at 2048 px on their long side (a tenth of their weight or
less); a black-and-white PNG scan grows when scaled down (grey edges): still legible at
about 175 dpi. Synthetic photos compress better than real ones; the worst case, pure noise,
is held under 10,000 bytes per thumbnail by tests/attachments/test_upload_checks.py.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiri.settings")

import django  # noqa: E402

django.setup()

from PIL import Image, ImageDraw  # noqa: E402

from yiri.attachments.content import DOCUMENT_TYPES, IMAGE_TYPES, clean  # noqa: E402


def phone_photo(width: int, height: int) -> bytes:
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 24)
    image = Image.merge("RGB", (gradient, Image.blend(gradient, noise, 0.3), noise))
    exif = Image.Exif()
    exif[0x010F] = "Phone"
    exif.get_ifd(0x8825).update({1: "N", 2: (12.0, 22.0, 1.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def text_scan(width: int = 2480, height: int = 3508) -> bytes:
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    for y in range(200, height - 200, 60):
        draw.text((200, y), "Extrait d'acte de naissance — " * 6, fill=0)
    out = io.BytesIO()
    page.save(out, "PNG")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cases = [
        ("phone 1600x1200 (2 MP)", phone_photo(1600, 1200), IMAGE_TYPES),
        ("phone 3264x2448 (8 MP)", phone_photo(3264, 2448), IMAGE_TYPES),
        ("phone 4000x3000 (12 MP)", phone_photo(4000, 3000), IMAGE_TYPES),
        ("scan A4 300 dpi, PNG", text_scan(), DOCUMENT_TYPES),
    ]
    print(f"{'file':26} {'upload':>10} {'kept':>10} {'thumb':>7} {'ms':>6}")
    for name, data, accepted in cases:
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            kept = clean(data, accepted)
            times.append((time.perf_counter() - start) * 1000)
        print(f"{name:26} {len(data):>10,} {len(kept.data):>10,} {len(kept.thumbnail):>7,} "
              f"{statistics.median(times):>6.0f}")


if __name__ == "__main__":
    main()
