"""Files to upload in tests, made with Pillow (no binary fixtures in the repository)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG photo whose EXIF says where and with what it was taken."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "TelephoneDeTerrain"  # Make
    exif[0x0132] = "2026:01:15 10:00:00"  # DateTime
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (12.0, 22.0, 1.0), 3: "W", 4: (1.0, 31.0, 2.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 90, 160)).save(out, fmt)
    return out.getvalue()


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def photo(name: str = "awa.jpg"):
    return upload(name, jpeg_with_gps(), "image/jpeg")
