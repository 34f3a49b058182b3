from __future__ import annotations

from yiri.cases.identity import read_answers
from yiri.cases.models import Case, Incident
from yiri.formconfig.schema import get_schema

from ..conftest import make_case
from .helpers import client_for, text_of

VALID = {
    "step": "save", "name_first": "Fatou", "name_last": "Sawadogo", "sex": "female",
    "age": "9", "registration_date": "2026-02-01", "location_current": "BF-KAD",
    "consent_for_services": "true", "disclosure_other_orgs": "true", "consent_source": "",
}


def test_a_case_worker_registers_a_child_with_consent(cast):
    c = client_for(cast.worker)
    r = c.post("/cases/new/", VALID)
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/"
    answers = read_answers(case, get_schema("case"))
    assert answers["name_first"] == "Fatou" and answers["age"] == 9
    assert case.consent_for_services and case.consent_disclosure
    assert case.owner == cast.worker


def test_a_place_may_be_typed_by_its_name(cast):
    client_for(cast.worker).post("/cases/new/", {**VALID, "location_current": "Kadiogo"})
    assert Case.objects.get().location.code == "BF-KAD"


def test_a_validation_error_is_shown_next_to_its_field_and_nothing_is_saved(cast):
    r = client_for(cast.worker).post("/cases/new/", {**VALID, "age": "deux", "name_first": ""})
    assert r.status_code == 422
    assert Case.objects.count() == 0
    html = r.content.decode()
    assert 'id="f-age-err"' in html and 'aria-describedby="f-age-err' in html
    assert 'aria-invalid="true"' in html
    assert "Saisissez un nombre" in text_of(r)
    assert 'id="f-name_first-err"' in html
    assert 'value="Sawadogo"' in html  # what was typed is kept


def test_a_role_that_may_not_create_is_refused(cast):
    assert client_for(cast.provider).post("/cases/new/", VALID).status_code == 403
    assert Case.objects.count() == 0


def test_an_incident_is_registered_linked_to_a_case(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    form = c.post("/incidents/new/", {"case": str(case.pk)})
    assert "Date de l'incident" in text_of(form)
    r = c.post("/incidents/new/", {
        "step": "save", "case": str(case.pk), "incident_date": "2026-01-10",
        "incident_type": ["rape"], "survivor_age": "12", "survivor_sex": "female",
    })
    incident = Incident.objects.get()
    assert r.status_code == 302, text_of(r)
    assert incident.case == case
    assert incident.short_id in text_of(c.get(f"/cases/{case.pk}/"))
    assert case.short_id in text_of(c.get(f"/incidents/{incident.pk}/"))


def test_an_outsider_cannot_link_a_new_incident_to_a_case_they_do_not_see(cast):
    case = make_case(cast.worker)
    r = client_for(cast.outsider).post("/incidents/new/", {"case": str(case.pk)})
    assert r.status_code == 404


def test_a_number_that_is_not_finite_is_refused_on_the_page(cast):
    # An administrator may make a number decimal and unbounded: "nan" and "inf" still
    # parse as floats and used to fail in the database (500).
    from yiri.formconfig.models import Field
    from yiri.formconfig.schema import clear_cache

    field = Field.objects.get(code="age")
    field.decimals, field.min_value, field.max_value = True, None, None
    field.save()
    clear_cache()
    for value in ("nan", "inf", "-Infinity"):
        r = client_for(cast.worker).post("/cases/new/", {**VALID, "age": value})
        assert r.status_code == 422 and "Saisissez un nombre" in r.content.decode()
    assert not Case.objects.exists()
