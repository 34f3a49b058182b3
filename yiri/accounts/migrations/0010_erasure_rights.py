"""The seeded roles gain ``erase_records`` (roles version 6): supervisors, relay-cell data
managers, the national coordination and administrators request and approve the erasure
of a record (four eyes: ``cases/erasure.py``).

A role whose system actions an administrator changed is left as it is (see
network/reference.py). On a new database the seed already holds the change.
"""

from django.db import migrations

# code: (system actions as shipped in versions 4–5, as shipped in version 6)
_CHANGES = {
    "administrator": (
        ["manage_users", "manage_roles", "manage_forms", "manage_network", "view_reports",
         "view_audit", "resolve_conflicts", "view_sync", "manage_nodes"],
        ["manage_users", "manage_roles", "manage_forms", "manage_network", "view_reports",
         "view_audit", "resolve_conflicts", "view_sync", "manage_nodes", "erase_records"]),
    "manager": (["view_reports", "resolve_conflicts", "view_audit"],
                ["view_reports", "resolve_conflicts", "view_audit", "erase_records"]),
    "relay_data_manager": (["view_reports", "resolve_conflicts", "view_sync", "manage_nodes"],
                           ["view_reports", "resolve_conflicts", "view_sync", "manage_nodes",
                            "erase_records"]),
    "national_coordinator": (["view_reports", "view_audit", "manage_network", "view_sync",
                              "manage_nodes"],
                             ["view_reports", "view_audit", "manage_network", "view_sync",
                              "manage_nodes", "erase_records"]),
}


def add_erasure_rights(apps, schema_editor):
    from yiri.accounts.roles import change_actions_if_unchanged
    from yiri.network.reference import mark_version

    Role = apps.get_model("accounts", "Role")
    for code, (old, new) in _CHANGES.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            change_actions_if_unchanged(role, "system", old, new)
    mark_version(apps, "roles", 6)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0009_field_rights"),
    ]

    operations = [migrations.RunPython(add_erasure_rights, migrations.RunPython.noop)]
