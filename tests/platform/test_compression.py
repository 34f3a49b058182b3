"""On a 2G link pages and static files travel compressed, and static files are fetched once:
hashed names, cached for a year. Pages are compressed only where BREACH cannot read a
secret out of their size (yiri/web/compression.py)."""

from __future__ import annotations

import gzip
import re

from django.conf import settings
from django.middleware.csrf import _unmask_cipher_token

from ..conftest import make_case
from ..web.helpers import client_for

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br", "HTTP_SEC_FETCH_SITE": "same-origin"}
HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js)$")


def body_of(response) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data.decode()


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_a_case_page_comes_back_gzip_encoded_when_the_browser_accepts_it(cast):
    case = make_case(cast.worker)
    r = client_for(cast.worker).get(f"/cases/{case.pk}/", **GZIP)
    assert r.status_code == 200
    assert r["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in r["Vary"]
    assert "Awa" in body_of(r)
    assert len(r.content) < len(body_of(r).encode()) / 2


def test_a_page_is_sent_plain_to_a_browser_that_does_not_accept_gzip(cast):
    r = client_for(cast.worker).get("/cases/")
    assert r.status_code == 200 and "Content-Encoding" not in r


def test_a_page_requested_from_another_site_is_not_compressed(cast):
    """BREACH: another site can make the browser load /cases/?anything=guess with the
    user's cookie and watch the compressed size to guess a child's name shown beside the
    reflected guess. Only requests made from Yiri's own pages (or typed in) are compressed."""
    worker = client_for(cast.worker)
    make_case(cast.worker)
    for site in ("cross-site", "same-site"):
        r = worker.get("/cases/?location=Ou%C3%A9draogo", HTTP_ACCEPT_ENCODING="gzip",
                       HTTP_SEC_FETCH_SITE=site)
        assert "Content-Encoding" not in r, site
    typed = worker.get("/cases/", HTTP_ACCEPT_ENCODING="gzip", HTTP_SEC_FETCH_SITE="none")
    assert typed["Content-Encoding"] == "gzip"


def test_an_old_browser_gets_compression_only_from_yiri_s_own_pages(cast):
    worker = client_for(cast.worker)
    from_here = worker.get("/cases/?risk=high", HTTP_ACCEPT_ENCODING="gzip",
                           HTTP_REFERER="http://testserver/cases/")
    assert from_here["Content-Encoding"] == "gzip"
    from_elsewhere = worker.get("/cases/?risk=high", HTTP_ACCEPT_ENCODING="gzip",
                                HTTP_REFERER="http://evil.example/")
    assert "Content-Encoding" not in from_elsewhere
    no_referer_query = worker.get("/cases/?risk=high", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in no_referer_query
    no_referer_plain = worker.get("/cases/", HTTP_ACCEPT_ENCODING="gzip")
    assert no_referer_plain["Content-Encoding"] == "gzip"


def test_the_csrf_token_in_a_compressed_page_is_masked_anew_on_every_response(cast):
    worker = client_for(cast.worker)
    tokens = []
    for _ in range(2):
        html = body_of(worker.get("/search/", **GZIP))
        tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1))
    assert tokens[0] != tokens[1]
    assert _unmask_cipher_token(tokens[0]) == _unmask_cipher_token(tokens[1])


def test_static_files_have_hashed_names_a_long_lifetime_and_come_back_compressed(cast):
    html = body_of(client_for(cast.worker).get("/", **GZIP))
    urls = static_urls(html)
    names = {re.sub(r"\.[0-9a-f]{12}\.", ".", u.rsplit("/", 1)[1]) for u in urls}
    assert {"yiri.css", "yiri.js", "htmx-2.min.js"} <= names
    for url in urls:
        assert HASHED.search(url), url
        r = client_for(cast.worker).get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert r.status_code == 200, url
        assert r["Content-Encoding"] == "gzip", url
        cache = r["Cache-Control"]
        assert "immutable" in cache, url
        assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= 365 * 24 * 3600, url


def test_static_files_are_served_from_the_collected_copies_outside_development():
    assert settings.DEBUG is False
    assert settings.WHITENOISE_USE_FINDERS is False
    assert settings.STORAGES["staticfiles"]["BACKEND"].endswith(
        "CompressedManifestStaticFilesStorage")
