"""Compressed pages for 2G links, without opening the door to BREACH.

BREACH reads a secret out of a compressed page by making the victim's browser request it
many times with a guess reflected next to the secret, and watching the size on the wire.
Yiri's pages carry two kinds of secret:

* the CSRF token: Django masks it afresh in every response (``get_token``), so it never
  repeats and there is nothing to guess;
* what the page shows about children (names on the case list, answers): these repeat, and
  some pages reflect text from the URL (the case list echoes its query string in its pager
  and export links, and its free-text place filter). Reflections in POST bodies do not
  count: another site cannot forge a POST that passes the CSRF check.

So a response is compressed only when the request came from Yiri's own pages or was typed
or bookmarked by the user: ``Sec-Fetch-Site: same-origin`` or ``none`` (sent by every
current browser, set by the browser itself, not by scripts). Another site can still make
the browser load a page, but then ``Sec-Fetch-Site`` says ``cross-site``/``same-site`` and
the page goes uncompressed, so its size tells nothing. A browser too old to send the
header gets compression when its ``Referer`` is Yiri (Django sends ``Referrer-Policy:
same-origin``), or when there is nothing in the URL to reflect. Django's ``GZipMiddleware``
also pads each compressed body with up to 100 random bytes ("Heal the BREACH"), which makes
any remaining size measurement far more costly.

Static files are not handled here: WhiteNoise serves the copies compressed once by
``collectstatic`` before a request reaches this middleware.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import GZipMiddleware

FROM_HERE = {"same-origin", "none"}


def request_from_own_pages(request: HttpRequest) -> bool:
    """True when another site cannot have chosen this request's URL."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in FROM_HERE
    referer = request.headers.get("Referer")
    if referer:
        try:
            return urlsplit(referer).netloc == request.get_host()
        except DisallowedHost:
            return False
    return not request.GET


class SameOriginGZipMiddleware(GZipMiddleware):
    """``GZipMiddleware`` for requests that came from Yiri's own pages only."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not request_from_own_pages(request):
            return response
        return super().process_response(request, response)
