"""Confirming one's identity again before a grave act: a bulk export, a role change, an
erasure. The password, and the second factor's code when the account has one, must have
been given within the last ``YIRI_REAUTH_MINUTES`` (5) in this session; a session left
open on a shared PC cannot export every case.

For a page (a view function)::

    from yiri.accounts.reauth import require_recent_auth

    @login_required
    @require_recent_auth
    def erase(request, pk): ...

Without a recent confirmation, a GET is redirected to ``/reauth/?next=<its address>``
and comes back there once confirmed. A POST cannot be replayed after a redirect, so it is
refused the same way but comes back to ``next`` (the page that held the form, given by the
form as a ``next`` field, else its Referer on this site, else the home page): the person
confirms and presses the button again. A form can avoid even that by carrying the
confirmation itself: ``confirm(request, password, code)`` checks it (counted like a
sign-in: the same waits after wrong attempts) and records it.

For the API, a request that does something grave carries ``reauth_password`` (and
``reauth_otp`` when the account has a second factor) in its body; ``confirm`` checks them
(``api/users.py`` for a role change).
"""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from . import two_factor

SESSION_KEY = "yiri_reauth_at"


def is_recent(request) -> bool:
    """Whether this session confirmed its identity within ``YIRI_REAUTH_MINUTES``."""
    session = getattr(request, "session", None)
    at = session.get(SESSION_KEY) if session is not None else None
    return bool(at) and time.time() - at <= settings.YIRI_REAUTH_MINUTES * 60


def mark(request) -> None:
    if getattr(request, "session", None) is not None:
        request.session[SESSION_KEY] = int(time.time())


def confirm(request, password: str, code: str = "", *, remember: bool = True) -> bool:
    """Check ``request.user``'s password, and code if the account has a second factor;
    on success the session counts as recently confirmed. Wrong attempts count like wrong
    sign-ins (the lockout backend and ``two_factor.verify``). ``remember=False`` (an API
    request with a token): checked for this request only."""
    user = request.user
    if not user.is_authenticated or not password:
        return False
    checked = authenticate(request, username=user.get_username(), password=password)
    if checked is None or checked.pk != user.pk:
        return False
    device = two_factor.device_of(user) if two_factor.enabled() else None
    if device is not None and not two_factor.verify(request, user, code, device=device,
                                                           login=remember):
        return False
    if remember:
        mark(request)
    return True


def reauth_url(request, next_url: str) -> str:
    return f"{reverse('reauth')}?{urlencode({'next': next_url})}"


def _back(request) -> str:
    """Where a refused POST comes back to: the form's page."""
    for candidate in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
                candidate, {request.get_host()}, require_https=request.is_secure()):
            return candidate
    return reverse("home")


def require_recent_auth(view):
    """Decorator of a view: it runs only if the session confirmed its identity within
    ``YIRI_REAUTH_MINUTES``; otherwise to the confirmation page (see the module)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if is_recent(request):
            return view(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            return HttpResponseRedirect(reauth_url(request, request.get_full_path()))
        messages.warning(request, _("Confirmez votre identité, puis recommencez."))
        return HttpResponseRedirect(reauth_url(request, _back(request)))

    return wrapped
