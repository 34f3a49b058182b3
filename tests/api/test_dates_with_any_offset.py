"""A date filter with any offset Python accepts is a filter or a 400, never a 500.

Schemathesis found ``updated_since=0160-02-02T10:05:51+18:21`` failing on PostgreSQL, which
refuses offsets past ±15:59: the date is turned to UTC before it reaches the database."""

from __future__ import annotations

import pytest

from ..conftest import make_case


@pytest.mark.parametrize("since", ["0160-02-02T10:05:51+18:21", "2026-01-01T00:00:00-23:59",
                                   "2026-01-01T00:00:00+16:00"])
def test_a_far_offset_filters_as_the_same_instant_in_utc(cast, api, since):
    make_case(cast.worker)
    client = api(cast.worker)
    assert client.get("/api/v1/cases/", {"updated_since": since}).status_code == 200
    r = client.post("/api/v1/cases/search/", {"updated_since": since, "age_max": 17},
                    format="json")
    assert r.status_code == 200


def test_a_date_before_year_one_in_utc_is_a_400(cast, api):
    r = api(cast.worker).get("/api/v1/cases/", {"updated_since": "0001-01-01T00:00:00+01:00"})
    assert r.status_code == 400 and "updated_since" in r.json()["errors"]
