"""The CPIMS+ case-management indicators added to the dashboard (source of identification,
services by type and implemented, overdue work per worker and per organisation, missing
required answers, suspected duplicates) equal a direct count made here by reading each
case's answers, and each linked number opens a list of exactly that many cases."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from urllib.parse import urlencode

from django.utils import timezone

from yiri.cases.identity import read_answers
from yiri.cases.models import Case, CaseStatus
from yiri.cases.services import bulk_create_records
from yiri.dashboards import queries
from yiri.dashboards.queries import Filters
from yiri.formconfig.schema import get_schema
from yiri.matching.models import DedupePair, DedupeRun, MatchSource, NotSamePair, pair_key
from yiri.sync.log import save_logged

from ..conftest import child_answers
from ..web.helpers import client_for, text_of
from .data import network_of_cases


def _answers(cases):
    schema = get_schema("case")
    return {c.pk: read_answers(c, schema) for c in cases}


def _live(rows):
    return [r for r in rows or [] if not r.get("_deleted")]


def _late(a: dict, today: dt.date) -> bool:
    def day(v):
        return dt.date.fromisoformat(v) if v else None
    dues = [] if a.get("case_plan_date") else [day(a.get("case_plan_due_date"))]
    dues += [day(r.get("appointment_date")) for r in _live(a.get("services")) if not r.get("implemented")]
    dues += [day(r.get("needed_by")) for r in _live(a.get("followups")) if not r.get("done_on")]
    return any(d and d < today for d in dues)


def _listed(client, params) -> int:
    """How many cases the case list says it holds for these filters."""
    page = text_of(client.get("/cases/?" + urlencode(params)))
    found = re.search(r"\bsur (\d+)\b", page)
    assert found or "Aucun résultat" in page, page[:300]
    return int(found.group(1)) if found else 0


def test_sources_services_and_overdue_work_equal_direct_counts(cast):
    network_of_cases(cast)
    cases = list(Case.objects.filter(deleted=False))
    answers = _answers(cases)
    today = timezone.localdate()
    data = queries.dashboard(cast.coordinator, Filters())
    source = {b.key: b.count for s in data["series"] if s.code == "source" for b in s.bars}
    want = Counter(answers[c.pk].get("identified_by") or "" for c in cases)
    assert {k: v for k, v in source.items() if v} == dict(want)
    planned, done, with_it, with_done = Counter(), Counter(), Counter(), Counter()
    for c in cases:
        rows = _live(answers[c.pk].get("services"))
        planned.update(r["service_type"] for r in rows)
        done.update(r["service_type"] for r in rows if r.get("implemented"))
        with_it.update({r["service_type"] for r in rows})
        with_done.update({r["service_type"] for r in rows if r.get("implemented")})
    got = {r.code: (r.planned, r.implemented, r.cases, r.cases_done) for r in data["services"]}
    assert got == {t: (planned[t], done[t], with_it[t], with_done[t]) for t in planned}
    assert sum(done.values()) and sum(planned.values()) > sum(done.values())
    late = [c for c in cases if c.status == CaseStatus.OPEN and _late(answers[c.pk], today)]
    assert late, "some work is overdue in the generated network"
    overdue = data["overdue"]
    assert {b.key: b.count for b in overdue.agencies} == dict(Counter(str(c.owning_agency_id) for c in late))
    assert sum(b.count for b in overdue.workers) == len(late)
    assert {b.label: b.count for b in overdue.workers} == {
        str(u): k for u, k in Counter(c.owner for c in late).items()}


def test_missing_required_answers_and_cases_without_consent_equal_direct_counts(cast):
    network_of_cases(cast, n=12)
    incomplete = dict(child_answers())
    del incomplete["sex"], incomplete["registration_date"]
    bulk_create_records(cast.admin, "case", [incomplete, dict(child_answers(age=None))],
                        owners=[cast.worker, cast.worker], validate=False)
    schema = get_schema("case")
    required = [code for code, f in schema.fields.items() if f.required]
    cases = list(Case.objects.filter(deleted=False))
    answers = _answers(cases)
    missing = [c for c in cases if any(answers[c.pk].get(code) in (None, "", []) for code in required)]
    assert len(missing) == 2
    data = queries.dashboard(cast.coordinator, Filters())
    assert data["quality"]["missing"] == 2
    assert data["quality"]["no_consent"] == sum(not answers[c.pk].get("consent_for_services") for c in cases)
    c = client_for(cast.coordinator)
    assert _listed(c, data["quality"]["missing_params"]) == 2
    assert _listed(c, data["quality"]["no_consent_params"]) == data["quality"]["no_consent"]


def test_suspected_duplicates_are_the_latest_runs_pairs_not_yet_decided_and_seen(cast):
    cases = network_of_cases(cast, n=12)
    ours = [c for c in cases if c.owning_agency_id == cast.ace.pk]
    togo = next(c for c in cases if c.owning_agency_id == cast.tgo.pk)
    assert queries.dashboard(cast.coordinator, Filters())["quality"]["duplicates"] is None
    old = DedupeRun.objects.create(status=DedupeRun.Status.DONE, finished_at=timezone.now() - dt.timedelta(days=3))
    run = DedupeRun.objects.create(status=DedupeRun.Status.DONE, finished_at=timezone.now())

    def pair(r, a, b):
        return DedupePair.objects.create(run=r, record_a=a.pk, record_b=b.pk, weight=9, probability=0.9,
                                         band="likely")
    pair(old, ours[0], ours[5])  # an older run's pair: not counted
    pair(run, ours[0], ours[1])
    pair(run, ours[2], ours[3])
    pair(run, ours[1], togo)  # the relay cell does not see the Togo case
    decided = pair(run, ours[3], ours[4])
    save_logged(cast.admin, NotSamePair(record_type="case", record_id=decided.record_b, other_type="case",
                                        other_id=decided.record_a, decided_by=cast.admin,
                                        pair_key=pair_key(decided.record_a, decided.record_b),
                                        decided_at=timezone.now()), created=True)
    assert MatchSource.BATCH  # pairs come from a batch run
    assert queries.dashboard(cast.coordinator, Filters())["quality"]["duplicates"] == 3
    assert queries.dashboard(cast.relay, Filters())["quality"]["duplicates"] == 2


def test_every_new_linked_number_opens_a_list_of_that_many_cases(cast):
    network_of_cases(cast)
    since = timezone.localdate() - dt.timedelta(days=300)
    for who in ("coordinator", "relay"):
        user = getattr(cast, who)
        c = client_for(user)
        for filters in (Filters(), Filters(date_from=since, agency=cast.ace)):
            data = queries.dashboard(user, filters)
            links = [(b.count, b.params) for s in data["series"] for b in s.bars if b.params is not None]
            links += [(r.cases, r.params) for r in data["services"]]
            links += [(r.cases_done, {**r.params, "service_done": "on"}) for r in data["services"]]
            links += [(b.count, b.params) for b in data["overdue"].agencies + data["overdue"].workers
                      if b.params is not None]
            assert any(p.get("identified_by") for _n, p in links) and any(p.get("overdue") for _n, p in links)
            for count, params in links:
                if "concern" in params or "location" in params:
                    continue  # covered by the older tests
                assert _listed(c, params) == count, (who, params)


def test_the_page_shows_the_new_indicators_with_their_links(cast):
    network_of_cases(cast)
    html = client_for(cast.coordinator).get("/dashboard/?date_from=2020-01-01").content.decode()
    page = re.sub(r"\s+", " ", html)
    for title in ("Dossiers par source d&#x27;identification", "Services par type",
                  "Travail en retard par organisation", "Travail en retard par travailleur",
                  "Dossiers avec des réponses obligatoires manquantes",
                  "Doublons possibles à examiner"):
        assert title in page, title
    assert "identified_by=police" in html and "service=health&amp;service_done=on" in html
    assert "overdue=on" in html and "consent=no" in html and "missing=on" in html
