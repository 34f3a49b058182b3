"""The second factor's pages (``accounts/two_factor.py``): typing a code, enrolling a phone,
the recovery codes shown once; and confirming one's identity again (``accounts/reauth.py``).

The QR code is inline SVG drawn on the server by ``segno`` (no image service, no script, no
style attribute: the Content-Security-Policy holds); the secret is shown beside it as text
for a phone without a camera."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from yiri.accounts import reauth, throttle, two_factor

INVALID_CODE = gettext_lazy("Code incorrect ou déjà utilisé. Après plusieurs erreurs, il faut attendre "
                 "quelques minutes, ou demander à votre administrateur.")


def _finish(request: HttpRequest) -> HttpResponse:
    """Signed in with both factors: where the person was going; this browser becomes a
    trusted device (``accounts/throttle.py``)."""
    reauth.mark(request)  # the password and the code were just given
    target = two_factor.safe_next(request, request.session.pop(two_factor.NEXT_KEY, None))
    response = redirect(target or settings.LOGIN_REDIRECT_URL)
    throttle.remember_device(response, request.user, request)
    return response


def _remember_next(request: HttpRequest) -> None:
    target = two_factor.safe_next(request, request.GET.get("next"))
    if target:
        request.session[two_factor.NEXT_KEY] = target


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: the code of the phone, or a recovery code."""
    user = request.user
    if not two_factor.required_for(user) or two_factor.is_verified(request):
        return redirect(settings.LOGIN_REDIRECT_URL)
    if two_factor.device_of(user) is None:
        return redirect("two_factor_setup")
    _remember_next(request)
    error = None
    if request.method == "POST":
        if two_factor.verify(request, user, request.POST.get("code", "")):
            if request.session.pop("yiri_2fa_used_recovery", False):
                left = two_factor.recovery_codes_left(user)
                messages.warning(request, _(
                    "Code de secours accepté. Il vous en reste %(n)d. Si vous avez perdu votre "
                    "téléphone, demandez à votre administrateur de réinitialiser la double "
                    "authentification.") % {"n": left})
            return _finish(request)
        error = INVALID_CODE
    return render(request, "web/two_factor.html", {"error": error}, status=200)


def _grouped(secret: bytes) -> str:
    text = base64.b32encode(secret).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Enrolment: the QR code and the secret, confirmed with a first code."""
    user = request.user
    if not two_factor.required_for(user):
        return redirect(settings.LOGIN_REDIRECT_URL)
    if two_factor.device_of(user) is not None:
        # Enrolled already: a new phone goes through an administrator's reset.
        return redirect("two_factor")
    _remember_next(request)
    device = two_factor.pending_device(user)
    error = None
    if request.method == "POST":
        if two_factor.verify(request, user, request.POST.get("code", ""), device=device):
            request.session[two_factor.CODES_KEY] = two_factor.new_recovery_codes(user)
            return redirect("two_factor_codes")
        error = INVALID_CODE
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=4, dark="#000", light="#fff",
                        title=_("Code QR à scanner avec l'application d'authentification"))
    return render(request, "web/two_factor_setup.html", {
        # segno draws the device's URL as modules (no text of it in the SVG) under a fixed title.
        "qr": mark_safe(svg),  # nosec B308 B703
        "secret": _grouped(device.bin_key), "error": error,
    })


@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once (only their hashes are kept)."""
    codes = request.session.pop(two_factor.CODES_KEY, None)
    if not codes:
        return redirect(settings.LOGIN_REDIRECT_URL)
    target = two_factor.safe_next(request, request.session.pop(two_factor.NEXT_KEY, None))
    response = render(request, "web/two_factor_codes.html", {
        "codes": codes, "next": target or settings.LOGIN_REDIRECT_URL})
    throttle.remember_device(response, request.user, request)
    reauth.mark(request)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def confirm_identity(request: HttpRequest) -> HttpResponse:
    """Password (and code) again before an export, a role change or an erasure."""
    target = (two_factor.safe_next(request, request.POST.get("next") or request.GET.get("next"))
              or settings.LOGIN_REDIRECT_URL)
    has_device = two_factor.enabled() and two_factor.device_of(request.user) is not None
    error = None
    if request.method == "POST":
        if reauth.confirm(request, request.POST.get("password", ""),
                          request.POST.get("code", "")):
            return redirect(target)
        error = _("Mot de passe ou code incorrect. Après plusieurs erreurs, il faut attendre "
                  "quelques minutes.")
    return render(request, "web/reauth.html", {
        "next": target, "has_device": has_device, "error": error,
        "minutes": settings.YIRI_REAUTH_MINUTES,
    })
