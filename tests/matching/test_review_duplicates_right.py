"""``review_duplicates`` (roles version 8): relay-cell data managers, the national
coordination and administrators — from the seed on new databases, from a data migration
on existing ones, which leaves a role an administrator edited alone."""

from __future__ import annotations

import importlib

from django.apps import apps

from yiri.accounts.models import Role
from yiri.network.models import SeededDataSet

migration = importlib.import_module("yiri.matching.migrations.0004_review_duplicates_right")


def test_the_migration_adds_it_to_the_roles_as_shipped_and_leaves_an_edited_one_alone(cast):
    for code, (old, _new) in migration._CHANGES.items():
        role = Role.objects.get(code=code)
        role.permissions = {**role.permissions, "system": list(old)}
        role.save()
    worker_before = Role.objects.get(code="case_worker").permissions
    SeededDataSet.objects.filter(name="roles").update(version=7)
    migration.add_review_rights(apps, None)
    for code in migration._CHANGES:
        assert "review_duplicates" in Role.objects.get(code=code).permissions["system"], code
    assert Role.objects.get(code="case_worker").permissions == worker_before
    assert SeededDataSet.objects.get(name="roles").version == 8

    relay = Role.objects.get(code="relay_data_manager")
    relay.permissions = {**relay.permissions, "system": ["view_reports"]}  # an admin's choice
    relay.save()
    migration.add_review_rights(apps, None)
    assert Role.objects.get(code="relay_data_manager").permissions["system"] == ["view_reports"]
