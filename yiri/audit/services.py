"""Writing audit events. Called by service functions and the auth signals."""

from __future__ import annotations

import uuid
from typing import Any

from . import chain
from .models import AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_event(
    action: str,
    *,
    user=None,
    request=None,
    record_type: str = "",
    record_id: uuid.UUID | str | None = None,
    **details: Any,
) -> AuditEvent:
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return chain.append(AuditEvent(
        action=action, user=user, record_type=record_type, record_id=record_id,
        ip=client_ip(request), details=details,
    ))
