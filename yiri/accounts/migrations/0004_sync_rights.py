"""The seeded roles gain the synchronisation rights (roles version 2): supervisors,
relay-cell data managers and administrators resolve conflicts; relay-cell data managers,
the national coordination and administrators see the synchronisation status and run it.

A role whose system actions an administrator changed is left as it is (see
network/reference.py). On a new database the seed already holds the change.
"""

from django.db import migrations

# code: (system actions as shipped in version 1, as shipped in version 2)
_CHANGES = {
    "administrator": (
        ["manage_users", "manage_roles", "manage_forms", "manage_network", "view_reports",
         "view_audit"],
        ["manage_users", "manage_roles", "manage_forms", "manage_network", "view_reports",
         "view_audit", "resolve_conflicts", "view_sync"]),
    "manager": (["view_reports"], ["view_reports", "resolve_conflicts"]),
    "relay_data_manager": (["view_reports"], ["view_reports", "resolve_conflicts", "view_sync"]),
    "national_coordinator": (["view_reports", "view_audit", "manage_network"],
                             ["view_reports", "view_audit", "manage_network", "view_sync"]),
}


def add_sync_rights(apps, schema_editor):
    from yiri.accounts.roles import change_actions_if_unchanged
    from yiri.network.reference import mark_version

    Role = apps.get_model("accounts", "Role")
    for code, (old, new) in _CHANGES.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            change_actions_if_unchanged(role, "system", old, new)
    mark_version(apps, "roles", 2)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_synced_users_and_field_clocks"),
        ("network", "0002_seeded_data_sets"),
    ]

    operations = [migrations.RunPython(add_sync_rights, migrations.RunPython.noop)]
