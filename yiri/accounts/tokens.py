"""API tokens, kept as hashes (as django-rest-knox does; DRF's own tokens are stored in
plaintext and one per user).

A key is 32 random bytes (``secrets``), given to the client once; the database keeps its
SHA-256 only. A slow password hash is not needed: the key is random, not chosen by a
person, so it cannot be guessed from its hash. Each sign-in gets a key of its own that
expires after ``YIRI_API_TOKEN_HOURS``; signing out ends that key only; a new password
or a disabled account ends them all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(user) -> str:
    """A new key for ``user``; expired keys of everyone are cleared on the way."""
    from .models import ApiToken

    now = timezone.now()
    ApiToken.objects.filter(expires__lte=now).delete()
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, digest=digest(key), created=now,
                            expires=now + dt.timedelta(hours=settings.YIRI_API_TOKEN_HOURS))
    return key


def find(key: str):
    """The token of ``key`` (expired or not), or None."""
    from .models import ApiToken

    return ApiToken.objects.select_related("user").filter(digest=digest(key)).first()


def revoke_all(user) -> None:
    from .models import ApiToken

    ApiToken.objects.filter(user=user).delete()
