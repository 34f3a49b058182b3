"""The training report (people trained per theme, region, structure and month) equals
counts made directly on the tables, for any set of trainings and participations
(hypothesis), and a person who attended two trainings counts once."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiri.accounts.models import User
from yiri.directory import reports, services
from yiri.directory.models import Participant, Person, PersonRole, Site, SiteKind, Theme, Training
from yiri.network.models import Location
from yiri.sync.models import raw_writes

THEMES = [t.value for t in Theme]

training_st = st.fixed_dictionaries({
    "themes": st.lists(st.sampled_from(THEMES), min_size=1, max_size=3, unique=True),
    "month": st.integers(1, 6),
    "people": st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=6),
})


def direct(rows, key):
    """Distinct people per ``key(row)`` over attended rows, counted by hand."""
    out: dict = {}
    for r in rows:
        if r["attended"]:
            for k in key(r):
                out.setdefault(k, set()).add(r["who"])
    return {k: len(v) for k, v in out.items()}


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trainings=st.lists(training_st, min_size=1, max_size=4))
def test_people_trained_per_theme_region_structure_and_month_equal_direct_counts(trainings):
    with raw_writes():
        for model in (Participant, Training, Person, Site):
            model.objects.all().delete()
    admin = User.objects.filter(username="root-report").first() or User.objects.create_superuser(
        "root-report", password="motdepasse-tres-long-42")
    places = [Location.objects.get(code=c) for c in ("BF-KAD-C01", "BF-OUB-C01", "TG-K-KOZ-C01")]
    sites = [services.save_site(admin, Site(kind=SiteKind.TELECENTRE, name=f"Site {i}",
                                            place=places[i % 3])) for i in range(3)]
    people = [services.save_person(admin, Person(site=sites[i % 3], full_name=f"P{i}",
                                                 role=PersonRole.MANAGER, consent=i % 2 == 0))
              for i in range(6)]
    rows = []
    for t in trainings:
        training = services.save_training(admin, Training(
            title="T", themes=t["themes"], start_date=dt.date(2026, t["month"], 3)))
        for index, attended in t["people"]:
            person = people[index]
            services.add_participant(admin, training, site=person.site, person=person,
                                     attended=attended)
            rows.append({"who": person.pk, "attended": attended, "themes": t["themes"],
                         "region": person.site.place.path.split("/")[1],
                         "site": str(person.site.pk), "month": f"2026-{t['month']:02d}"})
    report = reports.trained()
    assert report.total == len({r["who"] for r in rows if r["attended"]})
    assert report.participations == sum(1 for r in rows if r["attended"])
    assert {c: n for c, _l, n in report.by_theme} == direct(rows, lambda r: r["themes"])
    assert {c: n for c, _l, n in report.by_region} == direct(rows, lambda r: [r["region"]])
    assert {c: n for c, _l, n in report.by_site} == direct(rows, lambda r: [r["site"]])
    assert dict(report.by_month) == direct(rows, lambda r: [r["month"]])
    per_theme_month = direct(rows, lambda r: [(t, r["month"]) for t in r["themes"]])
    months = [m for m, _n in report.by_month]
    for code, _label, values in report.theme_months:
        assert values == [per_theme_month.get((code, m), 0) for m in months]
    # A filter keeps exactly its rows.
    for theme in {th for r in rows for th in r["themes"]}:
        only = reports.trained(reports.Filters(theme=theme))
        assert only.total == len({r["who"] for r in rows if r["attended"] and theme in r["themes"]})
    region_total = reports.trained(reports.Filters(region="BF-03")).total
    assert region_total == len({r["who"] for r in rows if r["attended"] and r["region"] == "BF-03"})
