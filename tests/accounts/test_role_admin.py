"""A role is edited in the admin as tables of checkboxes and selects, checked and audited.

``{"case": ["view", "fly"]}`` used to be saved as raw JSON and took every case worker's
rights away; now an unknown action or section is refused with a French message and
nothing is saved, and each saved change leaves an audit row saying what changed (codes).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from yiri.accounts.forms import RoleForm
from yiri.accounts.models import Role
from yiri.accounts.rights import clean_form_rights, clean_permissions
from yiri.audit.models import AuditAction, AuditEvent

from ..conftest import PASSWORD


def form_data(role: Role, **changes) -> dict[str, str]:
    """The POST the admin page sends for ``role`` as it is, plus ``changes``."""
    data = {"code": role.code, "name_fr": role.name_fr, "name_en": role.name_en, "scope": role.scope}
    for record_type, actions in role.permissions.items():
        for action in actions:
            data[f"permissions__{record_type}__{action}"] = "1"
    for record_type, rights in role.form_rights.items():
        for section, right in rights.items():
            data[f"form_rights__{record_type}__{section}"] = right
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def superuser(cast):
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    return client


def change_url(role: Role) -> str:
    return f"/admin/accounts/role/{role.pk}/change/"


def role_events(role: Role):
    return AuditEvent.objects.filter(action=AuditAction.PERMISSION_CHANGE, record_type="role", record_id=role.pk)


# ---------------------------------------------------------------- validation


def test_an_unknown_action_is_refused_in_french():
    with pytest.raises(ValidationError) as err:
        clean_permissions({"case": ["view", "fly"]})
    assert "Action inconnue pour « case » : « fly »" in err.value.messages[0]


def test_an_unknown_record_type_or_system_action_is_refused():
    with pytest.raises(ValidationError) as err:
        clean_permissions({"dossier": ["view"], "system": ["manage_users", "launch"]})
    assert len(err.value.messages) == 2
    assert "Type de fiche inconnu : « dossier »" in err.value.messages[0]


def test_known_actions_are_kept_in_the_order_of_the_action_list():
    assert clean_permissions({"case": ["edit", "view"], "incident": []}) == {"case": ["view", "edit"]}


def test_an_unknown_section_or_right_is_refused(db):
    with pytest.raises(ValidationError) as err:
        clean_form_rights({"case": {"*": "r", "secret_section": "rw", "assessment": "write"}})
    assert "Section inconnue pour « Dossier » : « secret_section »" in err.value.messages[0]
    assert "Droit inconnu « write »" in err.value.messages[1]


def test_a_record_type_without_any_right_is_left_out(db):
    assert clean_form_rights({"case": {"*": "rw"}, "incident": {"*": "none"}}) == {"case": {"*": "rw"}}


def test_the_form_turns_ticked_boxes_and_selects_into_the_role_rights(db):
    role = Role.objects.get(code="service_provider")
    form = RoleForm(form_data(role, **{"permissions__case__refer": "1",
                                       "form_rights__case__assessment": "r"}), instance=role)
    assert form.is_valid(), form.errors
    form.save()
    role.refresh_from_db()
    assert role.permissions["case"] == ["view", "edit", "refer"]
    assert role.section_right("case", "assessment") == "r"
    assert role.section_right("case", "trafficking") == "none"


def test_a_forged_unknown_action_is_refused_and_nothing_is_saved(db):
    role = Role.objects.get(code="case_worker")
    before = dict(role.permissions)
    form = RoleForm(form_data(role, **{"permissions__case__fly": "1"}), instance=role)
    assert not form.is_valid()
    assert "« fly »" in str(form.errors["permissions"])
    assert Role.objects.get(pk=role.pk).permissions == before


def test_a_model_clean_refuses_raw_json_with_an_unknown_action(db):
    role = Role(code="test_role", name_fr="Test", name_en="Test", permissions={"case": ["view", "fly"]})
    with pytest.raises(ValidationError):
        role.full_clean()


# ---------------------------------------------------------------- the admin page


def test_the_admin_shows_a_role_as_tables_of_checkboxes_and_selects(superuser):
    role = Role.objects.get(code="case_worker")
    page = superuser.get(change_url(role))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="permissions__case__edit" id="permissions__case__edit" value="1" checked' in html
    assert 'name="permissions__case__export"' in html and "Exporter" in html
    assert 'name="form_rights__case__assessment"' in html and "Évaluation" in html
    assert 'name="scope"' in html
    assert "{&quot;case&quot;" not in html and '{"case"' not in html  # no raw JSON any more


def test_the_admin_saves_a_change_and_audits_what_changed(superuser, cast):
    role = Role.objects.get(code="case_worker")
    data = form_data(role, scope="agency", **{"permissions__case__export": "1",
                                              "permissions__case__transfer": None,
                                              "form_rights__case__closure": "r"})
    response = superuser.post(change_url(role), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    role.refresh_from_db()
    assert role.scope == "agency" and "export" in role.permissions["case"]
    assert "transfer" not in role.permissions["case"]
    event = role_events(role).latest("at")
    assert event.user == cast.admin
    assert event.details["changes"] == {
        "scope": ["own", "agency"],
        "actions_added": {"case": ["export"]},
        "actions_removed": {"case": ["transfer"]},
        "form_rights": {"case": {"closure": [None, "r"]}},
    }


def test_the_admin_refuses_an_unknown_action_with_a_french_message_and_saves_nothing(superuser):
    role = Role.objects.get(code="case_worker")
    before, events = role.permissions, role_events(role).count()
    response = superuser.post(change_url(role), form_data(role, **{"permissions__case__fly": "1"}))
    assert response.status_code == 200
    assert "Action inconnue pour « case » : « fly »" in response.content.decode()
    assert Role.objects.get(pk=role.pk).permissions == before
    assert role_events(role).count() == events


def test_saving_a_role_unchanged_writes_no_audit_row(superuser):
    role = Role.objects.get(code="manager")
    events = role_events(role).count()
    assert superuser.post(change_url(role), form_data(role)).status_code == 302
    assert role_events(role).count() == events


def test_a_new_role_is_audited_with_its_rights(superuser):
    data = {"code": "volunteer", "name_fr": "Bénévole", "name_en": "Volunteer", "scope": "own",
            "permissions__case__view": "1", "form_rights__case__*": "r"}
    assert superuser.post("/admin/accounts/role/add/", data).status_code == 302
    role = Role.objects.get(code="volunteer")
    assert role.permissions == {"case": ["view"]} and role.form_rights == {"case": {"*": "r"}}
    details = role_events(role).get().details
    assert details["created"] and details["changes"]["actions_added"] == {"case": ["view"]}


def test_a_case_worker_cannot_open_the_role_admin(cast):
    client = Client()
    assert client.login(username="worker", password=PASSWORD)
    role = Role.objects.get(code="case_worker")
    assert client.get(change_url(role)).status_code == 302  # to the admin login
