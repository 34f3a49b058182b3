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
* The idle timeout is pushed on by a signed-in request at most once a minute
  (``TOUCH_SECONDS``), not at every request as ``SESSION_SAVE_EVERY_REQUEST`` would: a
  session is written (signed, encoded, one UPDATE in a transaction) about once a minute
  of activity instead of at every click. A session thus ends between
  ``YIRI_SESSION_SECONDS`` minus a minute and ``YIRI_SESSION_SECONDS`` after its last
  request.
"""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

SIGNED_IN_AT = "yiri_signed_in_at"
SEEN_AT = "yiri_seen_at"
TOUCH_SECONDS = 60


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


def keep_alive(request) -> None:
    """Push the idle timeout on (the session is saved, with a new expiry date) when the
    signed-in session was last saved a minute ago or more."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is None or user is None or not user.is_authenticated or session.is_empty():
        return
    now = int(time.time())
    if now - session.get(SEEN_AT, 0) >= TOUCH_SECONDS:
        session[SEEN_AT] = now  # modified: SessionMiddleware saves it


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        if session_too_old(request):
            logout(request)  # the view then sees an anonymous visitor: to the login page
        response = self.get_response(request)
        keep_alive(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store, private"
        if not response.has_header("Content-Security-Policy"):
            response["Content-Security-Policy"] = policy(request.csp_nonce)
        return response
