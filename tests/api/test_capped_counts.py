"""List counts stop at a cap instead of counting a whole national database."""

from __future__ import annotations

from rest_framework.test import APIClient

from yiri.api import pagination

from ..conftest import make_case


def test_a_count_past_the_cap_says_it_is_capped(cast, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    for _ in range(3):
        make_case(cast.worker)
    client = APIClient()
    client.force_authenticate(cast.worker)
    body = client.get("/api/v1/cases/").json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (2, True, 3)


def test_a_count_under_the_cap_is_exact(cast):
    make_case(cast.worker)
    client = APIClient()
    client.force_authenticate(cast.worker)
    body = client.get("/api/v1/cases/").json()
    assert (body["count"], body["count_capped"]) == (1, False)
