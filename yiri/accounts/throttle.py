"""How many passwords may be tried, by whom, and how long one waits after too many.

Why not django-axes: its counters are read and written back without a row lock (the very
fault that let 72 parallel guesses through a limit of 6), its lockouts are hard locks an
attacker can trigger on any known account, and it knows nothing of trusted devices. This
module is small and keeps every counter in the database, so the server's processes share
it; each attempt is *reserved* before its password is examined:

* in one transaction holding the rows (``select_for_update``; on SQLite the IMMEDIATE
  transaction takes the write lock at once), the attempt is refused unexamined if a wait
  is running, otherwise it counts as a failure straight away;
* then the password is examined; a success takes the failure back.

So parallel requests can never examine more guesses than the limit: the request past it
finds the wait already running. Three counters:

* the account (``User.failed_logins`` / ``locked_until``, whatever the address),
* the client address (``LoginThrottle`` ``address:<ip>``: many names tried from one place;
  its limit is higher, ``YIRI_LOCKOUT_ADDRESS_FAILURES``, since an office shares one
  address),
* a trusted device: a browser where the user signed in before carries a signed cookie
  naming her and a random device id. Its attempts count on the device alone
  (``device:<id>``), not on the account or the address, so a stranger who makes the
  account wait cannot keep its worker out of her usual PC (OWASP "device cookies").

Past a limit the wait grows with each further failure: 1, 2, 4, 8… minutes, at most
``YIRI_LOCKOUT_MINUTES``; a success, or an administrator ("Déverrouiller", audited), ends
it. Whatever happened, the person is told the same thing and the server does the same
work (one password hash), so neither the message nor the time tells whether a name exists
or an account is waiting.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiri.audit.models import AuditAction
from yiri.audit.services import client_ip, record_event

# The one answer to every refused sign-in, on the login page and in the API.
INVALID_LOGIN = _("Nom d'utilisateur ou mot de passe incorrect. Après plusieurs erreurs, il "
                  "faut attendre quelques minutes, ou demander à votre administrateur de "
                  "débloquer le compte.")

DEVICE_COOKIE = "yiri_device"
DEVICE_SALT = "yiri.accounts.device"
DEVICE_DAYS = 365
FORGET_AFTER = dt.timedelta(days=1)  # an address quiet this long starts again from zero


def wait(failures: int, limit: int) -> dt.timedelta | None:
    """The wait after ``failures`` examined wrong passwords: none under ``limit``, then
    1, 2, 4… minutes, at most ``YIRI_LOCKOUT_MINUTES``."""
    if failures < limit:
        return None
    minutes = min(settings.YIRI_LOCKOUT_MINUTES, 2 ** min(failures - limit, 20))
    return dt.timedelta(minutes=minutes)


def remember_device(response, user, request=None) -> None:
    """After a successful sign-in in a browser: the cookie that makes it trusted."""
    device = trusted_device(request, user) or secrets.token_urlsafe(18)
    value = signing.dumps({"d": device, "u": str(user.pk)}, salt=DEVICE_SALT)
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_DAYS * 86400, httponly=True,
                        secure=settings.SESSION_COOKIE_SECURE, samesite="Lax")


def trusted_device(request, user) -> str | None:
    """The device id of ``request``'s cookie if it was given to ``user``."""
    raw = request.COOKIES.get(DEVICE_COOKIE) if request is not None and user is not None else None
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != str(user.pk):
        return None
    return data.get("d") or None


@dataclass
class Attempt:
    allowed: bool
    user_pk: object = None
    keys: list[str] = field(default_factory=list)
    locks_account: bool = False
    counts_account: bool = False


