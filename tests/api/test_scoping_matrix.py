"""What every seeded role can list, search, open and edit through the API."""

from __future__ import annotations

import pytest

from yiri.cases.services import assign_record

from ..conftest import make_case

# Which of the four cases each member of the cast reaches.
VISIBLE = {
    "admin": {"worker", "colleague", "togo", "togo_in_centre"},
    "manager": {"worker"},  # team A: the manager and the worker
    "worker": {"worker"},
    "colleague": {"colleague"},
    "provider": {"worker"},  # assigned to it
    "relay": {"worker", "colleague", "togo_in_centre"},  # member agency, or in the cell's region
    "coordinator": {"worker", "colleague", "togo", "togo_in_centre"},
    "partner": set(),
    "outsider": {"togo", "togo_in_centre"},
}
# Status of a change to the protection concerns of the worker's case.
EDIT_STATUS = {
    "admin": 200, "manager": 200, "worker": 200, "colleague": 404,
    "provider": 403,  # reads that section, writes only services and follow-ups
    "relay": 403, "coordinator": 403, "partner": 404, "outsider": 404,
}


@pytest.fixture
def cases(cast):
    cases = {
        "worker": make_case(cast.worker),
        "colleague": make_case(cast.colleague, location_current="BF-BAL"),
        "togo": make_case(cast.outsider, location_current="TG-M-GOL"),
        "togo_in_centre": make_case(cast.outsider, location_current="BF-KAD"),
    }
    assign_record(cast.manager, cases["worker"], cast.provider)
    return cases


def names_of(cases, ids) -> set[str]:
    by_id = {str(c.pk): name for name, c in cases.items()}
    return {by_id[i] for i in ids}


@pytest.mark.parametrize("who", VISIBLE)
def test_a_list_shows_exactly_the_cases_in_scope(cast, cases, api, who):
    r = api(cast.everyone[who]).get("/api/v1/cases/")
    assert r.status_code == 200
    assert names_of(cases, [row["id"] for row in r.json()["results"]]) == VISIBLE[who]
    assert r.json()["count"] == len(VISIBLE[who])


@pytest.mark.parametrize("who", VISIBLE)
def test_a_search_finds_exactly_the_cases_in_scope(cast, cases, api, who):
    r = api(cast.everyone[who]).post("/api/v1/cases/search/", {"q": "Ouédraogo"}, format="json")
    assert r.status_code == 200
    assert names_of(cases, [row["id"] for row in r.json()["results"]]) == VISIBLE[who]


@pytest.mark.parametrize("who", VISIBLE)
def test_a_case_opens_only_in_scope_and_is_404_otherwise(cast, cases, api, who):
    client = api(cast.everyone[who])
    for name, case in cases.items():
        for url in (f"/api/v1/cases/{case.pk}/", f"/api/v1/cases/{case.pk}/history/"):
            expected = 200 if name in VISIBLE[who] else 404
            assert client.get(url).status_code == expected, (who, name, url)


@pytest.mark.parametrize("who", EDIT_STATUS)
def test_editing_the_workers_case_is_allowed_refused_or_hidden_by_role(cast, cases, api, who):
    case = cases["worker"]
    r = api(cast.everyone[who]).patch(
        f"/api/v1/cases/{case.pk}/sections/protection_concerns/",
        {"answers": {"risk_level": "high"}, "version": case.version}, format="json",
    )
    assert r.status_code == EDIT_STATUS[who], r.json()
    case.refresh_from_db()
    assert case.risk_level == ("high" if EDIT_STATUS[who] == 200 else "")


def test_the_outsider_gets_nothing_anywhere(cast, cases, api):
    client = api(cast.outsider)
    case = cases["worker"]
    assert str(case.pk) not in {r["id"] for r in client.get("/api/v1/cases/").json()["results"]}
    assert client.post("/api/v1/cases/search/", {"short_id": case.short_id},
                       format="json").json()["count"] == 0
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert client.get(f"/api/v1/cases/{case.pk}/history/").status_code == 404
    assert client.patch(f"/api/v1/cases/{case.pk}/sections/basic_identity/",
                        {"answers": {"age": 13}, "version": case.version},
                        format="json").status_code == 404
    assert client.delete(f"/api/v1/cases/{case.pk}/").status_code == 404


def test_a_404_does_not_tell_a_missing_case_from_a_hidden_one(cast, cases, api):
    client = api(cast.outsider)
    hidden = client.get(f"/api/v1/cases/{cases['worker'].pk}/")
    missing = client.get("/api/v1/cases/00000000-0000-0000-0000-000000000000/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_the_partner_viewer_gets_an_empty_list_and_cannot_create(cast, cases, api):
    client = api(cast.partner)
    assert client.get("/api/v1/cases/").json()["results"] == []
    r = client.post("/api/v1/cases/", {"answers": {"name_first": "Awa"}}, format="json")
    assert r.status_code == 403


def test_the_relay_data_manager_reads_the_regions_cases_but_cannot_edit_them(cast, cases, api):
    client = api(cast.relay)
    case = cases["togo_in_centre"]
    detail = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["answers"]["name_last"] == "Ouédraogo"
    assert detail["sections"]["writable"] == []
    assert detail["can"] == {"edit": False, "delete": False}
    r = client.patch(f"/api/v1/cases/{case.pk}/sections/basic_identity/",
                     {"answers": {"age": 13}, "version": case.version}, format="json")
    assert r.status_code == 403
    assert "Votre rôle ne permet pas" in r.json()["detail"]


def test_only_a_role_with_the_delete_right_can_delete(cast, cases, api):
    case = cases["worker"]
    assert api(cast.worker).delete(f"/api/v1/cases/{case.pk}/").status_code == 403
    assert api(cast.admin).delete(f"/api/v1/cases/{case.pk}/").status_code == 204
    case.refresh_from_db()
    assert case.deleted and case.deleted_at is not None
    assert api(cast.admin).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert api(cast.worker).get("/api/v1/cases/").json()["count"] == 0
