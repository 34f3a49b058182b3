"""Supervisors see who viewed and changed the cases of their team (roles version 3): the
seeded manager role gains ``view_audit``, unless an administrator changed its system
actions (see network/reference.py). On a new database the seed already holds it."""

from django.db import migrations


def add_view_audit(apps, schema_editor):
    from yiri.accounts.roles import change_actions_if_unchanged
    from yiri.network.reference import mark_version

    Role = apps.get_model("accounts", "Role")
    role = Role.objects.filter(code="manager").first()
    if role is not None:
        change_actions_if_unchanged(role, "system", ["view_reports", "resolve_conflicts"],
                                    ["view_reports", "resolve_conflicts", "view_audit"])
    mark_version(apps, "roles", 3)


class Migration(migrations.Migration):

    dependencies = [("accounts", "0004_sync_rights")]

    operations = [migrations.RunPython(add_view_audit, migrations.RunPython.noop)]
