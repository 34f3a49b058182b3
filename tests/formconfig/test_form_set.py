"""The default CPIMS+-style form set, and forms changed by an administrator without code."""

from __future__ import annotations

import pytest
from django.test import Client

from yiri.cases.services import create_record, update_record
from yiri.formconfig.models import Field, FormSection
from yiri.formconfig.schema import get_schema
from yiri.formconfig.validation import AnswersInvalid

from ..conftest import PASSWORD, child_answers, make_case

CPIMS_SECTIONS = ["basic_identity", "consent", "protection_concerns", "trafficking", "assessment",
                  "case_plan", "services_section", "followup", "family", "care_arrangements",
                  "tracing", "closure"]


def test_the_default_case_form_follows_the_cpims_sections(db):
    codes = [s.code for s in get_schema("case").main_sections]
    for code in CPIMS_SECTIONS:
        assert code in codes


def test_incidents_and_tracing_requests_have_forms(db):
    assert get_schema("incident").fields and get_schema("tracing_request").fields


def test_trafficking_fields_are_in_the_default_set(db):
    fields = get_schema("case").fields
    for code in ("exploitation_type", "route_origin", "intermediary_relation", "return_status"):
        assert fields[code].section == "trafficking"


def test_labels_follow_the_language(db):
    from django.utils import translation

    sex = get_schema("case").fields["sex"]
    with translation.override("en"):
        assert sex.label == "Sex"
    assert sex.label == "Sexe"


def test_a_conditional_field_is_required_only_when_shown(cast):
    section = FormSection.objects.get(record_type="case", code="protection_concerns")
    Field.objects.create(section=section, code="street_since", type="date", label_fr="Dans la rue depuis",
                         required=True, visible_if={"field": "protection_concerns", "equals": "street_child"})
    case = make_case(cast.worker)
    update_record(cast.worker, case, {"protection_concerns": ["trafficked"]})
    with pytest.raises(AnswersInvalid) as err:
        update_record(cast.worker, case, {"protection_concerns": ["street_child"]})
    assert list(err.value.errors) == ["street_since"]


def test_an_administrator_adds_a_field_in_the_admin_and_it_is_used_at_once(cast):
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    client = Client()
    client.login(username="admin", password=PASSWORD)
    section = FormSection.objects.get(record_type="case", code="basic_identity")
    page = client.get(f"/admin/formconfig/formsection/{section.pk}/change/")
    assert page.status_code == 200
    Field.objects.create(section=section, code="school_name", type="text", label_fr="École fréquentée")
    case = create_record(cast.worker, "case", child_answers(school_name="École de Gounghin"))
    assert case.data["school_name"] == "École de Gounghin"


def test_an_outsider_cannot_open_the_form_admin(cast):
    client = Client()
    client.login(username="outsider", password=PASSWORD)
    assert client.get("/admin/formconfig/formsection/").status_code == 302
