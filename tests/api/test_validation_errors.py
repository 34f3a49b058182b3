"""Refused answers: a 400 naming each field in French, and nothing written."""

from __future__ import annotations

import pytest

from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases.models import Case
from yiri.sync.models import Operation

from ..conftest import make_case


@pytest.fixture
def case(cast):
    return make_case(cast.worker)


def patch(client, case, section, answers, version=None):
    return client.patch(f"/api/v1/cases/{case.pk}/sections/{section}/",
                        {"answers": answers, "version": case.version if version is None else version},
                        format="json")


def assert_nothing_saved(case):
    stored = Case.objects.get(pk=case.pk)
    assert stored.version == case.version
    assert Operation.objects.filter(entity_id=case.pk).count() == 1  # the creation only
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE, record_id=case.pk).exists()


def test_wrong_answers_are_a_400_with_a_french_message_per_field(cast, case, api):
    r = patch(api(cast.worker), case, "basic_identity",
              {"age": "douze", "sex": "martian", "date_of_birth": "2099-13-01"})
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert errors["age"] == ["Saisissez un nombre, par exemple 12."]
    assert errors["sex"][0].startswith("« martian » n'est pas un choix possible.")
    assert errors["date_of_birth"] == ["Saisissez une date valide (AAAA-MM-JJ)."]
    assert_nothing_saved(case)


def test_clearing_a_required_field_is_refused(cast, case, api):
    r = patch(api(cast.worker), case, "basic_identity", {"name_first": ""})
    assert r.status_code == 400
    assert r.json()["errors"]["name_first"] == ["Ce champ est obligatoire : Prénom(s)."]
    assert_nothing_saved(case)


def test_an_unknown_field_or_section_is_refused(cast, case, api):
    r = patch(api(cast.worker), case, "basic_identity", {"favourite_colour": "bleu"})
    assert r.status_code == 400
    assert r.json()["errors"] == {"favourite_colour": ["Champ inconnu dans ce formulaire."]}
    r = patch(api(cast.worker), case, "no_such_section", {"age": 3})
    assert r.status_code == 400 and "section" in r.json()["errors"]
    assert_nothing_saved(case)


def test_a_bad_subform_row_names_the_row_and_field(cast, case, api):
    r = patch(api(cast.worker), case, "services_section", {"services": [{"implemented": "peut-être"}]})
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert errors["services.0.implemented"] == ["Répondez par oui ou par non."]
    assert errors["services.0.service_type"] == ["Ce champ est obligatoire."]
    assert_nothing_saved(case)


def test_a_malformed_body_is_a_400_in_the_same_shape(cast, case, api):
    client = api(cast.worker)
    r = client.patch(f"/api/v1/cases/{case.pk}/sections/basic_identity/", {"answers": {"age": 3}},
                     format="json")
    assert r.status_code == 400
    assert r.json()["errors"]["__all__"] == [
        "Envoyez les marques de version lues (stamps) ou la version du dossier."]
    r = client.patch(f"/api/v1/cases/{case.pk}/sections/basic_identity/",
                     {"answers": ["age"], "version": case.version}, format="json")
    assert r.status_code == 400 and "answers" in r.json()["errors"]
    assert_nothing_saved(case)


def test_creating_with_missing_required_answers_creates_nothing(cast, api):
    r = api(cast.worker).post("/api/v1/cases/", {"answers": {"name_first": "Awa"}}, format="json")
    assert r.status_code == 400
    assert set(r.json()["errors"]) == {"sex", "age", "registration_date"}
    assert not Case.objects.exists()
    assert not Operation.objects.filter(record_type="case").exists()


def test_creating_a_case_returns_it_with_its_version_and_short_id(cast, api):
    answers = {"name_first": "Awa", "name_last": "Ouédraogo", "sex": "female", "age": 12,
               "registration_date": "2026-01-15", "location_current": "BF-KAD"}
    r = api(cast.worker).post("/api/v1/cases/", {"answers": answers}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    case = Case.objects.get(pk=body["id"])
    assert body["short_id"] == case.short_id and body["version"] == 1
    assert body["owner"]["id"] == str(cast.worker.pk) and body["agency"] == "ACE"
    assert body["answers"]["name_last"] == "Ouédraogo"
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, record_id=case.pk).exists()
