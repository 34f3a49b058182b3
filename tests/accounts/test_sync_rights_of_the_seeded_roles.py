"""The synchronisation rights: supervisors, relay-cell data managers and administrators
resolve conflicts; relay-cell data managers, the national coordination and administrators
see the synchronisation status. New databases get them from the seed, existing ones from a
data migration that leaves roles an administrator edited alone."""

from __future__ import annotations

import importlib

from django.apps import apps

from yiri.accounts.models import Role
from yiri.network.models import SeededDataSet

migration = importlib.import_module("yiri.accounts.migrations.0004_sync_rights")


def test_the_seeded_roles_hold_the_sync_rights(cast):
    resolve = {u for u, user in cast.everyone.items() if user.can("resolve_conflicts", "system")}
    status = {u for u, user in cast.everyone.items() if user.can("view_sync", "system")}
    assert resolve == {"admin", "manager", "relay"}
    assert status == {"admin", "relay", "coordinator"}


def test_the_migration_adds_them_to_roles_as_shipped_and_leaves_edited_roles_alone(cast):
    manager, relay = Role.objects.get(code="manager"), Role.objects.get(code="relay_data_manager")
    manager.permissions = {**manager.permissions, "system": ["view_reports"]}
    manager.save()
    relay.permissions = {**relay.permissions, "system": ["view_audit"]}  # edited by an admin
    relay.save()
    SeededDataSet.objects.filter(name="roles").update(version=1)
    migration.add_sync_rights(apps, None)
    assert Role.objects.get(code="manager").permissions["system"] == ["view_reports",
                                                                      "resolve_conflicts"]
    assert Role.objects.get(code="relay_data_manager").permissions["system"] == ["view_audit"]
    assert SeededDataSet.objects.get(name="roles").version == 2
