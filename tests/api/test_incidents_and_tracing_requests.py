"""Incidents and tracing requests go through the same record endpoints as cases."""

from __future__ import annotations

import pytest

from yiri.audit.models import AuditAction, AuditEvent

INCIDENT = {"incident_date": "2026-01-10", "incident_type": ["trafficking"], "survivor_age": 14,
            "survivor_sex": "female", "incident_location": "BF-KAD"}
TRACING = {"inquiry_date": "2026-02-01", "tracing_request_status": "open",
           "inquirer_name_first": "Salif", "inquirer_name_last": "Kaboré",
           "inquirer_location": "BF-KAD"}


@pytest.mark.parametrize("path,answers,section,change", [
    ("incidents", INCIDENT, "incident_response", {"medical_care_received": True}),
    ("tracing-requests", TRACING, "inquirer", {"inquirer_name_last": "Kabore-Zongo"}),
])
def test_a_record_type_can_be_created_listed_opened_changed_and_hidden(
    cast, api, path, answers, section, change
):
    client = api(cast.worker)
    r = client.post(f"/api/v1/{path}/", {"answers": answers}, format="json")
    assert r.status_code == 201, r.json()
    record = r.json()
    assert [row["id"] for row in client.get(f"/api/v1/{path}/").json()["results"]] == [record["id"]]
    assert client.get(f"/api/v1/{path}/{record['id']}/").status_code == 200
    r = client.patch(f"/api/v1/{path}/{record['id']}/sections/{section}/",
                     {"answers": change, "version": record["version"]}, format="json")
    assert r.status_code == 200, r.json()
    assert all(r.json()["answers"][k] == v for k, v in change.items())
    assert len(client.get(f"/api/v1/{path}/{record['id']}/history/").json()["results"]) == 2
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, record_id=record["id"]).exists()
    outsider = api(cast.outsider)
    assert outsider.get(f"/api/v1/{path}/").json()["results"] == []
    assert outsider.get(f"/api/v1/{path}/{record['id']}/").status_code == 404
    assert outsider.patch(f"/api/v1/{path}/{record['id']}/sections/{section}/",
                          {"answers": change, "version": 2}, format="json").status_code == 404


def test_a_tracing_request_shows_the_inquirers_name_in_lists(cast, api):
    client = api(cast.worker)
    client.post("/api/v1/tracing-requests/", {"answers": TRACING}, format="json")
    assert client.get("/api/v1/tracing-requests/").json()["results"][0]["display_name"] == "Salif Kaboré"


def test_an_incident_with_a_wrong_answer_is_a_400_in_french(cast, api):
    r = api(cast.worker).post("/api/v1/incidents/", {"answers": {"survivor_age": "vieux"}},
                              format="json")
    assert r.status_code == 400
    assert r.json()["errors"]["survivor_age"] == ["Saisissez un nombre, par exemple 12."]
    assert "incident_date" in r.json()["errors"]


def test_case_only_filters_are_not_offered_on_incidents(cast, api):
    r = api(cast.worker).get("/api/v1/incidents/", {"status": "open", "sex": "male"})
    assert r.status_code == 200  # unknown query parameters are ignored, not applied
