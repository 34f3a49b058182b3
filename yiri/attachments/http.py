"""How a file is answered, by the pages and the API alike."""

from __future__ import annotations

from django.http import HttpResponse

from .content import JPEG
from .models import Attachment


def file_response(record, att: Attachment, data: bytes, *, thumbnail: bool = False) -> HttpResponse:
    """The bytes of ``att`` (or of its thumbnail), kept out of every cache, never
    type-guessed by the browser, never able to run anything; documents are downloaded,
    never opened inside the site. The download name says which record, never what the
    uploader called the file (that can name the child)."""
    response = HttpResponse(data, content_type=JPEG if thumbnail else att.content_type)
    name = f"{record.short_id}-{att.pk.hex[:8]}{'-miniature' if thumbnail else ''}"
    ext = "jpg" if thumbnail else att.extension
    disposition = "inline" if (thumbnail or att.is_image) else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}.{ext}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
