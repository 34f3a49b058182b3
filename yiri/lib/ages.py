"""Ages in whole years, the way a registration form counts them."""

from __future__ import annotations

import datetime as dt


def age_on(born: dt.date | None, on: dt.date | None = None) -> int | None:
    """Completed years between ``born`` and ``on`` (today, local time, by default)."""
    if born is None:
        return None
    if on is None:
        from django.utils import timezone

        on = timezone.localdate()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
