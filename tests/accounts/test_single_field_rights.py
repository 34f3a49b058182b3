"""A role can be denied single fields (identity numbers, address, phone, a narrative)
inside a section it may read, or read them without writing them (issue 9, item 8).

The limits hold on every read path — the case page, its history, the print page, the API,
exports, files — whatever way the user reaches the record, and a field a user cannot see
keeps its value when they save the section around it.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiri.accounts.models import Role
from yiri.accounts.rights import clean_field_rights, restrictable_fields, rights_changes
from yiri.accounts.roles import seeded_role_values
from yiri.cases.access import FieldLimits, strip_hidden, visible_answers
from yiri.cases.export import export_csv
from yiri.cases.identity import read_answers
from yiri.cases.models import Case
from yiri.cases.services import update_record
from yiri.formconfig.schema import get_schema

from ..conftest import make_case, referred_case
from ..web.helpers import client_for, text_of

SECRETS = {"national_id_no": "BF-7788-NIP", "address_current": "Rue 12.34 secteur 9",
           "phone": "70112233", "other_concern_details": "Récit confidentiel du garçon"}


@pytest.fixture
def shared_case(cast):
    case, _referral, _row = referred_case(cast, name_nickname="Petit", **SECRETS)
    return case


def restrict(role_code: str, rights: dict) -> Role:
    role = Role.objects.get(code=role_code)
    role.field_rights = clean_field_rights({"case": rights})
    role.save()
    return role


def fresh(user):
    """``user`` as the next request loads it (its role read again)."""
    return type(user).objects.get(pk=user.pk)


def test_the_seeded_service_provider_reads_the_name_but_not_the_identity_numbers_address_or_phone(cast, shared_case):
    schema = get_schema("case")
    shown = visible_answers(cast.provider, schema, read_answers(shared_case, schema), shared_case)
    assert shown["name_first"] == "Awa" and shown["name_nickname"] == "Petit"
    for code in SECRETS:
        assert code not in shown
    assert seeded_role_values("service_provider")["field_rights"]["case"]["phone"] == "none"


def test_the_case_page_print_page_and_history_of_a_provider_hold_none_of_the_hidden_values(cast, shared_case):
    client = client_for(cast.provider)
    for url in (f"/cases/{shared_case.pk}/", f"/cases/{shared_case.pk}/print/",
                f"/cases/{shared_case.pk}/history/"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = text_of(response)
        assert "Awa" in page, url
        for value in SECRETS.values():
            assert value not in page, (url, value)
    # Asking for the history of a hidden field shows nothing of it either.
    page = text_of(client.get(f"/cases/{shared_case.pk}/history/?field=phone"))
    assert SECRETS["phone"] not in page


def test_the_api_gives_a_provider_neither_the_hidden_answers_nor_their_stamps(cast, shared_case):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(cast.provider)
    body = api.get(f"/api/v1/cases/{shared_case.pk}/").json()
    assert body["answers"]["name_first"] == "Awa"
    for code in SECRETS:
        assert code not in body["answers"] and code not in body["stamps"]
    history = api.get(f"/api/v1/cases/{shared_case.pk}/history/").content.decode()
    for value in SECRETS.values():
        assert value not in history


def test_the_worker_who_owns_the_case_still_reads_every_field(cast, shared_case):
    schema = get_schema("case")
    shown = visible_answers(cast.worker, schema, read_answers(shared_case, schema), shared_case)
    assert {code: shown[code] for code in SECRETS} == SECRETS


def test_an_outsider_still_reaches_nothing(cast, shared_case):
    assert client_for(cast.outsider).get(f"/cases/{shared_case.pk}/").status_code == 404


def test_a_hidden_field_keeps_its_value_when_a_worker_saves_the_section_around_it(cast):
    case = make_case(cast.worker, **SECRETS)
    restrict("case_worker", {"national_id_no": "none"})
    client = client_for(cast.worker)
    page = client.get(f"/cases/{case.pk}/section/basic_identity/?edit=1")
    assert page.status_code == 200
    assert SECRETS["national_id_no"] not in page.content.decode()
    assert 'name="national_id_no"' not in page.content.decode()
    answers = read_answers(case, get_schema("case"))
    form = {code: answers.get(code) or "" for code in
            ("name_first", "name_last", "sex", "age", "registration_date", "location_current",
             "address_current", "phone", "name_nickname")}
    form["name_nickname"] = "Awa la grande"
    response = client.post(f"/cases/{case.pk}/section/basic_identity/", form)
    assert response.status_code == 302, text_of(response)[-1500:]
    stored = read_answers(Case.objects.get(pk=case.pk), get_schema("case"))
    assert stored["name_nickname"] == "Awa la grande"
    assert stored["national_id_no"] == SECRETS["national_id_no"]


def test_a_worker_denied_a_field_cannot_write_it_through_the_services_or_the_api(cast):
    case = make_case(cast.worker, **SECRETS)
    restrict("case_worker", {"national_id_no": "none", "phone": "r"})
    worker = fresh(cast.worker)
    with pytest.raises(PermissionDenied, match="Numéro"):
        update_record(worker, case, {"national_id_no": "autre"})
    with pytest.raises(PermissionDenied):
        update_record(worker, case, {"phone": "70999999"})
    # The unchanged value of a read-only field may come back with the rest of a form.
    update_record(worker, case, {"phone": SECRETS["phone"], "name_nickname": "Ami"})
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(worker)
    response = api.patch(f"/api/v1/cases/{case.pk}/sections/basic_identity/",
                         {"answers": {"national_id_no": "X"}, "stamps": {}}, format="json")
    assert response.status_code == 403, response.content
    stored = read_answers(Case.objects.get(pk=case.pk), get_schema("case"))
    assert stored["national_id_no"] == SECRETS["national_id_no"]


def test_a_read_only_row_field_refuses_a_change_but_accepts_the_row_posted_back_unchanged(cast):
    case, _referral, row = referred_case(cast)
    restrict("service_provider", {"services.service_notes": "r"})
    provider = fresh(cast.provider)
    with pytest.raises(PermissionDenied):
        update_record(provider, case, {"services": [{"_id": row, "service_notes": "vu"}]})
    update_record(provider, case, {"services": [{"_id": row, "implemented": True,
                                                 "service_notes": None}]})
    services = read_answers(Case.objects.get(pk=case.pk), get_schema("case"))["services"]
    assert services[0].get("implemented") is True
    assert not services[0].get("service_notes")


def test_an_export_leaves_out_the_columns_of_hidden_fields(cast):
    make_case(cast.worker, **SECRETS)
    restrict("manager", {"phone": "none", "national_id_no": "none"})
    text = "".join(export_csv(fresh(cast.manager), "case"))
    assert "Awa" in text
    assert SECRETS["phone"] not in text and SECRETS["national_id_no"] not in text


def test_field_rights_refuse_unknown_fields_and_any_right_above_reading(cast):
    with pytest.raises(ValidationError) as refused:
        clean_field_rights({"case": {"no_such_field": "none", "phone": "rw"},
                            "planet": {"x": "none"}})
    text = " ".join(refused.value.messages)
    assert "no_such_field" in text and "lecture seule" in text and "planet" in text
    assert clean_field_rights({"case": {"phone": "r", "family_details.relation_phone": "none"}}) \
        == {"case": {"family_details.relation_phone": "none", "phone": "r"}}


def test_a_change_of_field_rights_is_named_in_the_roles_audit(cast):
    changes = rights_changes({"field_rights": {}}, {"field_rights": {"case": {"phone": "none"}}})
    assert changes == {"field_rights": {"case": {"phone": [None, "none"]}}}


_ROW_FIELDS = ["relation_name", "relation_phone", "relation_address"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hidden=st.sets(st.sampled_from(
    ["name_first", "phone", "national_id_no", "address_current"]
    + [f"family_details.{c}" for c in _ROW_FIELDS])),
    values=st.dictionaries(st.sampled_from(["name_first", "phone", "national_id_no",
                                            "address_current", "sex"]),
                           st.text(min_size=1, max_size=8), max_size=5),
    rows=st.lists(st.dictionaries(st.sampled_from(_ROW_FIELDS), st.text(min_size=1, max_size=5)),
                  max_size=3))
def test_no_hidden_field_or_row_field_survives_stripping(cast, hidden, values, rows):
    schema = get_schema("case")
    answers = {**values, "family_details": [{"_id": str(i), **r} for i, r in enumerate(rows)]}
    shown = strip_hidden(FieldLimits(frozenset(hidden)), schema, answers)
    for code in hidden:
        if "." in code:
            sub, field = code.split(".")
            assert all(field not in row for row in shown.get(sub, []))
        else:
            assert code not in shown
    for code, value in values.items():
        if code not in hidden:
            assert shown[code] == value
    assert [row["_id"] for row in shown["family_details"]] == [str(i) for i in range(len(rows))]


def test_every_identifying_field_of_the_case_form_can_be_restricted(cast):
    codes = {code for code, _label, _section in restrictable_fields("case")}
    schema = get_schema("case")
    for code, f in schema.fields.items():
        if f.identifying:
            assert code in codes
    assert "family_details.relation_phone" in codes


def test_a_provider_finds_the_referred_child_by_name_but_not_by_the_hidden_phone(cast, shared_case):
    from yiri.cases.search import search_cases

    assert list(search_cases(cast.provider, q="Awa Ouédraogo")) == [shared_case]
    assert list(search_cases(cast.provider, phone=SECRETS["phone"])) == []
    assert list(search_cases(cast.worker, phone=SECRETS["phone"])) == [shared_case]


def test_an_administrator_restricts_a_field_in_the_role_page_and_the_change_is_audited(cast):
    from django.test import Client

    from yiri.accounts.forms import RoleForm
    from yiri.audit.models import AuditAction, AuditEvent

    from ..conftest import PASSWORD
    from .test_role_admin import form_data

    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    role = Role.objects.get(code="case_worker")
    page = client.get(f"/admin/accounts/role/{role.pk}/change/").content.decode()
    assert 'name="field_rights__case__national_id_no"' in page
    assert 'name="field_rights__case__family_details.relation_phone"' in page
    data = form_data(role, **{"field_rights__case__national_id_no": "none",
                              "field_rights__case__phone": "r"})
    response = client.post(f"/admin/accounts/role/{role.pk}/change/", data)
    assert response.status_code == 302
    assert Role.objects.get(pk=role.pk).field_limits("case") == (
        frozenset({"national_id_no"}), frozenset({"phone"}))
    changes = [e.details["changes"] for e in AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_CHANGE, record_id=role.pk)]
    assert {"field_rights": {"case": {"national_id_no": [None, "none"], "phone": [None, "r"]}}} \
        in changes
    forged = RoleForm(form_data(role, **{"field_rights__case__phone": "rw"}), instance=role)
    assert not forged.is_valid() and "lecture seule" in str(forged.errors["field_rights"])
