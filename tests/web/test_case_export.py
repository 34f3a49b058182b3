"""The case list offers the export to roles with the export right; its former address
leads to the export page (an encrypted archive made in the background: tests/jobs);
others are refused."""

from __future__ import annotations

from django.test import Client

from ..conftest import PASSWORD, make_case


def client_for(username):
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_the_former_address_leads_to_the_export_page_with_the_filters(cast):
    make_case(cast.worker, risk_level="high")
    response = client_for("manager").get("/cases/export.csv?risk=high")
    assert response.status_code == 302 and response["Location"] == "/cases/export/?risk=high"
    page = client_for("manager").get(response["Location"])
    assert page.status_code == 200 and 'name="risk" value="high"' in page.content.decode()


def test_the_list_offers_the_export_only_to_roles_that_may(cast):
    make_case(cast.worker)
    assert "/cases/export/" in client_for("manager").get("/cases/").content.decode()
    assert "/cases/export/" not in client_for("worker").get("/cases/").content.decode()


def test_a_case_worker_is_refused_and_an_outsider_gets_nothing(cast):
    make_case(cast.worker)
    assert client_for("worker").get("/cases/export.csv").status_code == 403
    assert client_for("partner").get("/cases/export.csv").status_code == 404
    assert Client().get("/cases/export.csv").status_code == 302  # to the login page
