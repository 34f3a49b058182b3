"""People trained, per theme, region, organisation and period.

"People trained" counts distinct people who attended (``Participant.attended``) at least
one training matching the filters: a participant with a profile is that profile (two
trainings, one person), one without a profile counts once per participation. A person is
counted under each theme of the trainings they attended, under the region and the
structure of the participation, and under the month the training started.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from yiri.network.models import Location

from .models import Participant, Theme


@dataclass
class Filters:
    theme: str = ""
    region: str = ""  # a region code
    site: str = ""  # a site id
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass
class Report:
    total: int = 0
    participations: int = 0
    by_theme: list[tuple[str, str, int]] = field(default_factory=list)  # code, label, n
    by_region: list[tuple[str, str, int]] = field(default_factory=list)
    by_site: list[tuple[str, str, int]] = field(default_factory=list)
    by_month: list[tuple[str, int]] = field(default_factory=list)  # "2026-01", n
    # Per theme and month: [(theme code, label, [n per month of ``by_month``])].
    theme_months: list[tuple[str, str, list[int]]] = field(default_factory=list)


def region_code(path: str) -> str:
    parts = [p for p in (path or "").split("/") if p]
    return parts[1] if len(parts) > 1 else ""


def attended_rows(filters: Filters):
    """The attended participations the filters keep (one query)."""
    qs = (Participant.objects.filter(attended=True, deleted=False, training__deleted=False,
                                     site__deleted=False)
          .select_related("training", "site", "site__place"))
    if filters.site:
        qs = qs.filter(site_id=filters.site)
    if filters.start:
        qs = qs.filter(training__start_date__gte=filters.start)
    if filters.end:
        qs = qs.filter(training__start_date__lte=filters.end)
    rows = []
    for p in qs:
        region = region_code(p.site.place.path) if p.site.place_id else ""
        if filters.region and region != filters.region:
            continue
        themes = list(p.training.themes or [])
        if filters.theme and filters.theme not in themes:
            continue
        key = f"p:{p.person_id}" if p.person_id else f"x:{p.pk}"
        rows.append((key, themes, region, p.site, p.training.start_date))
    return rows


def trained(filters: Filters | None = None) -> Report:
    filters = filters or Filters()
    rows = attended_rows(filters)
    theme_sets: dict[str, set] = defaultdict(set)
    region_sets: dict[str, set] = defaultdict(set)
    site_sets: dict[str, set] = defaultdict(set)
    month_sets: dict[str, set] = defaultdict(set)
    theme_month_sets: dict[tuple[str, str], set] = defaultdict(set)
    sites: dict[str, str] = {}
    everyone: set = set()
    for key, themes, region, site, start in rows:
        everyone.add(key)
        for t in themes:
            theme_sets[t].add(key)
            theme_month_sets[(t, start.strftime("%Y-%m"))].add(key)
        region_sets[region].add(key)
        site_sets[str(site.pk)].add(key)
        sites[str(site.pk)] = site.name
        month_sets[start.strftime("%Y-%m")].add(key)
    labels = dict(Theme.choices)
    names = dict(Location.objects.filter(code__in=[r for r in region_sets if r])
                 .values_list("code", "name"))
    report = Report(total=len(everyone), participations=len(rows))
    report.by_theme = sorted(((c, str(labels.get(c, c)), len(s)) for c, s in theme_sets.items()),
                             key=lambda t: (-t[2], t[1]))
    report.by_region = sorted(((c, names.get(c, c) or "—", len(s)) for c, s in region_sets.items()),
                              key=lambda t: (-t[2], t[1]))
    report.by_site = sorted(((c, sites[c], len(s)) for c, s in site_sets.items()),
                            key=lambda t: (-t[2], t[1]))
    report.by_month = sorted((m, len(s)) for m, s in month_sets.items())
    report.theme_months = [(c, label, [len(theme_month_sets.get((c, m), ())) for m, _n in report.by_month])
                           for c, label, _n in report.by_theme]
    return report
