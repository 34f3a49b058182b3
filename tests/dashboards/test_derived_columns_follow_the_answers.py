"""The case columns the dashboard counts by (services, next due date, source of
identification, missing required answers) follow the answers on every write, and the
recount after their migration gives the same values."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from yiri.cases.columns import next_due, service_tokens
from yiri.cases.models import Case
from yiri.cases.services import DASHBOARD_COLUMNS, rederive_case_columns, update_record
from yiri.sync.models import raw_writes

from ..conftest import make_case

TYPES = st.sampled_from(["health", "education", "legal", "psychosocial", "family_reunification"])
DAYS = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))
SERVICE = st.fixed_dictionaries({"service_type": TYPES, "implemented": st.booleans()},
                                optional={"appointment_date": DAYS.map(dt.date.isoformat),
                                          "_deleted": st.just(True)})
FOLLOWUP = st.fixed_dictionaries({"followup_type": st.just("in_care")},
                                 optional={"needed_by": DAYS.map(dt.date.isoformat),
                                           "done_on": DAYS.map(dt.date.isoformat), "_deleted": st.just(True)})


@settings(max_examples=200, deadline=None)
@given(services=st.lists(SERVICE, max_size=12), followups=st.lists(FOLLOWUP, max_size=4),
       plan_due=st.none() | DAYS, planned=st.booleans())
def test_the_columns_hold_every_live_service_and_the_earliest_work_due(services, followups, plan_due, planned):
    answers = {"services": services, "followups": followups}
    if plan_due:
        answers["case_plan_due_date"] = plan_due.isoformat()
    if planned:
        answers["case_plan_date"] = "2026-01-01"
    live = [r for r in services if not r.get("_deleted")]
    tokens = [t for t in service_tokens(answers).split("|") if t]
    assert Counter(tokens) == Counter(r["service_type"] + ("+" if r["implemented"] else "-") for r in live)
    dues = [dt.date.fromisoformat(r["appointment_date"]) for r in live
            if not r["implemented"] and r.get("appointment_date")]
    dues += [dt.date.fromisoformat(r["needed_by"]) for r in followups
             if not r.get("_deleted") and not r.get("done_on") and r.get("needed_by")]
    if plan_due and not planned:
        dues.append(plan_due)
    assert next_due(answers) == (min(dues) if dues else None)


def test_a_write_through_the_services_moves_the_columns(cast):
    case = make_case(cast.worker, identified_by="police")
    assert (case.identified_by, case.services, case.next_due, case.missing_required) == ("police", "", None, 0)
    case = update_record(cast.worker, case, {
        "services": [{"service_type": "health", "appointment_date": "2026-02-01"},
                     {"service_type": "legal", "implemented": True}],
        "identified_by": "ngo"})
    stored = Case.objects.get(pk=case.pk)
    assert (stored.identified_by, stored.services, stored.next_due) == (
        "ngo", "|health-|legal+|", dt.date(2026, 2, 1))


def test_the_recount_gives_back_the_columns_the_writes_kept(cast):
    cases = [make_case(cast.worker, identified_by="community",
                       services=[{"service_type": "education", "appointment_date": "2026-03-01"}]),
             make_case(cast.colleague)]
    kept = {c.pk: tuple(getattr(c, n) for n in DASHBOARD_COLUMNS) for c in Case.objects.all()}
    with raw_writes():
        Case.objects.all().update(identified_by="", services="", next_due=None, missing_required=9)
    assert rederive_case_columns() == len(cases)
    assert {c.pk: tuple(getattr(c, n) for n in DASHBOARD_COLUMNS) for c in Case.objects.all()} == kept
