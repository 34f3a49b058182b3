"""Reference data is seeded once: restarting never undoes what an administrator edited.

``run.sh`` runs ``load_reference_data`` at every start. These tests edit a lookup label,
a role's rights and a place's name as an administrator would, run the command again, and
find the edits still there; a database without reference data still gets all of it; the
helpers data migrations use add only what is missing and change only untouched values.
"""

from __future__ import annotations

import io

import pytest
from django.apps import apps as live_apps
from django.core.management import call_command

from yiri.accounts.models import Role
from yiri.accounts.roles import SEEDED_ROLES, change_actions_if_unchanged, seeded_role_values
from yiri.formconfig.models import Field, FormSection, Lookup, LookupValue
from yiri.formconfig.services import load_form_set
from yiri.network.models import Location, SeededDataSet
from yiri.network.reference import add_missing, change_if_unchanged, mark_version
from yiri.sync.models import raw_writes


def load_reference_data() -> str:
    out = io.StringIO()
    call_command("load_reference_data", stdout=out)
    return out.getvalue()


def wipe_forms_and_roles() -> None:
    """An empty database as far as forms and roles go (the test's transaction restores it)."""
    SeededDataSet.objects.filter(name__in=["forms", "roles", "inventory_form"]).delete()
    with raw_writes():
        Field.objects.all().delete()
        FormSection.objects.all().delete()
        LookupValue.objects.all().delete()
        Lookup.objects.all().delete()
        Role.objects.all().delete()


def test_a_lookup_label_and_a_role_edited_by_the_administrator_survive_a_restart(db):
    female = LookupValue.objects.get(lookup__code="sex", code="female")
    female.label_fr = "Fille"
    female.save()
    worker = Role.objects.get(code="case_worker")
    worker.name_fr = "Agent social"
    worker.permissions = {**worker.permissions, "case": ["view"]}
    worker.save()
    kadiogo = Location.objects.get(code="BF-KAD")
    kadiogo.name = "Kadiogo (Ouagadougou)"
    kadiogo.save()

    load_reference_data()
    load_reference_data()

    assert LookupValue.objects.get(pk=female.pk).label_fr == "Fille"
    worker.refresh_from_db()
    assert (worker.name_fr, worker.permissions["case"]) == ("Agent social", ["view"])
    assert Location.objects.get(code="BF-KAD").name == "Kadiogo (Ouagadougou)"


def test_a_restart_says_nothing_was_loaded_again(db):
    assert "rien (déjà chargé)" in load_reference_data()


def test_every_data_set_is_marked_with_its_version(db):
    assert {m.name: m.version for m in SeededDataSet.objects.all()} == {
        "locations": 1, "forms": 1, "roles": 9, "inventory_form": 1}


def test_a_database_without_reference_data_gets_all_of_it(db):
    wipe_forms_and_roles()
    output = load_reference_data()
    assert "forms, roles" in output
    assert set(Role.objects.values_list("code", flat=True)) == set(SEEDED_ROLES)
    assert Role.objects.get(code="manager").permissions == seeded_role_values("manager")["permissions"]
    assert LookupValue.objects.get(lookup__code="sex", code="female").label_fr == "Féminin"
    assert Field.objects.filter(section__record_type="case", code="name_first").exists()
    assert set(SeededDataSet.objects.values_list("name", flat=True)) == {
        "locations", "forms", "roles", "inventory_form"}
    assert Field.objects.filter(section__record_type="inventory", code="connectivity").exists()


def test_a_database_seeded_before_markers_keeps_its_edits_and_gets_what_is_missing(db):
    # Databases seeded by the old command have data but no markers.
    SeededDataSet.objects.all().delete()
    with raw_writes():
        Role.objects.filter(code="partner_viewer").delete()
    manager = Role.objects.get(code="manager")
    manager.scope = "agency"
    manager.save()
    male = LookupValue.objects.get(lookup__code="sex", code="male")
    male.label_fr = "Garçon"
    male.save()

    load_reference_data()

    assert Role.objects.get(code="manager").scope == "agency"
    assert Role.objects.filter(code="partner_viewer").exists()
    assert LookupValue.objects.get(lookup__code="sex", code="male").label_fr == "Garçon"
    assert SeededDataSet.objects.count() == 4


def test_loading_the_form_set_twice_changes_nothing_an_administrator_edited(db):
    name_first = Field.objects.get(section__code="basic_identity", code="name_first")
    name_first.label_fr = "Prénom(s) de l'enfant"
    name_first.required = False
    name_first.save()
    load_form_set()
    name_first.refresh_from_db()
    assert (name_first.label_fr, name_first.required) == ("Prénom(s) de l'enfant", False)


# ---------------------------------------------------------------- data-migration helpers


def test_add_missing_creates_a_new_value_once_and_never_changes_an_existing_one(db):
    sex = Lookup.objects.get(code="sex")
    assert add_missing(LookupValue, {"lookup": sex, "code": "intersex"}, {"label_fr": "Intersexe"})
    assert not add_missing(LookupValue, {"lookup": sex, "code": "intersex"}, {"label_fr": "Autre"})
    assert not add_missing(LookupValue, {"lookup": sex, "code": "female"}, {"label_fr": "F"})
    assert LookupValue.objects.get(lookup=sex, code="intersex").label_fr == "Intersexe"
    assert LookupValue.objects.get(lookup=sex, code="female").label_fr == "Féminin"


def test_change_if_unchanged_corrects_a_shipped_label_but_not_an_edited_one(db):
    female = LookupValue.objects.get(lookup__code="sex", code="female")
    male = LookupValue.objects.get(lookup__code="sex", code="male")
    male.label_fr = "Garçon"  # the administrator's choice
    male.save()
    old, new = {"label_fr": "Masculin", "label_en": "Male"}, {"label_fr": "Masc.", "label_en": "Boy"}
    assert change_if_unchanged(male, old, new) == ["label_en"]
    assert change_if_unchanged(female, {"label_fr": "Féminin"}, {"label_fr": "Fém."}) == ["label_fr"]
    assert change_if_unchanged(female, {"label_fr": "Féminin"}, {"label_fr": "Fém."}) == []
    male.refresh_from_db()
    assert (male.label_fr, male.label_en) == ("Garçon", "Boy")


def test_a_role_gains_a_shipped_action_only_if_the_administrator_left_it_as_shipped(db):
    worker, provider = Role.objects.get(code="case_worker"), Role.objects.get(code="service_provider")
    shipped = list(worker.permissions["case"])
    assert change_actions_if_unchanged(worker, "case", shipped, shipped + ["export"])
    assert not change_actions_if_unchanged(worker, "case", shipped, shipped + ["export"])
    provider.permissions = {**provider.permissions, "case": ["view"]}  # edited in the admin
    provider.save()
    assert not change_actions_if_unchanged(provider, "case", ["view", "edit"], ["view", "edit", "refer"])
    assert Role.objects.get(code="service_provider").permissions["case"] == ["view"]


@pytest.mark.parametrize("current, expected", [(1, 2), (3, 3)])
def test_mark_version_only_raises_the_version(db, current, expected):
    SeededDataSet.objects.filter(name="forms").update(version=current)
    mark_version(live_apps, "forms", 2)
    assert SeededDataSet.objects.get(name="forms").version == expected
