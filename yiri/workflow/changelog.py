"""Saving workflow rows (and the shares they open) with an entry in the change log.

Records write their own change log in ``cases.services``; approvals, referrals,
notifications and record shares are synchronised rows too, so every write of them goes
through ``log_change`` → ``sync.changelog.save_logged``.
"""

from __future__ import annotations

from django.db import models

from yiri.cases.models import RecordShare
from yiri.sync.changelog import save_logged
from yiri.sync.models import Operation

from .models import Approval, Notification, Referral

ENTITIES: dict[type[models.Model], str] = {
    Approval: "approval",
    Referral: "referral",
    Notification: "notification",
    RecordShare: "record_share",
}
# Free text a person typed: may name people, so it is sealed like identifying answers.
SEALED = frozenset({"comment", "decision_comment", "reason", "response_comment"})


def log_change(user, obj: models.Model, *, created: bool = False) -> Operation | None:
    return save_logged(user, obj, entity=ENTITIES[type(obj)], created=created, sealed_fields=SEALED)
