"""Supervisors gain ``view_audit`` (roles version 3): from the seed on new databases, from
a data migration on existing ones, which leaves a role an administrator edited alone."""

from __future__ import annotations

import importlib

from django.apps import apps

from yiri.accounts.models import Role
from yiri.network.models import SeededDataSet

migration = importlib.import_module("yiri.accounts.migrations.0005_supervisors_see_audit_trails")


def test_the_seeded_roles_that_see_audit_trails(cast):
    audit = {u for u, user in cast.everyone.items() if user.can("view_audit", "system")}
    assert audit == {"admin", "manager", "coordinator"}


def test_the_migration_adds_it_to_the_role_as_shipped_and_leaves_an_edited_one_alone(cast):
    manager = Role.objects.get(code="manager")
    manager.permissions = {**manager.permissions, "system": ["view_reports", "resolve_conflicts"]}
    manager.save()
    SeededDataSet.objects.filter(name="roles").update(version=2)
    migration.add_view_audit(apps, None)
    assert Role.objects.get(code="manager").permissions["system"] == [
        "view_reports", "resolve_conflicts", "view_audit"]
    assert SeededDataSet.objects.get(name="roles").version == 3
    manager = Role.objects.get(code="manager")
    manager.permissions = {**manager.permissions, "system": ["view_reports"]}  # an admin's choice
    manager.save()
    migration.add_view_audit(apps, None)
    assert Role.objects.get(code="manager").permissions["system"] == ["view_reports"]
