"""The admin speaks French: Yiri's own title, French field names, filters and help."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.utils.functional import Promise

from yiri.formconfig.models import FormSection

from ..conftest import PASSWORD
from ..web.helpers import text_of


@pytest.fixture
def superuser(cast):
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    return client


def yiri_admin_models():
    return [m for m in admin.site._registry if m.__module__.startswith("yiri.")]


@pytest.mark.parametrize("model", yiri_admin_models(), ids=lambda m: m._meta.label)
def test_every_field_of_a_model_in_the_admin_has_a_translatable_name(model):
    unnamed = [f.name for f in model._meta.get_fields()
               if getattr(f, "concrete", False) and not f.auto_created and f.editable
               and not isinstance(f.verbose_name, Promise)]
    assert unnamed == []


def test_the_admin_is_titled_yiri_not_django(superuser):
    page = text_of(superuser.get("/admin/"))
    assert "Administration de Yiri" in page and "Django" not in page


def test_the_user_list_filters_in_french(superuser):
    page = text_of(superuser.get("/admin/accounts/user/"))
    for label in ("Par rôle", "Par organisation", "Rôle", "Organisation"):
        assert label in page, label
    assert "agency" not in page.lower().replace("agency=", "")


def test_the_form_field_editor_is_in_french(superuser):
    section = FormSection.objects.get(record_type="case", code="basic_identity")
    page = text_of(superuser.get(f"/admin/formconfig/formsection/{section.pk}/change/"))
    for label in ("Obligatoire", "Identifiant", "Sert au rapprochement", "Pas de date future",
                  "Visible si", "Libellé (français)", "Nom (français)", "Type de fiche"):
        assert label in page, label
    for english in ("Required", "Identifying", "Matchable", "No future", "Name fr", "NAME FR"):
        assert english not in page, english


def test_the_role_list_and_the_audit_log_are_in_french(superuser):
    roles = text_of(superuser.get("/admin/accounts/role/"))
    assert "Portée" in roles and "Par portée" in roles and "Nom (français)" in roles
    audit = text_of(superuser.get("/admin/audit/auditevent/"))
    assert "Date et heure" in audit and "Par action" in audit and "Par type de fiche" in audit


def test_django_permissions_are_named_in_french(superuser, cast):
    page = text_of(superuser.get(f"/admin/accounts/user/{cast.worker.pk}/change/"))
    assert "Comptes et rôles | Peut modifier : rôle" in page
    assert "Can add" not in page and "name token" not in page


def test_the_audit_log_names_what_each_row_is_about_in_french(superuser, cast):
    cast.worker.role = cast.manager.role
    cast.worker.save()  # a permission change about a user
    page = text_of(superuser.get("/admin/audit/auditevent/?record_type=user"))
    assert "Utilisateur" in page and " user " not in page
