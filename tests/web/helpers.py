"""Shared helpers of the web page tests."""

from __future__ import annotations

import html as htmllib
import re

from django.test import Client

from ..conftest import PASSWORD

PAGE_BUDGET = 100_000  # bytes of HTML for one page on a 2G link


def client_for(user) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def text_of(response) -> str:
    """The visible text of an HTML response, roughly: tags and scripts removed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))
