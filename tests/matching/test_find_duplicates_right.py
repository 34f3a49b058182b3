"""``find_duplicates`` (roles version 7): relay-cell data managers, the national
coordination and administrators — from the seed on new databases, from a data migration
on existing ones, which leaves a role an administrator edited alone."""

from __future__ import annotations

import importlib

from django.apps import apps

from yiri.accounts.models import Role
from yiri.network.models import SeededDataSet

migration = importlib.import_module("yiri.matching.migrations.0002_find_duplicates_right")


def test_the_seeded_roles_that_may_search_for_duplicates(cast):
    allowed = {u for u, user in cast.everyone.items() if user.can("find_duplicates", "system")}
    assert allowed == {"admin", "relay", "coordinator"}


def test_the_migration_adds_it_to_the_roles_as_shipped_and_leaves_an_edited_one_alone(cast):
    for code, (old, _new) in migration._CHANGES.items():
        role = Role.objects.get(code=code)
        role.permissions = {**role.permissions, "system": list(old)}
        role.save()
    worker_before = Role.objects.get(code="case_worker").permissions
    SeededDataSet.objects.filter(name="roles").update(version=6)
    migration.add_find_duplicates_right(apps, None)
    for code in migration._CHANGES:
        assert "find_duplicates" in Role.objects.get(code=code).permissions["system"], code
    assert Role.objects.get(code="case_worker").permissions == worker_before
    assert SeededDataSet.objects.get(name="roles").version == 7

    relay = Role.objects.get(code="relay_data_manager")
    relay.permissions = {**relay.permissions, "system": ["view_reports"]}  # an admin's choice
    relay.save()
    migration.add_find_duplicates_right(apps, None)
    assert Role.objects.get(code="relay_data_manager").permissions["system"] == ["view_reports"]
