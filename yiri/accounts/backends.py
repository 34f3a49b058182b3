"""Password login with lockout after repeated failures (shared PCs, guessable passwords)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event


class LockoutBackend(ModelBackend):
    """Refuses a locked account; locks it for ``YIRI_LOCKOUT_MINUTES`` after
    ``YIRI_LOCKOUT_FAILURES`` wrong passwords in a row."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        user = User.objects.filter(username=username).first() if username else None
        if user is not None and user.is_locked:
            request and setattr(request, "yiri_locked", True)
            return None
        authenticated = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            return authenticated
        if authenticated is None:
            failures = user.failed_logins + 1
            locked_until = None
            if failures >= settings.YIRI_LOCKOUT_FAILURES:
                locked_until = timezone.now() + dt.timedelta(minutes=settings.YIRI_LOCKOUT_MINUTES)
                failures = 0
                record_event(AuditAction.LOCKOUT, request=request, record_type="user", record_id=user.pk)
                if request is not None:
                    request.yiri_locked = True
            User.objects.filter(pk=user.pk).update(failed_logins=failures, locked_until=locked_until)
            return None
        if user.failed_logins or user.locked_until:
            User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        return authenticated
