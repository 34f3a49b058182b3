"""Two-factor sign-in: a time-based code (TOTP, RFC 6238, through django-otp) after the
password, for every account that can read identifying data; ten single-use recovery codes.

Who needs it (``required_for``): a superuser or staff member (the admin shows users'
details), a role that can read a form section holding an identifying field of a record
type it may view (the child's name, address, phone…), or one with a system right that
shows people's data (users, the audit trail, sync conflicts, which hold answers). A partner
who sees aggregate indicators only signs in with a password.

The flow (French pages in ``web/views/two_factor.py``): after a correct password, an
account without a device is taken to enrolment (a QR code drawn as inline SVG by
``segno``, and the secret as text to type, confirmed with a first code), then shown its
recovery codes once; an account with a device types a code. Until then the session is
"half signed in": ``TwoFactorMiddleware`` lets it reach only these pages, logout and the
language switch; the API answers 403 to it. A code is accepted once (django-otp's
``last_t``: a code already used, or an older one, is refused), under a row lock so two
parallel requests cannot both use one. Wrong codes count like wrong passwords
(``throttle.begin``/``finish``: the same counters, waits and message).

Recovery codes are random (10 characters from a 32-letter alphabet, 50 bits), so, like API
tokens, their SHA-256 suffices; they are kept hashed and each works once.

An administrator can reset a user's second factor (admin action, audited): the devices and
recovery codes are deleted, the user's half- or fully-verified sessions stop being verified
at once (django-otp checks the session's device on every request) and the user enrols again
at the next sign-in. Devices stay on the node where the user enrolled (not synchronised).

``YIRI_2FA=0`` turns all this off, for a local demo only; ``check --deploy`` warns then.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core import checks
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import throttle

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper
RECOVERY_LENGTH = 10
# Session keys: where to go once verified; the recovery codes to show once.
NEXT_KEY = "yiri_2fa_next"
CODES_KEY = "yiri_2fa_new_codes"
# System rights that show people's data: accounts, the audit trail, conflicting answers.
_PERSONAL_SYSTEM_RIGHTS = {"manage_users", "manage_roles", "view_audit", "resolve_conflicts"}


def enabled() -> bool:
    return bool(getattr(settings, "YIRI_2FA", True))


def reads_identifying_data(user) -> bool:
    """Whether ``user``'s role (read now, not from the session) can read a form section
    that holds an identifying field of a record type it may view."""
    from yiri.cases.access import section_right
    from yiri.formconfig.models import FieldType
    from yiri.formconfig.schema import get_schema

    from .models import FormRight, RecordType

    for record_type in RecordType.values:
        if not user.can("view", record_type):
            continue
        schema = get_schema(record_type)
        parent = {f.subform: f.section for f in schema.fields.values()
                  if f.type == FieldType.SUBFORM and f.subform}
        sections = {parent.get(f.section, f.section) for f in schema.fields.values()
                    if f.identifying}
        if any(section_right(user, record_type, s) in (FormRight.READ, FormRight.WRITE)
               for s in sections):
            return True
    return False


def required_for(user) -> bool:
    """Whether ``user`` must pass a second factor to use the application."""
    if not enabled() or user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    role = user.role
    if role is None:
        return False
    if _PERSONAL_SYSTEM_RIGHTS & set(role.permissions.get("system", [])):
        return True
    return reads_identifying_data(user)


def device_of(user) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if enrolled."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def is_verified(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and getattr(user, "is_verified", lambda: False)())


def needs_second_factor(request) -> bool:
    """A signed-in session that must still pass its second factor."""
    user = getattr(request, "user", None)
    return (user is not None and user.is_authenticated and required_for(user)
            and not is_verified(request))


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device being enrolled (one per user; a new secret if none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="yiri", confirmed=False)


def check_code(device: TOTPDevice, code: str) -> bool:
    """``code`` against ``device``, under a row lock: a code accepted once is refused after
    (``last_t``), even by a request running at the same moment."""
    code = "".join(str(code or "").split())
    if not (code.isdigit() and len(code) == device.digits):
        return False
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        ok = locked.verify_token(code)
    device.refresh_from_db()
    return ok


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())


def new_recovery_codes(user) -> list[str]:
    """Ten new codes for ``user`` (the old ones end); only their hashes are kept."""
    from .models import RecoveryCode

    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create([RecoveryCode(user=user, digest=_digest(c))
                                          for c in codes])
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def use_recovery_code(user, code: str) -> bool:
    """Spend one recovery code of ``user``: true once, false ever after."""
    from .models import RecoveryCode

    code = _normalise_recovery(code)
    if len(code) != RECOVERY_LENGTH:
        return False
    # One UPDATE: of two requests spending the same code, only one changes a row.
    from django.utils import timezone

    return RecoveryCode.objects.filter(user=user, digest=_digest(code), used_at=None).update(
        used_at=timezone.now()) == 1


def recovery_codes_left(user) -> int:
    from .models import RecoveryCode

    return RecoveryCode.objects.filter(user=user, used_at=None).count()


def verify(request, user, code: str, *, device: TOTPDevice | None = None,
           login: bool = True) -> bool:
    """A code typed by ``user`` (a TOTP code of ``device`` or of the confirmed device, or a
    recovery code), counted like a password (``throttle``): while a wait runs, nothing is
    examined and the answer is no. On success (and ``login``) the session becomes verified."""
    device = device or device_of(user)
    if device is None:
        return False
    attempt = throttle.begin(request, user)
    if not attempt.allowed:
        return False
    ok = check_code(device, code)
    recovery = False
    if not ok and device.confirmed:
        ok = recovery = use_recovery_code(user, code)
    throttle.finish(attempt, ok, request)
    if not ok:
        from yiri.audit.models import AuditAction
        from yiri.audit.services import record_event

        record_event(AuditAction.LOGIN_FAILED, request=request, record_type="user",
                     record_id=user.pk, second_factor=True)
        return False
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    if login and getattr(request, "user", None) is not None and request.user.is_authenticated:
        otp_login(request, device)
        if recovery:
            request.session["yiri_2fa_used_recovery"] = True
    return True


def reset(user, by, request=None) -> None:
    """An administrator ends ``user``'s second factor (audited): enrolment again."""
    from yiri.audit.models import AuditAction
    from yiri.audit.services import record_event

    from .models import RecoveryCode

    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        record_event(AuditAction.PERMISSION_CHANGE, user=by, request=request,
                     record_type="user", record_id=user.pk, two_factor_reset=True)


