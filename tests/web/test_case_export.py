"""The case list exports as CSV for roles with the export right; others are refused."""

from __future__ import annotations

from django.test import Client

from yiri.audit.models import AuditAction, AuditEvent

from ..conftest import PASSWORD, make_case


def client_for(username):
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_a_supervisor_downloads_the_filtered_list_of_the_team(cast):
    mine = make_case(cast.worker, risk_level="high")
    make_case(cast.worker, risk_level="low")
    make_case(cast.colleague)  # another team
    response = client_for("manager").get("/cases/export.csv?risk=high")
    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert body.count("\n") == 2 and mine.short_id in body
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, user=cast.manager).exists()


def test_the_list_offers_the_export_only_to_roles_that_may(cast):
    make_case(cast.worker)
    assert "export.csv" in client_for("manager").get("/cases/").content.decode()
    assert "export.csv" not in client_for("worker").get("/cases/").content.decode()


def test_a_case_worker_is_refused_and_an_outsider_gets_nothing(cast):
    make_case(cast.worker)
    assert client_for("worker").get("/cases/export.csv").status_code == 403
    assert client_for("partner").get("/cases/export.csv").status_code == 404
    assert Client().get("/cases/export.csv").status_code == 302  # to the login page


def test_the_download_is_made_for_a_french_spreadsheet(cast):
    make_case(cast.worker, risk_level="high")
    response = client_for("manager").get("/cases/export.csv")
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode()) and response["Content-Type"] == "text/csv; charset=utf-8"
    header, row = raw.decode("utf-8-sig").splitlines()
    assert header.startswith("Numéro;Statut;Étape;Organisation;Mis à jour (heure locale)")
    assert ";Élevé;" in row and "high" not in row
