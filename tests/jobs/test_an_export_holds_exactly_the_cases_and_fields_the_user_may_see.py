"""An export holds the cases of the filtered list that the person's role reaches and the
fields it may read, nothing more, headed by the form's labels in the chosen language;
roles without the export right are refused before anything is queued."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from yiri.accounts.models import Role
from yiri.accounts.rights import clean_field_rights
from yiri.jobs import exports
from yiri.jobs.models import Job

from ..conftest import make_case
from ..web.helpers import client_for
from .helpers import export_through_the_pages, rows_of


@pytest.fixture
def cases(cast, settings, tmp_path):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    return [make_case(cast.worker, risk_level="high", phone="70112233"),
            make_case(cast.worker, risk_level="low"),
            make_case(cast.colleague, name_first="Salif", sex="male"),  # another team
            make_case(cast.outsider, name_first="Kossi", location_current="TG-M-GOL")]


def test_a_supervisor_gets_the_filtered_cases_of_the_team_only(cast, cases):
    _c, job, password, archive = export_through_the_pages(cast.manager, "?risk=high")
    assert [r["Numéro"] for r in rows_of(archive, password)] == [cases[0].short_id]
    assert job.result["count"] == 1


def test_the_national_coordination_gets_every_case(cast, cases):
    _c, _job, password, archive = export_through_the_pages(cast.coordinator)
    assert {r["Numéro"] for r in rows_of(archive, password)} == {c.short_id for c in cases}


def test_a_field_the_role_is_denied_is_not_a_column(cast, cases):
    role = Role.objects.get(code="manager")
    role.field_rights = clean_field_rights({"case": {"phone": "none"}})
    role.save()
    _c, _job, password, archive = export_through_the_pages(cast.manager)
    rows = rows_of(archive, password)
    assert rows and "Téléphone" not in rows[0] and "70112233" not in str(rows)
    assert "Prénom(s)" in rows[0]


def test_an_xlsx_export_in_english_carries_the_english_labels(cast, cases):
    _c, _job, password, archive = export_through_the_pages(cast.manager, "?risk=high",
                                                           fmt="xlsx", lang="en")
    (content,) = exports.read_archive(archive, password).values()
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    header, row = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[0] == "Number" and "First name" in header and "Prénom(s)" not in header
    assert row[0] == cases[0].short_id and "Awa" in row


@pytest.mark.parametrize("role", ["worker", "provider"])
def test_roles_without_the_export_right_are_refused_and_nothing_is_queued(cast, cases, role):
    user = cast.everyone[role]
    assert client_for(user).get("/cases/export/").status_code == 403
    assert client_for(user).post("/cases/export/", {"format": "csv", "lang": "fr"}).status_code == 403
    with pytest.raises(PermissionDenied):
        exports.start(user, {}, "csv", "fr")
    assert not Job.objects.exists()


def test_a_partner_and_a_stranger_get_nothing(cast, cases):
    assert client_for(cast.partner).get("/cases/export/").status_code == 404
    from django.test import Client

    assert Client().get("/cases/export/").status_code == 302  # to the login page
    assert not Job.objects.exists()


def test_a_person_who_lost_the_right_before_the_job_ran_gets_a_failed_job(cast, cases):
    from .helpers import work

    job = exports.start(cast.manager, {}, "csv", "fr")
    cast.manager.role = Role.objects.get(code="case_worker")
    cast.manager.save()
    work()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "n'a plus le droit" in job.error
    assert job.file_name == ""