def safe_next(request, url: str | None) -> str | None:
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()},
                                                  require_https=request.is_secure()):
        return url
    return None


# Paths a half-signed-in session may reach (prefixes).
_OPEN_PATHS = ("/2fa/", "/logout/", "/login/", "/i18n/", "/static/", "/api/v1/auth/token/")


class TwoFactorMiddleware:
    """After ``OTPMiddleware``: a session whose user needs a second factor and has not
    passed it reaches the two-factor pages, logout and the language switch only. Pages
    redirect to the code (or enrolment) page; the API answers 403 in JSON. Requests with
    an API token are left to the API (a token is issued only after the second factor)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        # With a token, the API authenticates the token's user and ignores the session (an
        # invalid token is a 401, never a fall back to it); pages never read the header.
        token = api and request.META.get("HTTP_AUTHORIZATION", "").startswith("Token ")
        if not request.path.startswith(_OPEN_PATHS) and not token and needs_second_factor(request):
            if api:
                return JsonResponse({"detail": _(
                    "Double authentification requise : saisissez votre code dans "
                    "l'application avant d'utiliser l'API.")}, status=403)
            if request.method == "GET" and NEXT_KEY not in request.session:
                request.session[NEXT_KEY] = request.get_full_path()
            return HttpResponseRedirect(reverse("two_factor"))
        return self.get_response(request)


@checks.register(checks.Tags.security, deploy=True)
def two_factor_on(app_configs, **kwargs):
    if enabled():
        return []
    return [checks.Warning(
        "YIRI_2FA=0: two-factor sign-in is off. Only for a local demo; never in production.",
        id="yiri.W201")]
