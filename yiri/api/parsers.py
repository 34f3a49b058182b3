"""Request parsing that a hostile body cannot crash.

Python's ``json`` recurses once per nesting level: 2,000 ``[`` (4 KB) raised a
RecursionError — a 500, even before login on ``/api/v1/auth/token/``. The nesting is
counted before parsing (strings left out) and a body deeper than ``MAX_DEPTH`` is a 400.
No request of Yiri's nests deeper than about six levels (answers → subform rows → row →
multiple choice)."""

from __future__ import annotations

import io
import re

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(rb"[\[\]{}]")


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub(b"", body)):
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        if too_deep(body):
            raise ParseError(_("Requête refusée : données imbriquées sur plus de %(n)d niveaux.")
                             % {"n": MAX_DEPTH})
        return super().parse(io.BytesIO(body), media_type, parser_context)
