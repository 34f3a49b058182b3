"""The case list: filters on indexed columns, paging, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiri.cases.models import Case
from yiri.cases.services import update_record

from ..conftest import make_case


def ids(client, **params) -> set[str]:
    r = client.get("/api/v1/cases/", params)
    assert r.status_code == 200, r.json()
    return {row["id"] for row in r.json()["results"]}


@pytest.fixture
def three(cast):
    awa = make_case(cast.worker, age=12)
    issa = make_case(cast.worker, name_first="Issa", sex="male", age=16, location_current="BF-BAL-C01")
    update_record(cast.worker, issa, {"risk_level": "high", "protection_concerns": ["trafficked"]})
    mariam = make_case(cast.admin, name_first="Mariam", age=5, location_current="TG-M-GOL")
    return {k: str(v.pk) for k, v in {"awa": awa, "issa": issa, "mariam": mariam}.items()}


def test_each_filter_keeps_only_the_matching_cases(cast, three, api):
    client = api(cast.admin)
    assert ids(client) == set(three.values())
    assert ids(client, sex="male") == {three["issa"]}
    assert ids(client, risk_level="high") == {three["issa"]}
    assert ids(client, concern="trafficked") == {three["issa"]}
    assert ids(client, concern="traffic") == set()
    assert ids(client, age_min=12) == {three["awa"], three["issa"]}
    assert ids(client, age_max=12) == {three["awa"], three["mariam"]}
    assert ids(client, age_min=12, age_max=12) == {three["awa"]}
    assert ids(client, location="BF") == {three["awa"], three["issa"]}
    assert ids(client, location="BF-BAL") == {three["issa"]}
    assert ids(client, agency="ACE") == set(three.values())
    assert ids(client, owner=str(cast.admin.pk)) == {three["mariam"]}
    assert ids(client, status="open", workflow_stage="new") == set(three.values())
    assert ids(client, status="closed") == set()


def test_updated_since_takes_a_date_or_a_moment(cast, three, api):
    client = api(cast.admin)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert ids(client, updated_since=tomorrow.isoformat()) == set()
    assert ids(client, updated_since="2020-01-01T00:00:00Z") == set(three.values())


def test_a_wrong_filter_is_a_400_naming_it(cast, three, api):
    client = api(cast.admin)
    r = client.get("/api/v1/cases/", {"location": "NOWHERE", "age_min": "old", "status": "lost"})
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert errors["location"] == ["Lieu inconnu : choisissez un lieu de la liste."]
    assert set(errors) == {"location", "age_min", "status"}


def test_rows_carry_the_list_columns(cast, three, api):
    row = next(r for r in api(cast.admin).get("/api/v1/cases/").json()["results"]
               if r["id"] == three["issa"])
    assert row["short_id"] == Case.objects.get(pk=three["issa"]).short_id
    assert (row["status"], row["workflow_stage"], row["risk_level"], row["sex"], row["age"]) == (
        "open", "new", "high", "male", 16)
    assert row["location"] == {"code": "BF-BAL-C01", "name": "Boromo"}
    assert row["owner"]["username"] == "worker" and row["agency"] == "ACE"
    assert row["display_name"] == "Issa Ouédraogo"


def test_lists_come_in_pages_of_fifty_and_at_most_a_hundred(cast, api):
    from yiri.cases.services import bulk_create_records

    from ..conftest import child_answers

    bulk_create_records(cast.worker, "case", [child_answers() for _ in range(120)])
    client = api(cast.worker)
    first = client.get("/api/v1/cases/").json()
    assert first["count"] == 120 and len(first["results"]) == 50 and first["next"]
    assert len(client.get("/api/v1/cases/", {"page_size": 100}).json()["results"]) == 100
    assert "page_size" in client.get("/api/v1/cases/", {"page_size": 500}).json()["errors"]
    assert len(client.get("/api/v1/cases/", {"page": 3}).json()["results"]) == 20


def test_the_number_of_queries_does_not_grow_with_the_rows(cast, api):
    client = api(cast.manager)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/cases/").status_code == 200
        return len(ctx.captured_queries)

    make_case(cast.worker)
    few = count_queries()
    for i in range(6):
        make_case(cast.worker if i % 2 else cast.manager, location_current="BF-BAL")
    assert count_queries() == few


def test_an_age_range_upside_down_is_refused(cast, api):
    r = api(cast.worker).get("/api/v1/cases/", {"age_min": 12, "age_max": 5})
    assert r.status_code == 400 and "age_max" in r.json()["errors"]
