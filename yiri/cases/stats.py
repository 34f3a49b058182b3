"""Case counts for the home pages of roles that oversee rather than work cases.

Who counts what:
- a user who may view cases counts the cases they see (``visible_to``: a relay cell its
  region and member organisations, the national coordination everything);
- a user who may not view cases but may see reports (the partner) gets counts over the
  whole network, never a record: a count below ``SMALL_COUNT`` is not shown (``None``), so
  that a region with one or two children in it does not point at them, and the others are
  rounded to ``SMALL_COUNT`` so that a hidden count cannot be found back by subtracting
  the shown ones from the total;
- anyone else gets nothing.

One grouped query over the cases, then regions are read once by code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from yiri.network.models import Location

from .models import Case, CaseStatus

SMALL_COUNT = 5  # counts below this are hidden from aggregates-only readers


@dataclass
class RegionCount:
    code: str  # region code, "" for cases with no place
    name: str
    by_status: dict[str, int | None] = field(default_factory=dict)  # None: hidden (small)
    total: int | None = 0


def _region_of(path: str) -> str:
    parts = [p for p in (path or "").split("/") if p]
    return parts[1] if len(parts) > 1 else (parts[0] if parts else "")


def _shown(n: int, coarse: bool) -> int | None:
    if not coarse or n == 0:
        return n
    if n < SMALL_COUNT:
        return None
    return SMALL_COUNT * round(n / SMALL_COUNT)


def counts_are_coarse(user) -> bool:
    """True when ``user`` gets rounded counts with small ones hidden."""
    return not user.can("view", "case") and user.can("view_reports", "system")


def counts_by_region(user) -> list[RegionCount]:
    """Cases by region (second level of the place) and status, as ``user`` may count them."""
    if user.can("view", "case"):
        qs = Case.objects.visible_to(user)
    elif user.can("view_reports", "system"):
        qs = Case.objects.filter(deleted=False)
    else:
        return []
    coarse = counts_are_coarse(user)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path, status, n in (qs.order_by().values_list("location_path", "status")
                            .annotate(n=Count("id"))):
        counts[_region_of(path)][status] += n
    names = dict(Location.objects.filter(code__in=[c for c in counts if c])
                 .values_list("code", "name"))
    statuses = [s.value for s in CaseStatus]
    out = []
    for code in sorted(counts, key=lambda c: (c == "", names.get(c, c))):
        row = RegionCount(code, names.get(code, code) if code else "")
        for s in statuses:
            row.by_status[s] = _shown(counts[code].get(s, 0), coarse)
        row.total = _shown(sum(counts[code].values()), coarse)
        out.append(row)
    return out
