"""Form schemas, lookups, locations and agencies, in French unless English is asked for."""

from __future__ import annotations

import pytest


def section(form, code):
    return next(s for s in form["sections"] if s["code"] == code)


def test_the_case_form_is_in_french_by_default(cast, api):
    form = api(cast.worker).get("/api/v1/forms/case/").json()
    assert form["language"] == "fr"
    identity = section(form, "basic_identity")
    assert identity["name"] == "Identité de l'enfant"
    first = identity["fields"][0]
    assert (first["code"], first["label"], first["required"], first["identifying"]) == (
        "name_first", "Prénom(s)", True, True)


@pytest.mark.parametrize("how", [{"HTTP_ACCEPT_LANGUAGE": "en"}, {"QUERY_STRING": "lang=en"}])
def test_english_is_given_on_request(cast, api, how):
    form = api(cast.worker).get("/api/v1/forms/case/", **how).json()
    assert form["language"] == "en"
    assert section(form, "basic_identity")["fields"][0]["label"] == "First name"


def test_the_form_tells_each_user_their_right_on_each_section(cast, api):
    form = api(cast.provider).get("/api/v1/forms/case/").json()
    rights = {s["code"]: s["right"] for s in form["sections"]}
    assert rights["basic_identity"] == "r"
    assert rights["services_section"] == "rw" and rights["services_row"] == "rw"
    assert rights["trafficking"] == "none"


def test_an_unknown_form_is_404(cast, api):
    assert api(cast.worker).get("/api/v1/forms/payroll/").status_code == 404


def test_lookups_list_enabled_values_with_labels(cast, api):
    lookups = api(cast.worker).get("/api/v1/lookups/", {"code": "sex,risk_level"}).json()
    by_code = {lk["code"]: lk for lk in lookups}
    assert set(by_code) == {"sex", "risk_level"}
    assert [v["code"] for v in by_code["sex"]["values"]] == ["female", "male", "unknown"]
    english = api(cast.worker).get("/api/v1/lookups/", {"code": "sex", "lang": "en"}).json()
    assert english[0]["values"][0]["label"] == "Female"


def test_locations_filter_by_parent_level_and_text(cast, api):
    client = api(cast.worker)
    regions = client.get("/api/v1/locations/", {"parent": "BF", "level": "region"}).json()
    assert "BF-03" in {r["code"] for r in regions["results"]}
    assert all(r["parent"] == "BF" for r in regions["results"])
    found = client.get("/api/v1/locations/", {"q": "Ouagadougou"}).json()["results"]
    assert [loc["code"] for loc in found] == ["BF-KAD-C01"]
    assert client.get("/api/v1/locations/", {"parent": "XX"}).status_code == 400


def test_agencies_are_listed_with_their_regions(cast, api):
    rows = api(cast.partner).get("/api/v1/agencies/").json()["results"]
    ace = next(a for a in rows if a["code"] == "ACE")
    assert ace["country"] == "BF" and ace["regions"] == ["BF-03"]


def test_reference_data_needs_a_signed_in_user(cast):
    from rest_framework.test import APIClient

    for url in ("/api/v1/forms/case/", "/api/v1/lookups/", "/api/v1/locations/", "/api/v1/agencies/"):
        assert APIClient().get(url).status_code == 401