def begin(request, user) -> Attempt:
    """Reserve one attempt for ``user`` (``None`` for an unknown name) from ``request``;
    ``allowed`` is false while a wait runs, and the password must then not be examined."""
    from .models import LoginThrottle, User

    now = timezone.now()
    device = trusted_device(request, user)
    if device:
        keys, limit, account = [f"device:{device}"], settings.YIRI_LOCKOUT_FAILURES, False
    else:
        ip = client_ip(request) if request is not None else None
        keys, limit, account = ([f"address:{ip}"] if ip else []), \
            settings.YIRI_LOCKOUT_ADDRESS_FAILURES, user is not None
    # Counters quiet for a day are forgotten (addresses come and go; the table stays small).
    LoginThrottle.objects.filter(last_failure__lt=now - FORGET_AFTER).exclude(
        blocked_until__gt=now).delete()
    with transaction.atomic():
        rows = [LoginThrottle.objects.select_for_update().get_or_create(key=k)[0] for k in keys]
        held = (User.objects.select_for_update().only("failed_logins", "locked_until")
                .get(pk=user.pk) if account else None)
        if any(r.blocked_until and r.blocked_until > now for r in rows) or (
                held is not None and held.locked_until and held.locked_until > now):
            return Attempt(allowed=False)
        for r in rows:
            quiet = r.last_failure is not None and r.last_failure < now - FORGET_AFTER
            r.failures = (0 if quiet else r.failures) + 1
            r.last_failure = now
            pause = wait(r.failures, limit)
            r.blocked_until = now + pause if pause else None
            r.save(update_fields=["failures", "last_failure", "blocked_until"])
        locks = False
        if held is not None:
            failures = held.failed_logins + 1
            pause = wait(failures, settings.YIRI_LOCKOUT_FAILURES)
            locks = pause is not None
            User.objects.filter(pk=held.pk).update(
                failed_logins=failures, locked_until=now + pause if pause else None)
    return Attempt(allowed=True, user_pk=user.pk if user else None, keys=keys,
                   locks_account=locks, counts_account=held is not None)


def finish(attempt: Attempt, success: bool, request=None, *, partial: bool = False) -> None:
    """After the password (or a second factor's code) was examined: a success takes the
    reserved failure back and, once the sign-in is complete, forgives earlier ones.

    ``partial``: a right password of an account that must still pass its second factor
    (``two_factor.py``). Only this attempt's reservation is taken back, so earlier wrong
    codes stay counted: a right password between wrong codes does not start them again."""
    from .models import LoginThrottle, User

    if not success:
        if attempt.locks_account:
            record_event(AuditAction.LOCKOUT, request=request, record_type="user",
                         record_id=attempt.user_pk)
        return
    if partial:
        with transaction.atomic():
            if attempt.counts_account:
                User.objects.filter(pk=attempt.user_pk, failed_logins__gt=0).update(
                    failed_logins=F("failed_logins") - 1)
                if attempt.locks_account:  # this very reservation started the wait
                    User.objects.filter(pk=attempt.user_pk).update(locked_until=None)
            for key in attempt.keys:
                LoginThrottle.objects.filter(key=key, failures__gt=0).update(
                    failures=F("failures") - 1)
                limit = (settings.YIRI_LOCKOUT_FAILURES if key.startswith("device:")
                         else settings.YIRI_LOCKOUT_ADDRESS_FAILURES)
                LoginThrottle.objects.filter(key=key, failures__lt=limit).update(
                    blocked_until=None)
        return
    with transaction.atomic():
        User.objects.filter(pk=attempt.user_pk).update(failed_logins=0, locked_until=None)
        for key in attempt.keys:
            if key.startswith("device:"):
                LoginThrottle.objects.filter(key=key).update(failures=0, blocked_until=None)
                continue
            # An address is shared: only this attempt's reservation is taken back.
            LoginThrottle.objects.filter(key=key, failures__gt=0).update(failures=F("failures") - 1)
            LoginThrottle.objects.filter(
                key=key, failures__lt=settings.YIRI_LOCKOUT_ADDRESS_FAILURES,
            ).update(blocked_until=None)


def unlock(users, by, request=None) -> int:
    """An administrator ends the wait of ``users`` (audited, one row each)."""
    from .models import User

    count = 0
    for pk in users.values_list("pk", flat=True):
        User.objects.filter(pk=pk).update(failed_logins=0, locked_until=None)
        record_event(AuditAction.UNLOCK, user=by, request=request, record_type="user", record_id=pk)
        count += 1
    return count
