"""The directory's rights (roles version 9): who reads it, edits it, records trainings and
runs inventories — from the seed on new databases, from a data migration on existing
ones, which leaves a role an administrator edited alone."""

from __future__ import annotations

import importlib

from django.apps import apps

from yiri.accounts.models import Role
from yiri.network.models import SeededDataSet

migration = importlib.import_module("yiri.accounts.migrations.0012_directory_rights")


def holders(cast, right: str) -> set[str]:
    return {u for u, user in cast.everyone.items() if user.can(right, "system")}


def test_the_seeded_roles_and_the_directory_rights(cast):
    everyone_but_the_partner = set(cast.everyone) - {"partner"}
    assert holders(cast, "view_directory") == everyone_but_the_partner
    assert holders(cast, "edit_directory") == {"admin", "relay", "coordinator"}
    assert holders(cast, "record_trainings") == {"admin", "manager", "relay", "coordinator"}
    assert holders(cast, "run_inventories") == {"admin", "relay", "coordinator"}


def test_the_migration_adds_them_to_the_roles_as_shipped_and_leaves_an_edited_one_alone(cast):
    for code, old in migration._V8.items():
        role = Role.objects.get(code=code)
        role.permissions = {**role.permissions, "system": list(old)}
        role.save()
    SeededDataSet.objects.filter(name="roles").update(version=8)
    migration.add_directory_rights(apps, None)
    for code, added in migration._ADDED.items():
        assert set(added) <= set(Role.objects.get(code=code).permissions["system"]), code
    assert "view_directory" not in Role.objects.get(code="partner_viewer").permissions.get("system", [])
    assert SeededDataSet.objects.get(name="roles").version == 9

    manager = Role.objects.get(code="manager")
    manager.permissions = {**manager.permissions, "system": ["view_reports"]}  # an admin's choice
    manager.save()
    migration.add_directory_rights(apps, None)
    assert Role.objects.get(code="manager").permissions["system"] == ["view_reports"]
