"""Every number of the dashboard equals a direct count over the same cases, made here by
reading each case (the dashboard itself never loops over cases)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiri.cases.models import Case, CaseStatus, RiskLevel, WorkflowStage
from yiri.dashboards import queries
from yiri.dashboards.queries import Filters
from yiri.lib.ages import age_on
from yiri.network.models import Location
from yiri.workflow.models import Approval, Referral

from .data import network_of_cases


def _bars(series, code):
    return {b.key: b.count for b in next(s for s in series if s.code == code).bars}


def _expected(cases):
    today = timezone.localdate()
    ages = Counter()
    for c in cases:
        a = age_on(c.date_of_birth, today)
        band = next((k for k, (lo, hi) in queries.AGE_GROUPS.items() if a is not None and lo <= a <= hi), "")
        ages[band] += 1
    concerns = Counter(x for c in cases for x in c.concerns.strip("|").split("|") if x)
    return {
        "stage": Counter(c.workflow_stage for c in cases), "risk": Counter(c.risk_level for c in cases),
        "sex": Counter(c.sex for c in cases), "age": ages, "concern": concerns,
        "agency": Counter(str(c.owning_agency_id) for c in cases),
    }


def _band(days, bands):
    for i, high in enumerate(bands):
        if days <= high:
            return i
    return len(bands)


def test_every_category_count_equals_a_direct_count(cast):
    network_of_cases(cast)
    cases = list(Case.objects.filter(deleted=False))
    assert len(cases) == 40
    data = queries.dashboard(cast.coordinator, Filters())
    want = _expected(cases)
    n = data["counts"]
    assert n["total"] == 40
    assert n["open"] == sum(c.status == CaseStatus.OPEN for c in cases)
    assert n["closed"] == sum(c.status == CaseStatus.CLOSED for c in cases) > 0
    assert n["no_consent"] == sum(not c.consent_for_services for c in cases) > 0
    series = data["series"]
    assert _bars(series, "stage") == {s: want["stage"].get(s, 0) for s in WorkflowStage.values}
    risk = _bars(series, "risk")
    assert {k: v for k, v in risk.items() if k} == {r: want["risk"].get(r, 0) for r in RiskLevel.values}
    assert risk.get("", 0) == want["risk"].get("", 0)
    sex = _bars(series, "sex")
    assert {k: v for k, v in sex.items() if v} == {k: v for k, v in want["sex"].items()}
    assert {k: v for k, v in _bars(series, "age").items() if v} == dict(want["age"])
    concern = _bars(series, "concern")
    assert list(concern)[0] == "trafficked", "trafficking comes first"
    assert {k: v for k, v in concern.items() if v and k} == dict(want["concern"])
    assert _bars(series, "agency") == dict(want["agency"])
    # Places: the region under the country, or the place itself when recorded higher up.
    place = _bars(series, "place")
    regions = Counter()
    for c in cases:
        seg = [s for s in c.location_path.split("/") if s]
        regions[seg[1] if len(seg) > 1 else (seg[0] if seg else "")] += 1
    assert place == dict(regions)


def test_months_delays_referrals_caseload_and_closure_reasons_equal_direct_counts(cast):
    network_of_cases(cast)
    cases = {c.pk: c for c in Case.objects.filter(deleted=False)}
    today = timezone.localdate()
    data = queries.dashboard(cast.coordinator, Filters())
    months = data["months"]
    assert len(months) == 12
    for m, new, closed in months:
        assert new == sum(1 for c in cases.values() if c.registration_date
                          and (c.registration_date.year, c.registration_date.month) == (m.year, m.month))
        assert closed == sum(1 for c in cases.values() if c.closure_date
                             and (c.closure_date.year, c.closure_date.month) == (m.year, m.month))
    for kind, series in (("assessment", data["delays"][0]), ("case_plan", data["delays"][1])):
        first: dict = {}
        for a in Approval.objects.filter(kind=kind, status="approved"):
            d = timezone.localtime(a.decided_at, dt.UTC).date()
            first[a.case_id] = min(first.get(a.case_id, d), d)
        want = Counter(_band((d - cases[pk].registration_date).days, queries.DELAY_BANDS) for pk, d in first.items())
        assert [b.count for b in series.bars] == [want.get(i, 0) for i in range(len(queries.DELAY_BANDS) + 1)]
        assert series.total == len(first) > 0
    closed = [c for c in cases.values() if c.closure_date]
    want = Counter(_band((c.closure_date - c.registration_date).days, queries.CLOSURE_BANDS) for c in closed)
    assert [b.count for b in data["delays"][2].bars] == [want.get(i, 0) for i in range(5)]
    refs = list(Referral.objects.filter(kind="referral"))
    assert data["referrals"] == [("BTA", len(refs), sum(r.status in ("accepted", "done") for r in refs))]
    loads = Counter(c.owner_id for c in cases.values() if c.status == "open" and c.owner_id)
    assert sum(k for _label, k in data["caseload"]) == len(loads)
    assert dict(data["caseload"])["1–10"] == sum(1 for v in loads.values() if v <= 10)
    assert data["closure_reasons"] == [("Réunifié avec sa famille", len(closed))]
    assert today  # the counts above are relative to today


def test_filters_narrow_every_count_to_the_period_region_and_organisation(cast):
    network_of_cases(cast)
    centre = Location.objects.get(code="BF-03")
    since = timezone.localdate() - dt.timedelta(days=200)
    f = Filters(date_from=since, region=centre, agency=cast.ace)
    data = queries.dashboard(cast.coordinator, f)
    cases = [c for c in Case.objects.filter(deleted=False)
             if c.registration_date >= since and c.location_path.startswith(centre.path)
             and c.owning_agency_id == cast.ace.pk]
    assert cases, "the filters keep some cases"
    assert data["counts"]["total"] == len(cases)
    assert _bars(data["series"], "stage") == {s: sum(c.workflow_stage == s for c in cases)
                                              for s in WorkflowStage.values}
    # Under a region, places are the next level down; "Centre (sans précision)" otherwise.
    assert sum(_bars(data["series"], "place").values()) == len(cases)


def test_the_category_counts_come_from_one_query_whatever_the_number_of_cases(cast):
    network_of_cases(cast, n=12)
    with CaptureQueriesContext(connection) as few:
        queries.dashboard(cast.coordinator, Filters())
    network_of_cases(cast, n=30, seed=8)
    with CaptureQueriesContext(connection) as many:
        queries.dashboard(cast.coordinator, Filters())
    assert len(many) == len(few)
