"""An answer between two nodes carries no header meant for a browser (every byte counts
on a 2G link), and is never cached."""

from __future__ import annotations

from django.test import Client

from yiri.sync.views import BROWSER_ONLY


def test_a_refused_exchange_answer_has_no_browser_headers_and_is_not_cached(db):
    r = Client().post("/sync/v1/exchange", b"x", content_type="application/octet-stream")
    assert r.status_code in (400, 403, 503)
    assert not [h for h in BROWSER_ONLY if r.has_header(h)]
    assert r["Cache-Control"] == "no-store"


def test_pages_keep_their_browser_headers(db):
    r = Client().get("/accounts/login/")
    assert r.has_header("Content-Security-Policy") and r.has_header("X-Frame-Options")
