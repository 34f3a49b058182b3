"""``erase_records`` (roles version 6): supervisors, relay-cell data managers, the national
coordination and administrators — from the seed on new databases, from a data migration on
existing ones, which leaves a role an administrator edited alone."""

from __future__ import annotations

import importlib

from django.apps import apps

from yiri.accounts.models import Role
from yiri.network.models import SeededDataSet

migration = importlib.import_module("yiri.accounts.migrations.0010_erasure_rights")


def test_the_seeded_roles_that_may_erase(cast):
    erase = {u for u, user in cast.everyone.items() if user.can("erase_records", "system")}
    assert erase == {"admin", "manager", "relay", "coordinator"}


def test_the_migration_adds_it_to_the_roles_as_shipped_and_leaves_an_edited_one_alone(cast):
    for code, (old, _new) in migration._CHANGES.items():
        role = Role.objects.get(code=code)
        role.permissions = {**role.permissions, "system": list(old)}
        role.save()
    worker = Role.objects.get(code="case_worker")
    worker_before = worker.permissions
    SeededDataSet.objects.filter(name="roles").update(version=4)
    migration.add_erasure_rights(apps, None)
    for code in migration._CHANGES:
        assert "erase_records" in Role.objects.get(code=code).permissions["system"], code
    assert Role.objects.get(code="case_worker").permissions == worker_before
    assert SeededDataSet.objects.get(name="roles").version == 6

    manager = Role.objects.get(code="manager")
    manager.permissions = {**manager.permissions, "system": ["view_reports"]}  # an admin's choice
    manager.save()
    migration.add_erasure_rights(apps, None)
    assert Role.objects.get(code="manager").permissions["system"] == ["view_reports"]
