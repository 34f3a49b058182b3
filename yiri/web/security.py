"""Response headers for a site holding children's files, and the absolute session lifetime.

* ``Cache-Control: no-store, private`` on every response made by the application (pages,
  exports, the API; static files leave earlier, through WhiteNoise, with their own long
  caching): on a shared PC neither the browser's cache nor a proxy keeps a child's page
  after its reader signed out. A view that sets its own ``Cache-Control`` keeps it.
* ``Content-Security-Policy``: scripts from the site only, no inline script at all (the
  pages have none: htmx and Yiri's scripts are files), styles from the site or carrying
  the request's nonce (``request.csp_nonce``: the print page's ``<style>``), images from
  the site (and ``data:``/``blob:`` for previews), no plugin, no framing, forms posting to
  the site only. Django 5.2 has no CSP of its own; a policy this small needs no package.
* A session lasts at most ``YIRI_SESSION_MAX_HOURS`` after its sign-in, however active
  (besides the idle timeout ``YIRI_SESSION_SECONDS``): a session stolen or left open on a
  shared PC does not live for ever.
"""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

SIGNED_IN_AT = "yiri_signed_in_at"


def policy(nonce: str) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


@receiver(user_logged_in, dispatch_uid="yiri-session-signed-in-at")
def _remember_sign_in(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        session[SIGNED_IN_AT] = int(time.time())


def session_too_old(request) -> bool:
    session = getattr(request, "session", None)
    if session is None or not request.user.is_authenticated:
        return False
    started = session.get(SIGNED_IN_AT)
    if started is None:  # a session from before this rule: its clock starts now
        session[SIGNED_IN_AT] = int(time.time())
        return False
    return time.time() - started > settings.YIRI_SESSION_MAX_HOURS * 3600


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        if session_too_old(request):
            logout(request)  # the view then sees an anonymous visitor: to the login page
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store, private"
        if not response.has_header("Content-Security-Policy"):
            response["Content-Security-Policy"] = policy(request.csp_nonce)
        return response
