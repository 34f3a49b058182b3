"""What an uploaded file really is, and what Yiri keeps of it.

The type is read from the bytes (the extension and the browser's declared type are
ignored: a text file renamed ``.jpg`` is refused). Images are decoded and encoded again,
which drops everything but the pixels — EXIF (GPS position, camera, date), comments, ICC
profiles — after turning them upright as their EXIF orientation says; each gets a small
JPEG thumbnail for a 2G link. PDFs are kept byte for byte: rewriting one could break a
signed consent form, so their metadata (author, software) is *not* stripped.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
IMAGE_TYPES = (JPEG, PNG, WEBP)
DOCUMENT_TYPES = (PDF, *IMAGE_TYPES)
EXTENSIONS = {JPEG: "jpg", PNG: "png", WEBP: "webp", PDF: "pdf"}
_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}

MAX_SIDE = 2048  # px: a scan stays legible, a phone photo loses most of its weight
MAX_PIXELS = 50_000_000  # refuses decompression bombs before decoding
THUMB_SIDE = 160  # px
THUMB_BUDGET = 10_000  # bytes: a thumbnail costs well under a second on 2G


class ContentRefused(ValueError):
    """The file is refused; ``str(exc)`` is the French message for the user."""


@dataclass
class Cleaned:
    content_type: str
    data: bytes
    thumbnail: bytes = b""


def sniff(head: bytes) -> str:
    """The content type the first bytes announce, or ``""`` for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return ""


def clean(data: bytes, accepted: tuple[str, ...]) -> Cleaned:
    """Check ``data`` is one of the ``accepted`` types and return what to store."""
    kind = sniff(data[:16])
    if kind not in accepted:
        if accepted == IMAGE_TYPES:
            raise ContentRefused(_("Ce fichier n'est pas une photo : seules les images JPEG, "
                                   "PNG ou WebP sont acceptées ici (le contenu du fichier est "
                                   "vérifié, pas seulement son nom)."))
        raise ContentRefused(_("Ce type de fichier n'est pas accepté : seuls les PDF et les "
                               "images JPEG, PNG ou WebP le sont (le contenu du fichier est "
                               "vérifié, pas seulement son nom)."))
    if kind == PDF:
        return Cleaned(PDF, data)
    image = _open(data, kind)
    return Cleaned(kind, _encode(image, kind), thumbnail(image))


def _open(data: bytes, kind: str) -> Image.Image:
    too_big = ContentRefused(_("Cette image est trop grande (%(n)d millions de pixels au "
                               "plus) : réduisez-la puis réessayez.")
                             % {"n": MAX_PIXELS // 1_000_000})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[kind]])
            if probe.width * probe.height > MAX_PIXELS:
                raise too_big
            probe.verify()  # structure and checksums, before decoding the pixels
            image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[kind]])
            image.load()
    except ContentRefused:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_big from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ContentRefused(_("Cette image est illisible ou endommagée : "
                               "enregistrez-la de nouveau ou prenez une autre photo.")) from None
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    if max(upright.size) > MAX_SIDE:
        upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    upright.info = {}  # nothing of the original travels: no EXIF, ICC, comment, text chunk
    return upright


def _encode(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    if kind == JPEG:
        image = image.convert("RGB") if image.mode != "L" else image
        image.save(out, "JPEG", quality=85, optimize=True)
    elif kind == PNG:
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=85)
    return out.getvalue()


def thumbnail(image: Image.Image) -> bytes:
    """A JPEG at most ``THUMB_SIDE`` px on its long side and ``THUMB_BUDGET`` bytes (JPEG
    because every phone browser shows it)."""
    small = image.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    if small.mode in ("RGBA", "LA"):  # transparent scans on white, as on paper
        background = Image.new("RGB", small.size, "white")
        background.paste(small, mask=small.getchannel("A"))
        small = background
    elif small.mode != "RGB":
        small = small.convert("RGB")
    data = b""
    for quality in (70, 55, 40, 25):
        out = io.BytesIO()
        small.save(out, "JPEG", quality=quality, optimize=True)
        data = out.getvalue()
        if len(data) <= THUMB_BUDGET:
            break
    return data
