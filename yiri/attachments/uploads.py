"""Stops reading an uploaded file as soon as it passes the attachment size limit.

First of ``FILE_UPLOAD_HANDLERS``: a file over the limit is skipped while it arrives, so
it is never held in memory nor spooled to disk; the fields around it (the CSRF token,
the field code) still arrive, and the request is marked so the upload is refused with
the size message rather than "no file".
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class SizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        from .services import max_bytes

        self.received += len(raw_data)
        if self.received > max_bytes():
            # What the client announced, for the message (at least what has arrived).
            self.request.upload_too_big = max(self.received, int(
                self.request.META.get("CONTENT_LENGTH") or 0))
            raise SkipFile
        return raw_data  # on to the next handler, which keeps it

    def file_complete(self, file_size: int) -> None:
        return None
