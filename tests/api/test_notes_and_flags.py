"""Notes and flags of a record through the API: the same rules as the record page."""

from __future__ import annotations

from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases.models import Flag, Note
from yiri.cases.notes import add_flag, add_note

from ..conftest import make_case


def test_a_worker_writes_and_reads_notes(cast, api):
    case = make_case(cast.worker)
    add_note(cast.worker, case, body="Ancienne")
    url = f"/api/v1/cases/{case.pk}/notes/"
    r = api(cast.worker).post(url, {"subject": "Visite", "body": "Nouvelle"}, format="json")
    assert r.status_code == 201
    assert (r.json()["subject"], r.json()["body"]) == ("Visite", "Nouvelle")
    assert r.json()["author"]["username"] == "worker"
    listed = api(cast.worker).get(url).json()
    assert [n["body"] for n in listed] == ["Nouvelle", "Ancienne"]
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, record_id=case.pk,
                                     details__part="notes").exists()


def test_a_refused_note_is_a_400_in_french_and_nothing_is_saved(cast, api):
    case = make_case(cast.worker)
    r = api(cast.worker).post(f"/api/v1/cases/{case.pk}/notes/", {"body": " "}, format="json")
    assert r.status_code == 400
    assert r.json() == {"errors": {"body": ["Écrivez le texte de la note."]}}
    assert not Note.objects.exists()


def test_flags_are_raised_listed_and_lifted(cast, api):
    case = make_case(cast.worker)
    client = api(cast.worker)
    base = f"/api/v1/cases/{case.pk}/flags/"
    made = client.post(base, {"reason": "Risque de représailles"}, format="json")
    assert made.status_code == 201 and made.json()["reason"] == "Risque de représailles"
    flag_id = made.json()["id"]
    assert [f["id"] for f in client.get(base).json()] == [flag_id]
    refused = client.post(f"{base}{flag_id}/remove/", {"reason": ""}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    lifted = client.post(f"{base}{flag_id}/remove/", {"reason": "Relogée"}, format="json")
    assert lifted.status_code == 200
    assert lifted.json()["removed"] is True and lifted.json()["removal_reason"] == "Relogée"
    assert client.get(base).json() == []
    assert len(client.get(base, {"include_removed": "true"}).json()) == 1


def test_outsiders_get_404_from_every_notes_and_flags_endpoint(cast, api):
    case = make_case(cast.worker)
    flag = add_flag(cast.worker, case, reason="Risque")
    client = api(cast.outsider)
    base = f"/api/v1/cases/{case.pk}"
    assert client.get(f"{base}/notes/").status_code == 404
    assert client.post(f"{base}/notes/", {"body": "x"}, format="json").status_code == 404
    assert client.get(f"{base}/flags/").status_code == 404
    assert client.post(f"{base}/flags/", {"reason": "x"}, format="json").status_code == 404
    assert client.post(f"{base}/flags/{flag.pk}/remove/", {"reason": "x"},
                       format="json").status_code == 404
    assert not Note.objects.exists() and not Flag.objects.get().removed


def test_a_read_only_role_reads_but_may_not_write(cast, api):
    case = make_case(cast.worker)
    add_note(cast.worker, case, body="Visite")
    client = api(cast.relay)
    base = f"/api/v1/cases/{case.pk}"
    assert [n["body"] for n in client.get(f"{base}/notes/").json()] == ["Visite"]
    assert client.post(f"{base}/notes/", {"body": "Non"}, format="json").status_code == 403
    assert client.post(f"{base}/flags/", {"reason": "Non"}, format="json").status_code == 403
    assert Note.objects.count() == 1 and not Flag.objects.exists()


def test_the_endpoints_are_described_in_the_schema(cast, api):
    paths = api(cast.worker).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for kind in ("cases", "incidents", "tracing-requests"):
        assert {"get", "post"} <= set(paths[f"/api/v1/{kind}/{{id}}/notes/"])
        assert {"get", "post"} <= set(paths[f"/api/v1/{kind}/{{id}}/flags/"])
        assert "post" in paths[f"/api/v1/{kind}/{{id}}/flags/{{flag_id}}/remove/"]
