"""A job's one-time secret (an export's password) sealed with a key derived from the
server's secret key until its owner's page shows it, then emptied: never in clear in the
database."""

from __future__ import annotations

import base64
import hashlib

from django.conf import settings
from nacl.secret import SecretBox


def _box() -> SecretBox:
    key = hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=32,
                          person=b"yiri-job-secret").digest()
    return SecretBox(key)


def seal(job_id: int, secret: str) -> str:
    return base64.b64encode(_box().encrypt(f"{job_id}:{secret}".encode())).decode()


def unseal(job_id: int, sealed: str) -> str:
    plain = _box().decrypt(base64.b64decode(sealed)).decode()
    owner, _sep, secret = plain.partition(":")
    if owner != str(job_id):
        raise ValueError("secret of another job")
    return secret
